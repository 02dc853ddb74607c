//! GitHub Actions integration: a job step summary and `::error` annotations.
//!
//! Why: GitHub has no native JUnit reader, but it renders Markdown appended to the file named
//! by `$GITHUB_STEP_SUMMARY` on the run page, and workflow commands printed to stdout become
//! annotations; with the case file and the failing expectation's line they land on the YAML in
//! a pull request's diff (as ui_test's GitHub emitter does for Rust tests).
//!
//! Escaping follows `@actions/core` (`toCommandValue` / `escapeData` / `escapeProperty`):
//! in the message `%`, `\r`, `\n` become `%25`, `%0D`, `%0A`; in properties `:` and `,` also
//! become `%3A` and `%2C`.

use std::io::{self, Write};
use std::path::Path;

use super::{case_diff, first_diff_line, markdown};
use crate::results::{Outcome, RunResults};

/// Escapes a workflow-command message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`file=`, `title=`, …).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` line per failure, stale expectation and harness error, in run order.
///
/// The title is the case id with the target in parentheses (several targets can fail the same
/// case and GitHub folds annotations with identical titles and lines).
pub fn annotations(r: &RunResults) -> String {
    let mut out = String::new();
    for t in &r.targets {
        for c in &t.cases {
            let (title, message) = match c.outcome.0 {
                Outcome::Fail => (
                    if super::security::is_security(c) {
                        format!("{} ({}): security finding", c.case, t.info.name)
                    } else {
                        format!("{} ({})", c.case, t.info.name)
                    },
                    match case_diff(c) {
                        Some(diff) => first_diff_line(diff).to_string(),
                        None => c
                            .reason
                            .clone()
                            .unwrap_or_else(|| "differs from Amazon S3".into()),
                    },
                ),
                Outcome::StaleExpectation => (
                    format!("{} ({}): stale expectation", c.case, t.info.name),
                    c.reason
                        .clone()
                        .unwrap_or_else(|| "listed as a known deviation but passed".into()),
                ),
                Outcome::Error => (
                    format!("{} ({}): harness error", c.case, t.info.name),
                    c.reason.clone().unwrap_or_else(|| "error".into()),
                ),
                _ => continue,
            };
            let mut props = Vec::new();
            if !c.file.is_empty() {
                props.push(format!("file={}", escape_property(&c.file)));
                // Only a failure knows its expectation's line; stale entries and errors are
                // about the whole case.
                if c.outcome.0 == Outcome::Fail
                    && let Some(line) = c.failed_line
                {
                    props.push(format!("line={line}"));
                }
            }
            props.push(format!("title={}", escape_property(&title)));
            out.push_str(&format!(
                "::error {}::[{}] {}\n",
                props.join(","),
                escape_data(&t.info.name),
                escape_data(&message)
            ));
        }
    }
    out
}

/// Writes the GitHub integration: appends the short Markdown summary to `summary` when given,
/// and prints annotations to `out` when `annotate`.
pub fn emit(
    r: &RunResults,
    summary: Option<&Path>,
    annotate: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if let Some(path) = summary {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(markdown::render_summary(r).as_bytes())?;
        f.write_all(b"\n")?;
    }
    if annotate {
        out.write_all(annotations(r).as_bytes())?;
    }
    Ok(())
}

/// [`emit`] driven by the environment: `$GITHUB_STEP_SUMMARY` (a file path) and
/// `GITHUB_ACTIONS=true`. Does nothing outside GitHub Actions.
pub fn emit_from_env(r: &RunResults) -> io::Result<()> {
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty());
    let annotate = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    emit(
        r,
        summary.as_deref().map(Path::new),
        annotate,
        &mut io::stdout().lock(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_failures_are_titled_as_findings() {
        let a = annotations(&crate::report::sample::sample_with_security());
        assert!(
            a.contains(
                "title=mutation/actual/get-match-wildcard/suffix-domain (moto)%3A security finding"
            ),
            "{a}"
        );
    }
    use crate::report::sample::sample_results;

    #[test]
    fn escaping_follows_actions_core() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%\nd"), "a%3Ab%2Cc%25%0Ad");
    }

    #[test]
    fn annotations_per_failure_stale_and_error() {
        let a = annotations(&sample_results());
        let lines: Vec<&str> = a.lines().collect();
        assert_eq!(lines.len(), 4, "{a}");
        assert_eq!(
            lines[0],
            "::error file=cases/preflight/vary-all-three.yaml,line=14,\
             title=preflight/vary-all-three (embedded)::[embedded] \
             -Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
        );
        assert_eq!(
            lines[1],
            "::error file=cases/validation/two-wildcards.yaml,\
             title=validation/two-wildcards (embedded)%3A harness error::[embedded] \
             connection refused <after 3 retries>"
        );
        assert!(lines[2].starts_with("::error file=cases/preflight/vary-all-three.yaml,line=14,"));
        assert!(lines[2].ends_with("::[moto] -Vary: Origin"));
        assert!(lines[3].contains("title=validation/two-wildcards (moto)%3A stale expectation::"));
        assert!(
            !a.contains("allowed-origin"),
            "known deviations are not annotated"
        );
    }

    #[test]
    fn emit_appends_summary_and_prints() {
        let path =
            std::env::temp_dir().join(format!("s3cors-gh-summary-{}.md", std::process::id()));
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, "earlier step\n").expect("write");
        let mut out = Vec::new();
        emit(&sample_results(), Some(&path), true, &mut out).expect("emit");
        let summary = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(summary.starts_with("earlier step\n### S3 CORS compatibility"));
        assert!(summary.contains("| Case group | embedded | moto |"));
        assert_eq!(String::from_utf8_lossy(&out).lines().count(), 4);

        let mut quiet = Vec::new();
        emit(&sample_results(), None, false, &mut quiet).expect("emit");
        assert!(quiet.is_empty());
        let _ = std::fs::remove_file(&path);
    }
}
