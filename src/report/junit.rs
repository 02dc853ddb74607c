//! `junit.xml`: results for CI systems (GitLab's test widget, Jenkins, GitHub test-report
//! actions), written with quick-junit.
//!
//! Mapping, chosen so CI dashboards keep conformance and breakage apart (as Hurl does):
//!
//! - one `<testsuite>` per target (name = target name, properties = kind, version, endpoint);
//! - one `<testcase>` per case: `classname` = target, `name` = case id, `file` = case file;
//! - fail → `<failure type="conformance">` (message = first changed line, text = the diff);
//!   stale expectation → `<failure type="stale-expectation">`;
//! - error → `<error type="harness">`;
//! - unsupported / skipped / known deviation → `<skipped message="unsupported: …">` (the
//!   message says which, so "skipped" in a dashboard never hides *why*).
//!
//! Two more levels ride along on the test cases, inside the schema (`<properties>` and
//! `<system-out>` of a `<testcase>`):
//!
//! - browser level: every case that did not pass and was compared at the browser level gets
//!   the property `browser_equivalent` (`true`/`false`) and `<system-out>` lines with Amazon
//!   S3's and the target's browser verdict for each judged step (allowed/blocked, the console
//!   reason, the readable headers);
//! - security: cases tagged `security` carry `security_severity`, and a failed one is a
//!   `<failure type="security">` (known ones stay skipped), so dashboards tell findings from
//!   conformance differences.
//!
//! `tests/data/junit.xsd` (validated by `scripts/validate-junit.sh`) is the schema this output
//! is checked against.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{case_diff, first_diff_line, levels, security};
use crate::results::{CaseResult, Outcome, RunResults, TargetRun};

/// Renders the JUnit XML document.
pub fn render(r: &RunResults) -> String {
    let mut report = Report::new("s3cors");
    let mut total = Duration::ZERO;
    for t in &r.targets {
        let suite = suite(r, t);
        total += suite.time.unwrap_or_default();
        report.add_test_suite(suite);
    }
    report.set_time(total);
    match report.to_string() {
        Ok(xml) => xml,
        // quick-junit only fails on writer I/O, which a String cannot have; still, never panic
        // on data: produce a document that says what went wrong.
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"s3cors\" tests=\"0\" \
             failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\"><!-- {} --></testsuites>\n",
            super::text::html(&e.to_string()).replace("--", "- -")
        ),
    }
}

fn suite(r: &RunResults, t: &TargetRun) -> TestSuite {
    let mut suite = TestSuite::new(t.info.name.as_str());
    suite.add_property(Property::new("kind", t.info.kind.as_str()));
    if let Some(v) = &t.info.version {
        suite.add_property(Property::new("version", v.as_str()));
    }
    if let Some(e) = &t.info.endpoint {
        suite.add_property(Property::new("endpoint", e.as_str()));
    }
    suite.add_property(Property::new("s3cors_version", r.s3cors_version.as_str()));
    suite.add_property(Property::new("case_revision", r.case_revision.as_str()));
    if let Some(why) = &t.unavailable {
        suite.add_property(Property::new("unavailable", why.as_str()));
        suite.set_system_out(format!("target not run: {why}"));
    }
    if !r.started_at.is_empty() {
        suite
            .extra
            .insert("timestamp".into(), r.started_at.as_str().into());
    }
    let mut time = Duration::ZERO;
    for c in &t.cases {
        let tc = test_case(t, c);
        time += tc.time.unwrap_or_default();
        suite.add_test_case(tc);
    }
    suite.set_time(time);
    suite
}

fn test_case(t: &TargetRun, c: &CaseResult) -> TestCase {
    let reason = c.reason.as_deref().unwrap_or("no reason given");
    let status = match c.outcome.0 {
        Outcome::Pass => TestCaseStatus::success(),
        Outcome::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(if security::is_security(c) {
                "security"
            } else {
                "conformance"
            });
            match case_diff(c) {
                Some(diff) => {
                    s.set_message(first_diff_line(diff));
                    s.set_description(diff);
                }
                None => {
                    s.set_message(c.reason.as_deref().unwrap_or("differs from Amazon S3"));
                }
            }
            s
        }
        Outcome::StaleExpectation => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("stale-expectation");
            s.set_message(format!("stale expectation: {reason}"));
            s
        }
        Outcome::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("harness");
            s.set_message(format!("error: {reason}"));
            if let Some(diff) = case_diff(c) {
                s.set_description(diff);
            }
            s
        }
        Outcome::Unsupported | Outcome::Skipped | Outcome::KnownDeviation => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("{}: {reason}", c.outcome.0.label()));
            if let Some(diff) = case_diff(c) {
                s.set_description(diff);
            }
            s
        }
    };
    let mut tc = TestCase::new(c.case.as_str(), status);
    tc.set_classname(t.info.name.as_str());
    tc.set_time(Duration::from_millis(c.duration_ms));
    if !c.file.is_empty() {
        tc.extra.insert("file".into(), c.file.as_str().into());
    }
    if let Some(line) = c.failed_line {
        tc.extra.insert("line".into(), line.to_string().into());
    }
    if security::is_security(c)
        && let Some(sev) = crate::mutation::severity_of(&c.tags)
    {
        tc.add_property(Property::new("security_severity", sev.as_str()));
    }
    if c.outcome.0 != Outcome::Pass
        && let Some(equivalent) = levels::browser_status(c)
    {
        tc.add_property(Property::new(
            "browser_equivalent",
            if equivalent { "true" } else { "false" },
        ));
        tc.set_system_out(browser_lines(c));
    }
    tc
}

/// The browser level of a case for `<system-out>`: one line for the case, then per judged
/// step Amazon S3's verdict and the target's.
fn browser_lines(c: &CaseResult) -> String {
    let mut out = format!(
        "browser level: {}\n",
        levels::status_label(levels::browser_status(c))
    );
    for (i, s) in c.steps.iter().enumerate() {
        if s.browser.is_none() && s.expected_browser.is_none() {
            continue;
        }
        let line = |v: Option<&crate::browser::Verdict>| {
            v.map(levels::verdict_line)
                .unwrap_or_else(|| "not judged".into())
        };
        out.push_str(&format!(
            "step {} {} (line {}):\n  Amazon S3:   {}\n  this target: {}\n",
            i + 1,
            s.label,
            s.line,
            line(s.expected_browser.as_ref()),
            line(s.browser.as_ref()),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::{FAIL_DIFF, HOSTILE_TITLE, sample_results};

    #[test]
    fn suites_cases_and_statuses() {
        let xml = render(&sample_results());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains(
            "<testsuites name=\"s3cors\" tests=\"8\" skipped=\"2\" failures=\"3\" errors=\"1\""
        ));
        assert!(xml.contains(
            "<testsuite name=\"embedded\" tests=\"4\" skipped=\"0\" errors=\"1\" failures=\"1\""
        ));
        assert!(xml.contains(
            "<testsuite name=\"moto\" tests=\"4\" skipped=\"2\" errors=\"0\" failures=\"2\""
        ));
        assert!(xml.contains(
            "<testcase name=\"preflight/vary-all-three\" classname=\"embedded\" time=\"0.007\" \
             file=\"cases/preflight/vary-all-three.yaml\" line=\"14\">"
        ));
        assert!(xml.contains(
            "<failure message=\"-Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method\" type=\"conformance\">"
        ));
        assert!(xml.contains("+X-Evil: &lt;img src=x onerror=alert(1)&gt;"));
        assert!(
            xml.contains(
                "<failure message=\"stale expectation: listed in expectations/moto.yaml:4"
            )
        );
        assert!(xml.contains(
            "<error message=\"error: connection refused &lt;after 3 retries&gt;\" type=\"harness\""
        ));
        assert!(xml.contains(
            "<skipped message=\"unsupported: bucket-cors: PutBucketCors answered NotImplemented\""
        ));
        assert!(xml.contains("<skipped message=\"known deviation: moto answers *"));
        assert!(xml.contains("<property name=\"version\" value=\"moto 5.2.1\"/>"));
        assert!(xml.contains("timestamp=\"2026-05-01T12:00:00Z\""));
        assert!(!xml.contains(HOSTILE_TITLE), "titles are not in JUnit");
        let _ = FAIL_DIFF;
    }

    #[test]
    fn browser_verdicts_of_cases_that_did_not_pass() {
        let xml = render(&sample_results());
        let known = xml
            .split("<testcase name=\"preflight/allowed-origin\" classname=\"moto\"")
            .nth(1)
            .and_then(|s| s.split("</testcase>").next())
            .unwrap_or_default();
        assert!(known.contains("<property name=\"browser_equivalent\" value=\"false\"/>"));
        assert!(known.contains(
            "<system-out>browser level: different verdict from Amazon S3\nstep 1 OPTIONS image.jpg (line 12):\n  \
             Amazon S3:   allowed (preflight); methods GET, HEAD\n  \
             this target: blocked (preflight): Response to preflight request doesn&apos;t pass"
        ), "{known}");
        let failing = xml
            .split("<testcase name=\"preflight/vary-all-three\" classname=\"embedded\"")
            .nth(1)
            .and_then(|s| s.split("</testcase>").next())
            .unwrap_or_default();
        assert!(failing.contains("<property name=\"browser_equivalent\" value=\"true\"/>"));
        // Passing cases carry nothing extra.
        let passing = xml
            .split("<testcase name=\"preflight/allowed-origin\" classname=\"embedded\"")
            .nth(1)
            .and_then(|s| s.split("<testcase").next())
            .unwrap_or("");
        assert!(!passing.contains("browser"), "{passing}");
    }

    #[test]
    fn security_failures_are_typed() {
        let xml = render(&crate::report::sample::sample_with_security());
        let granted = xml
            .split("<testcase name=\"mutation/actual/get-match-wildcard/suffix-domain\" classname=\"moto\"")
            .nth(1)
            .and_then(|s| s.split("</testcase>").next())
            .unwrap_or_default();
        assert!(granted.contains("<property name=\"security_severity\" value=\"high\"/>"));
        assert!(granted.contains("type=\"security\""), "{granted}");
        assert_eq!(xml.matches("type=\"security\"").count(), 2);
    }

    #[test]
    fn empty_run_is_still_a_document() {
        let xml = render(&RunResults::default());
        assert!(xml.contains("<testsuites name=\"s3cors\" tests=\"0\""));
    }
}
