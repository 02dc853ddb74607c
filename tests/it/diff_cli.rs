//! `s3cors diff` end to end: live against two embedded servers (identical: exit 0), and on
//! results files where one response was altered (a difference: exit 1 with an `-A +B` diff).

use crate::util;

#[test]
fn live_embedded_against_itself_is_identical() {
    let out = util::s3cors()
        .args(["diff", "--target", "embedded", "--target", "embedded"])
        .arg("cases/preflight")
        .expect_code(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("0 differ"), "{}", out.stderr);
}

#[test]
fn results_files_with_a_changed_response_differ() {
    let dir = util::scratch("diff-cli");
    let a = dir.path().join("a");
    util::s3cors()
        .args([
            "run",
            "cases/preflight/allowed-full-headers.yaml",
            "--results-only",
            "--no-mutations",
            "-q",
        ])
        .arg("--report-dir")
        .arg(&a)
        .expect_code(0);
    let text = std::fs::read_to_string(a.join("results.json")).expect("results.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("results.json is JSON");
    let headers = &mut v["targets"][0]["cases"][0]["steps"][0]["response"]["headers"];
    for h in headers.as_array_mut().expect("headers array") {
        if h[0] == "access-control-allow-origin" {
            h[1] = "*".into();
        }
    }
    v["targets"][0]["info"]["name"] = "changed".into();
    let b = dir.path().join("b.json");
    std::fs::write(&b, serde_json::to_string(&v).expect("json")).expect("write b.json");

    let out = util::s3cors()
        .arg("diff")
        .arg(a.join("results.json"))
        .arg(&b)
        .expect_code(1);
    assert!(out.stdout.contains("-embedded +changed:"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "-access-control-allow-origin: http://localhost:8000\n+access-control-allow-origin: *"
        ),
        "{}",
        out.stdout
    );
}
