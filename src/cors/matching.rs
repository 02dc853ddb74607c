//! Rule matching (§2): origin, method and requested headers; first match wins.
//!
//! Both preflight (§3) and actual-request (§4) evaluation ask the same question — which rule,
//! if any, does S3 use for this request? — so it is answered once, here. The matchers run on
//! every CORS request the embedded server sees, so they never allocate: patterns are matched
//! byte-wise in place and requested header names are borrowed slices of the request header.
//!
//! Semantics (spec §2):
//! - [`origin_matches`]: case-sensitive, anchored, `*` matches any substring including the
//!   empty one (§2.2).
//! - [`header_matches`]: the same wildcard, ASCII case-insensitive (§2.4). Header names are
//!   HTTP tokens, so ASCII folding is all there is to fold.
//! - Method: exact, case-sensitive, `Access-Control-Request-Method` if present else the
//!   request's own method (§2.3).
//! - [`find_rule`]: the first rule (document order) for which origin, method and every
//!   requested header match (§2.1); a rule without `AllowedHeader` matches only requests that
//!   ask for no headers (§2.4).
//!
//! An `Access-Control-Request-Headers` header that is present but yields no names after
//! splitting (`""`, `" , "`) is treated exactly like an absent one (spec §8 open question;
//! Zenko and LocalStack do the same).

use super::{CorsConfiguration, CorsRequest, CorsRule};

/// Why one rule did or did not match a request (for `s3cors explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVerdict {
    /// Index of the rule in the configuration (0-based).
    pub index: usize,
    /// The `AllowedOrigin` pattern that matched, if any.
    pub origin_match: Option<String>,
    /// Whether the method (ACRM, else the request's) is in `AllowedMethod`.
    pub method_matched: bool,
    /// Requested header names (lower-cased) that no `AllowedHeader` matched.
    pub unmatched_headers: Vec<String>,
    /// True when this rule is the one S3 uses (the first full match).
    pub chosen: bool,
}

impl RuleVerdict {
    /// Whether the rule matches on every count (origin, method, headers).
    pub fn is_full_match(&self) -> bool {
        self.origin_match.is_some() && self.method_matched && self.unmatched_headers.is_empty()
    }
}

/// Does the `AllowedOrigin` `pattern` match the request's `Origin` (§2.2)?
///
/// Case-sensitive and byte-exact; `*` matches any run of characters, including none; the
/// pattern is anchored at both ends. `*` alone matches every origin, even the empty one.
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    wildcard_match(pattern.as_bytes(), origin.as_bytes(), |a, b| a == b)
}

/// Does the `AllowedHeader` `pattern` match the requested header `name` (§2.4)?
///
/// Like [`origin_matches`] but ASCII case-insensitive.
pub fn header_matches(pattern: &str, name: &str) -> bool {
    wildcard_match(pattern.as_bytes(), name.as_bytes(), |a, b| {
        a.eq_ignore_ascii_case(&b)
    })
}

/// Whether `method` is one of the five methods S3 accepts in `AllowedMethod` and in
/// `Access-Control-Request-Method` (`GET PUT HEAD POST DELETE`, case-sensitive; §1.3 b, §3.1.5).
pub fn is_cors_method(method: &str) -> bool {
    matches!(method, "GET" | "PUT" | "HEAD" | "POST" | "DELETE")
}

/// The names in an `Access-Control-Request-Headers` value, borrowed and in request order:
/// split on `,`, spaces and tabs trimmed, empty items dropped, case kept (§2.4).
///
/// Duplicates are kept (spec §8 open question: S3 is assumed to echo what was sent).
pub fn request_header_names(acrh: &str) -> impl Iterator<Item = &str> + Clone {
    acrh.split(',')
        .map(|item| item.trim_matches([' ', '\t']))
        .filter(|item| !item.is_empty())
}

/// [`request_header_names`] collected into owned strings (case kept; lower-casing happens when
/// the `Access-Control-Allow-Headers` value is formatted).
pub fn split_request_headers(acrh: &str) -> Vec<String> {
    request_header_names(acrh).map(str::to_owned).collect()
}

/// The method a request is matched on: `Access-Control-Request-Method` if sent, else the
/// request's own method (§2.3, §4.2).
pub fn effective_method<'a>(req: &CorsRequest<'a>) -> &'a str {
    req.request_method.unwrap_or(req.method)
}

/// Does `rule` match this origin, method and (optional) `Access-Control-Request-Headers`?
pub fn rule_matches(rule: &CorsRule, origin: &str, method: &str, acrh: Option<&str>) -> bool {
    rule.allowed_origins
        .iter()
        .any(|pattern| origin_matches(pattern, origin))
        && rule.allowed_methods.iter().any(|m| m == method)
        && request_header_names(acrh.unwrap_or("")).all(|name| {
            rule.allowed_headers
                .iter()
                .any(|pattern| header_matches(pattern, name))
        })
}

/// The index of the rule S3 uses for this request: the first full match in document order
/// (§2.1). `None` when the request has no `Origin` or no rule matches.
pub fn find_rule(config: &CorsConfiguration, req: &CorsRequest) -> Option<usize> {
    let origin = req.origin?;
    let method = effective_method(req);
    config
        .rules
        .iter()
        .position(|rule| rule_matches(rule, origin, method, req.request_headers))
}

/// Explains every rule against the request.
///
/// Without an `Origin` no rule can match: every verdict has `origin_match: None`.
pub fn explain(config: &CorsConfiguration, req: &CorsRequest) -> Vec<RuleVerdict> {
    let method = effective_method(req);
    let chosen = find_rule(config, req);
    config
        .rules
        .iter()
        .enumerate()
        .map(|(index, rule)| RuleVerdict {
            index,
            origin_match: req.origin.and_then(|origin| {
                rule.allowed_origins
                    .iter()
                    .find(|pattern| origin_matches(pattern, origin))
                    .cloned()
            }),
            method_matched: rule.allowed_methods.iter().any(|m| m == method),
            unmatched_headers: request_header_names(req.request_headers.unwrap_or(""))
                .filter(|name| {
                    !rule
                        .allowed_headers
                        .iter()
                        .any(|pattern| header_matches(pattern, name))
                })
                .map(str::to_ascii_lowercase)
                .collect(),
            chosen: chosen == Some(index),
        })
        .collect()
}

/// Anchored wildcard match of `text` against `pattern`, where `*` matches any byte run.
///
/// Byte-wise matching is correct for UTF-8: literal pattern bytes can only match the same
/// complete code points. One `*` (the only form a validated configuration allows) is a
/// prefix/suffix test; more stars (possible in hand-built configurations) fall back to the
/// classic linear-space backtracking glob. Never allocates.
fn wildcard_match(pattern: &[u8], text: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    let slices_eq =
        |a: &[u8], b: &[u8]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(*x, *y));
    let Some(star) = pattern.iter().position(|&b| b == b'*') else {
        return slices_eq(pattern, text);
    };
    let (prefix, rest) = pattern.split_at(star);
    let suffix = rest.get(1..).unwrap_or_default();
    if !suffix.contains(&b'*') {
        return text.len() >= prefix.len() + suffix.len()
            && slices_eq(prefix, text.get(..prefix.len()).unwrap_or_default())
            && slices_eq(
                suffix,
                text.get(text.len() - suffix.len()..).unwrap_or_default(),
            );
    }
    // General case: greedy with backtracking to the last star.
    let (mut p, mut t) = (0usize, 0usize);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some(&b'*'), _) => {
                last_star = Some((p, t));
                p += 1;
            }
            (Some(&pc), Some(&tc)) if eq(pc, tc) => {
                p += 1;
                t += 1;
            }
            _ => match last_star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    last_star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cors::ResourceType;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule::allowing(origins, methods, headers)
    }

    fn req<'a>(
        method: &'a str,
        origin: Option<&'a str>,
        acrm: Option<&'a str>,
        acrh: Option<&'a str>,
    ) -> CorsRequest<'a> {
        CorsRequest {
            method,
            origin,
            request_method: acrm,
            request_headers: acrh,
            resource: ResourceType::Object,
        }
    }

    // §2.1 first match wins

    #[test]
    fn spec_2_1_first_full_match_wins() {
        let config = CorsConfiguration {
            rules: vec![
                rule(&["http://a.com"], &["PUT"], &[]),
                rule(&["*"], &["PUT"], &[]),
                rule(&["http://a.com"], &["GET"], &[]),
                rule(&["*"], &["GET"], &[]),
            ],
        };
        let r = req("GET", Some("http://a.com"), None, None);
        assert_eq!(find_rule(&config, &r), Some(2));
    }

    #[test]
    fn spec_2_1_origin_in_one_rule_method_in_a_later_one() {
        // minio-go "get request matches wildcard origin rule": origin matched rule 2 but the
        // method only rule 5; rule 5 is used.
        let config = CorsConfiguration {
            rules: vec![
                rule(&["https://x.com"], &["GET"], &[]),
                rule(&["http://www.example.com"], &["PUT"], &[]),
                rule(&["https://y.com"], &["GET"], &[]),
                rule(&["https://z.com"], &["GET"], &[]),
                rule(&["*"], &["GET"], &[]),
            ],
        };
        let r = req("GET", Some("http://www.example.com"), None, None);
        assert_eq!(find_rule(&config, &r), Some(4));
    }

    #[test]
    fn spec_2_1_no_origin_no_rule() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &["*"])],
        };
        assert_eq!(find_rule(&config, &req("GET", None, None, None)), None);
    }

    // §2.2 origin matching

    #[test]
    fn spec_2_2_origin_is_case_sensitive() {
        assert!(origin_matches(
            "http://UPPERCASEEXAMPLE.com",
            "http://UPPERCASEEXAMPLE.com"
        ));
        assert!(!origin_matches(
            "http://UPPERCASEEXAMPLE.com",
            "http://uppercaseexample.com"
        ));
        assert!(!origin_matches(
            "http://uppercaseexample.com",
            "http://UPPERCASEEXAMPLE.com"
        ));
    }

    #[test]
    fn spec_2_2_star_alone_matches_anything() {
        for origin in ["http://a.com", "localhost:4566", "whatever", ""] {
            assert!(origin_matches("*", origin), "{origin}");
        }
    }

    #[test]
    fn spec_2_2_star_matches_empty_string() {
        assert!(origin_matches("start*end", "startend"));
        assert!(origin_matches("prefix*", "prefix"));
        assert!(origin_matches(
            "http://*.allowedorigin.com",
            "http://.allowedorigin.com"
        ));
    }

    #[test]
    fn spec_2_2_star_is_anchored_substring() {
        assert!(origin_matches("start*end", "start1end"));
        assert!(origin_matches("start*end", "start12end"));
        assert!(!origin_matches("start*end", "0start12end"));
        assert!(!origin_matches("start*end", "start12end0"));
        assert!(origin_matches("*suffix", "foo.suffix"));
        assert!(!origin_matches("*suffix", "foo.suffix.get"));
        assert!(origin_matches("prefix*", "prefix.suffix"));
        assert!(!origin_matches("prefix*", "bla.prefix"));
        assert!(origin_matches(
            "http://*.allowedorigin.com",
            "http://test.allowedorigin.com"
        ));
    }

    #[test]
    fn spec_2_2_prefix_and_suffix_may_not_overlap() {
        assert!(!origin_matches("ab*ba", "aba"));
        assert!(origin_matches("ab*ba", "abba"));
    }

    #[test]
    fn spec_2_2_partial_wildcard_no_trailing_slash() {
        assert!(origin_matches(
            "http://*.origin.com",
            "http://test.origin.com"
        ));
        assert!(!origin_matches(
            "http://*.origin.com",
            "http://test.origin.com/"
        ));
    }

    #[test]
    fn spec_2_2_https_star_only_matches_https() {
        assert!(origin_matches("https://*", "https://www.secureexample.com"));
        assert!(!origin_matches(
            "https://*",
            "http://www.notsecureexample.com"
        ));
    }

    #[test]
    fn spec_2_2_bare_https_matches_nothing_useful() {
        assert!(!origin_matches(
            "https",
            "https://www.securebutdoesnotmatch.com"
        ));
    }

    #[test]
    fn spec_2_2_scheme_host_port_compared_as_text() {
        assert!(!origin_matches(
            "http://www.example.com",
            "https://www.example.com"
        ));
        assert!(!origin_matches(
            "http://www.example.com",
            "http://www.example.com:80"
        ));
        assert!(origin_matches(
            "http://www.example.com",
            "http://www.example.com"
        ));
    }

    #[test]
    fn spec_1_3_m_empty_origin_pattern_matches_only_empty_origin() {
        assert!(origin_matches("", ""));
        assert!(!origin_matches("", "http://a.com"));
    }

    #[test]
    fn several_stars_still_match_as_globs() {
        // Only reachable through hand-built configurations (validation rejects them).
        assert!(origin_matches("*example*.com", "http://www.example-1.com"));
        assert!(origin_matches("**", ""));
        assert!(origin_matches("a*b*c", "abc"));
        assert!(origin_matches("a*b*c", "axxbyyc"));
        assert!(!origin_matches("a*b*c", "axxcyyb"));
        assert!(!origin_matches("a*b*c", "abcd"));
    }

    #[test]
    fn origin_matching_handles_multibyte_text() {
        assert!(origin_matches("http://*.é.com", "http://ü.é.com"));
        assert!(!origin_matches("http://é*", "http://e"));
    }

    // §2.3 method matching

    #[test]
    fn spec_2_3_acrm_overrides_request_method() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &[])],
        };
        assert_eq!(
            find_rule(&config, &req("PUT", Some("o"), Some("GET"), None)),
            Some(0)
        );
        assert_eq!(
            find_rule(&config, &req("GET", Some("o"), Some("PUT"), None)),
            None
        );
        assert_eq!(
            find_rule(&config, &req("GET", Some("o"), None, None)),
            Some(0)
        );
    }

    #[test]
    fn spec_2_3_method_is_case_sensitive() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &[])],
        };
        assert_eq!(
            find_rule(&config, &req("OPTIONS", Some("o"), Some("get"), None)),
            None
        );
    }

    #[test]
    fn spec_3_1_5_cors_methods_are_the_five_upper_case_ones() {
        for m in ["GET", "PUT", "HEAD", "POST", "DELETE"] {
            assert!(is_cors_method(m));
        }
        for m in ["get", "OPTIONS", "PATCH", "", "*"] {
            assert!(!is_cors_method(m));
        }
    }

    // §2.4 header matching

    #[test]
    fn spec_2_4_split_trims_and_drops_empty() {
        assert_eq!(
            split_request_headers("content-type,,expires"),
            vec!["content-type", "expires"]
        );
        assert_eq!(
            split_request_headers(" X-A ,\tx-b\t, ,"),
            vec!["X-A", "x-b"]
        );
        assert!(split_request_headers("").is_empty());
        assert!(split_request_headers(" , ").is_empty());
    }

    #[test]
    fn spec_2_4_header_match_is_case_insensitive() {
        assert!(header_matches(
            "x-amz-expected-bucket-owner",
            "x-AMZ-expected-BUCKET-owner"
        ));
        assert!(header_matches(
            "x-AMZ-server-SIDE-encryption",
            "x-amz-server-side-encryption"
        ));
        assert!(header_matches("X-ABC-*", "x-abc-1"));
    }

    #[test]
    fn spec_2_4_header_star_and_partial_wildcard() {
        assert!(header_matches("*", "anything-at-all"));
        assert!(header_matches("x-abc-*", "x-abc-1"));
        assert!(header_matches("x-abc-*", "x-abc-second"));
        assert!(header_matches("amz-*", "amz-meta-header-test"));
        assert!(!header_matches("x-abc-*", "x-def-1"));
    }

    #[test]
    fn spec_2_4_rule_without_allowed_header_matches_only_headerless_requests() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &[])],
        };
        assert_eq!(
            find_rule(&config, &req("OPTIONS", Some("o"), Some("GET"), None)),
            Some(0)
        );
        assert_eq!(
            find_rule(
                &config,
                &req("OPTIONS", Some("o"), Some("GET"), Some("x-unknown-1"))
            ),
            None
        );
    }

    #[test]
    fn spec_2_4_one_unmatched_name_fails_the_rule() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &["x-abc-*", "x-def-*"])],
        };
        let ok = req(
            "OPTIONS",
            Some("o"),
            Some("GET"),
            Some("x-abc-1,x-abc-second,x-def-1"),
        );
        assert_eq!(find_rule(&config, &ok), Some(0));
        let bad = req(
            "OPTIONS",
            Some("o"),
            Some("GET"),
            Some("x-abc-1,x-abc-second,x-def-1,x-does-not-match"),
        );
        assert_eq!(find_rule(&config, &bad), None);
    }

    #[test]
    fn spec_2_4_empty_acrh_is_absent() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &[])],
        };
        for acrh in ["", " ", ",", " , ,"] {
            let r = req("OPTIONS", Some("o"), Some("GET"), Some(acrh));
            assert_eq!(find_rule(&config, &r), Some(0), "{acrh:?}");
        }
    }

    // explain

    #[test]
    fn explain_reports_each_rule() {
        let config = CorsConfiguration {
            rules: vec![
                rule(&["http://a.com"], &["PUT"], &["x-a"]),
                rule(&["http://*.com"], &["GET"], &["x-*"]),
                rule(&["*"], &["GET"], &["*"]),
            ],
        };
        let r = req(
            "OPTIONS",
            Some("http://a.com"),
            Some("GET"),
            Some("X-A, X-B"),
        );
        let v = explain(&config, &r);
        assert_eq!(
            v,
            vec![
                RuleVerdict {
                    index: 0,
                    origin_match: Some("http://a.com".into()),
                    method_matched: false,
                    unmatched_headers: vec!["x-b".into()],
                    chosen: false,
                },
                RuleVerdict {
                    index: 1,
                    origin_match: Some("http://*.com".into()),
                    method_matched: true,
                    unmatched_headers: vec![],
                    chosen: true,
                },
                RuleVerdict {
                    index: 2,
                    origin_match: Some("*".into()),
                    method_matched: true,
                    unmatched_headers: vec![],
                    chosen: false,
                },
            ]
        );
        assert!(v[1].is_full_match() && v[2].is_full_match() && !v[0].is_full_match());
    }

    #[test]
    fn a_full_match_needs_origin_method_and_every_header() {
        let full = RuleVerdict {
            index: 0,
            origin_match: Some("*".into()),
            method_matched: true,
            unmatched_headers: vec![],
            chosen: true,
        };
        assert!(full.is_full_match());
        let missing_header = RuleVerdict {
            unmatched_headers: vec!["x-a".into()],
            chosen: false,
            ..full.clone()
        };
        assert!(!missing_header.is_full_match());
        let wrong_method = RuleVerdict {
            method_matched: false,
            chosen: false,
            ..full.clone()
        };
        assert!(!wrong_method.is_full_match());
        let no_origin = RuleVerdict {
            origin_match: None,
            chosen: false,
            ..full
        };
        assert!(!no_origin.is_full_match());
    }

    #[test]
    fn explain_without_origin_matches_nothing() {
        let config = CorsConfiguration {
            rules: vec![rule(&["*"], &["GET"], &[])],
        };
        let v = explain(&config, &req("GET", None, None, None));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].origin_match, None);
        assert!(v[0].method_matched);
        assert!(!v[0].chosen);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// Reference matcher: recursive, obviously correct, slow.
        fn reference(p: &[u8], t: &[u8]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some((b'*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
                Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
            }
        }

        proptest! {
            #[test]
            fn wildcard_agrees_with_reference(p in "[ab*]{0,6}", t in "[ab]{0,8}") {
                prop_assert_eq!(origin_matches(&p, &t), reference(p.as_bytes(), t.as_bytes()));
            }

            #[test]
            fn header_match_ignores_ascii_case(p in "[a-c*-]{0,6}", t in "[a-c-]{0,8}") {
                prop_assert_eq!(
                    header_matches(&p.to_ascii_uppercase(), &t),
                    reference(p.as_bytes(), t.as_bytes())
                );
            }
        }
    }
}
