//! Which corpus steps a web page can make, and how: the translation from a case step to the
//! page's `fetch()` (or `<img>`), and the reason for every step that has no such translation.
//!
//! The cross-check's claim is "every request step a page can make is checked in both
//! browsers", so the classification is explicit and exhaustive: every request step that
//! carries an `Origin` header is either [`Expressible`] or has a [`NotExpressible`] reason,
//! and `docs/browser.md` lists the latter (the test prints the list).

use std::collections::BTreeMap;

use s3cors::browser::{Credentials, is_forbidden_request_header, normalize_method};
use s3cors::case::{Action, Case};
use s3cors::runner::exec::step_request;
use s3cors::target::{Auth, HttpTarget, S3Request, Target};

/// How the page makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Fetch(Credentials),
    /// `<img>` without `crossorigin` (no-cors).
    Img,
    /// `<img crossorigin="anonymous">`.
    ImgAnonymous,
    /// `<img crossorigin="use-credentials">`.
    ImgUseCredentials,
}

impl How {
    pub fn parse(s: &str) -> Result<How, String> {
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

    pub fn is_img(self) -> bool {
        !matches!(self, How::Fetch(_))
    }

    pub fn label(self) -> String {
        match self {
            How::Fetch(c) => format!("fetch(credentials: '{c}')"),
            How::Img => "<img>".into(),
            How::ImgAnonymous => "<img crossorigin=\"anonymous\">".into(),
            How::ImgUseCredentials => "<img crossorigin=\"use-credentials\">".into(),
        }
    }
}

/// One scenario: a case step, made by the page in one form.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub case_id: String,
    /// 1-based step number.
    pub step: usize,
    pub how: How,
    /// The page's origin (the step's `Origin`; `null` runs in a sandboxed iframe).
    pub origin: String,
}

impl Scenario {
    pub fn name(&self) -> String {
        format!(
            "{} step {} as {} from {}",
            self.case_id,
            self.step,
            self.how.label(),
            self.origin
        )
    }
}

/// Why a step with an `Origin` cannot be made from a page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotExpressible {
    /// The `Origin` value is not one a browser ever sends (a serialised `http`/`https`
    /// origin, or `null`).
    Origin(String),
    /// `OPTIONS` with `Origin` but without `Access-Control-Request-Method`: a browser sends
    /// that only as the actual request after a preflight for `OPTIONS`, never on its own.
    BareOptions,
    /// A preflight whose `Access-Control-Request-Method` is not what a browser puts there
    /// (browsers send the normalised method name; forbidden methods never get that far).
    PreflightMethod(String),
    /// A preflight whose `Access-Control-Request-Headers` a browser cannot produce (a name
    /// a script may not set, or not a header name at all).
    PreflightHeaders(String),
    /// A method `fetch()` refuses (`CONNECT`, `TRACE`, `TRACK`) or changes.
    Method(String),
    /// A request header the step depends on that scripts may not set.
    ForbiddenHeader(String),
    /// `GET`/`HEAD` with a body: `fetch()` throws.
    BodyOnGetOrHead,
    /// S3 answers with a redirect (`success_action_redirect`): `fetch()` follows it off the
    /// bucket with a tainted (`null`) origin, so what the page sees is decided by the
    /// redirect target's CORS answer, not by S3's.
    Redirect(u16),
}

impl std::fmt::Display for NotExpressible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotExpressible::Origin(o) => write!(f, "Origin {o:?} is not an origin a browser sends"),
            NotExpressible::BareOptions => f.write_str(
                "OPTIONS with Origin but no Access-Control-Request-Method (a browser sends it only after a preflight for OPTIONS)",
            ),
            NotExpressible::PreflightMethod(m) => write!(
                f,
                "Access-Control-Request-Method {m:?} is not a method a browser asks about"
            ),
            NotExpressible::PreflightHeaders(h) => write!(
                f,
                "Access-Control-Request-Headers {h:?} names headers a script cannot set"
            ),
            NotExpressible::Method(m) => write!(f, "fetch() cannot send method {m:?}"),
            NotExpressible::ForbiddenHeader(h) => {
                write!(f, "the step sends {h}, which a script may not set")
            }
            NotExpressible::BodyOnGetOrHead => f.write_str("fetch() refuses a body on GET/HEAD"),
            NotExpressible::Redirect(status) => write!(
                f,
                "S3 answers {status}: fetch() follows the redirect off the bucket, and the redirect target's CORS answer decides"
            ),
        }
    }
}

/// A request step a page can make.
#[derive(Debug, Clone)]
pub struct Expressible {
    pub origin: String,
    pub credentials: Credentials,
    /// A preflight whose asked method is safelisted and asks for no header: a browser sends
    /// no preflight for it, so the page's simple request stands in for it.
    pub preflight_stand_in: bool,
}

/// The classification of one request step that carries an `Origin`.
pub type Class = Result<Expressible, NotExpressible>;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// True for an `Origin` value browsers send: `null`, or an `http`/`https` origin exactly as
/// the URL standard serialises it (lower-case host, no default port, no path).
pub fn browser_origin(o: &str) -> bool {
    if o == "null" {
        return true;
    }
    match url::Url::parse(o) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.origin().ascii_serialization() == o,
        Err(_) => false,
    }
}

/// A header-name token (RFC 9110 `token`).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Classifies step `i` (0-based) of `case`; `None` when it is not a request step with an
/// `Origin` (not a cross-origin browser request at all).
pub fn classify(case: &Case, i: usize) -> Option<Class> {
    let step = case.steps.get(i)?;
    let Action::Request(spec) = &step.action else {
        return None;
    };
    let req = step_request(step, "bucket");
    let origin = header(&req.headers, "origin")?.to_string();
    if (300..400).contains(&step.expect.status) {
        return Some(Err(NotExpressible::Redirect(step.expect.status)));
    }
    Some(classify_request(
        &req,
        &origin,
        spec.credentials.unwrap_or_default(),
    ))
}

fn classify_request(req: &S3Request, origin: &str, credentials: Credentials) -> Class {
    if !browser_origin(origin) {
        return Err(NotExpressible::Origin(origin.to_string()));
    }
    let method = req.method.as_str();
    let acrm = header(&req.headers, "access-control-request-method");
    let preflight = method.eq_ignore_ascii_case("OPTIONS");
    let mut stand_in = false;
    if preflight {
        let Some(acrm) = acrm else {
            return Err(NotExpressible::BareOptions);
        };
        if !is_token(acrm)
            || normalize_method(acrm) != acrm
            || matches!(
                acrm.to_ascii_uppercase().as_str(),
                "CONNECT" | "TRACE" | "TRACK"
            )
        {
            return Err(NotExpressible::PreflightMethod(acrm.to_string()));
        }
        let acrh = header(&req.headers, "access-control-request-headers").unwrap_or("");
        let names: Vec<&str> = acrh
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if acrh.split(',').any(|n| n.trim().is_empty()) && !acrh.trim().is_empty()
            || names
                .iter()
                .any(|n| !is_token(n) || is_forbidden_request_header(n))
        {
            return Err(NotExpressible::PreflightHeaders(acrh.to_string()));
        }
        stand_in = names.is_empty() && matches!(acrm, "GET" | "HEAD" | "POST");
    } else {
        if !is_token(method)
            || matches!(
                method.to_ascii_uppercase().as_str(),
                "CONNECT" | "TRACE" | "TRACK"
            )
        {
            return Err(NotExpressible::Method(method.to_string()));
        }
        if let Some((n, _)) = req.headers.iter().find(|(n, _)| {
            is_forbidden_request_header(n)
                && !n.eq_ignore_ascii_case("origin")
                && !n.eq_ignore_ascii_case("host")
                && !n.eq_ignore_ascii_case("content-length")
        }) {
            return Err(NotExpressible::ForbiddenHeader(n.clone()));
        }
        if !req.body.is_empty() && matches!(normalize_method(method).as_str(), "GET" | "HEAD") {
            return Err(NotExpressible::BodyOnGetOrHead);
        }
    }
    Ok(Expressible {
        origin: origin.to_string(),
        credentials,
        preflight_stand_in: stand_in,
    })
}

/// Every request step with an `Origin` in `cases`, classified: `(case id, 1-based step)` →
/// class.
pub fn classify_corpus(cases: &[Case]) -> BTreeMap<(String, usize), Class> {
    let mut out = BTreeMap::new();
    for case in cases {
        for i in 0..case.steps.len() {
            if let Some(c) = classify(case, i) {
                out.insert((case.id.clone(), i + 1), c);
            }
        }
    }
    out
}

/// Extra request forms from `cases.txt` (`<case id> <step> <form>...`, `#` comments): the
/// `<img>` loads and other credentials modes worth checking beyond each step's own mode.
pub fn parse_extra_forms(text: &str) -> Result<Vec<(String, usize, How)>, String> {
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
            out.push((case_id.to_string(), step, how));
        }
    }
    Ok(out)
}

/// What the page does for a scenario, derived from the case step.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub method: String,
    pub url: String,
    /// Author headers (what `fetch(url, {headers})` is given).
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
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
/// - a preflight (`OPTIONS` + `Access-Control-Request-Method`) becomes the `fetch()` that
///   triggers it: the asked method, and each asked header with a CORS-unsafe value;
/// - any other request is sent as is, minus the headers a script cannot set (`Origin`,
///   `Host`, …), with its body; `presigned` steps use the presigned URL and `signed` ones their
///   `Authorization` and `x-amz-*` headers, which the browser sends on unchanged (so the
///   signature still holds through the proxy);
/// - virtual-hosted addressing puts the `Host` the target computed into the URL
///   (`http://<bucket>.localhost:PORT/key`): the browser's proxy sends it to the same server.
pub fn page_request(
    case: &Case,
    step: usize,
    bucket: &str,
    target: &HttpTarget,
) -> Result<PageRequest, String> {
    let cs = step
        .checked_sub(1)
        .and_then(|i| case.steps.get(i))
        .ok_or_else(|| format!("{} has no step {step}", case.id))?;
    let Action::Request(_) = &cs.action else {
        return Err(format!("{} step {step} is not a request", case.id));
    };
    let mut req: S3Request = step_request(cs, bucket);
    let acrm = header(&req.headers, "access-control-request-method").map(str::to_string);
    let acrh = header(&req.headers, "access-control-request-headers").map(str::to_string);
    let mut headers: Vec<(String, String)> = Vec::new();
    if let (true, Some(asked)) = (req.method.eq_ignore_ascii_case("OPTIONS"), acrm) {
        req.method = asked;
        req.headers.clear();
        req.body.clear();
        if req.auth == Auth::Signed {
            req.auth = Auth::Anonymous;
        }
        for name in acrh
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            headers.push((name.to_string(), value_for(name)));
        }
    }
    let wire = target.wire(&req).map_err(|e| e.to_string())?;
    let mut url = wire.url.clone();
    if let Some(host) = header(&wire.headers, "host") {
        let mut u = url::Url::parse(&wire.url).map_err(|e| format!("{}: {e}", wire.url))?;
        let (h, port) = match host.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().ok()),
            None => (host, None),
        };
        u.set_host(Some(h))
            .map_err(|e| format!("virtual host {host}: {e}"))?;
        u.set_port(port)
            .map_err(|_| format!("virtual host {host}: bad port"))?;
        url = u.to_string();
    }
    headers.extend(
        wire.headers
            .into_iter()
            .filter(|(n, _)| !is_forbidden_request_header(n)),
    );
    let body = (!wire.body.is_empty()).then(|| String::from_utf8_lossy(&wire.body).into_owned());
    Ok(PageRequest {
        method: req.method,
        url,
        headers,
        body,
    })
}

/// The object key step `step` (1-based) addresses, if any.
pub fn step_key(case: &Case, step: usize) -> Option<String> {
    let cs = case.steps.get(step.checked_sub(1)?)?;
    match &cs.action {
        Action::Request(r) => r.key.clone().filter(|k| !k.is_empty()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_origins() {
        for ok in [
            "null",
            "http://localhost:8000",
            "https://app.example.com",
            "https://other.example:8443",
            "http://127.0.0.1:9",
        ] {
            assert!(browser_origin(ok), "{ok}");
        }
        for bad in [
            "*",
            "whatever",
            "http://www.example.com:80",
            "https://x.example:443",
            "HTTP://A.EXAMPLE",
            "http://a.example/",
            "localhost:4566",
            "ftp://a.example",
            "",
        ] {
            assert!(!browser_origin(bad), "{bad}");
        }
    }
}
