//! From an operation's [`Reply`] to the HTTP response on the wire: AWS's header order, AWS's
//! header-name spelling, and S3's choice between `Content-Length` and chunked bodies.
//!
//! # Header order
//!
//! `x-amz-id-2`, `x-amz-request-id`, `Date`, the CORS headers (in the model's order: ACAO,
//! ACAM, ACAH, ACEH, ACMA, ACAC, `Vary`; spec §5.2), the operation's own headers
//! (`Last-Modified`, `ETag`, …, `Content-Type`), `Transfer-Encoding`, `Connection`, `Server`,
//! `Content-Length`. `http::HeaderMap` keeps insertion order as long as nothing is removed.
//!
//! # Header-name spelling (spec §5.1)
//!
//! hyper 1 writes header names lower-case. Its `title_case_headers` option gets
//! `Access-Control-*`, `Vary`, `Date`, `Content-Length` right but spells `x-amz-id-2` as
//! `X-Amz-Id-2` and `ETag` as `Etag`, so it cannot reproduce AWS's mix. What does work is
//! hyper's `preserve_header_case`: hyper writes a response's header names in the spelling
//! recorded in a (private) extension of type `HeaderCaseMap`, which hyper itself fills when
//! it parses a request on a connection with `preserve_header_case(true)`.
//! [`header_case_template`] therefore feeds one synthetic request, carrying every header name
//! the server emits in AWS's spelling, through an in-memory hyper connection, keeps that
//! request's extensions, and every response gets a clone of them. Names not in the template
//! (e.g. `x-amz-meta-*`) go out lower-case, which is also how S3 spells those. If the
//! template cannot be built, the listener falls back to `title_case_headers`.
//!
//! # Bodies
//!
//! XML documents (errors included) are streamed as one chunk of unknown length, so hyper sends
//! `Transfer-Encoding: chunked` and no `Content-Length`, as S3 does (spec §1.5, §5.3); object
//! data and empty bodies carry `Content-Length`. Responses to `HEAD` carry headers only.

use crate::cors::CorsHeaders;
use crate::s3::S3Error;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Every header name the server emits, in AWS's spelling (spec §5.1).
pub const AWS_HEADER_SPELLING: &[&str] = &[
    "x-amz-id-2",
    "x-amz-request-id",
    "Date",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Allow-Credentials",
    "Vary",
    "Last-Modified",
    "ETag",
    "x-amz-server-side-encryption",
    "x-amz-bucket-region",
    "x-amz-access-point-alias",
    "Accept-Ranges",
    "Content-Range",
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Expires",
    "Location",
    "Allow",
    "Content-Type",
    "Connection",
    "Server",
    // These two must stay last and in this order: see `header_case_template`.
    "Content-Length",
    "Transfer-Encoding",
];

/// A response body: nothing, bytes with a known length, or bytes sent chunked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Empty,
    /// Sent with `Content-Length`.
    Full(Bytes),
    /// Sent with `Transfer-Encoding: chunked` (S3's XML documents).
    Chunked(Bytes),
}

/// What an operation answers, before the common headers are added.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Operation headers, in emit order.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Body,
    /// Send `Connection: close`.
    pub connection_close: bool,
    /// The head order of S3's refused preflights (addendum U1.2): `x-amz-request-id`,
    /// `x-amz-id-2`, `Content-Type`, `Transfer-Encoding`, `Date`, `Server`.
    pub refusal_order: bool,
}

impl Reply {
    /// A reply with no headers and no body.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Empty,
            connection_close: false,
            refusal_order: false,
        }
    }

    /// An XML document (`Content-Type: application/xml`, chunked).
    pub fn xml(status: u16, doc: String) -> Reply {
        Reply::empty(status)
            .header("content-type", "application/xml")
            .with_body(Body::Chunked(Bytes::from(doc)))
    }

    /// An S3 error document.
    pub fn error(err: &S3Error, request_id: &str, host_id: &str) -> Reply {
        let mut r = Reply::xml(err.status, err.to_xml(request_id, host_id));
        r.connection_close = err.connection_close;
        r
    }

    /// Adds a header; silently skips names or values that are not valid HTTP.
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Reply {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value.as_ref()),
        ) {
            self.headers.push((n, v));
        }
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: Body) -> Reply {
        self.body = body;
        self
    }
}

/// Per-request identifiers, echoed in headers and error bodies.
#[derive(Debug, Clone)]
pub struct Ids {
    /// `x-amz-request-id` / `<RequestId>`: 16 upper-case hex digits, like S3's.
    pub request_id: String,
    /// `x-amz-id-2` / `<HostId>`: 76 base64 characters, like S3's.
    pub host_id: String,
}

impl Ids {
    /// Fresh random ids.
    pub fn fresh() -> Ids {
        use base64::Engine;
        use rand::Rng;
        let mut rng = rand::rng();
        let rid: [u8; 8] = rng.random();
        let hid: [u8; 57] = rng.random();
        Ids {
            request_id: hex::encode_upper(rid),
            host_id: base64::engine::general_purpose::STANDARD.encode(hid),
        }
    }
}

/// The body type handed to hyper.
#[derive(Debug)]
pub struct RespBody {
    data: Option<Bytes>,
    chunked: bool,
}

impl RespBody {
    fn new(data: Bytes, chunked: bool) -> RespBody {
        RespBody {
            data: (!data.is_empty()).then_some(data),
            chunked,
        }
    }

    /// An empty body.
    pub fn empty() -> RespBody {
        RespBody::new(Bytes::new(), false)
    }
}

impl HttpBody for RespBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.data, self.chunked) {
            (_, true) => SizeHint::default(),
            (Some(d), false) => SizeHint::with_exact(d.len() as u64),
            (None, false) => SizeHint::with_exact(0),
        }
    }
}

/// Assembles the wire response. `head` is true for `HEAD` requests (headers only).
pub fn render(
    reply: Reply,
    ids: &Ids,
    cors: Option<&CorsHeaders>,
    head: bool,
    header_case: Option<&http::Extensions>,
) -> Response<RespBody> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = Response::new(RespBody::empty());
    *resp.status_mut() = status;
    if let Some(ext) = header_case {
        *resp.extensions_mut() = ext.clone();
    }
    let h = resp.headers_mut();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            h.append(n, v);
        }
    };
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    if reply.refusal_order {
        put("x-amz-request-id", &ids.request_id);
        put("x-amz-id-2", &ids.host_id);
        for (n, v) in &reply.headers {
            h.append(n.clone(), v.clone());
        }
        let chunked = matches!(reply.body, Body::Chunked(_));
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.append(name, v);
            }
        };
        if chunked && !head {
            put("transfer-encoding", "chunked");
        }
        put("date", &date);
        if reply.connection_close {
            put("connection", "close");
        }
        put("server", "AmazonS3");
        if let (false, Body::Chunked(b) | Body::Full(b)) = (head, reply.body) {
            *resp.body_mut() = RespBody::new(b, chunked);
        }
        return resp;
    }
    put("x-amz-id-2", &ids.host_id);
    put("x-amz-request-id", &ids.request_id);
    put("date", &date);
    if let Some(c) = cors {
        for (name, value) in &c.0 {
            put(name, value);
        }
    }
    for (n, v) in reply.headers {
        h.append(n, v);
    }
    let no_body_status = matches!(reply.status, 204 | 304) || reply.status < 200;
    let (data, chunked) = match reply.body {
        Body::Empty => (Bytes::new(), false),
        Body::Full(b) => (b, false),
        Body::Chunked(b) => (b, true),
    };
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.append(name, v);
        }
    };
    if chunked && !head && !no_body_status {
        put("transfer-encoding", "chunked");
    }
    if reply.connection_close {
        put("connection", "close");
    }
    put("server", "AmazonS3");
    if !chunked && !no_body_status {
        put("content-length", &data.len().to_string());
    }
    if !head && !no_body_status {
        *resp.body_mut() = RespBody::new(data, chunked);
    }
    resp
}

/// Builds the response extensions that make hyper spell header names as AWS does (see the
/// module documentation). `None` if the in-memory exchange fails.
pub async fn header_case_template() -> Option<http::Extensions> {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let slot: Arc<Mutex<Option<http::Extensions>>> = Arc::default();
    let svc_slot = slot.clone();
    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        if let Ok(mut s) = svc_slot.lock() {
            *s = Some(req.extensions().clone());
        }
        async { Ok::<_, Infallible>(Response::new(RespBody::empty())) }
    });
    let mut builder = http1::Builder::new();
    builder.preserve_header_case(true);
    let conn = builder.serve_connection(TokioIo::new(server), svc);
    // `Content-Length` before `Transfer-Encoding`: hyper records both spellings, then lets
    // the chunked encoding win, so the request stays valid.
    let mut request = String::from("POST / HTTP/1.1\r\nHost: template\r\n");
    for name in AWS_HEADER_SPELLING {
        let value = match *name {
            "Content-Length" => "0",
            "Transfer-Encoding" => "chunked",
            "Connection" => "close",
            _ => "x",
        };
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n0\r\n\r\n");
    let talk = async move {
        client.write_all(request.as_bytes()).await.ok()?;
        let mut sink = Vec::new();
        client.read_to_end(&mut sink).await.ok()?;
        Some(())
    };
    let exchange = async { tokio::join!(conn, talk) };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), exchange).await;
    slot.lock().ok()?.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Ids {
        Ids {
            request_id: "REQ".into(),
            host_id: "HOST".into(),
        }
    }

    fn names(r: &Response<RespBody>) -> Vec<String> {
        r.headers().keys().map(|k| k.as_str().to_string()).collect()
    }

    #[test]
    fn spec_5_2_common_headers_then_cors_then_operation_headers() {
        let cors = CorsHeaders(vec![
            ("Access-Control-Allow-Origin", "*".into()),
            ("Vary", "Origin".into()),
        ]);
        let reply = Reply::empty(200)
            .header("etag", "\"x\"")
            .with_body(Body::Full(Bytes::from_static(b"abc")));
        let r = render(reply, &ids(), Some(&cors), false, None);
        assert_eq!(
            names(&r),
            [
                "x-amz-id-2",
                "x-amz-request-id",
                "date",
                "access-control-allow-origin",
                "vary",
                "etag",
                "server",
                "content-length"
            ]
        );
        assert_eq!(r.headers()["content-length"], "3");
    }

    #[test]
    fn addendum_u1_2_refused_preflight_head_order() {
        let err = S3Error::new(403, "AccessForbidden", "CORSResponse: Bucket not found");
        let mut reply = Reply::error(&err, "R", "H");
        reply.refusal_order = true;
        let r = render(reply, &ids(), None, false, None);
        assert_eq!(
            names(&r),
            [
                "x-amz-request-id",
                "x-amz-id-2",
                "content-type",
                "transfer-encoding",
                "date",
                "server"
            ]
        );
        assert!(r.body().size_hint().exact().is_none(), "chunked");
    }

    #[test]
    fn spec_5_3_errors_are_chunked_xml_with_connection_close_when_asked() {
        let err = S3Error::new(400, "BadRequest", "x").with_connection_close();
        let r = render(Reply::error(&err, "R", "H"), &ids(), None, false, None);
        assert_eq!(r.headers()["transfer-encoding"], "chunked");
        assert_eq!(r.headers()["connection"], "close");
        assert_eq!(r.headers()["content-type"], "application/xml");
        assert!(r.headers().get("content-length").is_none());
        assert!(r.body().size_hint().exact().is_none());
    }

    #[test]
    fn spec_3_2_empty_preflight_has_content_length_zero_and_no_type() {
        let r = render(Reply::empty(200), &ids(), None, false, None);
        assert_eq!(r.headers()["content-length"], "0");
        assert!(r.headers().get("content-type").is_none());
    }

    #[test]
    fn head_keeps_length_but_drops_body() {
        let reply = Reply::empty(200).with_body(Body::Full(Bytes::from_static(b"abcd")));
        let r = render(reply, &ids(), None, true, None);
        assert_eq!(r.headers()["content-length"], "4");
        assert!(r.body().is_end_stream());
    }

    #[test]
    fn ids_look_like_s3s() {
        let i = Ids::fresh();
        assert_eq!(i.request_id.len(), 16);
        assert!(
            i.request_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
        assert_eq!(i.host_id.len(), 76);
        assert_ne!(Ids::fresh().request_id, i.request_id);
    }

    #[tokio::test]
    async fn header_case_template_is_built() {
        assert!(header_case_template().await.is_some());
    }
}
