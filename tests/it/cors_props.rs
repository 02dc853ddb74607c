//! Property tests of the CORS model: the matchers against deliberately simple reference
//! implementations, and the configuration XML round trip (§1.5). One rule strategy serves both.
//!
//! `crate::cors::matching` is written for speed (allocation-free, a prefix/suffix fast path for
//! the one-`*` patterns S3 allows). The references below are written for obviousness instead:
//! a recursive matcher over `char`s with no fast path, a split that walks characters one by
//! one, and a `for` loop over rules. If the fast code and the plain code ever disagree on a
//! random input, proptest shrinks it to a minimal counter-example.
//!
//! Inputs are biased towards the interesting cases: the empty string, `*` inside the input,
//! non-ASCII text, case variants of the pattern's own characters, and inputs built from the
//! pattern (so that matches are common, not just the trivially false random pairs).

use proptest::prelude::*;
use s3cors::cors::matching::{
    find_rule, header_matches, origin_matches, request_header_names, split_request_headers,
};
use s3cors::cors::{CorsConfiguration, CorsRequest, CorsRule, ResourceType};

/// Reference wildcard: `*` matches any run of characters (including none), anchored at both
/// ends, every other character compared with `eq`. Plain recursion: try every split.
fn reference_match(pattern: &[char], text: &[char], eq: &dyn Fn(char, char) -> bool) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| reference_match(rest, &text[skip..], eq)),
        Some((p, rest)) => match text.split_first() {
            Some((t, text_rest)) => eq(*p, *t) && reference_match(rest, text_rest, eq),
            None => false,
        },
    }
}

fn ref_origin(pattern: &str, origin: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = origin.chars().collect();
    reference_match(&p, &t, &|a, b| a == b)
}

/// Header names are compared ASCII case-insensitively (§2.4); non-ASCII letters are not folded.
fn ref_header(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = name.chars().collect();
    reference_match(&p, &t, &|a, b| a.eq_ignore_ascii_case(&b))
}

/// Reference split of `Access-Control-Request-Headers`: cut at every comma, strip spaces and
/// tabs from both ends of each piece, keep the non-empty pieces.
fn ref_split(acrh: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut pieces = Vec::new();
    for c in acrh.chars() {
        if c == ',' {
            pieces.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    pieces.push(current);
    for piece in pieces {
        let trimmed: String = {
            let chars: Vec<char> = piece.chars().collect();
            let mut start = 0;
            let mut end = chars.len();
            while start < end && (chars[start] == ' ' || chars[start] == '\t') {
                start += 1;
            }
            while end > start && (chars[end - 1] == ' ' || chars[end - 1] == '\t') {
                end -= 1;
            }
            chars[start..end].iter().collect()
        };
        if !trimmed.is_empty() {
            out.push(trimmed);
        }
    }
    out
}

/// Reference first-match: a plain loop over rules, origins, methods and requested headers.
fn ref_find_rule(
    rules: &[CorsRule],
    origin: Option<&str>,
    method: &str,
    acrh: Option<&str>,
) -> Option<usize> {
    let origin = origin?;
    let names = ref_split(acrh.unwrap_or(""));
    for (i, rule) in rules.iter().enumerate() {
        let mut origin_ok = false;
        for o in &rule.allowed_origins {
            if ref_origin(o, origin) {
                origin_ok = true;
            }
        }
        let mut method_ok = false;
        for m in &rule.allowed_methods {
            if m == method {
                method_ok = true;
            }
        }
        let mut headers_ok = true;
        for name in &names {
            let mut one = false;
            for h in &rule.allowed_headers {
                if ref_header(h, name) {
                    one = true;
                }
            }
            if !one {
                headers_ok = false;
            }
        }
        if origin_ok && method_ok && headers_ok {
            return Some(i);
        }
    }
    None
}

/// Characters that make origins interesting: URL punctuation, `*`, case pairs, non-ASCII.
fn origin_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::sample::select(vec!['a', 'b', 'A', 'B', 'e', 'E', 'x', '.', ':', '/', '-', '0', '8']),
        1 => Just('*'),
        1 => prop::sample::select(vec!['é', 'É', 'ß', 'ı', 'K', '\u{212A}', '日', '🦀', '%', '_', '`']),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop::collection::vec(
        origin_char().prop_filter("no star in literals", |c| *c != '*'),
        0..8,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Patterns of the shapes S3 accepts: no `*`, exactly one `*` anywhere, or `*` alone.
fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        literal(),
        (literal(), literal()).prop_map(|(a, b)| format!("{a}*{b}")),
        Just("*".to_string()),
    ]
}

/// Flips the ASCII case of some characters (driven by `mask`).
fn recase(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// Inputs: arbitrary, or derived from the pattern (star replaced, case flipped, one char
/// dropped) so that both outcomes are frequent.
fn input_for(pattern: String) -> impl Strategy<Value = (String, String)> {
    let p = pattern.clone();
    prop_oneof![
        prop::collection::vec(origin_char(), 0..12).prop_map(|v| v.into_iter().collect::<String>()),
        Just(String::new()),
        literal().prop_map(move |fill| p.replace('*', &fill)),
        (literal(), any::<u64>()).prop_map({
            let p = pattern.clone();
            move |(fill, mask)| recase(&p.replace('*', &fill), mask)
        }),
        (literal(), any::<prop::sample::Index>()).prop_map({
            let p = pattern.clone();
            move |(fill, idx)| {
                let mut chars: Vec<char> = p.replace('*', &fill).chars().collect();
                if !chars.is_empty() {
                    chars.remove(idx.index(chars.len()));
                }
                chars.into_iter().collect()
            }
        }),
    ]
    .prop_map(move |input| (pattern.clone(), input))
}

fn pattern_and_input() -> impl Strategy<Value = (String, String)> {
    pattern().prop_flat_map(input_for)
}

fn acrh() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "x-amz-date",
            "X-Amz-Date",
            "content-type",
            " ",
            "\t",
            ",",
            ",,",
            "a",
            "é",
            "*",
            "x-",
            "",
        ]),
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

/// Rules of the shapes S3 accepts and a few it refuses: origin patterns from [`pattern`],
/// methods (one lower-case, which S3 refuses), headers with wildcards and XML-special
/// characters, and an optional ID (any printable text), expose headers and max age.
fn rule() -> impl Strategy<Value = CorsRule> {
    (
        prop::option::of("[ -~\t\n\ré]{0,12}"),
        prop::collection::vec(pattern(), 1..3),
        prop::collection::vec(
            prop::sample::select(vec!["GET", "PUT", "HEAD", "POST", "DELETE", "get"]),
            1..3,
        ),
        prop::collection::vec(
            prop::sample::select(vec![
                "*",
                "x-amz-*",
                "Content-Type",
                "X-AMZ-DATE",
                "a",
                "x-*-date",
                "<a&'\">",
            ]),
            0..3,
        ),
        prop::collection::vec("[A-Za-z0-9-]{0,8}", 0..3),
        prop::option::of(any::<i32>()),
    )
        .prop_map(
            |(id, origins, methods, headers, expose, max_age)| CorsRule {
                id,
                allowed_origins: origins,
                allowed_methods: methods.into_iter().map(str::to_string).collect(),
                allowed_headers: headers.into_iter().map(str::to_string).collect(),
                expose_headers: expose,
                max_age_seconds: max_age.map(i64::from),
            },
        )
}

/// A rule S3 accepts: [`rule`] with its methods upper-cased.
fn valid_rule() -> impl Strategy<Value = CorsRule> {
    rule().prop_map(|mut r| {
        for m in &mut r.allowed_methods {
            *m = m.to_ascii_uppercase();
        }
        r
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn origin_matcher_agrees_with_reference((pattern, origin) in pattern_and_input()) {
        prop_assert_eq!(
            origin_matches(&pattern, &origin),
            ref_origin(&pattern, &origin),
            "pattern {:?} origin {:?}", pattern, origin
        );
    }

    #[test]
    fn header_matcher_agrees_with_reference((pattern, name) in pattern_and_input()) {
        prop_assert_eq!(
            header_matches(&pattern, &name),
            ref_header(&pattern, &name),
            "pattern {:?} name {:?}", pattern, name
        );
    }

    #[test]
    fn star_alone_matches_everything(s in ".*") {
        prop_assert!(origin_matches("*", &s));
        prop_assert!(header_matches("*", &s));
    }

    #[test]
    fn origin_matching_is_case_sensitive_header_matching_is_not(
        (pattern, input) in literal().prop_flat_map(|p| (Just(p), any::<u64>()))
    ) {
        let recased = recase(&pattern, input);
        prop_assert_eq!(origin_matches(&pattern, &recased), pattern == recased);
        prop_assert!(header_matches(&pattern, &recased));
    }

    #[test]
    fn split_agrees_with_naive_split(s in acrh()) {
        prop_assert_eq!(split_request_headers(&s), ref_split(&s));
        let borrowed: Vec<&str> = request_header_names(&s).collect();
        prop_assert_eq!(borrowed, ref_split(&s));
    }

    #[test]
    fn split_of_arbitrary_text_agrees(s in "\\PC*") {
        prop_assert_eq!(split_request_headers(&s), ref_split(&s));
    }

    #[test]
    fn find_rule_is_first_match_of_a_linear_scan(
        rules in prop::collection::vec(rule(), 0..5),
        origin in prop::option::weighted(0.9, prop::collection::vec(origin_char(), 0..10)
            .prop_map(|v| v.into_iter().collect::<String>())),
        method in prop::sample::select(vec!["GET", "PUT", "HEAD", "POST", "DELETE", "get", "OPTIONS"]),
        acrm in prop::option::of(prop::sample::select(vec!["GET", "PUT", "DELETE", "put"])),
        headers in prop::option::of(acrh()),
    ) {
        let config = CorsConfiguration { rules };
        let req = CorsRequest {
            method,
            origin: origin.as_deref(),
            request_method: acrm,
            request_headers: headers.as_deref(),
            resource: ResourceType::Object,
        };
        let effective = acrm.unwrap_or(method);
        prop_assert_eq!(
            find_rule(&config, &req),
            ref_find_rule(&config.rules, origin.as_deref(), effective, headers.as_deref())
        );
    }

    #[test]
    fn find_rule_with_an_origin_drawn_from_a_rule_matches_some_rule(
        rules in prop::collection::vec(rule(), 1..5),
        pick in any::<prop::sample::Index>(),
        fill in literal(),
    ) {
        // An origin built from one of the rule's own patterns matches that pattern, so the
        // reference scan finds a rule whenever the method also fits; both must agree.
        let all: Vec<&String> = rules.iter().flat_map(|r| r.allowed_origins.iter()).collect();
        let origin = pick.get(&all).replace('*', &fill);
        let config = CorsConfiguration { rules };
        let req = CorsRequest {
            method: "GET",
            origin: Some(&origin),
            request_method: None,
            request_headers: None,
            resource: ResourceType::Bucket,
        };
        prop_assert_eq!(
            find_rule(&config, &req),
            ref_find_rule(&config.rules, Some(&origin), "GET", None)
        );
    }
}

proptest! {
    #[test]
    fn spec_1_5_round_trip(rules in prop::collection::vec(valid_rule(), 1..5)) {
        let c = CorsConfiguration { rules };
        prop_assert_eq!(c.validate(), Ok(()));
        prop_assert_eq!(CorsConfiguration::from_xml(c.to_xml().as_bytes()), Ok(c));
    }

    #[test]
    fn from_xml_never_panics(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = CorsConfiguration::from_xml(&body);
    }
}

#[test]
fn reference_sanity() {
    // The reference itself, on the spec's own examples (§2.2, §2.4).
    assert!(ref_origin("http://*.example.com", "http://www.example.com"));
    assert!(ref_origin("http://*.example.com", "http://.example.com"));
    assert!(!ref_origin(
        "http://*.example.com",
        "https://www.example.com"
    ));
    assert!(ref_origin("*", ""));
    assert!(!ref_origin("a", "A"));
    assert!(ref_header("x-amz-*", "X-Amz-Date"));
    assert!(!ref_header("é", "É"));
    assert_eq!(ref_split(" a ,\tb,, "), vec!["a", "b"]);
}
