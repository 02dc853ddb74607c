//! What a browser makes of a response: the CORS checks of the WHATWG Fetch standard.
//!
//! Header-level conformance tells a storage developer whether a server *answers* like S3; a web
//! developer wants to know whether the browser *lets the request through* and which headers the
//! script can read. This module answers that, pure and I/O-free, so the runner can attach a
//! [`Verdict`] to every cross-origin step and `s3cors explain` can say it in plain words.
//!
//! - [`request`]: the request side — Fetch §"CORS-safelisted method", §"CORS-safelisted
//!   request-header", §"CORS-unsafe request-header names", and when a preflight is needed.
//! - [`check`]: the response side — §"CORS check", §"CORS-preflight fetch",
//!   §"CORS-preflight cache" (Max-Age and browser caps), §"CORS filtered response".
//! - [`verdict_for_exchange`]: the runner's entry point for one recorded request/response.
//! - [`chromium`]: a real headless Chromium (via chromedriver) to cross-check all of the above.
//! - [`firefox`]: a real headless Firefox (via its Marionette agent), the second engine.
//!
//! Reasons use the sentences of Chromium's console, because that is what users paste into
//! search engines and bug reports.
//!
//! CONTRACT: [`Verdict`] is stored in results; the browser helper owns the evaluation. Fields
//! added after the first version carry `#[serde(default)]` so older results still load.

pub mod check;
pub mod chromium;
pub mod firefox;
pub mod flows;
pub mod request;

pub use check::{
    CorsError, PreflightInfo, check_preflight, check_response, cors_check, readable_headers,
};
pub use request::{
    BrowserRequest, Credentials, Mode, cors_unsafe_request_header_names,
    is_forbidden_request_header, is_safelisted_method, is_safelisted_request_header,
    needs_preflight, normalize_method,
};

use serde::{Deserialize, Serialize};

/// Which exchange a [`Verdict`] judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// The response to the actual request, as the page's script would receive it.
    #[default]
    Actual,
    /// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`): `allowed` means the
    /// browser goes on to send the actual request. The script never sees this response.
    Preflight,
    /// A no-cors load (`<img>` without `crossorigin`): never blocked, nothing readable.
    Opaque,
}

/// A browser's verdict on one cross-origin exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Verdict {
    /// True when the browser lets the response through to the page.
    pub allowed: bool,
    /// Why, in the words a browser console would use (empty when allowed).
    pub reason: String,
    /// Response header names the script can read (lower-cased, sorted), when allowed.
    pub readable_headers: Vec<String>,
    /// Which exchange this is (actual response, preflight, opaque load).
    #[serde(default)]
    pub kind: VerdictKind,
    /// For an actual request: whether a browser would have preflighted it first (its method or
    /// an author header is not CORS-safelisted). Informational; the preflight, if any, is
    /// judged in its own step.
    #[serde(default)]
    pub needs_preflight: bool,
    /// For a preflight the browser accepted: what it learnt (allowed lists, cache lifetime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Box<PreflightInfo>>,
    /// What this means for the upload/download flow the request belongs to ([`flows`]), e.g.
    /// "multipart upload: ETag is not readable by your script — add ETag to ExposeHeaders".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the browser blocked, as data (`None` when allowed, and in results written before
    /// this field existed). [`Verdict::reason`] is this cause's console sentence; code that
    /// acts on a block matches on the cause, never on the sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<CorsError>,
}

impl Verdict {
    /// A blocking verdict for `cause`; the reason is the cause's console sentence (with
    /// Chromium's preflight prefix for a [`VerdictKind::Preflight`]).
    pub(crate) fn blocked(kind: VerdictKind, cause: CorsError) -> Verdict {
        Verdict {
            allowed: false,
            reason: cause.message(kind == VerdictKind::Preflight),
            cause: Some(cause),
            kind,
            ..Verdict::default()
        }
    }

    /// An accepted preflight and what the browser learnt from it.
    pub fn preflight_accepted(info: PreflightInfo) -> Verdict {
        Verdict {
            allowed: true,
            kind: VerdictKind::Preflight,
            needs_preflight: true,
            preflight: Some(Box::new(info)),
            ..Verdict::default()
        }
    }

    /// Browser equivalence (issue 7, comparison levels): same kind, same allowed/blocked and the
    /// same readable headers. The wording of a block and informational fields (Max-Age) do not
    /// count: a script sees a `TypeError` either way.
    pub fn browser_equivalent(&self, other: &Verdict) -> bool {
        self.kind == other.kind
            && self.allowed == other.allowed
            && self.readable_headers == other.readable_headers
    }

    /// The full console line Chromium prints for a blocked `fetch()`, or `None` when allowed.
    pub fn console_message(&self, url: &str, origin: &str) -> Option<String> {
        (!self.allowed).then(|| {
            format!(
                "Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS \
                 policy: {}",
                self.reason
            )
        })
    }
}

/// The runner's entry point: the browser verdict for one recorded step.
///
/// `method` and `request_headers` are the request as sent (wire names, any case); the
/// response is `status` and `response_headers`. `credentials` is the credentials mode the step
/// models (nothing on the wire says it: use [`Credentials::default`], `fetch()`'s
/// `same-origin`, unless the case says otherwise).
///
/// - No `Origin` header: not a cross-origin browser request → `None`.
/// - `OPTIONS` with `Access-Control-Request-Method`: a preflight; the method asked is the ACRM
///   value and the headers asked are the `Access-Control-Request-Headers` names (all of them
///   must be approved, since a browser only lists unsafe ones). → [`VerdictKind::Preflight`].
/// - Anything else: the actual request's response → CORS check and readable headers
///   ([`VerdictKind::Actual`]); author headers are the request headers a script could set
///   (forbidden ones such as `Origin` and `Host` dropped), used for `needs_preflight`.
pub fn verdict_for_exchange(
    method: &str,
    request_headers: &[(String, String)],
    credentials: Credentials,
    status: u16,
    response_headers: &[(String, String)],
) -> Option<Verdict> {
    let origin = check::get_header(request_headers, "origin")?;
    let acrm = check::get_header(request_headers, "access-control-request-method");
    if let (true, Some(asked_method)) = (method.eq_ignore_ascii_case("OPTIONS"), acrm) {
        let asked_headers: Vec<String> =
            check::get_header(request_headers, "access-control-request-headers")
                .unwrap_or_default()
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect();
        let verdict = match check::check_preflight_names(
            &origin,
            &asked_method,
            credentials,
            &asked_headers,
            status,
            response_headers,
        ) {
            Ok(info) => Verdict::preflight_accepted(info),
            Err(e) => Verdict {
                needs_preflight: true,
                ..Verdict::blocked(VerdictKind::Preflight, e)
            },
        };
        return Some(verdict);
    }
    let req = BrowserRequest {
        origin,
        method: method.to_string(),
        headers: request_headers
            .iter()
            .filter(|(n, _)| !is_forbidden_request_header(n))
            .cloned()
            .collect(),
        credentials,
        mode: Mode::Cors,
    };
    Some(Verdict {
        needs_preflight: needs_preflight(&req),
        ..check_response(&req, status, response_headers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://localhost:8000";

    fn hs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// What S3 answers for the seed rule (§3.2, §4.3).
    fn seed_cors_headers() -> Vec<(String, String)> {
        hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "GET, HEAD"),
            ("access-control-expose-headers", "ETag"),
            ("access-control-max-age", "3000"),
            ("access-control-allow-credentials", "true"),
            (
                "vary",
                "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
            ),
        ])
    }

    #[test]
    fn exchange_without_origin_is_not_judged() {
        assert_eq!(
            verdict_for_exchange("GET", &[], Credentials::Omit, 200, &[]),
            None
        );
    }

    #[test]
    fn exchange_seed_preflight_is_allowed_and_cached_3000_seconds() {
        let req = hs(&[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")]);
        let v = verdict_for_exchange(
            "OPTIONS",
            &req,
            Credentials::Include,
            200,
            &seed_cors_headers(),
        );
        let v = v.unwrap_or_default();
        assert!(v.allowed, "{}", v.reason);
        assert_eq!(v.kind, VerdictKind::Preflight);
        let info = v.preflight.map(|b| *b).unwrap_or_default();
        assert_eq!(info.chromium_cache_seconds, 3000);
        assert_eq!(info.allowed_methods, vec!["GET", "HEAD"]);
    }

    #[test]
    fn exchange_refused_preflight_says_no_acao() {
        let req = hs(&[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "PUT"),
            (
                "Access-Control-Request-Headers",
                "x-amz-meta-a,content-type",
            ),
        ]);
        let v = verdict_for_exchange("OPTIONS", &req, Credentials::SameOrigin, 403, &[])
            .unwrap_or_default();
        assert!(!v.allowed);
        assert_eq!(v.kind, VerdictKind::Preflight);
        assert!(
            v.reason
                .starts_with("Response to preflight request doesn't pass")
        );
    }

    #[test]
    fn exchange_preflight_checks_every_requested_header() {
        let req = hs(&[
            ("origin", ORIGIN),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "Range"),
        ]);
        let v = verdict_for_exchange(
            "OPTIONS",
            &req,
            Credentials::Omit,
            200,
            &seed_cors_headers(),
        )
        .unwrap_or_default();
        assert_eq!(
            v.reason,
            "Request header field range is not allowed by Access-Control-Allow-Headers in \
             preflight response."
        );
    }

    #[test]
    fn exchange_seed_get_reads_etag() {
        let mut resp = seed_cors_headers();
        resp.extend(hs(&[
            ("etag", "\"1\""),
            ("content-type", "image/jpeg"),
            ("x-amz-request-id", "r"),
        ]));
        let req = hs(&[("Origin", ORIGIN), ("Host", "b.s3.amazonaws.com")]);
        let v =
            verdict_for_exchange("GET", &req, Credentials::Include, 200, &resp).unwrap_or_default();
        assert!(v.allowed);
        assert!(!v.needs_preflight);
        assert_eq!(v.readable_headers, vec!["content-type", "etag"]);
    }

    #[test]
    fn exchange_actual_with_author_headers_needs_preflight() {
        let req = hs(&[
            ("Origin", ORIGIN),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=x"),
            ("x-amz-date", "20260101T000000Z"),
        ]);
        let v = verdict_for_exchange("PUT", &req, Credentials::Omit, 200, &[]).unwrap_or_default();
        assert!(v.needs_preflight);
        assert!(!v.allowed);
    }

    #[test]
    fn options_without_acrm_is_an_actual_request() {
        let req = hs(&[("Origin", ORIGIN)]);
        let v =
            verdict_for_exchange("OPTIONS", &req, Credentials::Omit, 400, &[]).unwrap_or_default();
        assert_eq!(v.kind, VerdictKind::Actual);
        assert!(v.needs_preflight);
    }

    #[test]
    fn browser_equivalence_ignores_reason_wording_and_max_age() {
        let a = Verdict::blocked(VerdictKind::Preflight, CorsError::MissingAllowOriginHeader);
        let b = Verdict::blocked(VerdictKind::Preflight, CorsError::PreflightInvalidStatus);
        assert!(a.browser_equivalent(&b));
        let c = Verdict::blocked(VerdictKind::Actual, CorsError::MissingAllowOriginHeader);
        assert!(!a.browser_equivalent(&c));
    }

    #[test]
    fn verdict_loads_from_first_version_json() {
        let v: Verdict =
            serde_json::from_str(r#"{"allowed":true,"reason":"","readable_headers":["etag"]}"#)
                .unwrap_or_default();
        assert!(v.allowed);
        assert_eq!(v.kind, VerdictKind::Actual);
    }

    #[test]
    fn console_message_has_chromium_lead_in() {
        let v = Verdict::blocked(VerdictKind::Actual, CorsError::PreflightInvalidStatus);
        assert_eq!(
            v.console_message("https://b.s3.amazonaws.com/k", ORIGIN)
                .as_deref(),
            Some(
                "Access to fetch at 'https://b.s3.amazonaws.com/k' from origin \
                 'http://localhost:8000' has been blocked by CORS policy: It does not have \
                 HTTP ok status."
            )
        );
        let allowed = Verdict {
            allowed: true,
            ..Verdict::default()
        };
        assert_eq!(allowed.console_message("u", "o"), None);
    }
}
