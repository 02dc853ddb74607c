//! A deliberately wrong expectation must produce a failure a person can act on: the case
//! file and line, the request, a `-expected +actual` diff and a curl command; and the
//! trial's bucket must be gone afterwards even though the case failed.

use crate::util;
use s3cors::results::Outcome;
use s3cors::runner;
use s3cors::s3::{Auth, S3Request};

const WRONG: &str = r#"title: The README rule, with a wrong expected origin
spec: ["3.2"]
bucket:
  cors:
    - allowed_origins: [http://localhost:8000]
      allowed_methods: [GET, HEAD]
  objects:
    image.jpg: "x"
steps:
  - request:
      method: OPTIONS
      key: image.jpg
      headers:
        Origin: http://localhost:8000
        Access-Control-Request-Method: GET
    expect:
      status: 200
      headers:
        Access-Control-Allow-Origin: http://wrong.example
        Access-Control-Allow-Methods: GET, HEAD
        Access-Control-Allow-Credentials: "true"
        Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method
"#;

#[test]
fn wrong_expectation_shows_line_diff_and_curl_and_bucket_is_removed() {
    let dir = util::scratch("failure");
    let cases = util::write_files(&dir.path().join("cases"), &[("wrong/origin.yaml", WRONG)]);
    let file = cases.join("wrong/origin.yaml");
    let loaded = s3cors::case::load_dir(&cases);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.cases.len(), 1);
    assert_eq!(loaded.cases[0].id, "wrong/origin");

    let rt = runner::runtime().expect("runtime");
    let (session, built) = util::embedded_session(rt, "embedded");
    assert_eq!(session.targets()[0].capabilities, Default::default());

    let failed = session
        .run_one(0, &loaded.cases[0])
        .err()
        .expect("the case must fail");
    let msg = failed.message().unwrap_or_default().to_string();
    let shown = file.display().to_string();
    assert!(msg.contains(&format!("--> {shown}:10")), "{msg}");
    assert!(msg.contains("step 1: OPTIONS image.jpg"), "{msg}");
    assert!(msg.contains("OPTIONS http://127.0.0.1:"), "{msg}");
    assert!(msg.contains("Origin: http://localhost:8000"), "{msg}");
    assert!(
        msg.contains("-access-control-allow-origin: http://wrong.example"),
        "{msg}"
    );
    assert!(
        msg.contains("+access-control-allow-origin: http://localhost:8000"),
        "{msg}"
    );
    assert!(msg.contains(" status: 200"), "{msg}");
    assert!(msg.contains("curl -i"), "{msg}");
    assert!(msg.contains("-X OPTIONS"), "{msg}");
    assert!(
        !msg.contains('\x1b'),
        "no colour when asked for none: {msg}"
    );

    let results = session.results();
    let case = &results.targets[0].cases[0];
    assert_eq!(case.outcome.0, Outcome::Fail);
    assert_eq!(case.failed_line, Some(10));
    assert!(
        case.diff
            .as_deref()
            .unwrap_or("")
            .contains("+access-control-allow-origin")
    );
    assert!(case.steps[0].curl.starts_with("curl -i"));

    // Teardown ran although the step failed: once the run finishes (pooled buckets are
    // removed then, see runner::pool), no bucket of this run is left.
    let _ = rt.block_on(session.finish());
    let list = S3Request::new("GET", None, None, Auth::Signed);
    let resp = rt.block_on(built.target.send(&list)).unwrap();
    assert_eq!(resp.status, 200);
    let body = String::from_utf8_lossy(&resp.body);
    assert!(
        !body.contains(session.run_id().as_str()),
        "a bucket of this run is left: {body}"
    );
    rt.block_on(built.shutdown());
}
