//! The browser's whole network for the cross-check: one HTTP proxy on loopback that answers
//! for every origin a case uses and records what the browser sent to the S3 server.
//!
//! Both browsers are told to send *every* request through it (loopback included), so a page
//! "on" `https://app.example.com` or `http://a.example:8080` needs no DNS, no port of its own
//! and no network: the proxy serves the test page for those authorities. `https` origins
//! arrive as `CONNECT host:port`; the proxy terminates TLS with a certificate for that host
//! issued by a CA generated for the run ([`Tls`]), which the browsers are told to trust
//! (Chromium by the CA key's SPKI hash, Firefox by importing it into its throwaway profile).
//!
//! Requests for the proxy's own authority (`http://127.0.0.1:PORT/...`, and virtual-hosted
//! `http://<bucket>.localhost:PORT/...`) are the S3 requests: forwarded verbatim (`Host`
//! included, so signatures hold) to the embedded server, and logged when they came from the
//! browser (a `Mozilla/…` User-Agent; the test's own set-up calls send none). Anything else is
//! refused, so nothing leaves the machine.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// One exchange the browser made with the S3 server, as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The `Host` the browser sent (tells path-style from virtual-hosted requests).
    pub host: String,
    pub request_headers: Vec<(String, String)>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.header("access-control-request-method").is_some()
    }

    pub fn summary(&self) -> String {
        let mut s = format!(
            "    {} {} (Host {}) -> {}\n",
            self.method, self.path, self.host, self.status
        );
        for (n, v) in &self.request_headers {
            let v = if n.eq_ignore_ascii_case("authorization") {
                "<redacted>"
            } else {
                v
            };
            s.push_str(&format!("      > {n}: {v}\n"));
        }
        for (n, v) in &self.response_headers {
            s.push_str(&format!("      < {n}: {v}\n"));
        }
        s
    }
}

pub type Log = Arc<Mutex<Vec<Exchange>>>;

/// A body that does not announce its size, so hyper frames it the way the upstream did: with
/// the upstream's `Content-Length` when it sent one (copied as a header), chunked otherwise.
/// (A sized body would add a `Content-Length`, which scripts can read.)
pub struct ProxyBody(Option<Bytes>);

impl ProxyBody {
    pub fn new(b: Bytes) -> ProxyBody {
        ProxyBody((!b.is_empty()).then_some(b))
    }
}

impl hyper::body::Body for ProxyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(hyper::body::Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }
}

const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-connection",
    "proxy-authorization",
];

/// The test page. Its script-free body is only an origin for WebDriver scripts to run in;
/// the sandboxed iframe (no `allow-same-origin`, so its origin is opaque and its requests
/// carry `Origin: null`) runs a `fetch()` it is sent by `postMessage` and posts the outcome
/// back, for the cases whose origin is `null`.
pub const PAGE_HTML: &str = r#"<!doctype html><meta charset=utf-8><title>s3cors cross-check</title><p>s3cors
<iframe id=sandboxed sandbox="allow-scripts" srcdoc="<script>
onmessage = (e) => {
  const [url, init] = e.data;
  fetch(url, init).then(async (r) => {
    const names = [];
    r.headers.forEach((_v, k) => names.push(k));
    try { await r.arrayBuffer(); } catch (x) {}
    parent.postMessage({ resolved: true, status: r.status, headers: names, origin: String(self.origin) }, '*');
  }, (x) => parent.postMessage({ resolved: false, error: String(x), origin: String(self.origin) }, '*'));
};
</script>"></iframe>"#;

fn text(status: u16, body: &'static str, content_type: &'static str) -> Response<ProxyBody> {
    let mut r = Response::new(ProxyBody::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r
}

/// The proxy's shared state.
pub struct Proxy {
    /// The proxy's own address: requests for this port are S3 requests.
    pub addr: SocketAddr,
    upstream: SocketAddr,
    client: reqwest::Client,
    pub log: Log,
    tls: Arc<Tls>,
    /// The `scheme://host:port` origins the page may be served from; anything else is refused.
    page_origins: Mutex<std::collections::BTreeSet<String>>,
}

impl Proxy {
    /// Starts the proxy on `127.0.0.1:0`, forwarding S3 requests to `upstream`.
    pub async fn start(upstream: SocketAddr, tls: Arc<Tls>) -> std::io::Result<Arc<Proxy>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        let proxy = Arc::new(Proxy {
            addr,
            upstream,
            client,
            log: Arc::default(),
            tls,
            page_origins: Mutex::default(),
        });
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let p = p.clone();
                        async move { p.plain(req).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Ok(proxy)
    }

    /// Lets the page be served from `origin` (`http://a.example`, `https://b.example:8443`).
    pub fn allow_page_origin(&self, origin: &str) {
        if let Ok(mut o) = self.page_origins.lock() {
            o.insert(origin.to_string());
        }
    }

    fn page_allowed(&self, origin: &str) -> bool {
        self.page_origins
            .lock()
            .map(|o| o.contains(origin))
            .unwrap_or(false)
    }

    /// A request on the plain listener: `CONNECT`, an absolute-form proxy request, or a
    /// direct (origin-form) request from the test's own S3 client.
    async fn plain(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Infallible> {
        if req.method() == http::Method::CONNECT {
            return Ok(self.connect(req));
        }
        let authority = req.uri().authority().map(|a| a.as_str().to_string());
        let port = req.uri().port_u16().unwrap_or(80);
        match authority {
            Some(_) if port == self.addr.port() => Ok(self.forward(req).await),
            None => Ok(self.forward(req).await),
            Some(a) => {
                let origin = match req.uri().port_u16() {
                    Some(80) | None => format!("http://{}", a.trim_end_matches(":80")),
                    Some(_) => format!("http://{a}"),
                };
                Ok(self.page(&origin))
            }
        }
    }

    fn page(&self, origin: &str) -> Response<ProxyBody> {
        if self.page_allowed(origin) {
            text(200, PAGE_HTML, "text/html; charset=utf-8")
        } else {
            text(
                403,
                "s3cors cross-check proxy: not a test origin",
                "text/plain",
            )
        }
    }

    /// `CONNECT host:port`: TLS with a certificate for `host`, then the page.
    fn connect(self: Arc<Self>, req: Request<Incoming>) -> Response<ProxyBody> {
        let Some(authority) = req.uri().authority().cloned() else {
            return text(400, "CONNECT without authority", "text/plain");
        };
        let host = authority.host().to_string();
        let origin = match authority.port_u16() {
            Some(443) | None => format!("https://{host}"),
            Some(p) => format!("https://{host}:{p}"),
        };
        if !self.page_allowed(&origin) {
            return text(
                403,
                "s3cors cross-check proxy: not a test origin",
                "text/plain",
            );
        }
        let Ok(config) = self.tls.server_config(&host) else {
            return text(502, "cannot issue a certificate", "text/plain");
        };
        let this = self.clone();
        tokio::spawn(async move {
            let Ok(upgraded) = hyper::upgrade::on(req).await else {
                return;
            };
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            let Ok(tls) = acceptor.accept(TokioIo::new(upgraded)).await else {
                return;
            };
            let svc = service_fn(move |_req: Request<Incoming>| {
                let page = this.page(&origin);
                async move { Ok::<_, Infallible>(page) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
        Response::new(ProxyBody::new(Bytes::new()))
    }

    /// Forwards one S3 request to the embedded server verbatim and logs it when it came from
    /// the browser.
    async fn forward(&self, req: Request<Incoming>) -> Response<ProxyBody> {
        let method = req.method().clone();
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let request_headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into(),
                )
            })
            .collect();
        let host = request_headers
            .iter()
            .find(|(n, _)| n == "host")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let mut out = self
            .client
            .request(method.clone(), format!("http://{}{path}", self.upstream));
        for (n, v) in &request_headers {
            if !HOP_BY_HOP.contains(&n.as_str()) {
                out = out.header(n.as_str(), v.as_str());
            }
        }
        let resp = match out.body(body).send().await {
            Ok(r) => r,
            Err(e) => {
                let mut r = Response::new(ProxyBody::new(Bytes::from(format!("proxy: {e}"))));
                *r.status_mut() = http::StatusCode::BAD_GATEWAY;
                return r;
            }
        };
        let status = resp.status();
        let response_headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into(),
                )
            })
            .collect();
        let bytes = resp.bytes().await.unwrap_or_default();
        // The browsers' requests carry a `Mozilla/…` User-Agent; the test's own S3 client
        // (reqwest) sends none. (`Sec-Fetch-Mode` is not enough: browsers send it only to
        // potentially trustworthy URLs.)
        let from_browser = request_headers
            .iter()
            .any(|(n, v)| n == "user-agent" && v.starts_with("Mozilla/"));
        if from_browser && let Ok(mut l) = self.log.lock() {
            l.push(Exchange {
                method: method.to_string(),
                path: path.clone(),
                host,
                request_headers: request_headers.clone(),
                status: status.as_u16(),
                response_headers: response_headers.clone(),
            });
        }
        let mut r = Response::new(ProxyBody::new(bytes));
        *r.status_mut() = status;
        for (n, v) in &response_headers {
            if HOP_BY_HOP.contains(&n.as_str()) {
                continue;
            }
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(n.as_bytes()),
                http::HeaderValue::from_str(v),
            ) {
                r.headers_mut().append(n, v);
            }
        }
        r
    }
}

/// A CA made for the run, and per-host server certificates it issues on demand.
pub struct Tls {
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    leaf_key: rcgen::KeyPair,
    configs: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
}

impl Tls {
    pub fn new() -> Result<Tls, String> {
        let now = time::OffsetDateTime::now_utc();
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "s3cors cross-check CA (one run)");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(2);
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let ca = rcgen::CertifiedIssuer::self_signed(params, key).map_err(|e| e.to_string())?;
        let leaf_key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        Ok(Tls {
            ca,
            leaf_key,
            configs: Mutex::default(),
        })
    }

    /// The CA certificate (DER), for Firefox to import.
    pub fn ca_der(&self) -> Vec<u8> {
        self.ca.der().to_vec()
    }

    /// base64(SHA-256(SPKI)) of the CA key, for Chromium's
    /// `--ignore-certificate-errors-spki-list` (it accepts a chain that holds a certificate
    /// with that key; the proxy sends the CA certificate after the leaf).
    pub fn spki_hashes(&self) -> Vec<String> {
        use base64::Engine as _;
        use rcgen::PublicKeyData as _;
        use sha2::Digest as _;
        let spki = self.ca.key().subject_public_key_info();
        vec![base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki))]
    }

    /// A rustls config presenting a certificate for `host` (cached per host).
    pub fn server_config(&self, host: &str) -> Result<Arc<rustls::ServerConfig>, String> {
        if let Ok(c) = self.configs.lock()
            && let Some(cfg) = c.get(host)
        {
            return Ok(cfg.clone());
        }
        let now = time::OffsetDateTime::now_utc();
        let mut params =
            rcgen::CertificateParams::new(vec![host.to_string()]).map_err(|e| e.to_string())?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, host);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        // rcgen derives the serial from the public key, which every leaf shares; Firefox
        // refuses two certificates with the same issuer and serial (`nssFailure2`).
        params.serial_number = Some(rcgen::SerialNumber::from(rand::random::<u64>() >> 1));
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(2);
        let cert = params
            .signed_by(&self.leaf_key, &self.ca)
            .map_err(|e| e.to_string())?;
        let chain = vec![cert.der().clone(), self.ca.der().clone()];
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.leaf_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| e.to_string())?;
        let cfg = Arc::new(cfg);
        if let Ok(mut c) = self.configs.lock() {
            c.insert(host.to_string(), cfg.clone());
        }
        Ok(cfg)
    }
}
