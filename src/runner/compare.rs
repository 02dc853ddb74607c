//! Comparison as text: the expected and the actual response are both rendered into the same
//! canonical, line-per-fact text, and a step passes when the two texts are equal.
//!
//! Rendering both sides the same way makes the comparison and the failure diff one and the
//! same thing: whatever differs is exactly what the `-expected +actual` diff shows, and a
//! report reader never sees a diff that disagrees with the verdict.
//!
//! What is rendered (only the parts the expectation names, so unrelated headers never fail
//! a case):
//! - `status: 403`
//! - the CORS surface, one line per header sorted by name (`access-control-allow-origin: *`);
//!   in `exact` mode every actual `Access-Control-*`/`Vary` header appears, in `listed` mode
//!   only the listed names;
//! - other named headers (`header etag: "…"`, `<absent>` for a header that is not there);
//! - S3 error fields (`error.Code: AccessForbidden`);
//! - the body, and for GetBucketCors the rules, field by field.

use crate::case::is_cors_surface;
use crate::case::model::{CorsSurface, Expect};
use crate::cors::CorsRule;
use crate::s3::S3Response;

/// Marker for a header, element or document that is not there.
pub const ABSENT: &str = "<absent>";

/// Expected and actual canonical texts of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub expected: String,
    pub actual: String,
}

impl Rendered {
    /// Whether the expectation held.
    pub fn matches(&self) -> bool {
        self.expected == self.actual
    }
}

/// Replaces `${bucket}` with the trial's bucket name.
pub fn subst(s: &str, bucket: &str) -> String {
    s.replace("${bucket}", bucket)
}

/// Renders both sides of one step's comparison.
pub fn render(expect: &Expect, resp: &S3Response, bucket: &str) -> Rendered {
    let mut exp = Vec::new();
    let mut act = Vec::new();
    exp.push(format!("status: {}", expect.status));
    act.push(format!("status: {}", resp.status));

    // CORS surface.
    let mut listed: Vec<(String, String)> = expect
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), subst(v, bucket)))
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, v) in &listed {
        exp.push(format!("{n}: {}", one_line(v)));
    }
    match expect.cors_surface {
        CorsSurface::Exact => {
            let mut actual: Vec<(String, &str)> = resp
                .headers
                .iter()
                .filter(|(n, _)| is_cors_surface(n))
                .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
                .collect();
            actual.sort_by(|a, b| a.0.cmp(&b.0));
            for (n, v) in actual {
                act.push(format!("{n}: {}", one_line(v)));
            }
        }
        CorsSurface::Listed => {
            for (n, _) in &listed {
                let values = resp.header_values(n);
                if values.is_empty() {
                    act.push(format!("{n}: {ABSENT}"));
                }
                for v in values {
                    act.push(format!("{n}: {}", one_line(v)));
                }
            }
        }
    }

    // Other headers.
    for (n, v) in expect.other_headers.iter() {
        let n = n.to_ascii_lowercase();
        match v {
            Some(v) => exp.push(format!("header {n}: {}", one_line(&subst(v, bucket)))),
            None => exp.push(format!("header {n}: {ABSENT}")),
        }
        let values = resp.header_values(&n);
        if values.is_empty() {
            act.push(format!("header {n}: {ABSENT}"));
        }
        for v in values {
            act.push(format!("header {n}: {}", one_line(v)));
        }
    }

    // S3 error document.
    if let Some(err) = &expect.error {
        let parsed = crate::s3::parse_error_body(&resp.body);
        for (name, v) in err.fields() {
            exp.push(format!(
                "error.{name}: {}",
                v.map(|v| one_line(&subst(&v, bucket)))
                    .unwrap_or_else(|| ABSENT.to_string())
            ));
            let actual = match &parsed {
                None => "<no S3 error document>".to_string(),
                Some(p) => p
                    .get(&name)
                    .map(one_line)
                    .unwrap_or_else(|| ABSENT.to_string()),
            };
            act.push(format!("error.{name}: {actual}"));
        }
    }

    // Body.
    if let Some(body) = &expect.body {
        exp.push(format!("body: {}", one_line(&subst(body, bucket))));
        act.push(format!(
            "body: {}",
            one_line(&String::from_utf8_lossy(&resp.body))
        ));
    }

    // GetBucketCors rules.
    if let Some(rules) = &expect.rules {
        let expected: Vec<CorsRule> = rules.iter().map(|r| subst_rule(r, bucket)).collect();
        match parse_rules(&resp.body) {
            Some(actual) => {
                let n = expected.len().max(actual.len());
                exp.push(format!("rules: {}", expected.len()));
                act.push(format!("rules: {}", actual.len()));
                for i in 0..n {
                    render_rule(&mut exp, i, expected.get(i));
                    render_rule(&mut act, i, actual.get(i));
                }
            }
            None => {
                exp.push(format!("rules: {}", expected.len()));
                act.push("rules: <not a CORSConfiguration document>".to_string());
            }
        }
    }

    let mut expected = exp.join("\n");
    expected.push('\n');
    let mut actual = act.join("\n");
    actual.push('\n');
    Rendered { expected, actual }
}

fn subst_rule(r: &CorsRule, bucket: &str) -> CorsRule {
    let list = |v: &Vec<String>| v.iter().map(|s| subst(s, bucket)).collect();
    CorsRule {
        id: r.id.as_ref().map(|s| subst(s, bucket)),
        allowed_origins: list(&r.allowed_origins),
        allowed_methods: list(&r.allowed_methods),
        allowed_headers: list(&r.allowed_headers),
        expose_headers: list(&r.expose_headers),
        max_age_seconds: r.max_age_seconds,
    }
}

fn render_rule(out: &mut Vec<String>, i: usize, rule: Option<&CorsRule>) {
    let n = i + 1;
    let Some(r) = rule else {
        out.push(format!("rule {n}: {ABSENT}"));
        return;
    };
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    out.push(format!(
        "rule {n}.id: {}",
        r.id.as_deref().unwrap_or(ABSENT)
    ));
    out.push(format!(
        "rule {n}.allowed_origins: {}",
        list(&r.allowed_origins)
    ));
    out.push(format!(
        "rule {n}.allowed_methods: {}",
        list(&r.allowed_methods)
    ));
    out.push(format!(
        "rule {n}.allowed_headers: {}",
        list(&r.allowed_headers)
    ));
    out.push(format!(
        "rule {n}.expose_headers: {}",
        list(&r.expose_headers)
    ));
    out.push(format!(
        "rule {n}.max_age_seconds: {}",
        r.max_age_seconds
            .map(|m| m.to_string())
            .unwrap_or_else(|| ABSENT.to_string())
    ));
}

/// Reads the rules of a GetBucketCors body leniently (any namespace, any element order, no
/// validation: the point is to compare what the server returned, not to judge its XML).
pub fn parse_rules(body: &[u8]) -> Option<Vec<CorsRule>> {
    let root = crate::target::s3xml::parse(body)?;
    if root.name != "CORSConfiguration" {
        return None;
    }
    let rules = root
        .children_named("CORSRule")
        .map(|r| {
            let texts = |name: &str| -> Vec<String> {
                r.children_named(name).map(|c| c.text.clone()).collect()
            };
            CorsRule {
                id: r.child("ID").map(|c| c.text.clone()),
                allowed_origins: texts("AllowedOrigin"),
                allowed_methods: texts("AllowedMethod"),
                allowed_headers: texts("AllowedHeader"),
                expose_headers: texts("ExposeHeader"),
                max_age_seconds: r
                    .child("MaxAgeSeconds")
                    .and_then(|c| c.text.trim().parse().ok()),
            }
        })
        .collect();
    Some(rules)
}

/// Keeps a value on one line: control characters (CR, LF, …) are shown escaped.
fn one_line(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.escape_debug().to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::OrderedMap;

    fn expect(status: u16) -> Expect {
        Expect {
            status,
            headers: OrderedMap::default(),
            cors_surface: CorsSurface::Exact,
            other_headers: OrderedMap::default(),
            error: None,
            body: None,
            rules: None,
        }
    }

    fn resp(status: u16, headers: &[(&str, &str)]) -> S3Response {
        S3Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn exact_surface_fails_on_extra_cors_header() {
        let e = expect(200);
        let r = render(&e, &resp(200, &[("vary", "Origin"), ("etag", "x")]), "b");
        assert!(!r.matches());
        assert_eq!(r.actual, "status: 200\nvary: Origin\n");
    }

    #[test]
    fn listed_surface_ignores_unlisted_and_names_absent() {
        let mut e = expect(200);
        e.cors_surface = CorsSurface::Listed;
        e.headers = OrderedMap(vec![("Access-Control-Allow-Origin".into(), "*".into())]);
        let r = render(&e, &resp(200, &[("vary", "Origin")]), "b");
        assert_eq!(
            r.actual,
            "status: 200\naccess-control-allow-origin: <absent>\n"
        );
        let r = render(
            &e,
            &resp(
                200,
                &[("vary", "Origin"), ("access-control-allow-origin", "*")],
            ),
            "b",
        );
        assert!(r.matches());
    }

    #[test]
    fn rules_parse_leniently() {
        let body = br#"<?xml version="1.0"?><CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>30</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
        let rules = parse_rules(body).unwrap();
        assert_eq!(rules[0].allowed_methods, vec!["GET"]);
        assert_eq!(rules[0].max_age_seconds, Some(30));
    }
}
