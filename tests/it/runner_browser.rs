//! The browser level in results (issue 7, item 2): every cross-origin request step carries the
//! browser's verdict on the actual and on the expected response, and each case says whether
//! the target is browser-equivalent to Amazon S3, independently of exact conformance.

use crate::util;
use s3cors::case::{Action, Case};
use s3cors::results::{CaseResult, Outcome};
use s3cors::runner;

/// Runs `cases` one by one against a fresh embedded target and returns their results.
fn run(cases: &[Case]) -> Vec<CaseResult> {
    let rt = runner::runtime().expect("runtime");
    let (session, built) = util::embedded_session(rt, "embedded");
    for case in cases {
        let _ = session.run_one(0, case);
    }
    let results = session.results();
    rt.block_on(built.shutdown());
    results.targets[0].cases.clone()
}

fn wildcard_case(credentials: &str, expected_acao: &str, extra: &str) -> String {
    format!(
        r#"title: A GET under a `*` rule, judged with credentials {credentials}
spec: ["2.5"]
bucket:
  cors:
    - allowed_origins: ["*"]
      allowed_methods: [GET]
  objects:
    a.txt: {{body: "x", acl: public-read}}
steps:
  - request:
      method: GET
      key: a.txt
      auth: anonymous
      credentials: {credentials}
      headers: {{Origin: "http://localhost:8000"}}
    expect:
      status: 200
      headers:
        Access-Control-Allow-Origin: "{expected_acao}"
        Access-Control-Allow-Methods: GET
{extra}"#
    )
}

#[test]
fn exact_and_browser_levels_are_independent() {
    const VARY: &str =
        "        Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method\n";
    let dir = util::scratch("browser-levels");
    let cases = util::write_files(
        &dir.path().join("cases/browser"),
        &[
            // Exact fails (Vary missing from the expectation) but the browser sees the same.
            ("vary-only.yaml", &wildcard_case("include", "*", "")),
            // Exact fails and a credentialed fetch is blocked where "S3" (the expectation)
            // would let it through.
            (
                "credentials.yaml",
                &wildcard_case(
                    "include",
                    "http://localhost:8000",
                    &format!("        Access-Control-Allow-Credentials: \"true\"\n{VARY}"),
                ),
            ),
            // Exact passes, browser-equivalent too.
            ("exact.yaml", &wildcard_case("omit", "*", VARY)),
        ],
    );
    let loaded = s3cors::case::load_dir(cases.parent().expect("cases dir"));
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let results = run(&loaded.cases);
    let by_id = |id: &str| {
        results
            .iter()
            .find(|c| c.case == id)
            .unwrap_or_else(|| panic!("no result for {id}"))
    };

    let c = by_id("browser/vary-only");
    assert_eq!(c.outcome.0, Outcome::Fail);
    assert_eq!(c.browser_equivalent, Some(true));
    let step = &c.steps[0];
    let actual = step.browser.as_ref().expect("actual verdict");
    assert!(!actual.allowed, "`*` with credentials include is blocked");
    assert!(actual.reason.contains("'*'"), "{}", actual.reason);

    let c = by_id("browser/credentials");
    assert_eq!(c.outcome.0, Outcome::Fail);
    assert_eq!(c.browser_equivalent, Some(false));
    let expected = c.steps[0]
        .expected_browser
        .as_ref()
        .expect("expected verdict");
    assert!(expected.allowed);
    assert_eq!(
        expected.readable_headers,
        vec!["content-length", "content-type", "last-modified"]
    );

    let c = by_id("browser/exact");
    assert_eq!(c.outcome.0, Outcome::Pass);
    assert_eq!(c.browser_equivalent, Some(true));
    assert!(c.steps[0].browser.as_ref().is_some_and(|v| v.allowed));
}

/// The embedded server is the reference: over the corpus, every passing case that has a
/// comparable cross-origin step is browser-equivalent, every request step with an `Origin`
/// has a verdict, and no other step has one.
#[test]
fn corpus_on_the_embedded_server_is_browser_equivalent() {
    let loaded = s3cors::case::load_dir(&util::repo().join("cases"));
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let results = run(&loaded.cases);
    let mut compared = 0;
    for (case, r) in loaded.cases.iter().zip(&results) {
        assert_eq!(case.id, r.case);
        if r.outcome.0 != Outcome::Pass {
            continue;
        }
        for (step, s) in case.steps.iter().zip(&r.steps) {
            let cross_origin = matches!(&step.action, Action::Request(spec)
                if spec.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("origin")));
            assert_eq!(
                s.browser.is_some(),
                cross_origin,
                "{} step {}: browser verdict present iff a request with Origin",
                case.id,
                s.label
            );
        }
        match r.browser_equivalent {
            Some(true) => compared += 1,
            Some(false) => panic!("{} passes exactly but is not browser-equivalent", case.id),
            None => {}
        }
    }
    assert!(
        compared >= 100,
        "only {compared} cases were compared at the browser level"
    );
}
