//! The response side of Fetch: the CORS check, the CORS-preflight checks, and which headers a
//! script may read.
//!
//! Order matters because only the first failure reaches the console. We follow Chromium, which
//! runs Fetch §"CORS check" on a preflight response *before* the ok-status test of
//! §"CORS-preflight fetch" step 7 — that is why a refused S3 preflight (403 without CORS headers)
//! is reported as "No 'Access-Control-Allow-Origin' header is present" and not as a bad status.
//! Messages are Chromium's (`cors_error_string.cc`) minus the "Access to fetch at … has been
//! blocked by CORS policy: " lead-in, which [`super::Verdict::console_message`] adds back.

use super::request::{BrowserRequest, Credentials, Mode, is_safelisted_method, is_token};
use super::{Verdict, VerdictKind};
use serde::{Deserialize, Serialize};

/// Fetch's default preflight-cache lifetime when `Access-Control-Max-Age` is absent or invalid.
pub const DEFAULT_MAX_AGE: u64 = 5;
/// Chromium's cap on a preflight cache entry (two hours).
pub const CHROMIUM_MAX_AGE_CAP: u64 = 7200;
/// Firefox's cap on a preflight cache entry (24 hours).
pub const FIREFOX_MAX_AGE_CAP: u64 = 86400;

/// What a successful preflight told the browser (Fetch §"CORS-preflight cache").
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PreflightInfo {
    /// `Access-Control-Allow-Methods`, parsed as a list (case kept).
    pub allowed_methods: Vec<String>,
    /// `Access-Control-Allow-Headers`, parsed as a list (case kept).
    pub allowed_headers: Vec<String>,
    /// `Access-Control-Max-Age` as received.
    pub max_age_header: Option<String>,
    /// The cache lifetime Fetch derives before any browser cap (default 5 s).
    pub max_age_seconds: u64,
    /// How long Chromium caches the result (capped at 7200 s).
    pub chromium_cache_seconds: u64,
    /// How long Firefox caches the result (capped at 86400 s).
    pub firefox_cache_seconds: u64,
}

/// Why a browser blocks a response; one variant per Chromium `CorsError` we can meet.
///
/// Stored in [`Verdict::cause`] so that code deciding on a block (`s3cors explain`'s fixes)
/// matches on the variant instead of searching [`Verdict::reason`]'s console wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", content = "value", rename_all = "snake_case")]
pub enum CorsError {
    MissingAllowOriginHeader,
    WildcardOriginNotAllowed,
    MultipleAllowOriginValues(String),
    InvalidAllowOriginValue(String),
    AllowOriginMismatch(String),
    InvalidAllowCredentials(String),
    PreflightInvalidStatus,
    PreflightDisallowedRedirect,
    InvalidAllowMethods,
    InvalidAllowHeaders,
    MethodDisallowed(String),
    HeaderDisallowed(String),
}

impl CorsError {
    /// The console sentence. `preflight` adds Chromium's "Response to preflight request
    /// doesn't pass access control check: " for the errors it prefixes that way.
    pub fn message(&self, preflight: bool) -> String {
        const PREFIX: &str = "Response to preflight request doesn't pass access control check: ";
        let (prefixed, text) = match self {
            CorsError::MissingAllowOriginHeader => (
                true,
                "No 'Access-Control-Allow-Origin' header is present on the requested resource."
                    .to_string(),
            ),
            CorsError::WildcardOriginNotAllowed => (
                true,
                "The value of the 'Access-Control-Allow-Origin' header in the response must not \
                 be the wildcard '*' when the request's credentials mode is 'include'."
                    .to_string(),
            ),
            CorsError::MultipleAllowOriginValues(v) => (
                true,
                format!(
                    "The 'Access-Control-Allow-Origin' header contains multiple values '{v}', \
                     but only one is allowed."
                ),
            ),
            CorsError::InvalidAllowOriginValue(v) => (
                true,
                format!(
                    "The 'Access-Control-Allow-Origin' header contains the invalid value '{v}'."
                ),
            ),
            CorsError::AllowOriginMismatch(v) => (
                true,
                format!(
                    "The 'Access-Control-Allow-Origin' header has a value '{v}' that is not equal \
                     to the supplied origin."
                ),
            ),
            CorsError::InvalidAllowCredentials(v) => (
                true,
                format!(
                    "The value of the 'Access-Control-Allow-Credentials' header in the response \
                     is '{v}' which must be 'true' when the request's credentials mode is \
                     'include'."
                ),
            ),
            CorsError::PreflightInvalidStatus => {
                (true, "It does not have HTTP ok status.".to_string())
            }
            CorsError::PreflightDisallowedRedirect => (
                true,
                "Redirect is not allowed for a preflight request.".to_string(),
            ),
            CorsError::InvalidAllowMethods => (
                false,
                "Cannot parse Access-Control-Allow-Methods response header field in preflight \
                 response."
                    .to_string(),
            ),
            CorsError::InvalidAllowHeaders => (
                false,
                "Cannot parse Access-Control-Allow-Headers response header field in preflight \
                 response."
                    .to_string(),
            ),
            CorsError::MethodDisallowed(m) => (
                false,
                format!(
                    "Method {m} is not allowed by Access-Control-Allow-Methods in preflight \
                     response."
                ),
            ),
            CorsError::HeaderDisallowed(h) => (
                false,
                format!(
                    "Request header field {h} is not allowed by Access-Control-Allow-Headers in \
                     preflight response."
                ),
            ),
        };
        if preflight && prefixed {
            format!("{PREFIX}{text}")
        } else {
            text
        }
    }
}

/// Fetch §"get": every value of `name` (case-insensitive), joined by `, `; `None` if absent.
pub fn get_header(headers: &[(String, String)], name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Fetch §"extract header list values" for token lists (`#method`, `#field-name`):
/// `Ok(None)` when absent, `Err(())` when some item is not a token. Empty items are skipped,
/// as HTTP's `#rule` asks recipients to.
#[allow(clippy::result_unit_err)]
pub fn extract_token_list(
    headers: &[(String, String)],
    name: &str,
) -> Result<Option<Vec<String>>, ()> {
    let Some(value) = get_header(headers, name) else {
        return Ok(None);
    };
    let mut items = Vec::new();
    for item in value.split(',') {
        let item = item.trim_matches(|c| c == ' ' || c == '\t');
        if item.is_empty() {
            continue;
        }
        if !is_token(item) {
            return Err(());
        }
        items.push(item.to_string());
    }
    Ok(Some(items))
}

/// Fetch §"CORS check": `Access-Control-Allow-Origin` must be `*` (only without credentials)
/// or byte-equal the request's serialised origin; with credentials,
/// `Access-Control-Allow-Credentials` must be exactly `true`.
pub fn cors_check(
    origin: &str,
    credentials: Credentials,
    headers: &[(String, String)],
) -> Result<(), CorsError> {
    let Some(acao) = get_header(headers, "access-control-allow-origin") else {
        return Err(CorsError::MissingAllowOriginHeader);
    };
    if acao == "*" {
        // Chromium checks the wildcard before the credentials header.
        return if credentials.included() {
            Err(CorsError::WildcardOriginNotAllowed)
        } else {
            Ok(())
        };
    }
    if acao != origin {
        if acao.contains([' ', ',']) {
            return Err(CorsError::MultipleAllowOriginValues(acao));
        }
        if acao != "null" && url::Url::parse(&acao).is_err() {
            return Err(CorsError::InvalidAllowOriginValue(acao));
        }
        return Err(CorsError::AllowOriginMismatch(acao));
    }
    if credentials.included() {
        let acac = get_header(headers, "access-control-allow-credentials");
        if acac.as_deref() != Some("true") {
            return Err(CorsError::InvalidAllowCredentials(acac.unwrap_or_default()));
        }
    }
    Ok(())
}

fn is_redirect(status: u16, headers: &[(String, String)]) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308) && get_header(headers, "location").is_some()
}

/// Fetch §"CORS-preflight fetch" step 7 onwards, given the names the preflight asked about.
/// Shared by [`check_preflight`] (names computed from author headers) and the runner path
/// (names read back from `Access-Control-Request-Headers`).
pub(crate) fn check_preflight_names(
    origin: &str,
    method: &str,
    credentials: Credentials,
    unsafe_names: &[String],
    status: u16,
    headers: &[(String, String)],
) -> Result<PreflightInfo, CorsError> {
    if is_redirect(status, headers) {
        return Err(CorsError::PreflightDisallowedRedirect);
    }
    cors_check(origin, credentials, headers)?;
    if !(200..=299).contains(&status) {
        return Err(CorsError::PreflightInvalidStatus);
    }
    let methods = extract_token_list(headers, "access-control-allow-methods")
        .map_err(|()| CorsError::InvalidAllowMethods)?
        .unwrap_or_default();
    let header_names = extract_token_list(headers, "access-control-allow-headers")
        .map_err(|()| CorsError::InvalidAllowHeaders)?
        .unwrap_or_default();
    let include = credentials.included();

    // Methods: byte-case-sensitive; `*` only without credentials; safelisted ones always pass.
    let method_ok = methods.iter().any(|m| m == method)
        || is_safelisted_method(method)
        || (!include && methods.iter().any(|m| m == "*"));
    if !method_ok {
        return Err(CorsError::MethodDisallowed(method.to_string()));
    }

    // Headers: case-insensitive; `*` only without credentials and never for `Authorization`
    // (Fetch §"CORS non-wildcard request-header name").
    let star = !include && header_names.iter().any(|h| h == "*");
    for name in unsafe_names {
        let listed = header_names.iter().any(|h| h.eq_ignore_ascii_case(name));
        let by_star = star && !name.eq_ignore_ascii_case("authorization");
        if !listed && !by_star {
            return Err(CorsError::HeaderDisallowed(name.to_ascii_lowercase()));
        }
    }

    let max_age_header = get_header(headers, "access-control-max-age");
    let max_age_seconds = max_age_header
        .as_deref()
        .and_then(parse_delta_seconds)
        .unwrap_or(DEFAULT_MAX_AGE);
    Ok(PreflightInfo {
        allowed_methods: methods,
        allowed_headers: header_names,
        max_age_header,
        max_age_seconds,
        chromium_cache_seconds: max_age_seconds.min(CHROMIUM_MAX_AGE_CAP),
        firefox_cache_seconds: max_age_seconds.min(FIREFOX_MAX_AGE_CAP),
    })
}

/// `delta-seconds = 1*DIGIT`; huge values saturate (the caps apply anyway).
fn parse_delta_seconds(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u64>().unwrap_or(u64::MAX))
}

/// Checks a preflight response for `req` (Fetch §"CORS-preflight fetch"). `Ok` carries what the
/// browser caches; `Err` is the blocking verdict.
pub fn check_preflight(
    req: &BrowserRequest,
    status: u16,
    headers: &[(String, String)],
) -> Result<PreflightInfo, Verdict> {
    check_preflight_names(
        &req.origin,
        &req.method,
        req.credentials,
        &req.unsafe_header_names(),
        status,
        headers,
    )
    .map_err(|e| Verdict::blocked(VerdictKind::Preflight, e))
}

/// Fetch §"CORS-safelisted response-header name" (the seven names).
pub const SAFELISTED_RESPONSE_HEADERS: [&str; 7] = [
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

/// The header names a script can read from a CORS response (Fetch §"CORS filtered response"):
/// the safelisted ones plus `Access-Control-Expose-Headers` (`*` = everything, without
/// credentials only), never `Set-Cookie`. Only names present in the response; lower-cased, sorted.
pub fn readable_headers(credentials: Credentials, headers: &[(String, String)]) -> Vec<String> {
    let exposed = extract_token_list(headers, "access-control-expose-headers")
        .ok()
        .flatten()
        .unwrap_or_default();
    let all = !credentials.included() && exposed.iter().any(|h| h == "*");
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "set-cookie" && n != "set-cookie2")
        .filter(|n| {
            all || SAFELISTED_RESPONSE_HEADERS.contains(&n.as_str())
                || exposed.iter().any(|e| e.eq_ignore_ascii_case(n))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Checks the response to the actual request (Fetch §"CORS check" then §"CORS filtered
/// response"). The status plays no part: a CORS-approved 404 reaches the script with
/// `response.ok == false`. No-cors requests are never blocked and see nothing (opaque).
pub fn check_response(req: &BrowserRequest, _status: u16, headers: &[(String, String)]) -> Verdict {
    if req.mode == Mode::NoCors {
        return Verdict {
            allowed: true,
            kind: VerdictKind::Opaque,
            ..Verdict::default()
        };
    }
    match cors_check(&req.origin, req.credentials, headers) {
        Err(e) => Verdict::blocked(VerdictKind::Actual, e),
        Ok(()) => Verdict {
            allowed: true,
            readable_headers: readable_headers(req.credentials, headers),
            ..Verdict::default()
        },
    }
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

    fn get(credentials: Credentials) -> BrowserRequest {
        BrowserRequest::fetch(ORIGIN, "GET", credentials)
    }

    fn put(credentials: Credentials) -> BrowserRequest {
        BrowserRequest::fetch(ORIGIN, "PUT", credentials)
    }

    fn reason(r: Result<PreflightInfo, Verdict>) -> String {
        match r {
            Ok(_) => String::new(),
            Err(v) => v.reason,
        }
    }

    #[test]
    fn cors_check_missing_acao_blocks() {
        assert_eq!(
            cors_check(ORIGIN, Credentials::Omit, &[]),
            Err(CorsError::MissingAllowOriginHeader)
        );
    }

    #[test]
    fn cors_check_wildcard_passes_without_credentials_only() {
        let h = hs(&[("Access-Control-Allow-Origin", "*")]);
        assert_eq!(cors_check(ORIGIN, Credentials::Omit, &h), Ok(()));
        assert_eq!(cors_check(ORIGIN, Credentials::SameOrigin, &h), Ok(()));
        assert_eq!(
            cors_check(ORIGIN, Credentials::Include, &h),
            Err(CorsError::WildcardOriginNotAllowed)
        );
        // Even with ACAC: true, `*` never works with credentials.
        let h = hs(&[
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Credentials", "true"),
        ]);
        assert_eq!(
            cors_check(ORIGIN, Credentials::Include, &h),
            Err(CorsError::WildcardOriginNotAllowed)
        );
    }

    #[test]
    fn cors_check_origin_is_byte_equal() {
        let h = hs(&[("access-control-allow-origin", "http://LOCALHOST:8000")]);
        assert_eq!(
            cors_check(ORIGIN, Credentials::Omit, &h),
            Err(CorsError::AllowOriginMismatch(
                "http://LOCALHOST:8000".into()
            ))
        );
        let h = hs(&[("access-control-allow-origin", "http://localhost:8000/")]);
        assert!(cors_check(ORIGIN, Credentials::Omit, &h).is_err());
        let h = hs(&[("access-control-allow-origin", ORIGIN)]);
        assert_eq!(cors_check(ORIGIN, Credentials::Omit, &h), Ok(()));
    }

    #[test]
    fn cors_check_multiple_and_invalid_acao_values() {
        let h = hs(&[
            ("access-control-allow-origin", "http://a"),
            ("access-control-allow-origin", "http://b"),
        ]);
        assert_eq!(
            cors_check(ORIGIN, Credentials::Omit, &h),
            Err(CorsError::MultipleAllowOriginValues(
                "http://a, http://b".into()
            ))
        );
        let h = hs(&[("access-control-allow-origin", "localhost")]);
        assert_eq!(
            cors_check(ORIGIN, Credentials::Omit, &h),
            Err(CorsError::InvalidAllowOriginValue("localhost".into()))
        );
    }

    #[test]
    fn cors_check_credentials_need_acac_exactly_true() {
        let ok = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-credentials", "true"),
        ]);
        assert_eq!(cors_check(ORIGIN, Credentials::Include, &ok), Ok(()));
        let missing = hs(&[("access-control-allow-origin", ORIGIN)]);
        assert_eq!(
            cors_check(ORIGIN, Credentials::Include, &missing),
            Err(CorsError::InvalidAllowCredentials(String::new()))
        );
        let upper = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-credentials", "True"),
        ]);
        assert_eq!(
            cors_check(ORIGIN, Credentials::Include, &upper),
            Err(CorsError::InvalidAllowCredentials("True".into()))
        );
        assert_eq!(cors_check(ORIGIN, Credentials::Omit, &missing), Ok(()));
    }

    #[test]
    fn preflight_cors_check_runs_before_ok_status() {
        // S3's refusal: 403, no CORS headers.
        assert_eq!(
            reason(check_preflight(&put(Credentials::Omit), 403, &[])),
            "Response to preflight request doesn't pass access control check: No \
             'Access-Control-Allow-Origin' header is present on the requested resource."
        );
    }

    #[test]
    fn preflight_needs_http_ok_status() {
        let h = hs(&[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "PUT"),
        ]);
        assert_eq!(
            reason(check_preflight(&put(Credentials::Omit), 403, &h)),
            "Response to preflight request doesn't pass access control check: It does not have \
             HTTP ok status."
        );
        assert!(check_preflight(&put(Credentials::Omit), 204, &h).is_ok());
        assert!(check_preflight(&put(Credentials::Omit), 300, &h).is_err());
    }

    #[test]
    fn preflight_redirect_is_not_allowed() {
        let h = hs(&[
            ("location", "https://elsewhere/"),
            ("access-control-allow-origin", "*"),
        ]);
        assert_eq!(
            reason(check_preflight(&put(Credentials::Omit), 307, &h)),
            "Response to preflight request doesn't pass access control check: Redirect is not \
             allowed for a preflight request."
        );
    }

    #[test]
    fn preflight_wildcard_origin_with_credentials_is_refused() {
        let h = hs(&[
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "PUT"),
        ]);
        assert_eq!(
            reason(check_preflight(&put(Credentials::Include), 200, &h)),
            "Response to preflight request doesn't pass access control check: The value of the \
             'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' \
             when the request's credentials mode is 'include'."
        );
    }

    #[test]
    fn preflight_methods_are_case_sensitive() {
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "put"),
        ]);
        assert_eq!(
            reason(check_preflight(&put(Credentials::Omit), 200, &h)),
            "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."
        );
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "GET, PUT"),
        ]);
        assert!(check_preflight(&put(Credentials::Omit), 200, &h).is_ok());
    }

    #[test]
    fn preflight_safelisted_methods_always_allowed() {
        // A GET preflighted for its headers passes even if ACAM lists only PUT.
        let req = get(Credentials::Omit).with_header("x-foo", "1");
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "x-foo"),
        ]);
        assert!(check_preflight(&req, 200, &h).is_ok());
    }

    #[test]
    fn preflight_method_wildcard_only_without_credentials() {
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "*"),
        ]);
        assert!(check_preflight(&put(Credentials::Omit), 200, &h).is_ok());
        assert_eq!(
            reason(check_preflight(&put(Credentials::Include), 200, &h)),
            "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."
        );
    }

    #[test]
    fn preflight_headers_case_insensitive() {
        let req = put(Credentials::Omit).with_header("X-Foo", "1");
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "X-FOO"),
        ]);
        assert!(check_preflight(&req, 200, &h).is_ok());
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
        ]);
        assert_eq!(
            reason(check_preflight(&req, 200, &h)),
            "Request header field x-foo is not allowed by Access-Control-Allow-Headers in \
             preflight response."
        );
    }

    #[test]
    fn preflight_safelisted_headers_need_no_approval() {
        let req = put(Credentials::Omit).with_header("Content-Type", "text/plain");
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
        ]);
        assert!(check_preflight(&req, 200, &h).is_ok());
    }

    #[test]
    fn preflight_header_wildcard_without_credentials_never_authorization() {
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "*"),
        ]);
        let req = put(Credentials::Omit).with_header("x-amz-meta-a", "1");
        assert!(check_preflight(&req, 200, &h).is_ok());
        let req = put(Credentials::Include).with_header("x-amz-meta-a", "1");
        assert!(reason(check_preflight(&req, 200, &h)).contains("x-amz-meta-a is not allowed"));
        let req = put(Credentials::Omit).with_header("Authorization", "AWS4-HMAC-SHA256 x");
        assert!(reason(check_preflight(&req, 200, &h)).contains("authorization is not allowed"));
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
            ("access-control-allow-headers", "*, Authorization"),
        ]);
        assert!(check_preflight(&req, 200, &h).is_ok());
    }

    #[test]
    fn preflight_unparsable_lists_block() {
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT GET"),
        ]);
        assert_eq!(
            reason(check_preflight(&put(Credentials::Omit), 200, &h)),
            "Cannot parse Access-Control-Allow-Methods response header field in preflight \
             response."
        );
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT,,"),
            ("access-control-allow-headers", "x:y"),
        ]);
        assert_eq!(
            reason(check_preflight(&put(Credentials::Omit), 200, &h)),
            "Cannot parse Access-Control-Allow-Headers response header field in preflight \
             response."
        );
    }

    #[test]
    fn max_age_default_and_browser_caps() {
        let base = [
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "PUT"),
        ];
        let info = |extra: &[(&str, &str)]| {
            let mut h = hs(&base);
            h.extend(hs(extra));
            check_preflight(&put(Credentials::Omit), 200, &h).unwrap_or_default()
        };
        let i = info(&[]);
        assert_eq!((i.max_age_seconds, i.chromium_cache_seconds), (5, 5));
        let i = info(&[("access-control-max-age", "3000")]);
        assert_eq!(i.max_age_seconds, 3000);
        assert_eq!(i.chromium_cache_seconds, 3000);
        let i = info(&[("access-control-max-age", "100000")]);
        assert_eq!(i.chromium_cache_seconds, 7200);
        assert_eq!(i.firefox_cache_seconds, 86400);
        let i = info(&[("access-control-max-age", "-1")]);
        assert_eq!(i.max_age_seconds, 5);
        assert_eq!(i.max_age_header.as_deref(), Some("-1"));
        let i = info(&[("access-control-max-age", "0")]);
        assert_eq!(i.chromium_cache_seconds, 0);
    }

    #[test]
    fn actual_response_cors_check_ignores_status() {
        let h = hs(&[("access-control-allow-origin", ORIGIN)]);
        let v = check_response(&get(Credentials::Omit), 404, &h);
        assert!(v.allowed);
        let v = check_response(&get(Credentials::Omit), 200, &[]);
        assert!(!v.allowed);
        assert_eq!(
            v.reason,
            "No 'Access-Control-Allow-Origin' header is present on the requested resource."
        );
        assert!(v.readable_headers.is_empty());
    }

    #[test]
    fn actual_response_wildcard_with_credentials_blocks_without_prefix() {
        let h = hs(&[("access-control-allow-origin", "*")]);
        let v = check_response(&get(Credentials::Include), 200, &h);
        assert!(!v.allowed);
        assert!(
            v.reason
                .starts_with("The value of the 'Access-Control-Allow-Origin'")
        );
    }

    #[test]
    fn safelisted_response_headers_plus_exposed() {
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("content-type", "image/jpeg"),
            ("content-length", "3"),
            ("etag", "\"abc\""),
            ("last-modified", "x"),
            ("x-amz-request-id", "1"),
            ("server", "AmazonS3"),
        ]);
        let v = check_response(&get(Credentials::Omit), 200, &h);
        assert_eq!(
            v.readable_headers,
            vec!["content-length", "content-type", "last-modified"]
        );
        let mut h2 = h.clone();
        h2.push((
            "Access-Control-Expose-Headers".into(),
            "ETag, x-amz-missing".into(),
        ));
        let v = check_response(&get(Credentials::Omit), 200, &h2);
        assert_eq!(
            v.readable_headers,
            vec!["content-length", "content-type", "etag", "last-modified"]
        );
    }

    #[test]
    fn expose_headers_wildcard_only_without_credentials_never_set_cookie() {
        let h = hs(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "*"),
            ("etag", "1"),
            ("set-cookie", "a=b"),
            ("content-type", "x/y"),
        ]);
        let v = check_response(&get(Credentials::Omit), 200, &h);
        assert!(v.readable_headers.contains(&"etag".to_string()));
        assert!(!v.readable_headers.contains(&"set-cookie".to_string()));
        let v = check_response(&get(Credentials::Include), 200, &h);
        assert_eq!(v.readable_headers, vec!["content-type"]);
    }

    #[test]
    fn no_cors_is_never_blocked_and_opaque() {
        let v = check_response(&BrowserRequest::img(ORIGIN), 200, &[]);
        assert!(v.allowed);
        assert_eq!(v.kind, VerdictKind::Opaque);
        assert!(v.readable_headers.is_empty());
    }
}
