//! Known deviations end to end through the CLI (issue 5): `s3cors run` with a small case
//! directory (two cases from `cases/` and a third altered to fail on the embedded server) and a
//! `--expectations DIR` holding `embedded.yaml`.
//!
//! - the failing case listed → exit 0, `known_deviation` in results.json, shown as ignored;
//! - an entry for a passing case → exit 1, `stale_expectation`;
//! - a failure nobody listed → exit 1, `fail`;
//!
//! and every run writes report.md, report.html, junit.xml and results.json.

use crate::util;
use std::path::{Path, PathBuf};

const ALTERED: &str = "actual/altered-max-age";
const PASSING: &str = "actual/get-no-origin";
const OTHER: &str = "actual/get-match-public";

/// `cases/actual/{get-no-origin,get-match-public}.yaml` copied, and get-match-public again
/// with an expected Max-Age the embedded server (like S3) does not send.
fn write_cases(dir: &Path) -> PathBuf {
    let root = util::repo().join("cases");
    let cases = dir.join("cases");
    std::fs::create_dir_all(cases.join("actual")).expect("cases dir");
    for id in [PASSING, OTHER] {
        std::fs::copy(
            root.join(format!("{id}.yaml")),
            cases.join(format!("{id}.yaml")),
        )
        .expect("copy case");
    }
    let source = std::fs::read_to_string(root.join(format!("{OTHER}.yaml"))).expect("read case");
    assert!(source.contains("Access-Control-Max-Age: \"3000\""));
    let altered = source.replace(
        "Access-Control-Max-Age: \"3000\"",
        "Access-Control-Max-Age: \"3001\"",
    );
    std::fs::write(cases.join(format!("{ALTERED}.yaml")), altered).expect("write case");
    cases
}

fn write_expectations(dir: &Path, entries: &[&str]) -> PathBuf {
    let exp = dir.join("expectations");
    std::fs::create_dir_all(&exp).expect("expectations dir");
    let mut yaml = String::from("target: embedded\ndeviations:");
    yaml.push_str(if entries.is_empty() { " []\n" } else { "\n" });
    for case in entries {
        yaml.push_str(&format!(
            "  - case: {case}\n    reason: altered on purpose by tests/run_expectations.rs\n"
        ));
    }
    std::fs::write(exp.join("embedded.yaml"), yaml).expect("write expectations");
    exp
}

struct Run {
    out: util::Run,
    report_dir: PathBuf,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.out.code
    }

    fn stdout(&self) -> String {
        self.out.stdout.clone()
    }

    /// The outcome of `case` in results.json (serde name, e.g. `known_deviation`).
    fn outcome(&self, case: &str) -> String {
        let text =
            std::fs::read_to_string(self.report_dir.join("results.json")).expect("results.json");
        let v: serde_json::Value = serde_json::from_str(&text).expect("results parse");
        let cases = v["targets"][0]["cases"].as_array().expect("cases");
        let c = cases
            .iter()
            .find(|c| c["case"] == case)
            .unwrap_or_else(|| panic!("{case} not in results.json: {text}"));
        c["outcome"].as_str().unwrap_or_default().to_string()
    }

    fn context(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.out.stdout, self.out.stderr)
    }
}

fn run(dir: &Path, expectations: &[&str]) -> Run {
    let cases = write_cases(dir);
    let exp = write_expectations(dir, expectations);
    let report_dir = dir.join("report");
    let out = util::s3cors()
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .arg("run")
        .arg(&cases)
        .args([
            "--target",
            "embedded",
            "--color",
            "never",
            "--test-threads",
            "2",
        ])
        .arg("--expectations")
        .arg(&exp)
        .arg("--report-dir")
        .arg(&report_dir)
        .run();
    Run { out, report_dir }
}

fn assert_all_reports(r: &Run) {
    for f in ["report.md", "report.html", "junit.xml", "results.json"] {
        let path = r.report_dir.join(f);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            len > 0,
            "{} missing or empty\n{}",
            path.display(),
            r.context()
        );
    }
}

#[test]
fn listed_failure_is_a_known_deviation_and_the_run_passes() {
    let dir = util::scratch("known");
    let r = run(dir.path(), &[ALTERED]);
    assert_eq!(r.code(), Some(0), "{}", r.context());
    assert_eq!(r.outcome(ALTERED), "known_deviation");
    assert_eq!(r.outcome(PASSING), "pass");
    assert_eq!(r.outcome(OTHER), "pass");
    let stdout = r.stdout();
    let line = stdout
        .lines()
        .find(|l| l.contains(ALTERED))
        .unwrap_or_else(|| panic!("no line for {ALTERED}\n{}", r.context()));
    assert!(
        line.contains("ignored") && line.contains("known deviation"),
        "the known deviation is shown as ignored: {line}"
    );
    assert_all_reports(&r);
    let md = std::fs::read_to_string(r.report_dir.join("report.md")).expect("report.md");
    assert!(md.contains("1 known"), "{md}");
    assert!(
        md.contains("altered on purpose"),
        "the reason is in the report"
    );
}

#[test]
fn entry_for_a_passing_case_is_stale_and_fails_the_run() {
    let dir = util::scratch("stale");
    let r = run(dir.path(), &[ALTERED, PASSING]);
    assert_eq!(r.code(), Some(1), "{}", r.context());
    assert_eq!(r.outcome(PASSING), "stale_expectation");
    assert_eq!(r.outcome(ALTERED), "known_deviation");
    assert!(
        r.stdout().contains("stale expectation"),
        "the stale entry is named\n{}",
        r.context()
    );
    assert_all_reports(&r);
    let junit = std::fs::read_to_string(r.report_dir.join("junit.xml")).expect("junit.xml");
    assert!(junit.contains("type=\"stale-expectation\""), "{junit}");
}

#[test]
fn unlisted_failure_fails_the_run() {
    let dir = util::scratch("new");
    let r = run(dir.path(), &[]);
    assert_eq!(r.code(), Some(1), "{}", r.context());
    assert_eq!(r.outcome(ALTERED), "fail");
    assert_eq!(r.outcome(PASSING), "pass");
    assert!(
        r.stdout().contains("FAILED"),
        "libtest reports the failure\n{}",
        r.context()
    );
    assert_all_reports(&r);
}
