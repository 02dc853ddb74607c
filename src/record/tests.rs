use super::*;
use crate::case::parse_case;

fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> ObservedStep {
    ObservedStep {
        response: S3Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        },
        vars: Vec::new(),
    }
}

fn record(src: &str, obs: &[ObservedStep]) -> String {
    let case = parse_case("x", "x.yaml", src).unwrap();
    let r = record_text(src, &case, obs, "b-123", None, &Options::default());
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    r.text
}

const HEAD: &str = "# a comment\ntitle: t\nsteps:\n";

fn preflight() -> ObservedStep {
    resp(
        200,
        &[
            ("x-amz-request-id", "R1"),
            ("access-control-allow-origin", "http://a.example"),
            ("vary", "Origin"),
        ],
        "",
    )
}

#[test]
fn a_blank_step_gets_the_canonical_block() {
    let src = format!(
        "{HEAD}  - request: {{method: OPTIONS, key: k}}\n    expect: record\n  - request: {{method: GET, key: k}}\n"
    );
    let denied = resp(
        403,
        &[("date", "today")],
        "<Error><Code>AccessDenied</Code><Message>No \"way\" for b-123</Message><RequestId>X</RequestId></Error>",
    );
    let out = record(&src, &[preflight(), denied]);
    assert_eq!(
        out,
        format!(
            "{HEAD}  - request: {{method: OPTIONS, key: k}}\n    expect:\n      status: 200\n      headers:\n        Access-Control-Allow-Origin: \"http://a.example\"\n        Vary: \"Origin\"\n  - request: {{method: GET, key: k}}\n    expect:\n      status: 403\n      error:\n        code: \"AccessDenied\"\n        message: \"No \\\"way\\\" for ${{bucket}}\"\n"
        )
    );
    // Recorded text loads and records to itself.
    assert_eq!(
        record(
            &out,
            &[
                preflight(),
                resp(
                    403,
                    &[],
                    "<Error><Code>AccessDenied</Code><Message>No \"way\" for b-123</Message></Error>"
                )
            ]
        ),
        out
    );
}

#[test]
fn only_changed_values_are_rewritten_and_comments_stay() {
    let src = format!(
        "{HEAD}  - request:\n      method: OPTIONS   # the preflight\n    expect:\n      # the status matters\n      status: 200\n      headers:\n        Access-Control-Allow-Origin: http://old.example   # plain, changed\n        Vary: Origin\n      other_headers:\n        x-amz-request-id: keep-me\n"
    );
    let out = record(&src, &[preflight()]);
    assert_eq!(
        out,
        format!(
            "{HEAD}  - request:\n      method: OPTIONS   # the preflight\n    expect:\n      # the status matters\n      status: 200\n      headers:\n        Access-Control-Allow-Origin: \"http://a.example\"   # plain, changed\n        Vary: Origin\n      other_headers:\n        x-amz-request-id: keep-me\n"
        ),
        "only the changed header value is rewritten (its comment kept); the volatile request id is kept"
    );
}

#[test]
fn headers_come_and_go_and_sections_appear_in_place() {
    let src = format!(
        "{HEAD}  - request: {{method: OPTIONS}}\n    expect:\n      status: 403\n      body: \"x\"\n"
    );
    let out = record(&src, &[resp(200, &[("vary", "Origin")], "x")]);
    assert_eq!(
        out,
        format!(
            "{HEAD}  - request: {{method: OPTIONS}}\n    expect:\n      status: 200\n      headers:\n        Vary: \"Origin\"\n      body: \"x\"\n"
        )
    );
    let back = record(&out, &[resp(403, &[], "x")]);
    assert_eq!(
        back,
        format!(
            "{HEAD}  - request: {{method: OPTIONS}}\n    expect:\n      status: 403\n      body: \"x\"\n"
        )
    );
}

#[test]
fn flow_expectations_stay_until_they_change() {
    let src = format!("{HEAD}  - request: {{method: GET}}\n    expect: {{status: 200}}\n");
    assert_eq!(record(&src, &[resp(200, &[], "")]), src);
    assert_eq!(
        record(&src, &[resp(404, &[], "")]),
        format!("{HEAD}  - request: {{method: GET}}\n    expect:\n      status: 404\n")
    );
}

#[test]
fn captured_values_and_the_bucket_are_written_as_variables() {
    let src = format!(
        "{HEAD}  - request: {{method: GET}}\n    expect:\n      status: 200\n      other_headers:\n        Location: ~\n"
    );
    let mut o = resp(200, &[("location", "/b-123/u-77")], "");
    o.vars = vec![("upload".into(), "u-77".into())];
    assert_eq!(
        record(&src, &[o]),
        format!(
            "{HEAD}  - request: {{method: GET}}\n    expect:\n      status: 200\n      other_headers:\n        Location: \"/${{bucket}}/${{upload}}\"\n"
        )
    );
}

#[test]
fn a_step_without_expect_gets_one_at_its_end() {
    let src = format!(
        "{HEAD}  - request:\n      method: GET\n    # trailing\n  - request: {{method: PUT}}\n    expect: {{status: 200}}\n"
    );
    let out = record(&src, &[resp(204, &[], ""), resp(200, &[], "")]);
    assert_eq!(
        out,
        format!(
            "{HEAD}  - request:\n      method: GET\n    expect:\n      status: 204\n    # trailing\n  - request: {{method: PUT}}\n    expect: {{status: 200}}\n"
        )
    );
}

#[test]
fn unrecorded_cases_load_and_say_so() {
    let src = format!(
        "{HEAD}  - request: {{method: GET}}\n  - request: {{method: GET}}\n    expect: record\n  - request: {{method: GET}}\n    expect: {{status: 200}}\n"
    );
    let c = parse_case("x", "x.yaml", &src).unwrap();
    assert_eq!(c.unrecorded_steps(), vec![1, 2]);
    let e = parse_case(
        "x",
        "x.yaml",
        &format!("{HEAD}  - request: {{method: GET}}\n    expect: maybe\n"),
    )
    .unwrap_err();
    assert!(e[0].to_string().contains("the word 'record'"), "{}", e[0]);
}

#[test]
fn plain_scalars_are_only_used_where_they_read_back() {
    for s in ["ETag", "x-amz-*", "http://a.example"] {
        assert!(plain_ok(s), "{s}");
    }
    for s in [
        "*", "true", "3000", "a, b", "a: b", "", " a", "~", "#x", "1.5",
    ] {
        assert!(!plain_ok(s), "{s}");
    }
}

#[test]
fn trailing_comments_are_found_outside_quotes_only() {
    assert_eq!(
        trailing_comment("  a: \"x # y\"  # z").as_deref(),
        Some("  # z")
    );
    assert_eq!(trailing_comment("  a: \"x \\\" # y\"").as_deref(), None);
    assert_eq!(trailing_comment("  a: plain # c").as_deref(), Some(" # c"));
    assert_eq!(
        trailing_comment("  a: 'it''s' # c").as_deref(),
        Some(" # c")
    );
    assert_eq!(trailing_comment("  a: {b: 1} # c"), None);
    assert_eq!(trailing_comment("  a: b#c"), None);
}
