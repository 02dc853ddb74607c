//! One-line fixes for the mistakes people make most, judged from typed facts: the rule
//! verdicts of [`crate::cors::matching`] and the browser's [`CorsError`], never its wording.

use super::core::{BucketState, Explanation, Source, list_or_none};
use crate::browser::{self, BrowserRequest, CorsError, Mode, VerdictKind};
use crate::cors::matching::RuleVerdict;

/// One-line fixes for the mistakes people make most, judged from what went wrong.
pub(crate) fn fixes(
    source: &Source,
    req: &BrowserRequest,
    ex: &Explanation,
    verdicts: &[RuleVerdict],
    full_headers: &[(String, String)],
    read: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let origin = &req.origin;
    let method = &req.method;
    let config = match source {
        Source::Bucket(BucketState::Missing) => {
            out.push("The bucket does not exist: check its name (and the endpoint/region).".into());
            return out;
        }
        Source::Bucket(BucketState::NotConfigured) => {
            out.push(format!(
                "The bucket has no CORS configuration: add one with a rule allowing origin \
                 {origin} and method {method}."
            ));
            return out;
        }
        Source::File(c) | Source::Bucket(BucketState::Configured(c)) => c,
    };
    if req.mode == Mode::NoCors {
        if req.method == "GET" {
            out.push(
                "None for the image itself. But an <img> without crossorigin sends no Origin, so \
                 S3 answers without CORS headers and without Vary: if the page also fetch()es \
                 this URL, the browser may reuse that cached answer and block it — add \
                 crossorigin to the <img> or vary the URL."
                    .to_string(),
            );
        }
        return out;
    }
    let any_chosen = verdicts.iter().any(|v| v.chosen);
    if !any_chosen {
        let origin_rules: Vec<&RuleVerdict> = verdicts
            .iter()
            .filter(|v| v.origin_match.is_some())
            .collect();
        if origin_rules.is_empty() {
            let near = config.rules.iter().enumerate().find_map(|(i, r)| {
                r.allowed_origins
                    .iter()
                    .find(|o| near_miss(o, origin))
                    .map(|o| (i + 1, o.clone()))
            });
            match near {
                Some((n, o)) => out.push(format!(
                    "Rule {n} lists {o:?}, but S3 compares origins as exact text: write \
                     {origin:?} (scheme, host and port exactly, no trailing slash)."
                )),
                None => out.push(format!(
                    "No rule allows the origin {origin}: add <AllowedOrigin>{origin}\
                     </AllowedOrigin> to a rule (scheme, host and port exactly, no trailing \
                     slash)."
                )),
            }
        } else if let Some(v) = origin_rules.iter().find(|v| !v.method_matched) {
            let rule = config.rules.get(v.index);
            out.push(format!(
                "Rule {} allows {origin} but not {method}: add <AllowedMethod>{method}\
                 </AllowedMethod> (it allows {}).",
                v.index + 1,
                rule.map(|r| list_or_none(&r.allowed_methods))
                    .unwrap_or_default()
            ));
        }
        if let Some(v) = origin_rules
            .iter()
            .find(|v| !v.unmatched_headers.is_empty())
        {
            out.push(format!(
                "Rule {} does not allow the request header{} {}: add {} to it (or \
                 <AllowedHeader>*</AllowedHeader>).",
                v.index + 1,
                if v.unmatched_headers.len() == 1 {
                    ""
                } else {
                    "s"
                },
                v.unmatched_headers.join(", "),
                v.unmatched_headers
                    .iter()
                    .map(|h| format!("<AllowedHeader>{h}</AllowedHeader>"))
                    .collect::<String>()
            ));
        }
    }
    if ex.verdict.cause == Some(CorsError::WildcardOriginNotAllowed) {
        let n = verdicts
            .iter()
            .find(|v| v.chosen)
            .map_or(0, |v| v.index + 1);
        out.push(format!(
            "Rule {n} allows the origin \"*\", so S3 answers Access-Control-Allow-Origin: * — \
             which browsers refuse for requests with credentials: list {origin:?} in a rule \
             without \"*\" (placed before this one), or send the request without credentials."
        ));
    }
    if ex.verdict.allowed && ex.verdict.kind == VerdictKind::Actual {
        let rule_no = ex
            .actual
            .as_ref()
            .and_then(|a| a.response.rule)
            .unwrap_or(0);
        let present = |name: &str| {
            full_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let mut wanted: Vec<String> = read.iter().map(|r| r.to_ascii_lowercase()).collect();
        if present("etag") && !wanted.iter().any(|w| w == "etag") {
            wanted.insert(0, "etag".into());
        }
        for name in wanted {
            let exposed = ex
                .actual
                .as_ref()
                .and_then(|a| {
                    browser::check::get_header(&a.response.headers, "access-control-expose-headers")
                })
                .unwrap_or_default();
            let readable = ex.verdict.readable_headers.contains(&name)
                || browser::check::SAFELISTED_RESPONSE_HEADERS.contains(&name.as_str())
                || exposed.split(',').any(|e| {
                    e.trim().eq_ignore_ascii_case(&name)
                        || (e.trim() == "*" && !req.credentials.included())
                });
            if !readable {
                let pretty = if name == "etag" {
                    "ETag".to_string()
                } else {
                    name.clone()
                };
                out.push(format!(
                    "The script cannot read {pretty}: add <ExposeHeader>{pretty}</ExposeHeader> \
                     to rule {rule_no}."
                ));
            }
        }
    }
    out
}

/// An `AllowedOrigin` that was probably meant to be `origin`: differs only by case or a
/// trailing slash.
pub(crate) fn near_miss(pattern: &str, origin: &str) -> bool {
    let p = pattern.trim_end_matches('/');
    p.eq_ignore_ascii_case(origin) && pattern != origin
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::Credentials;
    use crate::cors::{CorsConfiguration, CorsRule, ResourceType};
    use crate::explain::explain;

    const ORIGIN: &str = "http://localhost:8000";

    fn source(origin: &str, methods: &[&str]) -> Source {
        Source::File(CorsConfiguration {
            rules: vec![CorsRule {
                allowed_origins: vec![origin.to_string()],
                allowed_methods: methods.iter().map(|m| m.to_string()).collect(),
                ..CorsRule::default()
            }],
        })
    }

    fn fixes_for(src: &Source, method: &str, credentials: Credentials) -> Vec<String> {
        let req = BrowserRequest::fetch(ORIGIN, method, credentials);
        explain(src, &req, ResourceType::Object, "https://b/k", &[]).fixes
    }

    #[test]
    fn near_miss_catches_trailing_slash_and_case() {
        assert!(near_miss("http://localhost:8000/", "http://localhost:8000"));
        assert!(near_miss("HTTP://localhost:8000", "http://localhost:8000"));
        assert!(!near_miss("http://localhost:8000", "http://localhost:8000"));
    }

    #[test]
    fn a_trailing_slash_origin_is_named_with_the_exact_spelling() {
        let f = fixes_for(
            &source("http://localhost:8000/", &["GET"]),
            "GET",
            Credentials::Omit,
        );
        assert_eq!(
            f,
            [
                "Rule 1 lists \"http://localhost:8000/\", but S3 compares origins as exact text: \
              write \"http://localhost:8000\" (scheme, host and port exactly, no trailing slash)."
            ]
        );
    }

    #[test]
    fn a_missing_method_is_named_with_what_the_rule_allows() {
        let f = fixes_for(&source(ORIGIN, &["GET", "HEAD"]), "PUT", Credentials::Omit);
        assert_eq!(
            f,
            ["Rule 1 allows http://localhost:8000 but not PUT: add \
              <AllowedMethod>PUT</AllowedMethod> (it allows GET, HEAD)."]
        );
    }

    #[test]
    fn wildcard_with_credentials_is_decided_by_the_cause_not_the_wording() {
        let src = source("*", &["GET"]);
        let with = fixes_for(&src, "GET", Credentials::Include);
        assert!(
            with.iter()
                .any(|f| f.starts_with("Rule 1 allows the origin \"*\"")),
            "{with:?}"
        );
        let without = fixes_for(&src, "GET", Credentials::Omit);
        assert!(!without.iter().any(|f| f.contains("\"*\"")), "{without:?}");
    }

    #[test]
    fn missing_and_unconfigured_buckets_get_one_fix_each() {
        let gone = fixes_for(
            &Source::Bucket(BucketState::Missing),
            "GET",
            Credentials::Omit,
        );
        assert_eq!(
            gone,
            ["The bucket does not exist: check its name (and the endpoint/region)."]
        );
        let bare = fixes_for(
            &Source::Bucket(BucketState::NotConfigured),
            "GET",
            Credentials::Omit,
        );
        assert_eq!(bare.len(), 1);
        assert!(bare[0].starts_with("The bucket has no CORS configuration"));
    }
}
