//! The signature of a difference: which step kind, which header or field differs, and how.
//!
//! Why a signature: a fuzzer that reports every failing input buries the reader; the same
//! deviation ("LocalStack drops `Vary` on preflights") shows up in hundreds of inputs. Two
//! differences with the same signature are one *deviation class*: the fuzzer shrinks one
//! input per class and writes one case file per class.
//!
//! The signature is read from the runner's own `-expected +actual` diff (the canonical text
//! of [`crate::runner::compare`]), so it can never disagree with the runner's verdict, and it
//! is computed the same way for a fuzz finding and for a corpus failure in a results file.
//!
//! How a field differs:
//! - `missing` (expected, absent), `extra` (absent from the expectation, present);
//! - for the status and the enumerated S3 error fields (`Code`, `ResourceType`, `Method`) the
//!   two values (`status 200→403`), because that *is* the class;
//! - for other values a shape: `case` (equal ignoring ASCII case), `order` (same comma list in
//!   another order), `star` (the target said `*`), `subset`/`superset` (comma lists), else
//!   `value`.
//!
//! The browser level is part of the signature (`browser-same` or `browser-differs`): a
//! difference that changes what a page can do is a different class from one that does not.

use crate::runner::compare::ABSENT;
use std::collections::BTreeMap;

/// The kind of step a label names (`OPTIONS fuzz.txt` → `preflight`).
pub fn step_kind(label: &str) -> String {
    let method = label.split(' ').next().unwrap_or("");
    let on_bucket = label.ends_with("<bucket>");
    match method {
        "OPTIONS" if on_bucket => "preflight-bucket".into(),
        "OPTIONS" => "preflight".into(),
        "PutBucketCors" | "GetBucketCors" | "DeleteBucketCors" => method.into(),
        m if on_bucket => format!("{m}-bucket"),
        m => m.to_string(),
    }
}

/// Whether the browser verdicts agree, as far as the runner could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserLevel {
    /// Same verdict (or no cross-origin step to judge).
    Same,
    /// A step a page makes would be judged differently.
    Differs,
}

/// The signature of one failing step: `preflight: status 200→403, access-control-allow-origin missing [browser-differs]`.
pub fn of_diff(label: &str, diff: &str, browser: BrowserLevel) -> String {
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut actual: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in diff.lines() {
        let (side, rest) = match line.split_at_checked(1) {
            Some(("-", rest)) => (&mut expected, rest),
            Some(("+", rest)) => (&mut actual, rest),
            _ => continue,
        };
        let (key, value) = rest.split_once(": ").unwrap_or((rest, ""));
        side.entry(field_key(key))
            .or_default()
            .push(value.to_string());
    }
    let mut keys: Vec<&String> = expected.keys().chain(actual.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut parts = Vec::new();
    for key in keys {
        let e = present(expected.get(key));
        let a = present(actual.get(key));
        let how = match (e, a) {
            (None, None) => continue,
            (Some(_), None) => format!("{key} missing"),
            (None, Some(_)) => format!("{key} extra"),
            (Some(e), Some(a)) if enumerated(key) => format!("{key} {e}→{a}"),
            (Some(e), Some(a)) => format!("{key} {}", shape(&e, &a)),
        };
        parts.push(how);
    }
    if parts.is_empty() {
        parts.push("line order".into());
    }
    let level = match browser {
        BrowserLevel::Same => "browser-same",
        BrowserLevel::Differs => "browser-differs",
    };
    format!("{}: {} [{level}]", step_kind(label), parts.join(", "))
}

/// A signature taken apart: its step kind and its parts (`status 200→403`, …), without the
/// browser level.
pub fn split(signature: &str) -> (String, Vec<String>) {
    let (kind, rest) = signature.split_once(": ").unwrap_or(("", signature));
    let rest = match rest.rfind(" [") {
        Some(i) => &rest[..i],
        None => rest,
    };
    (
        kind.to_string(),
        rest.split(", ").map(str::to_string).collect(),
    )
}

/// The signature of a case that could not even be set up on the target.
pub fn of_setup(reason: &str) -> String {
    // `set-up: PutBucketCors answered 400 MalformedXML` — no bucket names, stable.
    format!("set-up: {}", reason.trim_start_matches("set-up: "))
}

/// `rule 2.allowed_methods` → `rules.allowed_methods` (which rule is not the class).
fn field_key(key: &str) -> String {
    match key.strip_prefix("rule ") {
        Some(rest) => match rest.split_once('.') {
            Some((_, field)) => format!("rules.{field}"),
            None => "rules".into(),
        },
        None => key.to_string(),
    }
}

fn present(values: Option<&Vec<String>>) -> Option<String> {
    let v: Vec<&str> = values?
        .iter()
        .map(String::as_str)
        .filter(|v| *v != ABSENT && !v.starts_with("<no S3 error"))
        .collect();
    (!v.is_empty()).then(|| v.join(" | "))
}

fn enumerated(key: &str) -> bool {
    matches!(
        key,
        "status" | "error.Code" | "error.ResourceType" | "error.Method" | "rules"
    )
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn shape(expected: &str, actual: &str) -> &'static str {
    if expected.eq_ignore_ascii_case(actual) {
        return "case";
    }
    if actual == "*" {
        return "star";
    }
    let (e, a) = (list(expected), list(actual));
    let contains = |outer: &[String], inner: &[String]| {
        inner
            .iter()
            .all(|i| outer.iter().any(|o| o.eq_ignore_ascii_case(i)))
    };
    if e.len() > 1 || a.len() > 1 {
        if e.len() == a.len() && contains(&e, &a) {
            return "order";
        }
        if contains(&e, &a) {
            return "subset";
        }
        if contains(&a, &e) {
            return "superset";
        }
    }
    "value"
}

/// A file-name slug for a signature: the readable part, cut short, plus a hash of the whole
/// (so two signatures never share a file).
pub fn slug(signature: &str) -> String {
    let mut s = String::new();
    for c in signature.chars() {
        let c = c.to_ascii_lowercase();
        let c = match c {
            'a'..='z' | '0'..='9' => c,
            _ => '-',
        };
        if c == '-' && (s.is_empty() || s.ends_with('-')) {
            continue;
        }
        s.push(c);
    }
    let readable: String = abbreviate(s.trim_end_matches('-'));
    let cut: String = readable.chars().take(60).collect();
    format!(
        "{}-{:08x}",
        cut.trim_end_matches('-'),
        crc32fast::hash(signature.as_bytes())
    )
}

fn abbreviate(s: &str) -> String {
    s.replace("access-control-allow-", "acao-")
        .replace("access-control-expose-", "aceh-")
        .replace("access-control-max-age", "max-age")
        .replace("browser-", "b-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_name_the_field_and_how_it_differs() {
        let diff = " status: 200\n-access-control-allow-credentials: true\n-access-control-allow-methods: GET, PUT\n+access-control-allow-methods: PUT, GET\n-access-control-allow-origin: http://a\n+access-control-allow-origin: *\n+access-control-max-age: 5\n";
        assert_eq!(
            of_diff("OPTIONS fuzz.txt", diff, BrowserLevel::Differs),
            "preflight: access-control-allow-credentials missing, access-control-allow-methods order, access-control-allow-origin star, access-control-max-age extra [browser-differs]"
        );
        let diff = "-status: 403\n+status: 200\n-error.Code: AccessForbidden\n+error.Code: <no S3 error document>\n";
        assert_eq!(
            of_diff("GET <bucket>", diff, BrowserLevel::Same),
            "GET-bucket: error.Code missing, status 403→200 [browser-same]"
        );
        let diff = "-rule 2.allowed_methods: [GET]\n+rule 2.allowed_methods: [get]\n";
        assert_eq!(
            of_diff("GetBucketCors", diff, BrowserLevel::Same),
            "GetBucketCors: rules.allowed_methods case [browser-same]"
        );
    }

    #[test]
    fn slugs_are_readable_short_and_distinct() {
        let a = slug("preflight: access-control-allow-origin star [browser-same]");
        let b = slug("preflight: access-control-allow-origin star [browser-differs]");
        assert!(a.starts_with("preflight-acao-origin-star-b-same-"), "{a}");
        assert_ne!(a, b);
        assert!(a.len() <= 70, "{a}");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn signatures_split_into_kind_and_parts() {
        let (kind, parts) = split("preflight: status 200→403, vary missing [browser-differs]");
        assert_eq!(kind, "preflight");
        assert_eq!(parts, vec!["status 200→403", "vary missing"]);
    }

    #[test]
    fn list_shapes() {
        assert_eq!(shape("GET, PUT", "GET"), "subset");
        assert_eq!(shape("GET", "GET, PUT"), "superset");
        assert_eq!(shape("Origin", "origin"), "case");
        assert_eq!(shape("a", "b"), "value");
    }
}
