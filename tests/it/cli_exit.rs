//! Exit codes a CI job relies on, through the real binary: a run whose filter matches no
//! case proves nothing and must not pass (exit 3, with a message saying why).

use crate::util;

#[test]
fn a_run_where_no_case_ran_exits_3_and_says_why() {
    let dir = util::scratch("empty-run");
    let out = util::s3cors()
        .args([
            "run",
            "cases/preflight",
            "no-case-is-named-like-this",
            "--results-only",
            "--no-mutations",
            "-q",
        ])
        .arg("--report-dir")
        .arg(dir.path())
        .expect_code(3);
    assert!(out.stderr.contains("no case ran"), "{}", out.stderr);
    assert!(
        out.stderr.contains("`no-case-is-named-like-this`"),
        "{}",
        out.stderr
    );
}
