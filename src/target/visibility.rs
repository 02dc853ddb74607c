//! Waiting until a CORS configuration change reaches *preflights*, not only GetBucketCors.
//!
//! Real S3 applies a new configuration eventually, and its front ends do not agree on when:
//! GetBucketCors can already show it while preflights are still answered from the old one
//! (ceph/s3-tests sleeps 3 s after every PutBucketCors for this reason). Judging a preflight
//! in that window would report a difference that is only a delay.
//!
//! So after a change the `aws` target asks the reference model ([`crate::cors::evaluate`])
//! what a *canary* preflight must be answered under the new configuration — an origin and
//! method chosen so the new configuration answers it differently from the old one — and polls
//! that preflight until the answer appears. The canary goes to a key no case uses, is
//! anonymous (preflights need no auth), and a throttled answer just counts as "not yet".
//! When no preflight tells the two configurations apart there is nothing to wait for.

use crate::cors::CorsConfiguration;
use crate::cors::evaluate::{self, BucketCors, CorsRequest, Preflight, ResourceType};

use super::S3Response;

/// The object key canary preflights address.
pub const CANARY_KEY: &str = "s3cors-visibility-canary";

/// A preflight whose answer tells the new configuration from the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    pub origin: String,
    pub method: String,
    /// What the new configuration answers.
    pub expected: Expected,
}

/// A preflight answer reduced to what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// 200 with these `access-control-*` headers (names lower-case, sorted).
    Allowed(Vec<(String, String)>),
    /// Refused with this status and error code.
    Refused(u16, String),
}

fn expect(config: Option<&CorsConfiguration>, origin: &str, method: &str) -> Expected {
    let bucket = match config {
        Some(c) => BucketCors::Configured(c),
        None => BucketCors::NotConfigured,
    };
    let req = CorsRequest {
        method: "OPTIONS",
        origin: Some(origin),
        request_method: Some(method),
        request_headers: None,
        resource: ResourceType::Object,
    };
    match evaluate::preflight(bucket, &req) {
        Preflight::Allowed(h) => Expected::Allowed(cors_headers(
            h.0.iter().map(|(n, v)| (n.to_string(), v.clone())),
        )),
        Preflight::Refused(e) => Expected::Refused(e.status, e.code),
    }
}

fn cors_headers(headers: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .filter(|(n, _)| n.starts_with("access-control-"))
        .collect();
    out.sort();
    out
}

/// An origin the pattern matches: each `*` filled with `x` (a bare `*` becomes an origin no
/// case uses).
fn fill(pattern: &str) -> String {
    if pattern == "*" {
        "https://s3cors-canary.example".to_string()
    } else {
        pattern.replace('*', "x")
    }
}

/// The first (origin, method) pair, from either configuration's rules, that the two answer
/// differently; `None` when every candidate is answered alike.
pub fn canary(old: Option<&CorsConfiguration>, new: Option<&CorsConfiguration>) -> Option<Canary> {
    let mut candidates: Vec<(String, String)> = Vec::new();
    for config in [new, old].into_iter().flatten() {
        for rule in &config.rules {
            for origin in &rule.allowed_origins {
                for method in &rule.allowed_methods {
                    candidates.push((fill(origin), method.clone()));
                }
            }
        }
    }
    candidates.push(("https://s3cors-canary.example".into(), "GET".into()));
    candidates.into_iter().find_map(|(origin, method)| {
        let expected = expect(new, &origin, &method);
        (expected != expect(old, &origin, &method)).then_some(Canary {
            origin,
            method,
            expected,
        })
    })
}

/// Whether a preflight's response is the canary's expected answer.
pub fn answered(canary: &Canary, resp: &S3Response) -> bool {
    match &canary.expected {
        Expected::Allowed(headers) => {
            resp.status == 200 && cors_headers(resp.headers.iter().cloned()) == *headers
        }
        Expected::Refused(status, code) => {
            resp.status == *status
                && super::cleanup::error_code(resp).as_deref() == Some(code.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(xml: &str) -> CorsConfiguration {
        CorsConfiguration::from_xml(xml.as_bytes()).expect("valid configuration")
    }

    #[test]
    fn a_new_configuration_is_told_from_none() {
        let new = config(
            "<CORSConfiguration><CORSRule><AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>",
        );
        let c = canary(None, Some(&new)).expect("a canary");
        assert_eq!(c.origin, "http://x.example.com");
        assert_eq!(c.method, "PUT");
        let Expected::Allowed(h) = &c.expected else {
            panic!("allowed expected, got {:?}", c.expected)
        };
        assert!(
            h.contains(&(
                "access-control-allow-origin".into(),
                "http://x.example.com".into()
            )),
            "{h:?}"
        );
    }

    #[test]
    fn deletion_waits_for_the_refusal_and_equal_configurations_need_no_canary() {
        let old = config(
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        );
        let c = canary(Some(&old), None).expect("a canary");
        assert!(matches!(c.expected, Expected::Refused(403, _)), "{c:?}");
        assert_eq!(canary(Some(&old), Some(&old.clone())), None);
    }

    #[test]
    fn a_changed_method_is_found_through_the_old_rules_too() {
        let old = config(
            "<CORSConfiguration><CORSRule><AllowedOrigin>http://a.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>",
        );
        let new = config(
            "<CORSConfiguration><CORSRule><AllowedOrigin>http://a.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        );
        let c = canary(Some(&old), Some(&new)).expect("a canary");
        assert_eq!(
            (c.origin.as_str(), c.method.as_str()),
            ("http://a.test", "GET")
        );
        let with_methods = |methods: &str| S3Response {
            status: 200,
            headers: vec![
                ("Access-Control-Allow-Origin".into(), "http://a.test".into()),
                ("Access-Control-Allow-Methods".into(), methods.into()),
                ("Access-Control-Allow-Credentials".into(), "true".into()),
                ("Vary".into(), "Origin".into()),
            ],
            body: Vec::new(),
        };
        assert!(answered(&c, &with_methods("GET")), "{c:?}");
        assert!(!answered(&c, &with_methods("GET, PUT")));
        assert!(!answered(
            &c,
            &S3Response {
                status: 503,
                headers: vec![],
                body: b"<Error><Code>SlowDown</Code></Error>".to_vec(),
            }
        ));
    }
}
