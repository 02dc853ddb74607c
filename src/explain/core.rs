//! The explanation: S3's model, then the browser's, in the order a browser runs them.

use super::fixes;
use crate::browser::{self, BrowserRequest, Credentials, Mode, Verdict, VerdictKind};
use crate::cors::matching::{self, RuleVerdict};
use crate::cors::{
    BucketCors, CorsConfiguration, CorsHeaders, CorsRequest, CorsRule, Preflight, ResourceType,
    evaluate,
};
use serde::Serialize;

/// Where the configuration came from and what state the bucket is in.
#[derive(Debug, Clone)]
pub enum Source {
    File(CorsConfiguration),
    Bucket(BucketState),
}

#[derive(Debug, Clone)]
pub enum BucketState {
    Missing,
    NotConfigured,
    Configured(CorsConfiguration),
}

impl Source {
    pub(crate) fn bucket_cors(&self) -> BucketCors<'_> {
        match self {
            Source::File(c) | Source::Bucket(BucketState::Configured(c)) => {
                BucketCors::Configured(c)
            }
            Source::Bucket(BucketState::NotConfigured) => BucketCors::NotConfigured,
            Source::Bucket(BucketState::Missing) => BucketCors::Missing,
        }
    }

    /// The configuration, when there is one.
    pub fn config(&self) -> Option<&CorsConfiguration> {
        match self {
            Source::File(c) | Source::Bucket(BucketState::Configured(c)) => Some(c),
            Source::Bucket(_) => None,
        }
    }
}

/// The whole explanation; also the `--json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub request: RequestOut,
    /// `configured`, `not_configured` (no CORS configuration) or `missing_bucket`.
    pub configuration: &'static str,
    pub rules: Vec<RuleOut>,
    pub preflight: PreflightOut,
    /// The actual request; `None` when the browser never sends it (failed preflight).
    pub actual: Option<ActualOut>,
    /// The final verdict: the preflight's when it blocked, else the actual response's.
    pub verdict: Verdict,
    /// The line Chromium prints when it blocks.
    pub console: Option<String>,
    /// Headers present in the response that the script cannot read.
    pub unreadable_headers: Vec<String>,
    /// One-line fixes for the common mistakes, most important first.
    pub fixes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestOut {
    pub method: String,
    pub url: String,
    pub origin: String,
    pub credentials: Credentials,
    pub mode: Mode,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleOut {
    /// 1-based, as people count.
    pub number: usize,
    pub id: Option<String>,
    /// S3 uses this rule (the first full match).
    pub chosen: bool,
    pub full_match: bool,
    pub origin_match: Option<String>,
    pub method_matched: bool,
    pub unmatched_headers: Vec<String>,
    /// Why, in words.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreflightOut {
    pub needed: bool,
    /// Why the browser preflights (empty when it does not).
    pub why: Vec<String>,
    /// Headers of the `OPTIONS` request the browser sends.
    pub request_headers: Vec<(String, String)>,
    pub response: Option<ResponseOut>,
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseOut {
    pub status: u16,
    /// The CORS headers S3 sends (plus `Content-Length: 0` on a successful preflight).
    pub headers: Vec<(String, String)>,
    /// 1-based number of the rule that produced the headers.
    pub rule: Option<usize>,
    pub error: Option<ErrorOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorOut {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActualOut {
    pub response: ResponseOut,
    /// Names of the other headers a typical successful S3 response carries (modelled).
    pub other_headers: Vec<String>,
    pub verdict: Verdict,
}

/// A typical successful S3 answer to one request (non-CORS headers only), so the
/// readable-header computation has something realistic to work on.
///
/// Amazon S3 sends its CORS headers after `x-amz-id-2`, `x-amz-request-id` and `Date` and
/// before the operation's own headers; `head` and `tail` are the two sides of that place, so
/// [`TypicalResponse::with_cors`] needs no position counted by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypicalResponse {
    /// The operation's success status.
    pub status: u16,
    /// The headers S3 sends before the CORS ones.
    pub head: Vec<(String, String)>,
    /// The headers S3 sends after the CORS ones.
    pub tail: Vec<(String, String)>,
}

impl TypicalResponse {
    pub(crate) fn for_request(method: &str, object: bool) -> TypicalResponse {
        let h = |n: &str, v: &str| (n.to_string(), v.to_string());
        let head = vec![
            h("x-amz-id-2", "EXAMPLE"),
            h("x-amz-request-id", "EXAMPLE"),
            h("Date", "Thu, 01 Jan 2026 00:00:00 GMT"),
        ];
        let (status, mut tail) = match (method, object) {
            ("GET" | "HEAD", true) => (
                200,
                vec![
                    h("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT"),
                    h("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                    h("Accept-Ranges", "bytes"),
                    h("Content-Type", "application/octet-stream"),
                    h("Content-Length", "1024"),
                ],
            ),
            ("PUT" | "POST", true) => (
                200,
                vec![
                    h("x-amz-server-side-encryption", "AES256"),
                    h("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                    h("Content-Length", "0"),
                ],
            ),
            ("DELETE", _) => (204, Vec::new()),
            _ => (
                200,
                vec![
                    h("Content-Type", "application/xml"),
                    h("Transfer-Encoding", "chunked"),
                ],
            ),
        };
        tail.push(h("Server", "AmazonS3"));
        TypicalResponse { status, head, tail }
    }

    /// Names of the non-CORS headers, in wire order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.head
            .iter()
            .chain(&self.tail)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The whole header list with `cors` in S3's place.
    pub(crate) fn with_cors(&self, cors: &[(String, String)]) -> Vec<(String, String)> {
        let mut all = self.head.clone();
        all.extend_from_slice(cors);
        all.extend_from_slice(&self.tail);
        all
    }
}

fn owned(headers: &CorsHeaders) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Runs the request through S3's model and the browser's, in the browser's order.
pub fn explain(
    source: &Source,
    req: &BrowserRequest,
    resource: ResourceType,
    url: &str,
    read: &[String],
) -> Explanation {
    let bucket = source.bucket_cors();
    let needed = browser::needs_preflight(req);
    let acrh = req.preflight_request_headers();

    // The request S3 matches rules against: the preflight when there is one.
    let preflight_req = CorsRequest {
        method: "OPTIONS",
        origin: Some(&req.origin),
        request_method: Some(&req.method),
        request_headers: acrh.as_deref(),
        resource,
    };
    // Fetch §"append a request `Origin` header": a no-cors GET/HEAD carries no `Origin`.
    let sends_origin = req.mode == Mode::Cors || !matches!(req.method.as_str(), "GET" | "HEAD");
    let actual_req = CorsRequest {
        method: &req.method,
        origin: sends_origin.then_some(req.origin.as_str()),
        request_method: None,
        request_headers: None,
        resource,
    };
    let deciding = if needed { &preflight_req } else { &actual_req };
    let rule_verdicts = source
        .config()
        .filter(|_| sends_origin)
        .map(|c| matching::explain(c, deciding))
        .unwrap_or_default();
    let rules = rule_verdicts
        .iter()
        .zip(source.config().map(|c| c.rules.as_slice()).unwrap_or(&[]))
        .map(|(v, r)| rule_out(v, r, &req.method, &rule_verdicts))
        .collect();

    let mut preflight = PreflightOut {
        needed,
        why: preflight_reasons(req),
        request_headers: Vec::new(),
        response: None,
        verdict: None,
    };
    let mut blocked_by_preflight = None;
    if needed {
        preflight
            .request_headers
            .push(("Origin".into(), req.origin.clone()));
        preflight
            .request_headers
            .push(("Access-Control-Request-Method".into(), req.method.clone()));
        if let Some(v) = &acrh {
            preflight
                .request_headers
                .push(("Access-Control-Request-Headers".into(), v.clone()));
        }
        let chosen = chosen_rule(source, &preflight_req);
        let response = match evaluate::preflight(bucket, &preflight_req) {
            Preflight::Allowed(h) => {
                let mut headers = owned(&h);
                headers.push(("Content-Length".into(), "0".into()));
                ResponseOut {
                    status: 200,
                    headers,
                    rule: chosen,
                    error: None,
                }
            }
            Preflight::Refused(e) => ResponseOut {
                status: e.status,
                headers: Vec::new(),
                rule: None,
                error: Some(ErrorOut {
                    code: e.code.clone(),
                    message: e.message.clone(),
                }),
            },
        };
        let verdict = match browser::check_preflight(req, response.status, &response.headers) {
            Ok(info) => Verdict::preflight_accepted(info),
            Err(v) => {
                blocked_by_preflight = Some(v.clone());
                v
            }
        };
        preflight.response = Some(response);
        preflight.verdict = Some(verdict);
    }

    let actual = blocked_by_preflight.is_none().then(|| {
        let typical = TypicalResponse::for_request(&req.method, resource == ResourceType::Object);
        let status = typical.status;
        let other_headers = typical.names();
        let cors = evaluate::actual(bucket, &actual_req);
        let cors_headers = cors.as_ref().map(owned).unwrap_or_default();
        let headers = typical.with_cors(&cors_headers);
        let verdict = Verdict {
            needs_preflight: needed,
            ..browser::check_response(req, status, &headers)
        };
        (
            ActualOut {
                response: ResponseOut {
                    status,
                    headers: cors_headers,
                    rule: cors.as_ref().and(chosen_rule(source, &actual_req)),
                    error: None,
                },
                other_headers,
                verdict,
            },
            headers,
        )
    });

    let (verdict, full_headers) = match (&blocked_by_preflight, &actual) {
        (Some(v), _) => (v.clone(), Vec::new()),
        (None, Some((a, h))) => (a.verdict.clone(), h.clone()),
        (None, None) => (Verdict::default(), Vec::new()),
    };
    let unreadable_headers = if verdict.allowed && verdict.kind == VerdictKind::Actual {
        let mut v: Vec<String> = full_headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .filter(|n| !n.starts_with("access-control-") && n != "vary")
            .filter(|n| !verdict.readable_headers.contains(n))
            .collect();
        v.sort();
        v.dedup();
        v
    } else {
        Vec::new()
    };
    let console = verdict.console_message(url, &req.origin);
    let mut explanation = Explanation {
        request: RequestOut {
            method: req.method.clone(),
            url: url.to_string(),
            origin: req.origin.clone(),
            credentials: req.credentials,
            mode: req.mode,
            headers: req.headers.clone(),
        },
        configuration: match source {
            Source::File(_) | Source::Bucket(BucketState::Configured(_)) => "configured",
            Source::Bucket(BucketState::NotConfigured) => "not_configured",
            Source::Bucket(BucketState::Missing) => "missing_bucket",
        },
        rules,
        preflight,
        actual: actual.map(|(a, _)| a),
        verdict,
        console,
        unreadable_headers,
        fixes: Vec::new(),
    };
    explanation.fixes = fixes::fixes(
        source,
        req,
        &explanation,
        &rule_verdicts,
        &full_headers,
        read,
    );
    explanation
}

fn chosen_rule(source: &Source, req: &CorsRequest<'_>) -> Option<usize> {
    source
        .config()
        .and_then(|c| matching::find_rule(c, req))
        .map(|i| i + 1)
}

fn rule_out(v: &RuleVerdict, rule: &CorsRule, method: &str, all: &[RuleVerdict]) -> RuleOut {
    let mut parts = Vec::new();
    match &v.origin_match {
        Some(p) if p == "*" => parts.push("any origin is allowed (\"*\")".to_string()),
        Some(p) => parts.push(format!("origin matches {p:?}")),
        None => parts.push(format!(
            "origin not allowed (AllowedOrigin: {})",
            list_or_none(&rule.allowed_origins)
        )),
    }
    if v.method_matched {
        parts.push(format!("{method} allowed"));
    } else {
        parts.push(format!(
            "{method} not allowed (AllowedMethod: {})",
            list_or_none(&rule.allowed_methods)
        ));
    }
    if !v.unmatched_headers.is_empty() {
        parts.push(format!(
            "header{} {} not allowed (AllowedHeader: {})",
            if v.unmatched_headers.len() == 1 {
                ""
            } else {
                "s"
            },
            v.unmatched_headers.join(", "),
            list_or_none(&rule.allowed_headers)
        ));
    }
    let full = v.is_full_match();
    if full && !v.chosen {
        let first = all.iter().find(|r| r.chosen).map_or(0, |r| r.index + 1);
        parts.push(format!("but rule {first} comes first"));
    }
    RuleOut {
        number: v.index + 1,
        id: rule.id.clone(),
        chosen: v.chosen,
        full_match: full,
        origin_match: v.origin_match.clone(),
        method_matched: v.method_matched,
        unmatched_headers: v.unmatched_headers.clone(),
        summary: parts.join("; "),
    }
}

pub(crate) fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn preflight_reasons(req: &BrowserRequest) -> Vec<String> {
    if req.mode == Mode::NoCors {
        return Vec::new();
    }
    let mut why = Vec::new();
    if !browser::is_safelisted_method(&req.method) {
        why.push(format!(
            "{} is not a CORS-safelisted method (GET, HEAD, POST)",
            req.method
        ));
    }
    let names = req.unsafe_header_names();
    let note = if names.iter().any(|n| n == "content-type") {
        " (Content-Type is safelisted only as text/plain, multipart/form-data or \
         application/x-www-form-urlencoded)"
    } else {
        ""
    };
    match names.as_slice() {
        [] => {}
        [one] => why.push(format!("the header {one} is not CORS-safelisted{note}")),
        many => why.push(format!(
            "the headers {} are not CORS-safelisted{note}",
            many.join(", ")
        )),
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::CorsError;

    const ORIGIN: &str = "http://localhost:8000";
    const URL: &str = "https://my-bucket.s3.amazonaws.com/k";

    fn config(origins: &[&str], methods: &[&str], expose: &[&str]) -> Source {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Source::File(CorsConfiguration {
            rules: vec![CorsRule {
                allowed_origins: s(origins),
                allowed_methods: s(methods),
                expose_headers: s(expose),
                ..CorsRule::default()
            }],
        })
    }

    #[test]
    fn typical_response_places_cors_headers_after_date() {
        let t = TypicalResponse::for_request("GET", true);
        let cors = vec![("Access-Control-Allow-Origin".to_string(), "*".to_string())];
        let all = t.with_cors(&cors);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        let date = names.iter().position(|n| *n == "Date");
        let acao = names
            .iter()
            .position(|n| *n == "Access-Control-Allow-Origin");
        assert_eq!(acao, date.map(|d| d + 1), "{names:?}");
        assert_eq!(all.len(), t.names().len() + 1);
        assert_eq!(TypicalResponse::for_request("DELETE", true).status, 204);
    }

    #[test]
    fn simple_get_is_allowed_without_preflight_by_the_matching_rule() {
        let src = config(&[ORIGIN], &["GET"], &["ETag"]);
        let req = BrowserRequest::fetch(ORIGIN, "GET", Credentials::SameOrigin);
        let ex = explain(&src, &req, ResourceType::Object, URL, &[]);
        assert!(!ex.preflight.needed);
        assert!(ex.verdict.allowed);
        assert_eq!(ex.verdict.kind, VerdictKind::Actual);
        assert!(ex.verdict.readable_headers.contains(&"etag".to_string()));
        assert_eq!(ex.rules.len(), 1);
        assert!(ex.rules[0].chosen);
        assert_eq!(ex.actual.as_ref().and_then(|a| a.response.rule), Some(1));
        assert!(ex.console.is_none());
        assert!(ex.fixes.is_empty(), "{:?}", ex.fixes);
    }

    #[test]
    fn refused_preflight_blocks_and_the_actual_request_is_never_sent() {
        let src = config(&[ORIGIN], &["GET"], &[]);
        let req = BrowserRequest::fetch(ORIGIN, "PUT", Credentials::SameOrigin);
        let ex = explain(&src, &req, ResourceType::Object, URL, &[]);
        assert!(ex.preflight.needed);
        let resp = ex.preflight.response.as_ref();
        assert_eq!(resp.map(|r| r.status), Some(403));
        assert!(ex.actual.is_none());
        assert!(!ex.verdict.allowed);
        assert_eq!(ex.verdict.cause, Some(CorsError::MissingAllowOriginHeader));
        assert!(
            ex.console
                .as_deref()
                .is_some_and(|c| c.starts_with(&format!("Access to fetch at '{URL}'")))
        );
    }

    #[test]
    fn bucket_states_name_the_configuration() {
        let req = BrowserRequest::fetch(ORIGIN, "GET", Credentials::SameOrigin);
        let missing = explain(
            &Source::Bucket(BucketState::Missing),
            &req,
            ResourceType::Bucket,
            URL,
            &[],
        );
        assert_eq!(missing.configuration, "missing_bucket");
        assert!(!missing.verdict.allowed);
        let none = explain(
            &Source::Bucket(BucketState::NotConfigured),
            &req,
            ResourceType::Bucket,
            URL,
            &[],
        );
        assert_eq!(none.configuration, "not_configured");
        assert!(none.rules.is_empty());
    }
}
