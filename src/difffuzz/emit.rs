//! Scenarios as case files, in the corpus format (`docs/case-format.md`).
//!
//! Why text first: the case the fuzzer compares with is parsed from exactly the YAML it
//! writes ([`crate::case::parse_case`]), so a written finding is the same test the fuzzer ran,
//! never a re-rendering that could drift. Every string is written as a JSON string literal,
//! which is a valid YAML double-quoted scalar, so odd values (`" http://x"`, `""`, `,`) survive.
//!
//! Expectations come from the reference's answers ([`StepExpect::from_response`]): the status,
//! the whole CORS surface (`cors_surface: exact`), the S3 error fields a client sees (not the
//! volatile `RequestId`/`HostId`), and for GetBucketCors the rules. The bucket's name is
//! written as `${bucket}`.

use super::generate::{Creds, OBJECT_BODY, OBJECT_KEY, Scenario, Step};
use crate::case::is_cors_surface;
use crate::cors::{CorsConfiguration, CorsRule};
use crate::target::S3Response;
use std::fmt::Write;

/// What the reference answered to one step, as the case's `expect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepExpect {
    pub status: u16,
    /// The CORS surface, lower-case names, wire order.
    pub headers: Vec<(String, String)>,
    /// S3 error elements by XML name, document order (without `RequestId`/`HostId`).
    pub error: Vec<(String, String)>,
    /// GetBucketCors 200: the rules.
    pub rules: Option<Vec<CorsRule>>,
}

impl StepExpect {
    /// The expectation for `resp`, with `bucket` replaced by `${bucket}`.
    pub fn from_response(resp: &S3Response, bucket: &str, get_cors: bool) -> StepExpect {
        let unsubst = |s: &str| s.replace(bucket, "${bucket}");
        let headers = resp
            .headers
            .iter()
            .filter(|(n, _)| is_cors_surface(n))
            .map(|(n, v)| (n.to_ascii_lowercase(), unsubst(v)))
            .collect();
        let error = crate::s3::parse_error_body(&resp.body)
            .map(|e| {
                e.elements
                    .into_iter()
                    .filter(|(n, _)| n != "RequestId" && n != "HostId")
                    .map(|(n, v)| (n, unsubst(&v)))
                    .collect()
            })
            .unwrap_or_default();
        let rules = (get_cors && resp.status == 200)
            .then(|| CorsConfiguration::from_xml(&resp.body).ok())
            .flatten()
            .map(|c| c.rules);
        StepExpect {
            status: resp.status,
            headers,
            error,
            rules,
        }
    }
}

/// The comment and metadata lines of a written case.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// Comment lines (without `# `).
    pub comments: Vec<String>,
    pub title: String,
    pub tags: Vec<String>,
}

/// `s` as a YAML scalar (a JSON string literal).
pub fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn q_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

fn write_rules(out: &mut String, indent: &str, rules: &[CorsRule]) {
    if rules.is_empty() {
        let _ = writeln!(out, " []");
        return;
    }
    out.push('\n');
    for r in rules {
        let _ = writeln!(
            out,
            "{indent}- allowed_origins: {}",
            q_list(&r.allowed_origins)
        );
        let _ = writeln!(
            out,
            "{indent}  allowed_methods: {}",
            q_list(&r.allowed_methods)
        );
        if let Some(id) = &r.id {
            let _ = writeln!(out, "{indent}  id: {}", q(id));
        }
        if !r.allowed_headers.is_empty() {
            let _ = writeln!(
                out,
                "{indent}  allowed_headers: {}",
                q_list(&r.allowed_headers)
            );
        }
        if !r.expose_headers.is_empty() {
            let _ = writeln!(
                out,
                "{indent}  expose_headers: {}",
                q_list(&r.expose_headers)
            );
        }
        if let Some(m) = r.max_age_seconds {
            let _ = writeln!(out, "{indent}  max_age_seconds: {m}");
        }
    }
}

/// The spec rules a scenario exercises (for `spec:`).
pub fn spec_rules(scn: &Scenario) -> Vec<&'static str> {
    let mut v = Vec::new();
    if !scn.rules.is_empty() {
        v.push("2.1");
    }
    for s in &scn.steps {
        let add: &[&'static str] = match s {
            Step::Preflight { .. } => &["3.1", "3.2"],
            Step::Actual { .. } => &["4.1"],
            Step::PutCors { .. } | Step::PutCorsXml { .. } => &["1.1", "1.3"],
            Step::GetCors => &["1.5"],
            Step::DeleteCors => &["1.6"],
        };
        for a in add {
            if !v.contains(a) {
                v.push(a);
            }
        }
    }
    v
}

fn write_expect(out: &mut String, e: Option<&StepExpect>) {
    let Some(e) = e else {
        // Placeholder while the reference has not answered yet (never written to a file).
        let _ = writeln!(
            out,
            "    expect:\n      status: 200\n      cors_surface: listed"
        );
        return;
    };
    let _ = writeln!(out, "    expect:\n      status: {}", e.status);
    if !e.headers.is_empty() {
        let _ = writeln!(out, "      headers:");
        for (n, v) in &e.headers {
            let _ = writeln!(out, "        {}: {}", q(n), q(v));
        }
    }
    if !e.error.is_empty() {
        let _ = writeln!(out, "      error:");
        let mut elements = Vec::new();
        for (n, v) in &e.error {
            let field = match n.as_str() {
                "Code" => "code",
                "Message" => "message",
                "Method" => "method",
                "ResourceType" => "resource_type",
                "BucketName" => "bucket_name",
                _ => {
                    elements.push((n, v));
                    continue;
                }
            };
            let _ = writeln!(out, "        {field}: {}", q(v));
        }
        if !elements.is_empty() {
            let _ = writeln!(out, "        elements:");
            for (n, v) in elements {
                let _ = writeln!(out, "          {}: {}", q(n), q(v));
            }
        }
    }
    if let Some(rules) = &e.rules {
        out.push_str("      rules:");
        write_rules(out, "        ", rules);
    }
}

/// The case file for `scn`; `expects` (one per step) from the reference, or `None` for the
/// placeholder version used to build the requests.
pub fn case_yaml(scn: &Scenario, expects: Option<&[StepExpect]>, header: &Header) -> String {
    let mut out = String::new();
    for c in &header.comments {
        let _ = writeln!(out, "# {c}");
    }
    let _ = writeln!(out, "title: {}", q(&header.title));
    let spec: Vec<String> = spec_rules(scn).iter().map(|s| s.to_string()).collect();
    let _ = writeln!(out, "spec: {}", q_list(&spec));
    let _ = writeln!(out, "tags: {}", q_list(&header.tags));
    let unsettled: Vec<&str> = scn.steps.iter().filter_map(|s| s.unsettled()).collect();
    if let Some(u) = unsettled.first() {
        let _ = writeln!(out, "unsettled: {}", q(u));
    }
    out.push_str("bucket:\n");
    if !scn.rules.is_empty() {
        out.push_str("  cors:");
        write_rules(&mut out, "    ", &scn.rules);
    }
    let _ = writeln!(out, "  objects:\n    {}: {}", q(OBJECT_KEY), q(OBJECT_BODY));
    out.push_str("steps:\n");
    for (i, step) in scn.steps.iter().enumerate() {
        write_step(&mut out, step);
        write_expect(&mut out, expects.and_then(|e| e.get(i)));
    }
    out
}

fn write_step(out: &mut String, step: &Step) {
    match step {
        Step::Preflight {
            on_object,
            origin,
            acrm,
            acrh,
        } => {
            let headers: Vec<(&str, &Option<String>)> = vec![
                ("Origin", origin),
                ("Access-Control-Request-Method", acrm),
                ("Access-Control-Request-Headers", acrh),
            ];
            write_request(out, "OPTIONS", *on_object, &headers, Creds::Default);
        }
        Step::Actual {
            method,
            on_object,
            origin,
            acrm,
            credentials,
        } => {
            let headers: Vec<(&str, &Option<String>)> =
                vec![("Origin", origin), ("Access-Control-Request-Method", acrm)];
            write_request(out, method, *on_object, &headers, *credentials);
            if method == "PUT" {
                let _ = writeln!(out, "      body: {}", q("put by the fuzzer"));
            }
        }
        Step::PutCors { rules } => {
            out.push_str("  - put_bucket_cors:\n      rules:");
            write_rules(out, "        ", rules);
        }
        Step::PutCorsXml { xml } => {
            let _ = writeln!(out, "  - put_bucket_cors:\n      xml: {}", q(xml));
        }
        Step::GetCors => out.push_str("  - get_bucket_cors: {}\n"),
        Step::DeleteCors => out.push_str("  - delete_bucket_cors: {}\n"),
    }
}

fn write_request(
    out: &mut String,
    method: &str,
    on_object: bool,
    headers: &[(&str, &Option<String>)],
    credentials: Creds,
) {
    let _ = writeln!(out, "  - request:\n      method: {}", q(method));
    if on_object {
        let _ = writeln!(out, "      key: {}", q(OBJECT_KEY));
    }
    let present: Vec<(&str, &String)> = headers
        .iter()
        .filter_map(|(n, v)| v.as_ref().map(|v| (*n, v)))
        .collect();
    if !present.is_empty() {
        out.push_str("      headers:\n");
        for (n, v) in present {
            let _ = writeln!(out, "        {}: {}", q(n), q(v));
        }
    }
    match credentials {
        Creds::Default => {}
        Creds::Include => out.push_str("      credentials: include\n"),
        Creds::Omit => out.push_str("      credentials: omit\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::parse_case;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    #[test]
    fn every_generated_scenario_renders_to_a_loadable_case() {
        let mut runner = TestRunner::deterministic();
        let expect = StepExpect {
            status: 403,
            headers: vec![("vary".into(), "Origin".into())],
            error: vec![
                ("Code".into(), "AccessForbidden".into()),
                ("Message".into(), "x \"y\" ${bucket}".into()),
                ("ArgumentName".into(), "x-amz-acl".into()),
            ],
            rules: Some(vec![CorsRule {
                allowed_origins: vec!["*".into()],
                allowed_methods: vec!["GET".into()],
                ..CorsRule::default()
            }]),
        };
        for _ in 0..200 {
            let scn = super::super::generate::scenario()
                .new_tree(&mut runner)
                .unwrap()
                .current();
            let h = Header {
                comments: vec!["generated".into()],
                title: "t".into(),
                tags: vec!["fuzz".into()],
            };
            let placeholder = case_yaml(&scn, None, &h);
            let case = parse_case("fuzz/x", "x.yaml", &placeholder)
                .unwrap_or_else(|e| panic!("{e:?}\n{placeholder}"));
            assert_eq!(case.steps.len(), scn.steps.len());
            assert_eq!(case.bucket.cors.is_some(), !scn.rules.is_empty());
            let expects: Vec<StepExpect> = scn
                .steps
                .iter()
                .map(|s| StepExpect {
                    rules: expect.rules.clone().filter(|_| *s == Step::GetCors),
                    ..expect.clone()
                })
                .collect();
            let full = case_yaml(&scn, Some(&expects), &h);
            let case =
                parse_case("fuzz/x", "x.yaml", &full).unwrap_or_else(|e| panic!("{e:?}\n{full}"));
            let e = &case.steps[0].expect;
            assert_eq!(e.status, 403);
            let err = e.error.as_ref().unwrap();
            assert_eq!(err.message.as_deref(), Some("x \"y\" ${bucket}"));
            assert_eq!(
                err.elements.iter().next().map(|(k, _)| k.to_string()),
                Some("ArgumentName".to_string())
            );
            for (step, s) in case.steps.iter().zip(&scn.steps) {
                let want = (*s == Step::GetCors).then_some(1);
                assert_eq!(step.expect.rules.as_ref().map(Vec::len), want);
            }
        }
    }

    #[test]
    fn expectations_hide_the_bucket_and_volatile_ids() {
        let resp = S3Response {
            status: 404,
            headers: vec![
                ("x-amz-request-id".into(), "R".into()),
                ("Vary".into(), "Origin".into()),
            ],
            body: b"<Error><Code>NoSuchCORSConfiguration</Code><BucketName>b-1</BucketName><RequestId>R</RequestId><HostId>H</HostId></Error>".to_vec(),
        };
        let e = StepExpect::from_response(&resp, "b-1", true);
        assert_eq!(e.headers, vec![("vary".to_string(), "Origin".to_string())]);
        assert_eq!(
            e.error,
            vec![
                ("Code".to_string(), "NoSuchCORSConfiguration".to_string()),
                ("BucketName".to_string(), "${bucket}".to_string())
            ]
        );
        assert_eq!(e.rules, None);
    }
}
