//! [`HttpTarget`]: the S3 HTTP client every network target is built on.
//!
//! One implementation of [`Target`] for any S3-compatible endpoint: it lays out URLs
//! (path-style or virtual-hosted), signs with AWS Signature V4 (in headers or as a presigned
//! URL) or not at all, and sends with one pooled `reqwest::Client`. It never retries: the
//! runner decides what may be retried (set-up only), because a retried probe would hide
//! exactly the flakiness a conformance run must report.
//!
//! Virtual-hosted requests still *connect* to the endpoint's address and only change the
//! `Host` header (`bucket.<domain>`), so they work against loopback servers without DNS.

use super::{
    Addressing, Auth, CasePolicy, Exchange, S3Request, S3Response, Target, TargetInfo,
    TargetPolicy, TransportError, WireRequest,
};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use percent_encoding::utf8_percent_encode;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use crate::s3::uri::{UNRESERVED, UNRESERVED_PATH as PATH};

/// What the SDK signer needs besides the request: the virtual-hosted `Host` (presigned URLs
/// sign only it), the URL as rendered before signing, the body, and the signing time.
#[derive(Clone, Copy)]
struct SdkSigning<'a> {
    vhost: Option<&'a str>,
    url: &'a str,
    body: &'a [u8],
    now: SystemTime,
}

/// How long a presigned URL is valid.
const PRESIGN_EXPIRES: Duration = Duration::from_secs(3600);

/// Everything an [`HttpTarget`] needs. Build with [`HttpConfig::new`] and adjust fields.
#[derive(Clone)]
pub struct HttpConfig {
    /// Name in trial names and reports.
    pub name: String,
    /// Kind for reports (`embedded`, `endpoint`, …).
    pub kind: String,
    /// Endpoint URL (`http://127.0.0.1:9000`, `https://s3.eu-west-1.amazonaws.com`).
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    pub region: String,
    /// Addressing used when a request does not choose.
    pub addressing: Addressing,
    /// Domain for virtual-hosted `Host` headers (`<bucket>.<domain>`); default: the
    /// endpoint's host, or `localhost` when that is a loopback IP address (`*.localhost` is
    /// loopback by RFC 6761, and an IP address cannot carry a bucket label).
    pub virtual_domain: Option<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Prefix of bucket names runs create.
    pub bucket_prefix: String,
    /// Trust only these CA certificates (PEM) instead of the platform's (a local HTTPS
    /// server with its own CA, such as `s3cors serve --aws --ca-file`).
    pub ca_pem: Option<Vec<u8>>,
    /// Connect every host name equal to or under this domain to this address instead of
    /// asking DNS (curl's `--resolve`, for all bucket names at once).
    pub connect_to: Option<(String, std::net::IpAddr)>,
    /// Virtual-hosted requests go to `https://<bucket>.<domain>/` as SDKs send them, instead
    /// of to the endpoint's address with only the `Host` header changed.
    pub virtual_in_url: bool,
}

impl std::fmt::Debug for HttpConfig {
    // Hand-written so secrets never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field("access_key", &"<redacted>")
            .field("region", &self.region)
            .field("addressing", &self.addressing)
            .field("virtual_domain", &self.virtual_domain)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HttpConfig {
    /// A config with path-style addressing, a 30 s timeout, no session token and the
    /// `s3cors-` bucket prefix.
    pub fn new(
        name: &str,
        kind: &str,
        endpoint: &str,
        access_key: &str,
        secret_key: &str,
        region: &str,
    ) -> Self {
        HttpConfig {
            name: name.to_string(),
            kind: kind.to_string(),
            endpoint: endpoint.to_string(),
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            session_token: None,
            region: region.to_string(),
            addressing: Addressing::Path,
            virtual_domain: None,
            timeout: Duration::from_secs(30),
            bucket_prefix: "s3cors-".to_string(),
            ca_pem: None,
            connect_to: None,
            virtual_in_url: false,
        }
    }
}

/// Why an [`HttpTarget`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid endpoint URL `{url}`: {reason}")]
    Endpoint { url: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A [`Target`] speaking S3 over HTTP(S) to one endpoint.
pub struct HttpTarget {
    cfg: HttpConfig,
    /// `scheme://host[:port]` without a trailing slash.
    origin: String,
    /// Path prefix of the endpoint (usually empty), without a trailing slash.
    base_path: String,
    /// `host[:port]` as the `Host` header carries it for path-style requests.
    host: String,
    /// `:port` when the endpoint names a non-default port.
    port_suffix: String,
    /// The endpoint, parsed once: each request's URL is this with its path and query set
    /// (instead of formatting a URL string and parsing it again per request).
    base_url: url::Url,
    /// Header signing with the day's signing key kept ([`super::sigv4`]).
    signer: super::sigv4::Signer,
    client: reqwest::Client,
    version: std::sync::Mutex<Option<String>>,
}

impl HttpTarget {
    /// Builds the target and its connection pool (no request is sent).
    pub fn new(cfg: HttpConfig) -> Result<HttpTarget, ClientError> {
        // reqwest is built without a default crypto provider; install ring once per
        // process. "Already installed" is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = url::Url::parse(&cfg.endpoint).map_err(|e| ClientError::Endpoint {
            url: cfg.endpoint.clone(),
            reason: e.to_string(),
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(ClientError::Endpoint {
                url: cfg.endpoint.clone(),
                reason: "scheme must be http or https".into(),
            });
        }
        let host_only = url.host_str().ok_or_else(|| ClientError::Endpoint {
            url: cfg.endpoint.clone(),
            reason: "no host".into(),
        })?;
        let port_suffix = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let host = format!("{host_only}{port_suffix}");
        let origin = format!("{}://{}", url.scheme(), host);
        let base_path = url.path().trim_end_matches('/').to_string();
        let ca_certs = match &cfg.ca_pem {
            None => None,
            Some(pem) => {
                let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                    ClientError::Client(format!("CA certificates: {}", error_chain(&e)))
                })?;
                if certs.is_empty() {
                    return Err(ClientError::Client(
                        "CA certificates: no PEM certificate found".into(),
                    ));
                }
                Some(certs)
            }
        };
        let builder = |roots: Option<Vec<reqwest::Certificate>>| {
            let mut b = reqwest::Client::builder()
                .timeout(cfg.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy();
            if let Some(certs) = roots {
                b = b.tls_certs_only(certs);
            }
            if let Some((domain, ip)) = &cfg.connect_to {
                b = b.dns_resolver(ConnectTo {
                    domain: domain.to_ascii_lowercase(),
                    ip: *ip,
                });
            }
            b
        };
        let client = match ca_certs {
            Some(certs) => builder(Some(certs)).build(),
            None if url.scheme() == "http" => plain_http_client(|| builder(None)),
            None => builder(None).build(),
        }
        .map_err(|e| ClientError::Client(error_chain(&e)))?;
        let mut base_url = url.clone();
        base_url.set_query(None);
        base_url.set_fragment(None);
        let signer = super::sigv4::Signer::new(
            &cfg.access_key,
            &cfg.secret_key,
            cfg.session_token.as_deref(),
            &cfg.region,
        );
        Ok(HttpTarget {
            signer,
            base_url,
            origin,
            base_path,
            host,
            port_suffix,
            client,
            cfg,
            version: std::sync::Mutex::new(None),
        })
    }

    /// The configuration (secrets included: never print it with `{:?}` of the fields).
    pub fn config(&self) -> &HttpConfig {
        &self.cfg
    }

    /// Path, query and `Host` for a request under the chosen addressing.
    fn layout(&self, req: &S3Request) -> (String, String, Option<String>) {
        let addressing = req.addressing.unwrap_or(self.cfg.addressing);
        let key = req
            .key
            .as_deref()
            .map(|k| utf8_percent_encode(k, PATH).to_string());
        let (path, host) = match (&req.bucket, addressing) {
            (None, _) => (format!("{}/", self.base_path), None),
            (Some(b), Addressing::Path) => {
                let b = utf8_percent_encode(b, UNRESERVED);
                match key {
                    Some(k) => (format!("{}/{b}/{k}", self.base_path), None),
                    None => (format!("{}/{b}", self.base_path), None),
                }
            }
            (Some(b), Addressing::Virtual) => {
                let domain = self.cfg.virtual_domain.clone().unwrap_or_else(|| {
                    let host = self.host.trim_end_matches(&self.port_suffix);
                    let ip = host.trim_start_matches('[').trim_end_matches(']');
                    match ip.parse::<std::net::IpAddr>() {
                        Ok(addr) if addr.is_loopback() => "localhost".to_string(),
                        _ => host.to_string(),
                    }
                });
                let host = format!("{b}.{domain}{}", self.port_suffix);
                let path = match key {
                    Some(k) => format!("{}/{k}", self.base_path),
                    None => format!("{}/", self.base_path),
                };
                (path, Some(host))
            }
        };
        let query = req
            .query
            .iter()
            .map(|(n, v)| match v {
                Some(v) => format!(
                    "{}={}",
                    utf8_percent_encode(n, UNRESERVED),
                    utf8_percent_encode(v, UNRESERVED)
                ),
                None => utf8_percent_encode(n, UNRESERVED).to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        (path, query, host)
    }

    fn build_wire(&self, req: &S3Request, now: SystemTime) -> Result<WireRequest, TransportError> {
        self.prepare(req, now, true).map(|(wire, _)| wire)
    }

    /// The request as it goes on the wire when signed at `now`.
    pub fn wire_at(&self, req: &S3Request, now: SystemTime) -> Result<WireRequest, TransportError> {
        self.prepare(req, now, true).map(|(wire, _)| wire)
    }

    /// Whether `req` is signed by the fast path of [`super::sigv4`] (for tests).
    #[doc(hidden)]
    pub fn signs_fast(&self, req: &S3Request) -> bool {
        let (path, _, vhost) = self.layout(req);
        let mut headers: Vec<(String, String)> =
            vhost.map(|h| ("Host".to_string(), h)).into_iter().collect();
        headers.extend(req.headers.iter().cloned());
        req.auth == Auth::Signed
            && self
                .signer
                .sign_headers(
                    &super::sigv4::Parts {
                        method: &req.method,
                        path: &path,
                        query: &req.query,
                        host: &self.host,
                        headers: &headers,
                        body: &req.body,
                    },
                    SystemTime::now(),
                )
                .is_some()
    }

    /// [`HttpTarget::wire_at`] signed by `aws_sigv4` alone, without the fast path of
    /// [`super::sigv4`]: the reference the fast path is tested against.
    #[doc(hidden)]
    pub fn reference_wire_at(
        &self,
        req: &S3Request,
        now: SystemTime,
    ) -> Result<WireRequest, TransportError> {
        self.prepare(req, now, false).map(|(wire, _)| wire)
    }

    /// The request on the wire and its URL (the same URL, parsed form, for sending).
    fn prepare(
        &self,
        req: &S3Request,
        now: SystemTime,
        fast: bool,
    ) -> Result<(WireRequest, url::Url), TransportError> {
        let (path, query, vhost) = self.layout(req);
        let origin = match &vhost {
            Some(h) if self.cfg.virtual_in_url => {
                let scheme = self.origin.split("://").next().unwrap_or("https");
                format!("{scheme}://{h}")
            }
            _ => self.origin.clone(),
        };
        let url = |query: &str| {
            if query.is_empty() {
                format!("{origin}{path}")
            } else {
                format!("{origin}{path}?{query}")
            }
        };
        // The parsed URL for sending: the kept endpoint with this path and query, or (when
        // virtual-hosted names go in the URL) the URL just rendered.
        let virtual_url = vhost.is_some() && self.cfg.virtual_in_url;
        let parsed = |query: &str| {
            if virtual_url && let Ok(u) = ::url::Url::parse(&url(query)) {
                return u;
            }
            let mut u = self.base_url.clone();
            u.set_path(&path);
            u.set_query((!query.is_empty()).then_some(query));
            u
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(h) = &vhost {
            headers.push(("Host".to_string(), h.clone()));
        }
        headers.extend(req.headers.iter().cloned());
        let mut body = req.body.clone();
        if let Some(form) = &req.form {
            let signer = crate::s3::post_form::Signer {
                access_key: &self.cfg.access_key,
                secret_key: &self.cfg.secret_key,
                session_token: self.cfg.session_token.as_deref(),
                region: &self.cfg.region,
            };
            let bucket = req.bucket.as_deref().unwrap_or_default();
            let (content_type, form_body) =
                crate::s3::post_form::render(form, bucket, Some(signer), now);
            headers.push(("Content-Type".to_string(), content_type));
            body = form_body;
        }
        // Anonymous requests go as they are; header-signed ones take the fast signer when it
        // can (`fast`), and everything else is signed by the AWS SDK's signer below. One
        // `WireRequest` is built at the end, whichever way the request was signed.
        let fast_signed = if fast && req.auth == Auth::Signed {
            self.signer.sign_headers(
                &super::sigv4::Parts {
                    method: &req.method,
                    path: &path,
                    query: &req.query,
                    host: &self.host,
                    headers: &headers,
                    body: &body,
                },
                now,
            )
        } else {
            None
        };
        let mut query = query;
        match fast_signed {
            _ if req.auth == Auth::Anonymous => {}
            Some(signed) => headers.extend(signed),
            None => self.sign_with_sdk(
                req,
                &SdkSigning {
                    vhost: vhost.as_deref(),
                    url: &url(&query),
                    body: &body,
                    now,
                },
                &mut headers,
                &mut query,
            )?,
        }
        Ok((
            WireRequest {
                method: req.method.clone(),
                url: url(&query),
                headers,
                body,
            },
            parsed(&query),
        ))
    }

    /// Signs with the AWS SDK's SigV4 signer: header-signed requests get their `Authorization`
    /// and `x-amz-*` headers, presigned ones their `X-Amz-*` query parameters.
    fn sign_with_sdk(
        &self,
        req: &S3Request,
        what: &SdkSigning<'_>,
        headers: &mut Vec<(String, String)>,
        query: &mut String,
    ) -> Result<(), TransportError> {
        let SdkSigning {
            vhost,
            url,
            body,
            now,
        } = *what;
        let identity = Credentials::new(
            &self.cfg.access_key,
            &self.cfg.secret_key,
            self.cfg.session_token.clone(),
            None,
            "s3cors",
        )
        .into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let presigned = req.auth == Auth::Presigned;
        if presigned {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(PRESIGN_EXPIRES);
            settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        } else {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.cfg.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| TransportError::Build(format!("signing parameters: {e}")))?
            .into();
        // A browser preflights a presigned URL made for the *actual* method; sign for it.
        let sign_method = if presigned && req.method.eq_ignore_ascii_case("OPTIONS") {
            req.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("access-control-request-method"))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "GET".to_string())
        } else {
            req.method.clone()
        };
        // Header-signed requests sign every header sent; presigned URLs sign only `host`
        // (what an SDK presigner does; a browser adds its own headers later).
        let signable_headers: Vec<(&str, &str)> = if presigned {
            vhost.iter().map(|h| ("host", *h)).collect()
        } else {
            headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        };
        let signable_body = if presigned {
            SignableBody::UnsignedPayload
        } else {
            SignableBody::Bytes(body)
        };
        let signable = SignableRequest::new(
            &sign_method,
            url.to_string(),
            signable_headers.into_iter(),
            signable_body,
        )
        .map_err(|e| TransportError::Build(format!("cannot sign: {e}")))?;
        let (instructions, _sig) = sign(signable, &params)
            .map_err(|e| TransportError::Build(format!("cannot sign: {e}")))?
            .into_parts();
        let (new_headers, new_params) = instructions.into_parts();
        for h in new_headers {
            headers.push((h.name().to_string(), h.value().to_string()));
        }
        for (name, value) in new_params {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!(
                "{}={}",
                utf8_percent_encode(name, UNRESERVED),
                utf8_percent_encode(&value, UNRESERVED)
            ));
        }
        Ok(())
    }

    /// Sends a prepared request (`body` separately, so [`Target::send`] can move it and
    /// [`Target::exchange`] keep the request it returns).
    async fn send_prepared(
        &self,
        wire: &WireRequest,
        url: url::Url,
        body: Vec<u8>,
    ) -> Result<S3Response, TransportError> {
        let method = reqwest::Method::from_bytes(wire.method.as_bytes())
            .map_err(|e| TransportError::Build(format!("method `{}`: {e}", wire.method)))?;
        let mut headers = reqwest::header::HeaderMap::new();
        for (n, v) in &wire.headers {
            let name = reqwest::header::HeaderName::from_bytes(n.as_bytes())
                .map_err(|e| TransportError::Build(format!("header name `{n}`: {e}")))?;
            let value = reqwest::header::HeaderValue::from_bytes(v.as_bytes())
                .map_err(|e| TransportError::Build(format!("header `{n}` value: {e}")))?;
            headers.append(name, value);
        }
        // Only an error message shows the URL: redact it then, not per request.
        let shown = || redact_url(&wire.url);
        let resp = self
            .client
            .request(method, url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(&shown(), &e))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(&shown(), &e))?
            .to_vec();
        let response = S3Response {
            status,
            headers,
            body,
        };
        if let Some(server) = response.header("server")
            && let Ok(mut v) = self.version.lock()
            && v.is_none()
        {
            *v = Some(server.to_string());
        }
        Ok(response)
    }

    fn transport_error(&self, url: &str, e: &reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout {
                url: url.to_string(),
                after: self.cfg.timeout,
            }
        } else if e.is_connect() {
            TransportError::Connect {
                url: url.to_string(),
                reason: error_chain(e),
            }
        } else {
            TransportError::Other {
                url: url.to_string(),
                reason: error_chain(e),
            }
        }
    }
}

impl Target for HttpTarget {
    fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            info: TargetInfo {
                name: self.cfg.name.clone(),
                kind: self.cfg.kind.clone(),
                endpoint: Some(self.cfg.endpoint.clone()),
                version: self.version.lock().ok().and_then(|v| v.clone()),
            },
            unavailable: None,
            bucket_prefix: self.cfg.bucket_prefix.clone(),
            region: Some(self.cfg.region.clone()),
            cases: CasePolicy::Probe,
            notes: Vec::new(),
        }
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        Box::pin(async move {
            let (mut wire, url) = self.prepare(req, SystemTime::now(), true)?;
            let body = std::mem::take(&mut wire.body);
            self.send_prepared(&wire, url, body).await
        })
    }

    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<Exchange, TransportError>> + Send + 'a>> {
        Box::pin(async move {
            let (wire, url) = self.prepare(req, SystemTime::now(), true)?;
            let response = self.send_prepared(&wire, url, wire.body.clone()).await;
            Ok(Exchange { wire, response })
        })
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.build_wire(req, SystemTime::now())
    }
}

/// The error and its sources, `: `-joined (reqwest's Display alone says little).
/// The resolver behind [`HttpConfig::connect_to`]: names under `domain` go to `ip` (the port
/// stays the URL's), everything else to the system resolver.
struct ConnectTo {
    domain: String,
    ip: std::net::IpAddr,
}

impl reqwest::dns::Resolve for ConnectTo {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let ours = host == self.domain || host.ends_with(&format!(".{}", self.domain));
        let ip = self.ip;
        Box::pin(async move {
            if ours {
                let addrs: reqwest::dns::Addrs =
                    Box::new(std::iter::once(std::net::SocketAddr::new(ip, 0)));
                return Ok(addrs);
            }
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let part = inner.to_string();
        if !s.contains(&part) {
            s.push_str(": ");
            s.push_str(&part);
        }
        src = inner.source();
    }
    s
}

/// Placeholder shown instead of secrets.
pub const REDACTED: &str = "REDACTED";

/// Replaces the signature, the access key id and the session token in a request, so it can
/// be shown, stored in results, or turned into a curl command.
pub fn redact(wire: &WireRequest) -> WireRequest {
    let headers = wire
        .headers
        .iter()
        .map(|(n, v)| {
            let lower = n.to_ascii_lowercase();
            let v = match lower.as_str() {
                "authorization" => redact_authorization(v),
                "x-amz-security-token" => REDACTED.to_string(),
                _ => v.clone(),
            };
            (n.clone(), v)
        })
        .collect();
    WireRequest {
        method: wire.method.clone(),
        url: redact_url(&wire.url),
        headers,
        body: crate::s3::post_form::redact_form(&wire.body),
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=…, Signature=hex` with the key id
/// and the signature replaced.
fn redact_authorization(v: &str) -> String {
    v.split(", ")
        .map(|part| {
            if let Some((head, cred)) = part.split_once("Credential=") {
                let scope = cred.split_once('/').map(|(_, s)| s).unwrap_or("");
                format!("{head}Credential={REDACTED}/{scope}")
            } else if part.starts_with("Signature=") {
                format!("Signature={REDACTED}")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Redacts `X-Amz-Credential` (key id only), `X-Amz-Signature` and `X-Amz-Security-Token`
/// in a URL's query string.
pub fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            match name.to_ascii_lowercase().as_str() {
                "x-amz-signature" | "x-amz-security-token" => format!("{name}={REDACTED}"),
                "x-amz-credential" => {
                    let scope = value.split_once("%2F").map(|(_, s)| s).unwrap_or("");
                    format!("{name}={REDACTED}%2F{scope}")
                }
                _ => p.to_string(),
            }
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// Builds a client for plain-HTTP URLs only. Where the system has no CA store (a minimal
/// container image without ca-certificates) the platform verifier refuses to build ("No CA
/// certificates were loaded from the system"); plain HTTP needs none, so the client is then
/// built with an empty root store. The first error is the one reported.
pub(crate) fn plain_http_client(
    builder: impl Fn() -> reqwest::ClientBuilder,
) -> Result<reqwest::Client, reqwest::Error> {
    builder()
        .build()
        .or_else(|e| builder().tls_certs_only(Vec::new()).build().map_err(|_| e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(addressing: Addressing) -> HttpTarget {
        let mut cfg = HttpConfig::new(
            "t",
            "endpoint",
            "http://127.0.0.1:9000",
            "AKID",
            "SECRET",
            "us-east-1",
        );
        cfg.addressing = addressing;
        cfg.virtual_domain = Some("localhost".into());
        cfg.session_token = Some("TOKEN".into());
        HttpTarget::new(cfg).unwrap()
    }

    #[test]
    fn path_style_layout_encodes_keys() {
        let t = target(Addressing::Path);
        let mut r = S3Request::new("GET", Some("b"), Some("a b/c+d.jpg"), Auth::Anonymous);
        r.query.push(("cors".into(), None));
        r.headers.push(("Origin".into(), "http://x".into()));
        let w = t.wire(&r).unwrap();
        assert_eq!(w.url, "http://127.0.0.1:9000/b/a%20b/c%2Bd.jpg?cors");
        assert_eq!(
            w.headers,
            vec![("Origin".to_string(), "http://x".to_string())]
        );
    }

    #[test]
    fn virtual_layout_sets_host() {
        let t = target(Addressing::Virtual);
        let w = t
            .wire(&S3Request::new(
                "OPTIONS",
                Some("b"),
                Some("k"),
                Auth::Anonymous,
            ))
            .unwrap();
        assert_eq!(w.url, "http://127.0.0.1:9000/k");
        assert_eq!(
            w.headers[0],
            ("Host".to_string(), "b.localhost:9000".to_string())
        );
    }

    #[test]
    fn signed_requests_carry_sigv4_and_redact() {
        let t = target(Addressing::Path);
        let w = t
            .wire(&S3Request::new("PUT", Some("b"), None, Auth::Signed))
            .unwrap();
        let names: Vec<_> = w.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"authorization"), "{names:?}");
        assert!(names.contains(&"x-amz-content-sha256"), "{names:?}");
        assert!(names.contains(&"x-amz-security-token"), "{names:?}");
        let shown = format!("{:?}", redact(&w));
        assert!(
            !shown.contains("AKID") && !shown.contains("TOKEN"),
            "{shown}"
        );
        assert!(shown.contains("Credential=REDACTED/"), "{shown}");
    }

    #[test]
    fn presigned_urls_carry_the_signature_in_the_query() {
        let t = target(Addressing::Path);
        let w = t
            .wire(&S3Request::new(
                "GET",
                Some("b"),
                Some("k"),
                Auth::Presigned,
            ))
            .unwrap();
        assert!(w.url.contains("X-Amz-Signature="), "{}", w.url);
        assert!(w.url.contains("X-Amz-Credential=AKID%2F"), "{}", w.url);
        let r = redact_url(&w.url);
        assert!(!r.contains("AKID") && !r.contains("TOKEN"), "{r}");
    }
}
