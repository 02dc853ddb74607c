//! The request side of Fetch: what a page asks for, and whether that needs a CORS preflight.
//!
//! A browser decides *before* sending anything whether a cross-origin request is "simple". The
//! rules are Fetch §"CORS-safelisted method", §"CORS-safelisted request-header" (with its value
//! checks and the 1024-byte budget of §"CORS-unsafe request-header names"), and the
//! "use-CORS-preflight" branch of §"HTTP fetch". They live here, apart from the response checks,
//! because the runner also needs them to reconstruct what a browser would have sent.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The request's credentials mode (Fetch §"Requests", *credentials mode*).
///
/// Only `include` changes the CORS checks; `same-origin` (the `fetch()` default and what
/// `<img crossorigin>` uses) behaves like `omit` for a cross-origin request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Credentials {
    Omit,
    #[default]
    SameOrigin,
    Include,
}

impl Credentials {
    /// The spelling Fetch and `RequestInit.credentials` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Credentials::Omit => "omit",
            Credentials::SameOrigin => "same-origin",
            Credentials::Include => "include",
        }
    }

    /// True for `include`, the only mode the CORS check treats differently.
    pub fn included(self) -> bool {
        self == Credentials::Include
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Credentials {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "omit" => Ok(Credentials::Omit),
            "same-origin" => Ok(Credentials::SameOrigin),
            "include" => Ok(Credentials::Include),
            other => Err(format!(
                "unknown credentials mode {other:?} (expected omit, same-origin or include)"
            )),
        }
    }
}

/// The request's mode (Fetch §"Requests", *mode*), as far as cross-origin loads go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// `fetch()`, XHR, `<img crossorigin>`: the CORS protocol applies.
    #[default]
    Cors,
    /// `<img>` without `crossorigin`: never blocked by CORS, but the response is opaque.
    NoCors,
}

/// One cross-origin request as a page makes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BrowserRequest {
    /// The page's origin, serialised (`http://localhost:8000`), as sent in `Origin`.
    pub origin: String,
    /// The method after `fetch()`'s normalisation (see [`normalize_method`]).
    pub method: String,
    /// Author request headers (set by the script), names and values as given.
    pub headers: Vec<(String, String)>,
    pub credentials: Credentials,
    pub mode: Mode,
}

impl BrowserRequest {
    /// A `fetch(url, {method, credentials})` from `origin`, without author headers.
    pub fn fetch(origin: &str, method: &str, credentials: Credentials) -> Self {
        BrowserRequest {
            origin: origin.to_string(),
            method: normalize_method(method),
            headers: Vec::new(),
            credentials,
            mode: Mode::Cors,
        }
    }

    /// Adds an author request header (as `fetch(url, {headers})` would).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// `<img src>` without `crossorigin`: a no-cors GET, never blocked, opaque.
    pub fn img(origin: &str) -> Self {
        BrowserRequest {
            mode: Mode::NoCors,
            credentials: Credentials::Include,
            ..BrowserRequest::fetch(origin, "GET", Credentials::Include)
        }
    }

    /// `<img crossorigin>` (`anonymous`: same-origin credentials) or
    /// `<img crossorigin="use-credentials">` (`include`).
    pub fn img_crossorigin(origin: &str, use_credentials: bool) -> Self {
        let credentials = if use_credentials {
            Credentials::Include
        } else {
            Credentials::SameOrigin
        };
        BrowserRequest::fetch(origin, "GET", credentials)
    }

    /// Fetch §"CORS-unsafe request-header names" over this request's author headers:
    /// lower-cased, sorted, de-duplicated.
    pub fn unsafe_header_names(&self) -> Vec<String> {
        cors_unsafe_request_header_names(&self.headers)
    }

    /// The `Access-Control-Request-Headers` value the preflight carries (Fetch
    /// §"CORS-preflight fetch": the unsafe names joined by `,`), or `None` when empty.
    pub fn preflight_request_headers(&self) -> Option<String> {
        let names = self.unsafe_header_names();
        (!names.is_empty()).then(|| names.join(","))
    }
}

/// `fetch()` upper-cases the six well-known methods and leaves every other one alone
/// (Fetch §"normalize a method"), which is why `patch` stays `patch` and then fails against
/// an `Access-Control-Allow-Methods: PATCH`.
pub fn normalize_method(method: &str) -> String {
    const NORMALISED: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
    NORMALISED
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .map_or_else(|| method.to_string(), |m| (*m).to_string())
}

/// Fetch §"CORS-safelisted method": `GET`, `HEAD`, `POST`, byte-case-sensitive.
pub fn is_safelisted_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

/// Fetch §"forbidden request-header": names only the browser sets. They are never author
/// headers, so they never count towards a preflight; the runner filters them out of wire
/// requests (`User-Agent` is included because Chromium still refuses to let scripts set it).
pub fn is_forbidden_request_header(name: &str) -> bool {
    const FORBIDDEN: [&str; 22] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "user-agent",
    ];
    let lower = name.to_ascii_lowercase();
    FORBIDDEN.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-")
}

/// Fetch §"CORS-unsafe request-header byte".
fn is_unsafe_byte(b: u8) -> bool {
    (b < 0x20 && b != 0x09)
        || matches!(
            b,
            b'"' | b'('
                | b')'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'{'
                | b'}'
                | 0x7f
        )
}

fn has_unsafe_byte(value: &str) -> bool {
    value.bytes().any(is_unsafe_byte)
}

/// Fetch §"CORS-safelisted request-header": the five names whose values pass their checks,
/// each value at most 128 bytes.
pub fn is_safelisted_request_header(name: &str, value: &str) -> bool {
    if value.len() > 128 {
        return false;
    }
    match name.to_ascii_lowercase().as_str() {
        "accept" => !has_unsafe_byte(value),
        "accept-language" | "content-language" => value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'*' | b',' | b'-' | b'.' | b';' | b'=')
        }),
        "content-type" => {
            !has_unsafe_byte(value)
                && mime_essence(value).is_some_and(|e| {
                    matches!(
                        e.as_str(),
                        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
                    )
                })
        }
        "range" => single_range(value).is_some_and(|(start, _)| start.is_some()),
        _ => false,
    }
}

/// Fetch §"CORS-unsafe request-header names": headers that fail the safelist, plus every
/// safelisted one when the safelisted values total more than 1024 bytes; sorted lower-case set.
pub fn cors_unsafe_request_header_names(headers: &[(String, String)]) -> Vec<String> {
    let mut unsafe_names = Vec::new();
    let mut potentially_unsafe = Vec::new();
    let mut safelist_value_size = 0usize;
    for (name, value) in headers {
        if is_safelisted_request_header(name, value) {
            potentially_unsafe.push(name.to_ascii_lowercase());
            safelist_value_size += value.len();
        } else {
            unsafe_names.push(name.to_ascii_lowercase());
        }
    }
    if safelist_value_size > 1024 {
        unsafe_names.extend(potentially_unsafe);
    }
    unsafe_names.sort();
    unsafe_names.dedup();
    unsafe_names
}

/// Fetch §"HTTP fetch", the "use-CORS-preflight" condition: a CORS-mode request needs a
/// preflight when its method is not safelisted or some author header is CORS-unsafe.
/// No-cors requests never do (they cannot use such methods or headers at all).
pub fn needs_preflight(req: &BrowserRequest) -> bool {
    req.mode == Mode::Cors
        && (!is_safelisted_method(&req.method) || !req.unsafe_header_names().is_empty())
}

fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

/// HTTP token code points (RFC 9110 `tchar`), used by Fetch's parsers.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// The essence (`type/subtype`, lower-cased) of MIME Sniffing §"parse a MIME type"; parameters
/// never make the parse fail, so they are not looked at.
fn mime_essence(value: &str) -> Option<String> {
    let input = value.trim_matches(is_http_whitespace);
    let (ty, rest) = input.split_once('/')?;
    let subtype = rest.split(';').next().unwrap_or("");
    let subtype = subtype.trim_end_matches(is_http_whitespace);
    (is_token(ty) && is_token(subtype)).then(|| {
        format!(
            "{}/{}",
            ty.to_ascii_lowercase(),
            subtype.to_ascii_lowercase()
        )
    })
}

/// Compares two ASCII-digit strings as numbers of any size.
fn digits_greater(a: &str, b: &str) -> bool {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    (a.len(), a) > (b.len(), b)
}

/// Fetch §"parse a single range header value" (whitespace not allowed): `bytes=start-end`
/// with at least one side; returns which sides were present.
fn single_range(value: &str) -> Option<(Option<&str>, Option<&str>)> {
    let rest = value.strip_prefix("bytes=")?;
    let (start, end) = rest.split_once('-')?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(start) || !digits(end) || (start.is_empty() && end.is_empty()) {
        return None;
    }
    if !start.is_empty() && !end.is_empty() && digits_greater(start, end) {
        return None;
    }
    Some((
        (!start.is_empty()).then_some(start),
        (!end.is_empty()).then_some(end),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_a_method_uppercases_only_the_six() {
        assert_eq!(normalize_method("get"), "GET");
        assert_eq!(normalize_method("pUt"), "PUT");
        assert_eq!(normalize_method("patch"), "patch");
    }

    #[test]
    fn cors_safelisted_method_is_get_head_post_case_sensitive() {
        assert!(is_safelisted_method("GET"));
        assert!(is_safelisted_method("HEAD"));
        assert!(is_safelisted_method("POST"));
        assert!(!is_safelisted_method("PUT"));
        assert!(!is_safelisted_method("DELETE"));
        assert!(!is_safelisted_method("get"));
    }

    #[test]
    fn safelisted_header_accept_rejects_unsafe_bytes() {
        assert!(is_safelisted_request_header(
            "Accept",
            "image/*, text/html;q=0.9"
        ));
        assert!(!is_safelisted_request_header("accept", "text/html\"x"));
        assert!(!is_safelisted_request_header("accept", "a@b"));
    }

    #[test]
    fn safelisted_header_language_values_use_a_small_alphabet() {
        assert!(is_safelisted_request_header(
            "Accept-Language",
            "en-GB,en;q=0.9, *"
        ));
        assert!(is_safelisted_request_header("content-language", "de-DE"));
        assert!(!is_safelisted_request_header("accept-language", "en_GB"));
        assert!(!is_safelisted_request_header("content-language", "en/GB"));
    }

    #[test]
    fn safelisted_header_content_type_three_essences_only() {
        assert!(is_safelisted_request_header("Content-Type", "text/plain"));
        assert!(is_safelisted_request_header(
            "content-type",
            "Text/Plain; charset=utf-8"
        ));
        assert!(is_safelisted_request_header(
            "content-type",
            "multipart/form-data; boundary=x"
        ));
        assert!(is_safelisted_request_header(
            "content-type",
            "application/x-www-form-urlencoded"
        ));
        assert!(!is_safelisted_request_header(
            "content-type",
            "application/json"
        ));
        assert!(!is_safelisted_request_header("content-type", "image/jpeg"));
        assert!(!is_safelisted_request_header(
            "content-type",
            "text/plain; x=\"y\""
        ));
        assert!(!is_safelisted_request_header("content-type", "text"));
    }

    #[test]
    fn safelisted_header_range_needs_a_start() {
        assert!(is_safelisted_request_header("Range", "bytes=0-"));
        assert!(is_safelisted_request_header("range", "bytes=0-99"));
        assert!(!is_safelisted_request_header("range", "bytes=-500"));
        assert!(!is_safelisted_request_header("range", "bytes=5-1"));
        assert!(!is_safelisted_request_header("range", "bytes=0-1,5-6"));
        assert!(!is_safelisted_request_header("range", "bytes = 0-1"));
        assert!(!is_safelisted_request_header("range", "items=0-1"));
    }

    #[test]
    fn safelisted_header_value_longer_than_128_bytes_is_unsafe() {
        let long = "a".repeat(129);
        assert!(!is_safelisted_request_header("accept", &long));
        assert!(is_safelisted_request_header("accept", &long[..128]));
    }

    #[test]
    fn other_header_names_are_never_safelisted() {
        assert!(!is_safelisted_request_header("X-Foo", "bar"));
        assert!(!is_safelisted_request_header(
            "Authorization",
            "AWS4-HMAC-SHA256 x"
        ));
        assert!(!is_safelisted_request_header("Cache-Control", "no-cache"));
    }

    #[test]
    fn cors_unsafe_names_are_sorted_lowercase_and_unique() {
        let headers = vec![
            ("X-B".to_string(), "1".to_string()),
            ("Accept".to_string(), "*/*".to_string()),
            ("x-a".to_string(), "2".to_string()),
            ("X-a".to_string(), "3".to_string()),
        ];
        assert_eq!(
            cors_unsafe_request_header_names(&headers),
            vec!["x-a", "x-b"]
        );
    }

    #[test]
    fn cors_unsafe_names_include_safelisted_ones_past_1024_bytes() {
        let v = "a".repeat(128);
        let mut headers: Vec<(String, String)> =
            (0..8).map(|_| ("Accept".to_string(), v.clone())).collect();
        assert!(cors_unsafe_request_header_names(&headers).is_empty()); // exactly 1024
        headers.push(("Content-Language".to_string(), "en".to_string()));
        assert_eq!(
            cors_unsafe_request_header_names(&headers),
            vec!["accept", "content-language"]
        );
    }

    #[test]
    fn use_cors_preflight_for_unsafe_method_or_header() {
        let get = BrowserRequest::fetch("http://a", "GET", Credentials::Omit);
        assert!(!needs_preflight(&get));
        assert!(!needs_preflight(
            &get.clone().with_header("Content-Type", "text/plain")
        ));
        assert!(needs_preflight(
            &get.clone().with_header("x-amz-meta-a", "1")
        ));
        assert!(needs_preflight(
            &get.with_header("Content-Type", "application/json")
        ));
        assert!(needs_preflight(&BrowserRequest::fetch(
            "http://a",
            "put",
            Credentials::Omit
        )));
        assert!(!needs_preflight(&BrowserRequest::fetch(
            "http://a",
            "post",
            Credentials::Omit
        )));
    }

    #[test]
    fn no_cors_never_preflights() {
        let img = BrowserRequest::img("http://a");
        assert_eq!(img.mode, Mode::NoCors);
        assert!(!needs_preflight(&img));
        let cors_img = BrowserRequest::img_crossorigin("http://a", false);
        assert_eq!(cors_img.mode, Mode::Cors);
        assert_eq!(cors_img.credentials, Credentials::SameOrigin);
    }

    #[test]
    fn preflight_request_headers_value_is_comma_joined_without_spaces() {
        let r = BrowserRequest::fetch("http://a", "PUT", Credentials::Omit)
            .with_header("X-Foo", "1")
            .with_header("Content-Type", "image/jpeg");
        assert_eq!(
            r.preflight_request_headers().as_deref(),
            Some("content-type,x-foo")
        );
        let r = BrowserRequest::fetch("http://a", "PUT", Credentials::Omit);
        assert_eq!(r.preflight_request_headers(), None);
    }

    #[test]
    fn forbidden_request_headers_are_browser_owned() {
        assert!(is_forbidden_request_header("Origin"));
        assert!(is_forbidden_request_header("Access-Control-Request-Method"));
        assert!(is_forbidden_request_header("Sec-Fetch-Mode"));
        assert!(is_forbidden_request_header("Proxy-Authorization"));
        assert!(!is_forbidden_request_header("Authorization"));
        assert!(!is_forbidden_request_header("x-amz-date"));
    }

    #[test]
    fn credentials_parse_and_print() {
        for c in [
            Credentials::Omit,
            Credentials::SameOrigin,
            Credentials::Include,
        ] {
            assert_eq!(c.as_str().parse::<Credentials>(), Ok(c));
        }
        assert!("yes".parse::<Credentials>().is_err());
    }

    #[test]
    fn single_range_compares_big_numbers() {
        assert!(single_range("bytes=99999999999999999999999999999999999999999-1").is_none());
        assert!(single_range("bytes=1-99999999999999999999999999999999999999999").is_some());
    }
}
