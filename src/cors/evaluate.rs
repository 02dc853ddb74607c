//! Preflight (§3) and actual-request (§4) evaluation, response headers (§5).
//!
//! Given the bucket's CORS state and the CORS-relevant parts of a request, decide what S3
//! answers: for `OPTIONS`, either 200 with CORS headers or one of S3's CORS errors, checked in
//! S3's order (§3.1); for every other method, either the CORS headers to add to the normal
//! response (success or error, §4.5) or none — CORS never blocks an actual request (§4.4).
//! The HTTP layer only copies the result onto the wire.
//!
//! Decisions on points the spec leaves open (§8), for the README:
//! - OPTIONS with `Origin` on a configured bucket but no `Access-Control-Request-Method`:
//!   400 `BadRequest` `Invalid Access-Control-Request-Method: null` (§3.1.4).
//! - An ACRM that is not one of `GET PUT HEAD POST DELETE` (case-sensitive): 400 `BadRequest`
//!   `Invalid Access-Control-Request-Method: <value>` (§3.1.5).
//! - Every 400 `BadRequest` of a preflight carries `Connection: close` (§5.3 recorded it for
//!   the missing-Origin case; the two ACRM cases follow it). The 403s do not.
//! - Non-existent bucket with ACRM: `<Method>` is the ACRM value, as for "not enabled" (§3.1.2).
//! - An `Origin` header that is present but empty is a present origin: it matches `*` and an
//!   `AllowedOrigin` of `""` (§1.3 m), nothing else.
//! - `Access-Control-Request-Headers` present but empty (or only commas/spaces) is treated as
//!   absent: it requires no `AllowedHeader` and produces no `Access-Control-Allow-Headers`.
//! - Duplicate names in `Access-Control-Request-Headers` are echoed as sent, not deduplicated.
//! - A rule listing both `*` and the exact origin answers `Access-Control-Allow-Origin: *`
//!   without credentials (§2.5).

use super::CorsConfiguration;
use super::config::CorsRule;
use super::matching::{find_rule, is_cors_method, request_header_names};
use crate::s3::S3Error;

/// `Access-Control-Allow-Origin`, spelled as AWS sends it (§5.1).
pub const ALLOW_ORIGIN: &str = "Access-Control-Allow-Origin";
/// `Access-Control-Allow-Methods`.
pub const ALLOW_METHODS: &str = "Access-Control-Allow-Methods";
/// `Access-Control-Allow-Headers`.
pub const ALLOW_HEADERS: &str = "Access-Control-Allow-Headers";
/// `Access-Control-Expose-Headers`.
pub const EXPOSE_HEADERS: &str = "Access-Control-Expose-Headers";
/// `Access-Control-Max-Age`.
pub const MAX_AGE: &str = "Access-Control-Max-Age";
/// `Access-Control-Allow-Credentials`.
pub const ALLOW_CREDENTIALS: &str = "Access-Control-Allow-Credentials";
/// `Vary`.
pub const VARY: &str = "Vary";
/// The fixed `Vary` value sent with every successful CORS evaluation (§3.2, §7.6).
pub const VARY_VALUE: &str =
    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// §3.1.1 message (400 `BadRequest`).
pub const MSG_ORIGIN_NEEDED: &str = "Insufficient information. Origin request header needed.";
/// §3.1.2 message (403 `AccessForbidden`).
pub const MSG_BUCKET_NOT_FOUND: &str = "CORSResponse: Bucket not found";
/// §3.1.3 message (403 `AccessForbidden`).
pub const MSG_CORS_NOT_ENABLED: &str = "CORSResponse: CORS is not enabled for this bucket.";
/// §3.1.6 message (403 `AccessForbidden`), AWS's typos ("evalution") included.
pub const MSG_NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
/// §3.1.4/§3.1.5 message prefix (400 `BadRequest`); followed by the ACRM value or `null`.
pub const MSG_INVALID_ACRM_PREFIX: &str = "Invalid Access-Control-Request-Method: ";

/// Whether the request URL names the bucket or an object (§3.1.6, `<ResourceType>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Bucket,
    Object,
}

impl ResourceType {
    /// The `<ResourceType>` text: `BUCKET` or `OBJECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Bucket => "BUCKET",
            ResourceType::Object => "OBJECT",
        }
    }
}

/// The CORS-relevant parts of one HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct CorsRequest<'a> {
    /// The request's own HTTP method.
    pub method: &'a str,
    /// `Origin` header, verbatim.
    pub origin: Option<&'a str>,
    /// `Access-Control-Request-Method` header, verbatim.
    pub request_method: Option<&'a str>,
    /// `Access-Control-Request-Headers` header, verbatim.
    pub request_headers: Option<&'a str>,
    /// Bucket URL or object URL.
    pub resource: ResourceType,
}

/// The bucket's state as far as CORS is concerned.
#[derive(Debug, Clone, Copy)]
pub enum BucketCors<'a> {
    /// No such bucket.
    Missing,
    /// The bucket exists and has no CORS configuration.
    NotConfigured,
    /// The bucket exists with this configuration.
    Configured(&'a CorsConfiguration),
}

/// CORS response headers in AWS's emit order (ACAO, ACAM, ACAH, ACEH, ACMA, ACAC, Vary; §5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsHeaders(pub Vec<(&'static str, String)>);

impl CorsHeaders {
    /// The value of a header (name compared ASCII case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Iterates over `(name, value)` pairs in emit order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

/// The outcome of an `OPTIONS` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    /// 200 with these headers (§3.2).
    Allowed(CorsHeaders),
    /// Refused with this error (§3.1); no CORS headers.
    Refused(S3Error),
}

/// Evaluates a preflight (§3.1, §3.2).
///
/// Checks in S3's order, first failure decides: no `Origin` (400), bucket missing (403),
/// no configuration (403), no ACRM (400), unsupported ACRM (400), no matching rule (403),
/// else 200 with the matched rule's headers.
pub fn preflight(bucket: BucketCors<'_>, req: &CorsRequest<'_>) -> Preflight {
    // §3.1.1: independent of everything else.
    let Some(origin) = req.origin else {
        return Preflight::Refused(bad_request(MSG_ORIGIN_NEEDED.to_owned()));
    };
    // §3.1.2, §3.1.3: <Method> is the ACRM if sent, else OPTIONS; ResourceType always BUCKET.
    let config = match bucket {
        BucketCors::Missing => {
            return Preflight::Refused(forbidden(
                MSG_BUCKET_NOT_FOUND,
                req.request_method.unwrap_or("OPTIONS"),
                ResourceType::Bucket,
            ));
        }
        BucketCors::NotConfigured => {
            return Preflight::Refused(forbidden(
                MSG_CORS_NOT_ENABLED,
                req.request_method.unwrap_or("OPTIONS"),
                ResourceType::Bucket,
            ));
        }
        BucketCors::Configured(config) => config,
    };
    // §3.1.4, §3.1.5.
    let Some(acrm) = req.request_method else {
        return Preflight::Refused(bad_request(format!("{MSG_INVALID_ACRM_PREFIX}null")));
    };
    if !is_cors_method(acrm) {
        return Preflight::Refused(bad_request(format!("{MSG_INVALID_ACRM_PREFIX}{acrm}")));
    }
    // §3.1.6, §3.1.7.
    match find_rule(config, req).and_then(|i| config.rules.get(i)) {
        Some(rule) => Preflight::Allowed(cors_headers(rule, origin, req.request_headers)),
        None => Preflight::Refused(forbidden(MSG_NOT_ALLOWED, acrm, req.resource)),
    }
}

/// The CORS headers for a non-OPTIONS request, or `None` when none are sent (§4).
///
/// Matching uses ACRM/ACRH when present (§4.2); the headers are the preflight set (§4.3).
/// The caller adds them to whatever response the operation produces, errors included (§4.5).
pub fn actual(bucket: BucketCors<'_>, req: &CorsRequest<'_>) -> Option<CorsHeaders> {
    let origin = req.origin?;
    let BucketCors::Configured(config) = bucket else {
        return None;
    };
    let rule = config.rules.get(find_rule(config, req)?)?;
    Some(cors_headers(rule, origin, req.request_headers))
}

/// The headers S3 sends when `rule` matched a request from `origin` (§3.2, §2.5, §5.2, §5.4).
///
/// `Access-Control-Allow-Headers` appears only when `acrh` yields at least one name.
pub fn cors_headers(rule: &CorsRule, origin: &str, acrh: Option<&str>) -> CorsHeaders {
    let wildcard = rule.allowed_origins.iter().any(|o| o == "*");
    let mut headers = Vec::with_capacity(7);
    headers.push((
        ALLOW_ORIGIN,
        if wildcard {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
    ));
    headers.push((ALLOW_METHODS, rule.allowed_methods.join(", ")));
    if let Some(value) = acrh.and_then(allow_headers_value) {
        headers.push((ALLOW_HEADERS, value));
    }
    if !rule.expose_headers.is_empty() {
        headers.push((EXPOSE_HEADERS, rule.expose_headers.join(", ")));
    }
    if let Some(max_age) = rule.max_age_seconds {
        headers.push((MAX_AGE, max_age.to_string()));
    }
    if !wildcard {
        headers.push((ALLOW_CREDENTIALS, "true".to_owned()));
    }
    headers.push((VARY, VARY_VALUE.to_owned()));
    CorsHeaders(headers)
}

/// The `Access-Control-Allow-Headers` value for an `Access-Control-Request-Headers` value:
/// names trimmed, ASCII lower-cased, empties dropped, request order, joined `", "` (§3.2).
/// `None` when no name remains.
pub fn allow_headers_value(acrh: &str) -> Option<String> {
    let mut out = String::with_capacity(acrh.len() + 8);
    for name in request_header_names(acrh) {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
    }
    (!out.is_empty()).then_some(out)
}

fn bad_request(message: String) -> S3Error {
    S3Error::new(400, "BadRequest", message).with_connection_close()
}

fn forbidden(message: &str, method: &str, resource: ResourceType) -> S3Error {
    S3Error::new(403, "AccessForbidden", message)
        .with_field("Method", method)
        .with_field("ResourceType", resource.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule::allowing(origins, methods, headers)
    }

    fn config(rules: Vec<CorsRule>) -> CorsConfiguration {
        CorsConfiguration { rules }
    }

    fn options<'a>(
        origin: Option<&'a str>,
        acrm: Option<&'a str>,
        acrh: Option<&'a str>,
        resource: ResourceType,
    ) -> CorsRequest<'a> {
        CorsRequest {
            method: "OPTIONS",
            origin,
            request_method: acrm,
            request_headers: acrh,
            resource,
        }
    }

    fn get<'a>(
        origin: Option<&'a str>,
        acrm: Option<&'a str>,
        acrh: Option<&'a str>,
    ) -> CorsRequest<'a> {
        CorsRequest {
            method: "GET",
            origin,
            request_method: acrm,
            request_headers: acrh,
            resource: ResourceType::Object,
        }
    }

    fn refused(p: Preflight) -> S3Error {
        match p {
            Preflight::Refused(e) => e,
            Preflight::Allowed(h) => panic!("expected a refusal, got {h:?}"),
        }
    }

    fn allowed(p: Preflight) -> CorsHeaders {
        match p {
            Preflight::Allowed(h) => h,
            Preflight::Refused(e) => panic!("expected 200, got {e}"),
        }
    }

    fn pairs(h: &CorsHeaders) -> Vec<(&str, &str)> {
        h.iter().collect()
    }

    fn localhost_get() -> CorsConfiguration {
        let mut r = rule(&["http://localhost:8000"], &["GET", "HEAD"], &[]);
        r.expose_headers = vec!["ETag".into()];
        r.max_age_seconds = Some(3000);
        config(vec![r])
    }

    // §3.1.1

    #[test]
    fn spec_3_1_1_no_origin_is_400_bad_request_with_connection_close() {
        let c = localhost_get();
        for bucket in [
            BucketCors::Missing,
            BucketCors::NotConfigured,
            BucketCors::Configured(&c),
        ] {
            for acrm in [None, Some("GET")] {
                let e = refused(preflight(
                    bucket,
                    &options(None, acrm, None, ResourceType::Object),
                ));
                assert_eq!(e.status, 400);
                assert_eq!(e.code, "BadRequest");
                assert_eq!(
                    e.message,
                    "Insufficient information. Origin request header needed."
                );
                assert!(
                    e.fields.is_empty(),
                    "no Method/ResourceType: {:?}",
                    e.fields
                );
                assert!(e.connection_close);
            }
        }
    }

    // §3.1.2

    #[test]
    fn spec_3_1_2_missing_bucket_is_403_method_options() {
        let e = refused(preflight(
            BucketCors::Missing,
            &options(Some("http://a.com"), None, None, ResourceType::Object),
        ));
        assert_eq!(e.status, 403);
        assert_eq!(e.code, "AccessForbidden");
        assert_eq!(e.message, "CORSResponse: Bucket not found");
        assert_eq!(
            e.fields,
            vec![
                ("Method".to_string(), "OPTIONS".to_string()),
                ("ResourceType".to_string(), "BUCKET".to_string())
            ]
        );
        assert!(!e.connection_close);
    }

    #[test]
    fn spec_3_1_2_missing_bucket_with_acrm_reports_acrm() {
        let e = refused(preflight(
            BucketCors::Missing,
            &options(
                Some("http://a.com"),
                Some("PUT"),
                None,
                ResourceType::Bucket,
            ),
        ));
        assert_eq!(e.message, "CORSResponse: Bucket not found");
        assert_eq!(e.field("Method"), Some("PUT"));
        assert_eq!(e.field("ResourceType"), Some("BUCKET"));
    }

    // §3.1.3

    #[test]
    fn spec_3_1_3_no_config_is_403_bucket_even_on_object_url() {
        let e = refused(preflight(
            BucketCors::NotConfigured,
            &options(
                Some("http://a.com"),
                Some("PUT"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(e.status, 403);
        assert_eq!(e.code, "AccessForbidden");
        assert_eq!(
            e.message,
            "CORSResponse: CORS is not enabled for this bucket."
        );
        assert_eq!(
            e.fields,
            vec![
                ("Method".to_string(), "PUT".to_string()),
                ("ResourceType".to_string(), "BUCKET".to_string())
            ]
        );
        assert!(!e.connection_close);
    }

    #[test]
    fn spec_3_1_3_no_config_without_acrm_says_options() {
        let e = refused(preflight(
            BucketCors::NotConfigured,
            &options(Some("http://a.com"), None, None, ResourceType::Object),
        ));
        assert_eq!(e.field("Method"), Some("OPTIONS"));
        assert_eq!(e.field("ResourceType"), Some("BUCKET"));
    }

    // §3.1.4

    #[test]
    fn spec_3_1_4_no_acrm_is_400() {
        let c = localhost_get();
        let e = refused(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://localhost:8000"),
                None,
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(e.status, 400);
        assert_eq!(e.code, "BadRequest");
        assert_eq!(e.message, "Invalid Access-Control-Request-Method: null");
        assert!(e.fields.is_empty());
        assert!(e.connection_close);
    }

    // §3.1.5

    #[test]
    fn spec_3_1_5_unsupported_acrm_is_400_with_value() {
        let c = localhost_get();
        for acrm in ["get", "PATCH", "OPTIONS"] {
            let e = refused(preflight(
                BucketCors::Configured(&c),
                &options(
                    Some("http://localhost:8000"),
                    Some(acrm),
                    None,
                    ResourceType::Object,
                ),
            ));
            assert_eq!(e.status, 400);
            assert_eq!(e.code, "BadRequest");
            assert_eq!(
                e.message,
                format!("Invalid Access-Control-Request-Method: {acrm}")
            );
            assert!(e.fields.is_empty());
            assert!(e.connection_close);
        }
    }

    #[test]
    fn spec_3_1_5_acrm_checked_after_configuration() {
        let e = refused(preflight(
            BucketCors::NotConfigured,
            &options(
                Some("http://a.com"),
                Some("get"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(e.status, 403);
        assert_eq!(e.field("Method"), Some("get"));
    }

    // §3.1.6

    #[test]
    fn spec_3_1_6_no_match_is_403_object_on_object_url() {
        let c = localhost_get();
        let e = refused(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://wrong.com"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(e.status, 403);
        assert_eq!(e.code, "AccessForbidden");
        assert_eq!(
            e.message,
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
        );
        assert_eq!(
            e.fields,
            vec![
                ("Method".to_string(), "GET".to_string()),
                ("ResourceType".to_string(), "OBJECT".to_string())
            ]
        );
        assert!(!e.connection_close);
    }

    #[test]
    fn spec_3_1_6_no_match_on_bucket_url_says_bucket() {
        let c = localhost_get();
        let e = refused(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://localhost:8000"),
                Some("PUT"),
                None,
                ResourceType::Bucket,
            ),
        ));
        assert_eq!(e.field("Method"), Some("PUT"));
        assert_eq!(e.field("ResourceType"), Some("BUCKET"));
    }

    #[test]
    fn spec_3_1_6_unallowed_header_is_403() {
        let c = localhost_get();
        let e = refused(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://localhost:8000"),
                Some("GET"),
                Some("x-amz-request-payer"),
                ResourceType::Object,
            ),
        ));
        assert_eq!(e.status, 403);
        assert_eq!(e.message, MSG_NOT_ALLOWED);
    }

    // §3.1.7, §3.2

    #[test]
    fn spec_3_1_7_match_is_allowed() {
        let c = localhost_get();
        let p = preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://localhost:8000"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        );
        assert!(matches!(p, Preflight::Allowed(_)));
    }

    #[test]
    fn spec_3_2_full_header_set_in_order() {
        let c = localhost_get();
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://localhost:8000"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(
            pairs(&h),
            vec![
                ("Access-Control-Allow-Origin", "http://localhost:8000"),
                ("Access-Control-Allow-Methods", "GET, HEAD"),
                ("Access-Control-Expose-Headers", "ETag"),
                ("Access-Control-Max-Age", "3000"),
                ("Access-Control-Allow-Credentials", "true"),
                (
                    "Vary",
                    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
                ),
            ]
        );
    }

    #[test]
    fn spec_3_2_acam_lists_whole_rule() {
        let c = config(vec![rule(&["*"], &["POST", "PUT", "DELETE"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("DELETE"), None, ResourceType::Object),
        ));
        assert_eq!(
            h.get("Access-Control-Allow-Methods"),
            Some("POST, PUT, DELETE")
        );
    }

    #[test]
    fn spec_3_2_acah_echoes_request_lower_cased() {
        let c = config(vec![rule(&["*"], &["GET"], &["*"])]);
        let cases = [
            (
                "x-amz-expected-bucket-owner,x-amz-server-side-encryption",
                "x-amz-expected-bucket-owner, x-amz-server-side-encryption",
            ),
            ("X-My-Special-Header", "x-my-special-header"),
            (
                "content-md5,content-type,x-csrf-token",
                "content-md5, content-type, x-csrf-token",
            ),
            ("b, ,a,,", "b, a"),
            ("x-a, X-A", "x-a, x-a"),
        ];
        for (acrh, want) in cases {
            let h = allowed(preflight(
                BucketCors::Configured(&c),
                &options(Some("o"), Some("GET"), Some(acrh), ResourceType::Object),
            ));
            assert_eq!(h.get("Access-Control-Allow-Headers"), Some(want), "{acrh}");
        }
    }

    #[test]
    fn spec_3_2_acah_never_the_configured_list() {
        let c = config(vec![rule(&["*"], &["GET"], &["X-Configured", "x-*"])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("o"),
                Some("GET"),
                Some("X-Other"),
                ResourceType::Object,
            ),
        ));
        assert_eq!(h.get("Access-Control-Allow-Headers"), Some("x-other"));
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("GET"), None, ResourceType::Object),
        ));
        assert_eq!(h.get("Access-Control-Allow-Headers"), None);
    }

    #[test]
    fn spec_3_2_empty_acrh_sends_no_acah() {
        let c = config(vec![rule(&["*"], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("GET"), Some(" , "), ResourceType::Object),
        ));
        assert_eq!(h.get("Access-Control-Allow-Headers"), None);
    }

    #[test]
    fn spec_3_2_expose_headers_verbatim_in_order() {
        let mut r = rule(&["*"], &["GET"], &[]);
        r.expose_headers = vec!["X-AMZ-server-side-encryption".into(), "ETag".into()];
        let c = config(vec![r]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("GET"), None, ResourceType::Object),
        ));
        assert_eq!(
            h.get("Access-Control-Expose-Headers"),
            Some("X-AMZ-server-side-encryption, ETag")
        );
    }

    #[test]
    fn spec_3_2_optional_headers_absent_when_unset() {
        let c = config(vec![rule(&["http://a.com"], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://a.com"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(
            pairs(&h),
            vec![
                ("Access-Control-Allow-Origin", "http://a.com"),
                ("Access-Control-Allow-Methods", "GET"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Vary", VARY_VALUE),
            ]
        );
    }

    #[test]
    fn spec_1_3_n_negative_max_age_is_rendered_as_is() {
        let mut r = rule(&["*"], &["GET"], &[]);
        r.max_age_seconds = Some(-5);
        let h = cors_headers(&r, "o", None);
        assert_eq!(h.get("Access-Control-Max-Age"), Some("-5"));
    }

    // §2.5

    #[test]
    fn spec_2_5_star_origin_gives_star_and_no_credentials() {
        let c = config(vec![rule(&["*"], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://random.com"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(
            pairs(&h),
            vec![
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "GET"),
                ("Vary", VARY_VALUE),
            ]
        );
    }

    #[test]
    fn spec_2_5_partial_wildcard_echoes_origin_with_credentials() {
        let c = config(vec![rule(&["http://*.origin.com"], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://test.origin.com"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(
            h.get("Access-Control-Allow-Origin"),
            Some("http://test.origin.com")
        );
        assert_eq!(h.get("Access-Control-Allow-Credentials"), Some("true"));
    }

    #[test]
    fn spec_2_5_star_and_exact_origin_chooses_star() {
        let c = config(vec![rule(&["http://a.com", "*"], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("http://a.com"),
                Some("GET"),
                None,
                ResourceType::Object,
            ),
        ));
        assert_eq!(h.get("Access-Control-Allow-Origin"), Some("*"));
        assert_eq!(h.get("Access-Control-Allow-Credentials"), None);
    }

    // §4

    #[test]
    fn spec_4_1_no_origin_no_headers() {
        let c = localhost_get();
        assert_eq!(
            actual(BucketCors::Configured(&c), &get(None, None, None)),
            None
        );
        assert_eq!(
            actual(BucketCors::NotConfigured, &get(None, None, None)),
            None
        );
        assert_eq!(actual(BucketCors::Missing, &get(None, None, None)), None);
    }

    #[test]
    fn spec_4_1_missing_or_unconfigured_bucket_no_headers() {
        let r = get(Some("http://localhost:8000"), None, None);
        assert_eq!(actual(BucketCors::NotConfigured, &r), None);
        assert_eq!(actual(BucketCors::Missing, &r), None);
    }

    #[test]
    fn spec_4_2_get_with_wrong_acrm_gets_nothing() {
        let c = localhost_get();
        let r = get(Some("http://localhost:8000"), Some("PUT"), None);
        assert_eq!(actual(BucketCors::Configured(&c), &r), None);
    }

    #[test]
    fn spec_4_2_get_with_unallowed_acrh_gets_nothing() {
        let c = localhost_get();
        let r = get(
            Some("http://localhost:8000"),
            None,
            Some("x-amz-request-payer"),
        );
        assert_eq!(actual(BucketCors::Configured(&c), &r), None);
    }

    #[test]
    fn spec_4_2_put_with_acrm_get_uses_get_rule() {
        let c = config(vec![
            rule(&["*"], &["GET"], &[]),
            rule(&["*"], &["PUT"], &[]),
        ]);
        let r = CorsRequest {
            method: "PUT",
            origin: Some("http://a.com"),
            request_method: Some("GET"),
            request_headers: None,
            resource: ResourceType::Object,
        };
        let h = actual(BucketCors::Configured(&c), &r);
        assert_eq!(
            h.as_ref()
                .and_then(|h| h.get("Access-Control-Allow-Methods")),
            Some("GET")
        );
    }

    #[test]
    fn spec_4_2_allowed_acrh_echoed_on_actual_response() {
        let c = config(vec![rule(&["*"], &["GET"], &["x-amz-*"])]);
        let r = get(Some("o"), None, Some("X-Amz-Meta-A,x-amz-meta-b"));
        let h = actual(BucketCors::Configured(&c), &r);
        assert_eq!(
            h.as_ref()
                .and_then(|h| h.get("Access-Control-Allow-Headers")),
            Some("x-amz-meta-a, x-amz-meta-b")
        );
    }

    #[test]
    fn spec_4_3_match_gets_preflight_set() {
        let c = localhost_get();
        let r = get(Some("http://localhost:8000"), None, None);
        let h = actual(BucketCors::Configured(&c), &r);
        assert_eq!(
            h.as_ref().map(pairs),
            Some(vec![
                ("Access-Control-Allow-Origin", "http://localhost:8000"),
                ("Access-Control-Allow-Methods", "GET, HEAD"),
                ("Access-Control-Expose-Headers", "ETag"),
                ("Access-Control-Max-Age", "3000"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Vary", VARY_VALUE),
            ])
        );
    }

    #[test]
    fn spec_4_3_actual_headers_equal_preflight_headers() {
        let c = config(vec![rule(&["*"], &["GET", "PUT"], &["*"])]);
        let acrh = Some("X-A");
        let pre = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("GET"), acrh, ResourceType::Object),
        ));
        let act = actual(BucketCors::Configured(&c), &get(Some("o"), None, acrh));
        assert_eq!(act, Some(pre));
    }

    #[test]
    fn spec_4_4_no_match_no_headers() {
        let c = localhost_get();
        let r = get(Some("http://random.com"), None, None);
        assert_eq!(actual(BucketCors::Configured(&c), &r), None);
        let put = CorsRequest {
            method: "PUT",
            origin: Some("http://localhost:8000"),
            request_method: None,
            request_headers: None,
            resource: ResourceType::Object,
        };
        assert_eq!(actual(BucketCors::Configured(&c), &put), None);
    }

    #[test]
    fn spec_4_5_headers_do_not_depend_on_the_operation_outcome() {
        // The model has no notion of the response status: the same headers are returned
        // for any request that matches, and the server adds them to errors too.
        let c = config(vec![rule(&["*"], &["GET", "PUT"], &[])]);
        for method in ["GET", "PUT"] {
            let r = CorsRequest {
                method,
                origin: Some("http://a.com"),
                request_method: None,
                request_headers: None,
                resource: ResourceType::Object,
            };
            assert!(actual(BucketCors::Configured(&c), &r).is_some());
        }
    }

    // §5

    #[test]
    fn spec_5_2_header_order_acao_acam_acah_aceh_acma_acac_vary() {
        let mut r = rule(&["http://a.com"], &["GET"], &["*"]);
        r.expose_headers = vec!["ETag".into()];
        r.max_age_seconds = Some(1);
        let h = cors_headers(&r, "http://a.com", Some("x-a"));
        let names: Vec<&str> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            vec![
                "Access-Control-Allow-Origin",
                "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers",
                "Access-Control-Expose-Headers",
                "Access-Control-Max-Age",
                "Access-Control-Allow-Credentials",
                "Vary",
            ]
        );
    }

    #[test]
    fn spec_5_3_bad_request_has_no_method_and_closes_connection() {
        let e = refused(preflight(
            BucketCors::Missing,
            &options(None, Some("GET"), None, ResourceType::Object),
        ));
        assert_eq!(
            e.to_xml("R", "H"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>BadRequest</Code><Message>Insufficient information. Origin request header needed.</Message><RequestId>R</RequestId><HostId>H</HostId></Error>"
        );
        assert!(e.connection_close);
    }

    #[test]
    fn spec_5_3_forbidden_body_has_method_then_resource_type() {
        let c = localhost_get();
        let e = refused(preflight(
            BucketCors::Configured(&c),
            &options(Some("http://x"), Some("GET"), None, ResourceType::Object),
        ));
        assert!(e.to_xml("R", "H").contains(
            "</Message><Method>GET</Method><ResourceType>OBJECT</ResourceType><RequestId>R</RequestId>"
        ));
    }

    #[test]
    fn spec_5_4_lists_joined_with_comma_space() {
        let mut r = rule(&["*"], &["GET", "PUT", "HEAD"], &["*"]);
        r.expose_headers = vec!["a".into(), "b".into()];
        let h = cors_headers(&r, "o", Some("x,y ,  z"));
        assert_eq!(
            h.get("Access-Control-Allow-Methods"),
            Some("GET, PUT, HEAD")
        );
        assert_eq!(h.get("Access-Control-Allow-Headers"), Some("x, y, z"));
        assert_eq!(h.get("Access-Control-Expose-Headers"), Some("a, b"));
    }

    // §7 surprises

    #[test]
    fn spec_7_1_acam_is_whole_rule_not_requested_method() {
        let c = config(vec![rule(&["*"], &["GET", "PUT"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("PUT"), None, ResourceType::Object),
        ));
        assert_eq!(h.get("Access-Control-Allow-Methods"), Some("GET, PUT"));
    }

    #[test]
    fn spec_7_2_acah_echo_even_for_star() {
        let c = config(vec![rule(&["*"], &["GET"], &["*"])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(
                Some("o"),
                Some("GET"),
                Some("Authorization"),
                ResourceType::Object,
            ),
        ));
        assert_eq!(h.get("Access-Control-Allow-Headers"), Some("authorization"));
    }

    #[test]
    fn spec_7_3_max_age_methods_expose_on_plain_get() {
        let c = localhost_get();
        let h = actual(
            BucketCors::Configured(&c),
            &get(Some("http://localhost:8000"), None, None),
        );
        let h = h.unwrap_or_default();
        assert_eq!(h.get("Access-Control-Max-Age"), Some("3000"));
        assert_eq!(h.get("Access-Control-Allow-Methods"), Some("GET, HEAD"));
        assert_eq!(h.get("Access-Control-Expose-Headers"), Some("ETag"));
    }

    #[test]
    fn spec_7_4_actual_request_matched_on_acrm() {
        let c = config(vec![rule(&["*"], &["DELETE"], &[])]);
        assert!(
            actual(
                BucketCors::Configured(&c),
                &get(Some("o"), Some("DELETE"), None)
            )
            .is_some()
        );
        assert!(actual(BucketCors::Configured(&c), &get(Some("o"), None, None)).is_none());
    }

    #[test]
    fn spec_7_5_star_vs_echo_and_credentials() {
        let c = config(vec![
            rule(&["http://exact.com"], &["GET"], &[]),
            rule(&["*"], &["GET"], &[]),
        ]);
        let exact = actual(
            BucketCors::Configured(&c),
            &get(Some("http://exact.com"), None, None),
        )
        .unwrap_or_default();
        assert_eq!(
            exact.get("Access-Control-Allow-Origin"),
            Some("http://exact.com")
        );
        assert_eq!(exact.get("Access-Control-Allow-Credentials"), Some("true"));
        let other = actual(
            BucketCors::Configured(&c),
            &get(Some("http://other.com"), None, None),
        )
        .unwrap_or_default();
        assert_eq!(other.get("Access-Control-Allow-Origin"), Some("*"));
        assert_eq!(other.get("Access-Control-Allow-Credentials"), None);
    }

    #[test]
    fn spec_7_6_vary_fixed_and_only_on_success() {
        let c = config(vec![rule(&["*"], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("GET"), None, ResourceType::Object),
        ));
        assert_eq!(
            h.get("Vary"),
            Some("Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
        );
        // Refusals carry an error only: no headers at all.
        let p = preflight(
            BucketCors::Configured(&c),
            &options(Some("o"), Some("PUT"), None, ResourceType::Object),
        );
        assert!(matches!(p, Preflight::Refused(_)));
    }

    #[test]
    fn spec_7_7_resource_type_bucket_for_no_config_object_for_no_match() {
        let c = config(vec![rule(&["http://a.com"], &["GET"], &[])]);
        let r = options(
            Some("http://b.com"),
            Some("GET"),
            None,
            ResourceType::Object,
        );
        let no_config = refused(preflight(BucketCors::NotConfigured, &r));
        let no_match = refused(preflight(BucketCors::Configured(&c), &r));
        assert_eq!(no_config.field("ResourceType"), Some("BUCKET"));
        assert_eq!(no_match.field("ResourceType"), Some("OBJECT"));
    }

    #[test]
    fn spec_7_8_evalution_typo_on_the_wire() {
        assert!(MSG_NOT_ALLOWED.contains("the evalution of Origin"));
        assert!(MSG_NOT_ALLOWED.contains("are not whitelisted by the resource's CORS spec."));
    }

    #[test]
    fn spec_7_10_no_origin_400_beats_missing_bucket_and_origin_403() {
        let e = refused(preflight(
            BucketCors::Missing,
            &options(None, None, None, ResourceType::Bucket),
        ));
        assert_eq!(e.status, 400);
        let e = refused(preflight(
            BucketCors::Missing,
            &options(Some("o"), None, None, ResourceType::Bucket),
        ));
        assert_eq!(e.status, 403);
        assert_eq!(e.code, "AccessForbidden");
    }

    #[test]
    fn spec_7_11_star_matches_empty_and_origin_case_sensitive() {
        let c = config(vec![rule(&["http://*.example.com"], &["GET"], &[])]);
        assert!(
            actual(
                BucketCors::Configured(&c),
                &get(Some("http://.example.com"), None, None)
            )
            .is_some()
        );
        assert!(
            actual(
                BucketCors::Configured(&c),
                &get(Some("http://A.EXAMPLE.COM"), None, None)
            )
            .is_none()
        );
    }

    #[test]
    fn spec_7_12_cors_never_blocks_actual_requests() {
        // `actual` can only add headers; refusing is not among its outcomes.
        let c = config(vec![rule(&["http://a.com"], &["GET"], &[])]);
        let r = CorsRequest {
            method: "DELETE",
            origin: Some("http://random.com"),
            request_method: None,
            request_headers: None,
            resource: ResourceType::Object,
        };
        assert_eq!(actual(BucketCors::Configured(&c), &r), None);
    }

    #[test]
    fn empty_origin_header_is_a_present_origin() {
        let c = config(vec![rule(&[""], &["GET"], &[])]);
        let h = allowed(preflight(
            BucketCors::Configured(&c),
            &options(Some(""), Some("GET"), None, ResourceType::Object),
        ));
        assert_eq!(h.get("Access-Control-Allow-Origin"), Some(""));
    }
}
