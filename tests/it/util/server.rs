//! The one embedded-server fixture: start the server on port 0, and send requests to it
//! anonymously, SigV4-signed or presigned. Signing uses the independent `aws-sigv4` crate
//! (AWS's own signer), so the server's verifier is checked against it rather than against
//! itself. [`Fixture::target`] gives the harness's own client for the same server.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use base64::Engine;
use md5::Digest;
use s3cors::cors::CorsRule;
use s3cors::server::{self, RunningServer, ServerConfig};
use s3cors::target::{HttpConfig, HttpTarget, Target};
use std::time::{Duration, SystemTime};

pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";
pub const REGION: &str = "us-east-1";

/// A running server and a client for it.
pub struct Fixture {
    pub server: RunningServer,
    pub client: reqwest::Client,
    pub endpoint: String,
}

/// A response with everything a test looks at.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    /// A header as a string (`None` if absent).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// An element of the `<Error>` body.
    pub fn error_field(&self, name: &str) -> Option<String> {
        s3cors::s3::parse_error_body(self.body.as_bytes())
            .and_then(|e| e.get(name).map(str::to_string))
    }

    /// Every `Access-Control-*` and `Vary` header, in order.
    pub fn cors_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n.as_str().starts_with("access-control-") || n.as_str() == "vary")
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect()
    }
}

/// How to authenticate a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Anonymous,
    Signed,
    Presigned,
}

/// The fixture's server settings: a free port on 127.0.0.1 and the fixture's keys.
pub fn config() -> ServerConfig {
    ServerConfig {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        ..ServerConfig::default()
    }
}

impl Fixture {
    /// Starts a server with default settings on a free port.
    pub async fn start() -> Fixture {
        Fixture::start_with(config()).await
    }

    /// Starts a server with the default settings changed by `adjust`.
    pub async fn start_adjusted(adjust: impl FnOnce(&mut ServerConfig)) -> Fixture {
        let mut cfg = config();
        adjust(&mut cfg);
        Fixture::start_with(cfg).await
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// The server's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// The harness's own S3 client for this server (the fixture's keys).
    pub fn target(&self) -> HttpTarget {
        HttpTarget::new(HttpConfig::new(
            "fixture",
            "embedded",
            &self.endpoint,
            ACCESS_KEY,
            SECRET_KEY,
            REGION,
        ))
        .expect("client for the fixture")
    }

    /// Creates `bucket` and stores `rules` as its CORS configuration, through the harness's
    /// own requests ([`Fixture::target`]).
    pub async fn bucket_with_cors(&self, bucket: &str, rules: &[CorsRule]) {
        use s3cors::case::model::Checksum;
        use s3cors::runner::exec::{create_bucket_request, put_cors_request, rules_xml};
        let client = self.target();
        let created = client.send(&create_bucket_request(bucket, None)).await;
        assert_eq!(created.expect("CreateBucket").status, 200);
        let put = put_cors_request(bucket, rules_xml(rules).into_bytes(), Checksum::Md5);
        assert_eq!(client.send(&put).await.expect("PutBucketCors").status, 200);
    }

    /// Starts a server with this configuration.
    pub async fn start_with(cfg: ServerConfig) -> Fixture {
        let server = server::start(cfg).await.expect("server starts");
        let endpoint = server.endpoint();
        // reqwest is built with `rustls-no-provider`; plain http needs none, but the builder
        // insists on one being installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .resolve("vhb.localhost", server.addr())
            .build()
            .expect("client");
        Fixture {
            server,
            client,
            endpoint,
        }
    }

    /// Sends a request; `path_and_query` is appended to the endpoint.
    pub async fn send(
        &self,
        auth: Auth,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let url = format!("{}{}", self.endpoint, path_and_query);
        self.send_url(auth, method, &url, headers, body).await
    }

    /// Sends a request to a full URL.
    pub async fn send_url(
        &self,
        auth: Auth,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut req = http::Request::builder().method(method).uri(url);
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let mut req = req.body(body.to_vec()).expect("request");
        match auth {
            Auth::Anonymous => {}
            Auth::Signed => sign_request(&mut req, SECRET_KEY, SystemTime::now(), None),
            Auth::Presigned => sign_request(
                &mut req,
                SECRET_KEY,
                SystemTime::now(),
                Some(Duration::from_secs(300)),
            ),
        }
        self.execute(req).await
    }

    /// Sends an already built (maybe signed) request.
    pub async fn execute(&self, req: http::Request<Vec<u8>>) -> Resp {
        let req = reqwest::Request::try_from(req).expect("reqwest request");
        let resp = self.client.execute(req).await.expect("response");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Creates a bucket (signed), optionally with a canned ACL.
    pub async fn create_bucket(&self, bucket: &str, acl: Option<&str>) {
        let headers: Vec<(&str, &str)> = acl.map(|a| ("x-amz-acl", a)).into_iter().collect();
        let r = self
            .send(Auth::Signed, "PUT", &format!("/{bucket}"), &headers, b"")
            .await;
        assert_eq!(r.status, 200, "create bucket: {}", r.body);
    }

    /// Stores a CORS configuration (signed, with Content-MD5).
    pub async fn put_cors(&self, bucket: &str, xml: &str) -> Resp {
        let md5 = content_md5(xml.as_bytes());
        self.send(
            Auth::Signed,
            "PUT",
            &format!("/{bucket}?cors"),
            &[("content-md5", &md5)],
            xml.as_bytes(),
        )
        .await
    }

    /// Stores an object (signed), optionally with a canned ACL.
    pub async fn put_object(&self, bucket: &str, key: &str, body: &[u8], acl: Option<&str>) {
        let headers: Vec<(&str, &str)> = acl.map(|a| ("x-amz-acl", a)).into_iter().collect();
        let r = self
            .send(
                Auth::Signed,
                "PUT",
                &format!("/{bucket}/{key}"),
                &headers,
                body,
            )
            .await;
        assert_eq!(r.status, 200, "put object: {}", r.body);
    }
}

/// Base64 MD5, as in `Content-MD5`.
pub fn content_md5(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

/// Signs `req` in place with aws-sigv4, S3 settings (single percent-encoding, no path
/// normalisation, `x-amz-content-sha256`). `presign` signs into the query instead.
pub fn sign_request(
    req: &mut http::Request<Vec<u8>>,
    secret: &str,
    time: SystemTime,
    presign: Option<Duration>,
) {
    let identity = Credentials::new(ACCESS_KEY, secret, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if let Some(expires) = presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    } else {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let body = if presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(req.body())
    };
    let uri = req.uri().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let signable = SignableRequest::new(
        req.method().as_str(),
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    instructions.apply_to_request_http1x(req);
}

/// One CORS rule for [`cors_xml`]: `(origins, methods, headers, expose, max_age)`.
pub type Rule<'a> = (
    &'a [&'a str],
    &'a [&'a str],
    &'a [&'a str],
    &'a [&'a str],
    Option<u32>,
);

/// A CORS configuration document from rules.
pub fn cors_xml(rules: &[Rule<'_>]) -> String {
    let mut s =
        String::from("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (origins, methods, headers, expose, max_age) in rules {
        s.push_str("<CORSRule>");
        for h in *headers {
            s.push_str(&format!("<AllowedHeader>{h}</AllowedHeader>"));
        }
        for m in *methods {
            s.push_str(&format!("<AllowedMethod>{m}</AllowedMethod>"));
        }
        for o in *origins {
            s.push_str(&format!("<AllowedOrigin>{o}</AllowedOrigin>"));
        }
        for e in *expose {
            s.push_str(&format!("<ExposeHeader>{e}</ExposeHeader>"));
        }
        if let Some(m) = max_age {
            s.push_str(&format!("<MaxAgeSeconds>{m}</MaxAgeSeconds>"));
        }
        s.push_str("</CORSRule>");
    }
    s.push_str("</CORSConfiguration>");
    s
}

/// Asserts an S3 error response: status, code, message, and that RequestId/HostId match the
/// `x-amz-request-id`/`x-amz-id-2` headers.
pub fn assert_error(r: &Resp, status: u16, code: &str, message: &str) {
    assert_eq!(r.status, status, "status; body: {}", r.body);
    assert_eq!(
        r.error_field("Code").as_deref(),
        Some(code),
        "code; body: {}",
        r.body
    );
    assert_eq!(
        r.error_field("Message").as_deref(),
        Some(message),
        "message"
    );
    assert_eq!(
        r.error_field("RequestId").as_deref(),
        r.header("x-amz-request-id"),
        "RequestId = x-amz-request-id"
    );
    assert_eq!(
        r.error_field("HostId").as_deref(),
        r.header("x-amz-id-2"),
        "HostId = x-amz-id-2"
    );
    assert_eq!(r.header("content-type"), Some("application/xml"));
    assert_eq!(r.header("server"), Some("AmazonS3"));
}
