//! The real-browser cross-check (issue 7, item 4): does headless Chromium agree with the
//! computed Fetch-standard verdict?
//!
//! A page on `http://localhost:8000` runs cross-origin `fetch()` calls and `<img>` loads against
//! the embedded server. Between the two sits a recording proxy, so the verdict is computed on
//! exactly the exchanges Chromium made (its preflight, if any, and the actual request), with
//! the same [`check_preflight`] / [`check_response`] the runner uses. Any difference in
//! allowed/blocked, in the headers the script could read, or in whether (and with which
//! `Access-Control-Request-Headers`) a preflight was sent, fails the test with the scenario,
//! Chromium's outcome and the computed verdict.
//!
//! Scenarios come from `tests/data/crosscheck/cases.txt`: a corpus case id, a step number and
//! how the page makes the request. The bucket (CORS rules, objects) is the case's own; the
//! step is translated into what a page would do (`docs/browser.md` has the rules).
//!
//! Needs `chromium` and `chromium-driver` (Debian). Without them the test prints why and
//! passes, unless `S3CORS_REQUIRE_BROWSER=1` (set by `.ci/run`) makes it fail.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use s3cors::browser::chromium::{self, Browser};
use s3cors::browser::{
    BrowserRequest, Credentials, Mode, check_preflight, check_response,
    is_forbidden_request_header, needs_preflight, normalize_method,
};
use s3cors::case::model::{CannedAcl, Checksum, ObjectSpec};
use s3cors::case::{Action, Case};
use s3cors::runner::exec::{create_bucket_request, put_cors_request, rules_xml, step_request};
use s3cors::server::{self, ServerConfig};
use s3cors::target::{Auth, HttpConfig, HttpTarget, S3Request, Target};

/// The page's origin: what every request from the page carries in `Origin`.
const PAGE_ORIGIN: &str = "http://localhost:8000";
const PAGE_ADDR: &str = "127.0.0.1:8000";
const ACCESS_KEY: &str = "crosscheck";
const SECRET_KEY: &str = "crosscheck-secret";
const REGION: &str = "us-east-1";

/// A 1×1 transparent GIF: `<img>` scenarios need a body the browser can decode, or `onerror`
/// fires whatever CORS said.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

// ---------------------------------------------------------------------------------------------
// Scenarios

/// How the page makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Fetch(Credentials),
    /// `<img>` without `crossorigin` (no-cors).
    Img,
    /// `<img crossorigin="anonymous">`.
    ImgAnonymous,
    /// `<img crossorigin="use-credentials">`.
    ImgUseCredentials,
}

impl How {
    fn parse(s: &str) -> Result<How, String> {
        Ok(match s {
            "img" => How::Img,
            "img:anonymous" => How::ImgAnonymous,
            "img:use-credentials" => How::ImgUseCredentials,
            _ => match s.strip_prefix("fetch:") {
                Some(c) => How::Fetch(c.parse()?),
                None => return Err(format!("unknown request form {s:?}")),
            },
        })
    }

    fn is_img(self) -> bool {
        !matches!(self, How::Fetch(_))
    }

    fn label(self) -> String {
        match self {
            How::Fetch(c) => format!("fetch(credentials: '{c}')"),
            How::Img => "<img>".into(),
            How::ImgAnonymous => "<img crossorigin=\"anonymous\">".into(),
            How::ImgUseCredentials => "<img crossorigin=\"use-credentials\">".into(),
        }
    }
}

/// One line of `cases.txt` × one request form.
#[derive(Debug, Clone)]
struct Scenario {
    case_id: String,
    /// 1-based step number.
    step: usize,
    how: How,
}

impl Scenario {
    fn name(&self) -> String {
        format!(
            "{} step {} as {}",
            self.case_id,
            self.step,
            self.how.label()
        )
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crosscheck")
}

/// Parses `cases.txt`: `<case id> <step> <form>...`, `#` comments.
fn parse_scenarios(text: &str) -> Result<Vec<Scenario>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(case_id), Some(step)) = (words.next(), words.next()) else {
            return Err(format!(
                "cases.txt:{}: expected `<case> <step> <form>...`",
                n + 1
            ));
        };
        let step: usize = step
            .parse()
            .map_err(|_| format!("cases.txt:{}: step {step:?} is not a number", n + 1))?;
        let forms: Vec<&str> = words.collect();
        if forms.is_empty() {
            return Err(format!("cases.txt:{}: no request form", n + 1));
        }
        for f in forms {
            let how = How::parse(f).map_err(|e| format!("cases.txt:{}: {e}", n + 1))?;
            out.push(Scenario {
                case_id: case_id.to_string(),
                step,
                how,
            });
        }
    }
    Ok(out)
}

/// What the page does for a scenario, derived from the case step.
#[derive(Debug, Clone)]
struct PageRequest {
    method: String,
    url: String,
    /// Author headers (what `fetch(url, {headers})` is given).
    headers: Vec<(String, String)>,
    body: Option<String>,
}

/// A value for a header named in `Access-Control-Request-Headers`: one that keeps it
/// CORS-unsafe where that is possible, so the browser asks about it as the case does.
fn value_for(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "content-type" => "application/json".into(),
        "range" => "bytes=0-1, 3-4".into(),
        "accept" | "accept-language" | "content-language" => "x{".into(),
        _ => "1".into(),
    }
}

/// Translates case step `step` (1-based) into the page's request:
///
/// - the step must carry `Origin: http://localhost:8000` (the only origin the page has);
/// - a preflight (`OPTIONS` + `Access-Control-Request-Method`) becomes the `fetch()` that
///   triggers it: the asked method, and each asked header with a CORS-unsafe value;
/// - any other request is sent as is, minus the headers a script cannot set (`Origin`,
///   `Host`, `Access-Control-Request-*`, …), with its body; `presigned` steps use the
///   presigned URL and `signed` ones their `Authorization` and `x-amz-*` headers, which the
///   browser sends on unchanged (so the signature still holds through the proxy).
fn page_request(
    case: &Case,
    step: usize,
    bucket: &str,
    target: &HttpTarget,
) -> Result<PageRequest, String> {
    let cs = step
        .checked_sub(1)
        .and_then(|i| case.steps.get(i))
        .ok_or_else(|| format!("{} has no step {step}", case.id))?;
    let Action::Request(spec) = &cs.action else {
        return Err(format!("{} step {step} is not a request", case.id));
    };
    let header = |name: &str| {
        spec.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
    };
    match header("origin") {
        Some(o) if o == PAGE_ORIGIN => {}
        other => {
            return Err(format!(
                "{} step {step} sends Origin {other:?}; a page on {PAGE_ORIGIN} cannot",
                case.id
            ));
        }
    }
    let mut req: S3Request = step_request(cs, bucket);
    let acrm = header("access-control-request-method");
    let mut headers: Vec<(String, String)> = Vec::new();
    if let (true, Some(asked)) = (spec.method.eq_ignore_ascii_case("OPTIONS"), acrm) {
        req.method = asked;
        req.headers.clear();
        req.body.clear();
        if req.auth == Auth::Signed {
            req.auth = Auth::Anonymous;
        }
        for name in header("access-control-request-headers")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            headers.push((name.to_string(), value_for(name)));
        }
    }
    let wire = target.wire(&req).map_err(|e| e.to_string())?;
    headers.extend(
        wire.headers
            .into_iter()
            .filter(|(n, _)| !is_forbidden_request_header(n)),
    );
    let body = (!wire.body.is_empty()).then(|| String::from_utf8_lossy(&wire.body).into_owned());
    Ok(PageRequest {
        method: req.method,
        url: wire.url,
        headers,
        body,
    })
}

/// The object key step `step` (1-based) addresses, if any.
fn step_key(case: &Case, step: usize) -> Option<String> {
    let cs = case.steps.get(step.checked_sub(1)?)?;
    match &cs.action {
        Action::Request(r) => r.key.clone().filter(|k| !k.is_empty()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The recording proxy and the page server

/// One exchange the browser made, as the proxy saw it.
#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    path: String,
    request_headers: Vec<(String, String)>,
    status: u16,
    response_headers: Vec<(String, String)>,
}

impl Exchange {
    fn header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.header("access-control-request-method").is_some()
    }

    fn summary(&self) -> String {
        let mut s = format!("    {} {} -> {}\n", self.method, self.path, self.status);
        for (n, v) in &self.request_headers {
            s.push_str(&format!("      > {n}: {v}\n"));
        }
        for (n, v) in &self.response_headers {
            s.push_str(&format!("      < {n}: {v}\n"));
        }
        s
    }
}

type Log = Arc<Mutex<Vec<Exchange>>>;

/// A body that does not announce its size, so hyper frames it the way the upstream did: with
/// the upstream's `Content-Length` when it sent one (copied as a header), chunked otherwise.
/// (A sized body would add a `Content-Length`, which scripts can read.)
struct ProxyBody(Option<Bytes>);

impl ProxyBody {
    fn new(b: Bytes) -> ProxyBody {
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

/// Forwards one request to `upstream` verbatim (Host included, so signatures hold) and logs
/// it when it came from the browser (it carries `Sec-Fetch-Mode`; set-up calls do not).
async fn forward(
    req: Request<Incoming>,
    upstream: SocketAddr,
    client: reqwest::Client,
    log: Log,
) -> Result<Response<ProxyBody>, Infallible> {
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
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut out = client.request(method.clone(), format!("http://{upstream}{path}"));
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
            return Ok(r);
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
    if request_headers.iter().any(|(n, _)| n == "sec-fetch-mode")
        && let Ok(mut l) = log.lock()
    {
        l.push(Exchange {
            method: method.to_string(),
            path: path.clone(),
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
    Ok(r)
}

/// Serves `handler` on `listener` until the test's runtime ends.
fn serve<F, Fut>(listener: tokio::net::TcpListener, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<ProxyBody>, Infallible>> + Send + 'static,
{
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handler))
                    .await;
            });
        }
    });
}

/// The page: nothing but an origin for the scripts to run in.
async fn page(_req: Request<Incoming>) -> Result<Response<ProxyBody>, Infallible> {
    let mut r = Response::new(ProxyBody::new(Bytes::from_static(
        b"<!doctype html><meta charset=utf-8><title>s3cors cross-check</title><p>s3cors",
    )));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// Bucket set-up, as the runner does it (plus the image body for `<img>` scenarios)

/// An object to put: key, body, `Content-Type`, canned ACL.
type ObjectPut = (String, Vec<u8>, Option<String>, Option<CannedAcl>);

async fn setup(
    target: &HttpTarget,
    case: &Case,
    bucket: &str,
    image_key: Option<&str>,
) -> Result<(), String> {
    let send = |req: S3Request, what: String| async move {
        match target.send(&req).await {
            Ok(r) if r.status < 300 => Ok(()),
            Ok(r) => Err(format!(
                "{what} answered {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )),
            Err(e) => Err(format!("{what}: {e}")),
        }
    };
    if !case.bucket.exists {
        return Ok(());
    }
    send(
        create_bucket_request(bucket, Some(REGION)),
        "CreateBucket".into(),
    )
    .await?;
    if let Some(acl) = case.bucket.acl {
        let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
        req.query.push(("acl".into(), None));
        req.headers
            .push(("x-amz-acl".into(), acl.header_value().into()));
        send(req, "PutBucketAcl".into()).await?;
    }
    let cors = match (&case.bucket.cors, &case.bucket.cors_xml) {
        (_, Some(x)) => Some(x.replace("${bucket}", bucket)),
        (Some(rules), None) => Some(rules_xml(rules)),
        (None, None) => None,
    };
    if let Some(body) = cors {
        let req = put_cors_request(bucket, body.into_bytes(), Checksum::Md5);
        send(req, "PutBucketCors".into()).await?;
    }
    let mut keys: Vec<ObjectPut> = case
        .bucket
        .objects
        .iter()
        .map(|(k, o)| match o {
            ObjectSpec::Body(b) => (k.to_string(), b.clone().into_bytes(), None, None),
            ObjectSpec::Full(f) => (
                k.to_string(),
                f.body.clone().into_bytes(),
                f.content_type.clone(),
                f.acl,
            ),
        })
        .collect();
    if let Some(key) = image_key {
        // The image must decode and be readable, or `onerror` says nothing about CORS.
        keys.retain(|(k, ..)| k != key);
        keys.push((
            key.into(),
            GIF.to_vec(),
            Some("image/gif".into()),
            Some(CannedAcl::PublicRead),
        ));
    }
    for (key, body, content_type, acl) in keys {
        let mut req = S3Request::new("PUT", Some(bucket), Some(&key), Auth::Signed);
        req.body = body;
        if let Some(ct) = content_type {
            req.headers.push(("Content-Type".into(), ct));
        }
        if let Some(acl) = acl {
            req.headers
                .push(("x-amz-acl".into(), acl.header_value().into()));
        }
        send(req, format!("PutObject {key}")).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running a scenario in the page and judging it

const FETCH_SCRIPT: &str = r#"
const [url, init] = arguments;
const done = arguments[arguments.length - 1];
fetch(url, init).then(async (r) => {
  const names = [];
  r.headers.forEach((_v, k) => names.push(k));
  try { await r.arrayBuffer(); } catch (e) {}
  done({ resolved: true, status: r.status, headers: names });
}, (e) => done({ resolved: false, error: String(e) }));
"#;

const IMG_SCRIPT: &str = r#"
const [url, crossOrigin] = arguments;
const done = arguments[arguments.length - 1];
const img = new Image();
if (crossOrigin !== null) img.crossOrigin = crossOrigin;
img.onload = () => done({ resolved: true });
img.onerror = () => done({ resolved: false, error: "error event" });
img.src = url;
"#;

/// What Chromium reported.
#[derive(Debug, Default)]
struct Seen {
    resolved: bool,
    status: Option<u64>,
    headers: Vec<String>,
    error: Option<String>,
}

impl Seen {
    fn from_json(v: &Value) -> Seen {
        let mut headers: Vec<String> = v
            .get("headers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        headers.sort();
        Seen {
            resolved: v.get("resolved").and_then(Value::as_bool).unwrap_or(false),
            status: v.get("status").and_then(Value::as_u64),
            headers,
            error: v.get("error").and_then(Value::as_str).map(str::to_string),
        }
    }
}

/// The model's request for a scenario.
fn model_request(how: How, pr: &PageRequest) -> BrowserRequest {
    match how {
        How::Fetch(c) => BrowserRequest {
            origin: PAGE_ORIGIN.into(),
            method: normalize_method(&pr.method),
            headers: pr.headers.clone(),
            credentials: c,
            mode: Mode::Cors,
        },
        How::Img => BrowserRequest::img(PAGE_ORIGIN),
        How::ImgAnonymous => BrowserRequest::img_crossorigin(PAGE_ORIGIN, false),
        How::ImgUseCredentials => BrowserRequest::img_crossorigin(PAGE_ORIGIN, true),
    }
}

/// Compares Chromium's outcome with the verdict computed on the exchanges it made. Returns
/// the disagreements (empty when they agree).
fn judge(how: How, pr: &PageRequest, seen: &Seen, exchanges: &[Exchange]) -> (Vec<String>, String) {
    let model = model_request(how, pr);
    let mut problems = Vec::new();
    let preflight = exchanges.iter().find(|e| e.is_preflight());
    let actual = exchanges.iter().find(|e| !e.is_preflight());
    let predicted = model.mode == Mode::Cors && needs_preflight(&model);
    if predicted != preflight.is_some() {
        problems.push(format!(
            "preflight: the model predicts {}, Chromium {}",
            if predicted { "one" } else { "none" },
            if preflight.is_some() {
                "sent one"
            } else {
                "sent none"
            }
        ));
    }
    if let Some(p) = preflight {
        let sent = p
            .header("access-control-request-headers")
            .map(str::to_string);
        let expected = model.preflight_request_headers();
        if sent != expected {
            problems.push(format!(
                "Access-Control-Request-Headers: the model sends {expected:?}, Chromium sent {sent:?}"
            ));
        }
    }
    let verdict = match (preflight, actual) {
        (Some(p), _) => match check_preflight(&model, p.status, &p.response_headers) {
            Err(v) => Some(v),
            Ok(_) => actual.map(|a| check_response(&model, a.status, &a.response_headers)),
        },
        (None, Some(a)) => Some(check_response(&model, a.status, &a.response_headers)),
        (None, None) => None,
    };
    let computed = match &verdict {
        Some(v) => format!(
            "{:?} {} (reason: {:?}; readable: {:?}; needs preflight: {predicted})",
            v.kind,
            if v.allowed { "allowed" } else { "blocked" },
            v.reason,
            v.readable_headers
        ),
        None => "nothing to judge: no request reached the server".into(),
    };
    let Some(v) = verdict else {
        problems.push("Chromium sent no request the model could judge".into());
        return (problems, computed);
    };
    if how.is_img() {
        // An image loads when CORS lets it through and the response is a 2xx image.
        let ok_status = actual.is_some_and(|a| (200..300).contains(&a.status));
        let expected = v.allowed && ok_status;
        if expected != seen.resolved {
            problems.push(format!(
                "image: the model says it {}, Chromium {}",
                if expected { "loads" } else { "fails" },
                if seen.resolved {
                    "loaded it"
                } else {
                    "fired onerror"
                }
            ));
        }
    } else {
        if v.allowed != seen.resolved {
            problems.push(format!(
                "fetch: the model says {}, Chromium {}",
                if v.allowed { "allowed" } else { "blocked" },
                if seen.resolved {
                    "resolved"
                } else {
                    "rejected"
                }
            ));
        }
        if v.allowed && seen.resolved {
            if v.readable_headers != seen.headers {
                problems.push(format!(
                    "readable headers: the model says {:?}, the script read {:?}",
                    v.readable_headers, seen.headers
                ));
            }
            if let (Some(a), Some(s)) = (actual, seen.status)
                && u64::from(a.status) != s
            {
                problems.push(format!("status: server sent {}, script saw {s}", a.status));
            }
        }
    }
    (problems, computed)
}

// ---------------------------------------------------------------------------------------------

fn browser_required() -> bool {
    std::env::var("S3CORS_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_agrees_with_the_computed_verdicts() {
    let tools = match chromium::find_tools() {
        Ok(t) => t,
        Err(e) if browser_required() => {
            panic!("S3CORS_REQUIRE_BROWSER=1 but the browser cross-check cannot run: {e}")
        }
        Err(e) => {
            eprintln!(
                "skipping the Chromium cross-check: {e} (S3CORS_REQUIRE_BROWSER=1 makes this fatal)"
            );
            return;
        }
    };
    let started = Instant::now();

    let text = std::fs::read_to_string(data_dir().join("cases.txt")).expect("read cases.txt");
    let scenarios = parse_scenarios(&text).unwrap_or_else(|e| panic!("{e}"));
    let loaded = s3cors::case::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"));
    assert!(
        loaded.errors.is_empty(),
        "corpus errors: {:?}",
        loaded.errors
    );
    let case_of = |id: &str| {
        loaded
            .cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("cases.txt names {id}, which is not in cases/"))
    };

    // The page on localhost:8000.
    let page_listener = tokio::net::TcpListener::bind(PAGE_ADDR).await.unwrap_or_else(|e| {
        panic!("the cross-check serves its page on {PAGE_ORIGIN} but cannot bind {PAGE_ADDR}: {e} (is something else using port 8000?)")
    });
    serve(page_listener, page);
    // Chromium may try ::1 first for `localhost`; serve there too when possible.
    if let Ok(l6) = tokio::net::TcpListener::bind("[::1]:8000").await {
        serve(l6, page);
    }

    // The embedded server behind the recording proxy.
    let running = server::start(ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        region: REGION.into(),
        ..ServerConfig::default()
    })
    .await
    .expect("start the embedded server");
    let upstream = running.addr();
    let log: Log = Arc::default();
    let proxy_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let proxy_addr = proxy_listener.local_addr().expect("proxy address");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("proxy client");
    {
        let log = log.clone();
        serve(proxy_listener, move |req| {
            forward(req, upstream, client.clone(), log.clone())
        });
    }
    let target = HttpTarget::new(HttpConfig::new(
        "crosscheck",
        "embedded",
        &format!("http://{proxy_addr}"),
        ACCESS_KEY,
        SECRET_KEY,
        REGION,
    ))
    .expect("target");

    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("crosscheck-{}", std::process::id()));
    let browser = Browser::launch(&tools, &scratch, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("cannot start Chromium: {e}"));
    let mut report = String::new();
    let mut disagreements = 0;
    let mut agreed = 0;
    let outcome: Result<(), String> = async {
        browser
            .navigate(&format!("{PAGE_ORIGIN}/"))
            .await
            .map_err(|e| format!("navigate to the page: {e}\n{}", browser.log_text()))?;
        for (i, sc) in scenarios.iter().enumerate() {
            let case = case_of(&sc.case_id);
            let bucket = format!("xc-{}-{i}", std::process::id());
            let image_key = sc.how.is_img().then(|| step_key(case, sc.step)).flatten();
            setup(&target, case, &bucket, image_key.as_deref())
                .await
                .map_err(|e| format!("{}: set-up: {e}", sc.name()))?;
            let pr = page_request(case, sc.step, &bucket, &target)?;
            let result = match sc.how {
                How::Fetch(c) => {
                    let mut init = json!({
                        "method": pr.method,
                        "headers": pr.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                        "credentials": c.as_str(),
                        "cache": "no-store",
                        "mode": "cors",
                    });
                    if let Some(b) = &pr.body {
                        init["body"] = json!(b);
                    }
                    browser.execute_async(FETCH_SCRIPT, vec![json!(pr.url), init]).await
                }
                How::Img => browser.execute_async(IMG_SCRIPT, vec![json!(pr.url), Value::Null]).await,
                How::ImgAnonymous => {
                    browser.execute_async(IMG_SCRIPT, vec![json!(pr.url), json!("anonymous")]).await
                }
                How::ImgUseCredentials => {
                    browser
                        .execute_async(IMG_SCRIPT, vec![json!(pr.url), json!("use-credentials")])
                        .await
                }
            }
            .map_err(|e| format!("{}: {e}", sc.name()))?;
            let seen = Seen::from_json(&result);
            let exchanges: Vec<Exchange> = log
                .lock()
                .map(|l| l.iter().filter(|e| e.path.starts_with(&format!("/{bucket}"))).cloned().collect())
                .unwrap_or_default();
            let (problems, computed) = judge(sc.how, &pr, &seen, &exchanges);
            if problems.is_empty() {
                agreed += 1;
                eprintln!(
                    "  agree  {:<75} {}",
                    sc.name(),
                    if seen.resolved { "allowed" } else { "blocked" }
                );
                continue;
            }
            eprintln!("  DIFFER {}", sc.name());
            disagreements += 1;
            report.push_str(&format!(
                "\n✗ {}\n  page request: {} {} headers {:?} body {:?}\n  Chromium: {} status {:?} \
                 readable {:?} error {:?}\n  computed: {computed}\n  disagreements:\n",
                sc.name(),
                pr.method,
                pr.url,
                pr.headers,
                pr.body,
                if seen.resolved { "resolved/loaded" } else { "rejected/error" },
                seen.status,
                seen.headers,
                seen.error,
            ));
            for p in problems {
                report.push_str(&format!("    - {p}\n"));
            }
            report.push_str("  exchanges Chromium made:\n");
            for e in &exchanges {
                report.push_str(&e.summary());
            }
        }
        Ok(())
    }
    .await;
    browser.quit().await;
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&scratch);
    if let Err(e) = outcome {
        panic!("the cross-check broke: {e}");
    }
    eprintln!(
        "Chromium cross-check: {} scenarios, {agreed} agree, {disagreements} disagree ({:.1} s)",
        scenarios.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        scenarios.len() >= 30,
        "the subset must have at least 30 scenarios"
    );
    assert_eq!(
        disagreements, 0,
        "Chromium and the computed verdict disagree:\n{report}"
    );
}

#[test]
fn scenarios_file_parses_and_covers_the_seed() {
    let text = std::fs::read_to_string(data_dir().join("cases.txt")).expect("read cases.txt");
    let scenarios = parse_scenarios(&text).unwrap_or_else(|e| panic!("{e}"));
    let ids: BTreeSet<&str> = scenarios.iter().map(|s| s.case_id.as_str()).collect();
    for seed in [
        "seed/readme-image",
        "seed/mistake-wildcard-origin",
        "seed/mistake-forgot-get",
    ] {
        assert!(ids.contains(seed), "{seed} missing from cases.txt");
    }
    let wildcard: Vec<How> = scenarios
        .iter()
        .filter(|s| s.case_id == "seed/mistake-wildcard-origin")
        .map(|s| s.how)
        .collect();
    assert!(wildcard.contains(&How::Fetch(Credentials::Include)));
    assert!(wildcard.contains(&How::Fetch(Credentials::Omit)));
    assert!(
        scenarios
            .iter()
            .any(|s| s.case_id == "seed/readme-image" && s.how == How::Img)
    );
    assert!(
        ids.len() >= 30,
        "at least 30 corpus cases, got {}",
        ids.len()
    );
}

#[test]
fn judge_reports_a_disagreement() {
    // `*` with credentials: the model blocks; pretend Chromium let it through.
    let pr = PageRequest {
        method: "GET".into(),
        url: "http://127.0.0.1:1/b/k".into(),
        headers: Vec::new(),
        body: None,
    };
    let exchange = Exchange {
        method: "GET".into(),
        path: "/b/k".into(),
        request_headers: vec![("origin".into(), PAGE_ORIGIN.into())],
        status: 200,
        response_headers: vec![("access-control-allow-origin".into(), "*".into())],
    };
    let seen = Seen {
        resolved: true,
        status: Some(200),
        ..Seen::default()
    };
    let (problems, computed) = judge(
        How::Fetch(Credentials::Include),
        &pr,
        &seen,
        std::slice::from_ref(&exchange),
    );
    assert!(computed.contains("blocked"), "{computed}");
    assert_eq!(
        problems,
        vec!["fetch: the model says blocked, Chromium resolved".to_string()]
    );
    // Without credentials both allow, and the readable headers must match too.
    let (problems, _) = judge(How::Fetch(Credentials::Omit), &pr, &seen, &[exchange]);
    assert!(problems.is_empty(), "{problems:?}");
}
