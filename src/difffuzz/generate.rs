//! What the fuzzer sends: a [`Scenario`] (a bucket CORS configuration plus a short request
//! sequence) and the proptest [`Strategy`] that generates it from the grammar of
//! `spec/aws-s3-cors.md`, biased toward edges.
//!
//! Why pools of hand-picked values instead of random strings: uniform noise almost never
//! produces an origin that a rule's wildcard matches, nor an `Access-Control-Request-Headers`
//! list whose odd spacing matters. Every pool below draws from one small vocabulary (the
//! hosts `example.com`, `a.example.com`, `localhost:8000`), so request origins hit, almost
//! hit and miss the generated rules in roughly equal measure: wildcards at the start, middle
//! and end, scheme and port changes, a trailing slash, case changes, a suffix attack.
//!
//! Why proptest: its value trees shrink structurally for free (fewer rules, fewer steps,
//! fewer list items, and every `prop_oneof!` toward its *first* alternative), so each pool
//! lists its plainest value first. [`super::shrink`] drives the trees.
//!
//! Bucket set-up configurations are always valid (the reference would refuse an invalid one
//! in set-up, and the case would only test the harness); invalid configurations appear only
//! as PutBucketCors *steps*, whose answer is what is compared. The spec's "unknown" rows
//! (§1.3 n: negative `MaxAgeSeconds`, long IDs, …) are never generated.

use crate::cors::CorsRule;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

/// The key of the one object every scenario's bucket holds.
pub const OBJECT_KEY: &str = "fuzz.txt";
/// Its body.
pub const OBJECT_BODY: &str = "fuzz";

/// One generated test: the bucket's configuration and the requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The bucket's CORS rules before the first step (empty: no configuration at all).
    pub rules: Vec<CorsRule>,
    /// The requests, in order.
    pub steps: Vec<Step>,
}

/// The credentials mode of the page's `fetch()` (the browser verdict only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Creds {
    /// Not written (`same-origin`, fetch's default).
    Default,
    Include,
    Omit,
}

/// One request of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A browser preflight (`OPTIONS`, anonymous).
    Preflight {
        on_object: bool,
        origin: Option<String>,
        acrm: Option<String>,
        acrh: Option<String>,
    },
    /// An actual (signed) request carrying `Origin`.
    Actual {
        method: String,
        on_object: bool,
        origin: Option<String>,
        /// `Access-Control-Request-Method` on a non-OPTIONS request (§4.2).
        acrm: Option<String>,
        credentials: Creds,
    },
    /// PutBucketCors with these rules (possibly invalid).
    PutCors { rules: Vec<CorsRule> },
    /// PutBucketCors with a raw (malformed or schema-invalid) body.
    PutCorsXml { xml: String },
    /// GetBucketCors.
    GetCors,
    /// DeleteBucketCors.
    DeleteCors,
}

impl Step {
    /// Whether this step is judged by the spec's "unknown" rows (§3.1.4, §3.1.5): a
    /// preflight without `Access-Control-Request-Method`, or with a method S3 does not
    /// support. The emitted case then says so in `unsettled`.
    pub fn unsettled(&self) -> Option<&'static str> {
        match self {
            Step::Preflight {
                origin: Some(_),
                acrm: None,
                ..
            } => Some(
                "§3.1.4: a preflight without Access-Control-Request-Method on a configured bucket; the reference answers 400 BadRequest",
            ),
            Step::Preflight {
                origin: Some(_),
                acrm: Some(m),
                ..
            } if !crate::cors::matching::is_cors_method(m) => Some(
                "§3.1.5: a preflight with an unsupported Access-Control-Request-Method; the reference answers 400 BadRequest",
            ),
            _ => None,
        }
    }
}

/// Origins rules allow: exact, `*` alone, wildcards at the start/middle/end, scheme and
/// port variants, upper case, `null`. All valid (one wildcard at most).
const RULE_ORIGINS: &[&str] = &[
    "http://example.com",
    "*",
    "http://*.example.com",
    "https://example.com",
    "http://example.com:8080",
    "*.example.com",
    "http://*",
    "https://*",
    "http://example.*",
    "http://*example.com",
    "http://EXAMPLE.com",
    "http://localhost:8000",
    "http://localhost:*",
    "null",
    "",
];

/// Origins requests send: matching, near-matching and hostile values over the same hosts.
const REQUEST_ORIGINS: &[&str] = &[
    "http://example.com",
    "http://a.example.com",
    "https://example.com",
    "http://example.com:8080",
    "http://.example.com",
    "http://a.b.example.com",
    "http://EXAMPLE.com",
    "http://example.com/",
    "http://evilexample.com",
    "http://example.com.evil.net",
    "http://example.org",
    "http://localhost:8000",
    "http://localhost:9",
    "null",
    "HTTP://example.com",
    " http://example.com",
];

/// Methods a rule may allow (all valid), plainest first.
const RULE_METHODS: &[&str] = &["GET", "PUT", "HEAD", "POST", "DELETE"];

/// `AllowedHeader` values (valid: at most one `*`), with odd case.
const RULE_HEADERS: &[&str] = &[
    "*",
    "content-type",
    "x-amz-*",
    "X-Amz-Meta-Foo",
    "x-*-date",
    "Authorization",
    "*-type",
];

/// `ExposeHeader` values (valid).
const EXPOSE_HEADERS: &[&str] = &[
    "ETag",
    "x-amz-request-id",
    "Content-Length",
    "X-AMZ-meta-foo",
    "Date",
];

/// `Access-Control-Request-Method` values: supported, lower case, unsupported.
const ACRMS: &[&str] = &["GET", "PUT", "HEAD", "POST", "DELETE", "get", "PATCH"];

/// `Access-Control-Request-Headers` values: odd spacing, case, empty items, wildcards.
const ACRHS: &[&str] = &[
    "content-type",
    "Content-Type",
    "x-amz-date,authorization",
    "X-Amz-Meta-Foo, content-type",
    " x-amz-date ,, authorization ",
    "x-amz-meta-foo",
    "x-custom-date",
    "x-unknown",
    "",
    ",",
    "accept-type",
];

/// One invalid-making change to a PutBucketCors rule (§1.3 b–i).
const BREAKAGES: &[&str] = &[
    "lower-case-method",
    "unsupported-method",
    "empty-method",
    "two-wildcards-origin",
    "two-wildcards-header",
    "wildcard-expose",
    "bad-char-expose",
    "no-origin",
    "no-method",
];

/// Raw PutBucketCors bodies that are malformed or fail the schema (§1.3 a, e, k, l).
const BAD_XML: &[&str] = &[
    "<CORSConfiguration></CORSConfiguration>",
    "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>a</MaxAgeSeconds></CORSRule></CORSConfiguration>",
    "<CORSConfiguration><CORSRule></CORSRule></CORSConfiguration>",
    "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>",
    "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_string)
}

/// A valid rule.
pub fn rule() -> impl Strategy<Value = CorsRule> {
    (
        vec(pick(RULE_ORIGINS), 1..=2),
        subsequence(RULE_METHODS, 1..=3),
        vec(pick(RULE_HEADERS), 0..=2),
        vec(pick(EXPOSE_HEADERS), 0..=2),
        proptest::option::weighted(0.3, select(&[3000i64, 0, 1, 86400][..])),
    )
        .prop_map(|(origins, methods, headers, expose, max_age)| CorsRule {
            id: None,
            allowed_origins: origins,
            allowed_methods: methods.into_iter().map(str::to_string).collect(),
            allowed_headers: headers,
            expose_headers: expose,
            max_age_seconds: max_age,
        })
}

fn break_rule(mut r: CorsRule, how: &str) -> CorsRule {
    match how {
        "lower-case-method" => r.allowed_methods.push("get".into()),
        "unsupported-method" => r.allowed_methods.insert(0, "PATCH".into()),
        "empty-method" => r.allowed_methods.push(String::new()),
        "two-wildcards-origin" => r.allowed_origins.push("http://*.*.com".into()),
        "two-wildcards-header" => r.allowed_headers.push("*-amz-*".into()),
        "wildcard-expose" => r.expose_headers.push("x-amz-*".into()),
        "bad-char-expose" => r.expose_headers.push("x y".into()),
        "no-origin" => r.allowed_origins.clear(),
        "no-method" => r.allowed_methods.clear(),
        _ => {}
    }
    r
}

/// A rule for a PutBucketCors step: valid three times in four, else broken one way.
pub fn put_rule() -> impl Strategy<Value = CorsRule> {
    prop_oneof![
        3 => rule(),
        1 => (rule(), select(BREAKAGES)).prop_map(|(r, how)| break_rule(r, how)),
    ]
}

fn maybe(pool: &'static [&'static str], p: f64) -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(p, pick(pool))
}

fn creds() -> impl Strategy<Value = Creds> {
    prop_oneof![
        3 => Just(Creds::Default),
        1 => Just(Creds::Include),
        1 => Just(Creds::Omit),
    ]
}

/// One step, preflights and actual requests most often.
pub fn step() -> impl Strategy<Value = Step> {
    let preflight = (
        any::<bool>(),
        maybe(REQUEST_ORIGINS, 0.95),
        maybe(ACRMS, 0.9),
        maybe(ACRHS, 0.4),
    )
        .prop_map(|(bucket_url, origin, acrm, acrh)| Step::Preflight {
            on_object: !bucket_url,
            origin,
            acrm,
            acrh,
        });
    let actual = (
        select(
            &[
                ("GET", true),
                ("HEAD", true),
                ("GET", false),
                ("PUT", true),
                ("HEAD", false),
                ("DELETE", true),
            ][..],
        ),
        maybe(REQUEST_ORIGINS, 0.9),
        maybe(ACRMS, 0.15),
        creds(),
    )
        .prop_map(
            |((method, on_object), origin, acrm, credentials)| Step::Actual {
                method: method.to_string(),
                on_object,
                origin,
                acrm,
                credentials,
            },
        );
    prop_oneof![
        6 => preflight,
        4 => actual,
        1 => vec(put_rule(), 0..=2).prop_map(|rules| Step::PutCors { rules }),
        1 => pick(BAD_XML).prop_map(|xml| Step::PutCorsXml { xml }),
        1 => Just(Step::GetCors),
        1 => Just(Step::DeleteCors),
    ]
}

/// A whole scenario: 0–3 valid rules (0 = no configuration, one time in five) and 1–3 steps.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    (
        // No configuration first: shrinking moves toward earlier alternatives.
        prop_oneof![1 => Just(Vec::new()), 1 => vec(rule(), 1..=1), 3 => vec(rule(), 1..=3)],
        vec(step(), 1..=3),
    )
        .prop_map(|(rules, steps)| Scenario { rules, steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cors::CorsConfiguration;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn setup_rules_are_always_valid_and_broken_rules_never() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..300 {
            let r = rule().new_tree(&mut runner).unwrap().current();
            let cfg = CorsConfiguration { rules: vec![r] };
            assert!(cfg.validate().is_ok(), "{cfg:?}");
        }
        for how in BREAKAGES {
            let r = rule().new_tree(&mut runner).unwrap().current();
            let broken = break_rule(r, how);
            let cfg = CorsConfiguration {
                rules: vec![broken],
            };
            assert!(cfg.validate().is_err(), "{how}: {cfg:?}");
        }
    }

    #[test]
    fn bad_xml_bodies_are_refused_by_the_reference() {
        for xml in BAD_XML {
            assert!(
                CorsConfiguration::from_xml(xml.as_bytes()).is_err(),
                "{xml}"
            );
        }
    }

    #[test]
    fn request_origins_hit_and_miss_the_rule_origins() {
        use crate::cors::matching::origin_matches;
        let mut hits = 0;
        let mut misses = 0;
        for p in RULE_ORIGINS {
            for o in REQUEST_ORIGINS {
                if origin_matches(p, o) {
                    hits += 1;
                } else {
                    misses += 1;
                }
            }
        }
        // Both outcomes are common, so the generator exercises matching, not only refusal.
        assert!(hits * 5 > hits + misses, "hits {hits}, misses {misses}");
        assert!(misses * 5 > hits + misses, "hits {hits}, misses {misses}");
    }
}
