//! `report.md`: the compatibility report as GitHub-flavoured Markdown.
//!
//! Laid out the way people read compatibility tables (Garage's and R2's S3 tables, wpt.fyi):
//! first where the run came from (so it can be reproduced), then one row per case group and
//! one column per target with `passed/total` and what did not pass, then the details of every
//! difference, collapsed so the page stays scannable. Everything that came from a case file
//! or a target is escaped (see `text`).

use std::fmt::Write as _;

use super::levels::{self, BrowserLevel};
use super::security::{self, FindingKind, SecuritySummary};
use super::text::{html_line, md_code, md_fence, md_inline};
use super::{Matrix, Tally, case_diff, deciding_curl, short_label};
use crate::results::{CaseResult, Outcome, RunResults, TargetRun};

/// Renders the whole report.
pub fn render(results: &RunResults) -> String {
    let mut out = String::new();
    out.push_str("# S3 CORS compatibility report\n\n");
    out.push_str(&provenance(results));
    out.push_str("\n## Targets\n\n");
    out.push_str(&targets_table(results));
    out.push_str("\n## Matrix\n\n");
    out.push_str(&matrix(results));
    out.push_str("\n## Browser level\n\n");
    out.push_str(&browser_level(results));
    out.push_str("\n## Security findings (origin mutations)\n\n");
    out.push_str(&security_findings(results));
    out.push_str("\n## Differences\n\n");
    out.push_str(&differences(results));
    out
}

/// The short form for a GitHub step summary: provenance and the matrix only.
pub fn render_summary(results: &RunResults) -> String {
    let mut out = String::new();
    out.push_str("### S3 CORS compatibility\n\n");
    out.push_str(&provenance(results));
    out.push('\n');
    out.push_str(&matrix(results));
    out.push_str("\n#### Browser level\n\n");
    out.push_str(&browser_table(results));
    if security::any_security(results) {
        out.push_str("\n#### Security findings (origin mutations)\n\n");
        out.push_str(&security_table(results));
    }
    out
}

fn provenance(r: &RunResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "s3cors {} · run started {} · case revision {}\n",
        md_inline(&r.s3cors_version),
        md_inline(&r.started_at),
        md_code(&r.case_revision),
    );
    if !r.command.is_empty() {
        let _ = writeln!(out, "Reproduce with: {}", md_code(&r.command));
    }
    out
}

fn targets_table(r: &RunResults) -> String {
    let mut out =
        String::from("| Target | Kind | Version | Endpoint | Notes |\n|---|---|---|---|---|\n");
    for t in &r.targets {
        let opt = |v: &Option<String>| v.as_deref().map(md_inline).unwrap_or_else(|| "—".into());
        let notes: Vec<String> = super::target_notes(t)
            .iter()
            .map(|n| md_inline(n))
            .collect();
        let _ = writeln!(
            out,
            "| **{}** | {} | {} | {} | {} |",
            md_inline(&t.info.name),
            md_inline(&t.info.kind),
            opt(&t.info.version),
            t.info
                .endpoint
                .as_deref()
                .map(md_code)
                .unwrap_or_else(|| "—".into()),
            if notes.is_empty() {
                "—".into()
            } else {
                notes.join("; ")
            },
        );
    }
    out
}

/// One matrix cell: a status icon, `passed/total`, then what did not pass.
pub fn cell(t: &Tally) -> String {
    if t.total() == 0 {
        return "—".into();
    }
    let icon = if t.get(Outcome::Error) > 0 {
        "💥"
    } else if t.get(Outcome::Fail) + t.get(Outcome::StaleExpectation) > 0 {
        "❌"
    } else if t.get(Outcome::Pass) == t.total() {
        "✅"
    } else {
        "➖"
    };
    let mut s = format!("{icon} {}", t.ratio());
    let markers: Vec<String> = t
        .markers()
        .into_iter()
        .map(|(o, n)| format!("{n} {}", short_label(o)))
        .collect();
    if !markers.is_empty() {
        s.push_str(" · ");
        s.push_str(&markers.join(", "));
    }
    s
}

/// The matrix table (groups × targets, with a totals row) and its legend.
pub fn matrix(r: &RunResults) -> String {
    let m = Matrix::of(r);
    let mut out = String::from("| Case group |");
    for t in &r.targets {
        let _ = write!(out, " {} |", md_inline(&t.info.name));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(r.targets.len()));
    out.push('\n');
    for (group, row) in m.groups.iter().zip(&m.cells) {
        let _ = write!(out, "| {} |", md_code(group));
        for c in row {
            let _ = write!(out, " {} |", cell(c));
        }
        out.push('\n');
    }
    out.push_str("| **Total** |");
    for c in &m.totals {
        let _ = write!(out, " **{}** |", cell(c));
    }
    out.push_str(
        "\n\n`passed/total`, then what did not pass: **fail** (differs from Amazon S3), \
         **stale** (listed as a known deviation but passed), **known** (known deviation, see \
         `expectations/`), **unsupported** (the target lacks a capability), **skipped**, \
         **error** (the harness or target broke). ✅ all passed · ❌ differences · \
         💥 errors · ➖ only known, unsupported or skipped.\n",
    );
    out
}

/// Whether a case×target belongs in the differences section.
fn worth_detailing(target: &TargetRun, case: &CaseResult) -> bool {
    match case.outcome.0 {
        Outcome::Pass => false,
        // A target that could not run at all is explained once, in the targets table.
        Outcome::Skipped => target.unavailable.is_none(),
        _ => true,
    }
}

fn differences(r: &RunResults) -> String {
    let mut out = String::new();
    let mut any = false;
    for (id, first) in super::case_index(r) {
        if security::is_security(first) {
            continue;
        }
        let rows: Vec<(&TargetRun, &CaseResult)> = r
            .targets
            .iter()
            .filter_map(|t| super::find_case(t, id).map(|c| (t, c)))
            .filter(|(t, c)| worth_detailing(t, c))
            .collect();
        if rows.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(out, "### {} — {}\n", md_code(id), md_inline(&first.title));
        let _ = write!(out, "File: {}", md_code(&first.file));
        if !first.spec.is_empty() {
            let _ = write!(out, " · spec {}", md_inline(&first.spec.join(", ")));
        }
        if !first.tags.is_empty() {
            let _ = write!(out, " · tags {}", md_inline(&first.tags.join(", ")));
        }
        out.push_str("\n\n");
        for (t, c) in rows {
            out.push_str(&case_details(t, c));
        }
    }
    if !any {
        out.push_str("None: every case passed on every target.\n");
    }
    out
}

/// The browser-level table (targets × equivalent / differs / not compared, and the two
/// crossings with exact conformance) and its legend.
pub fn browser_table(r: &RunResults) -> String {
    let mut out = String::from(
        "| Target | Browser-equivalent | Differs | Not compared | Fails exact, same in a browser \
         | Passes exact, differs in a browser |\n|---|---|---|---|---|---|\n",
    );
    for t in &r.targets {
        let l = BrowserLevel::of(t);
        let _ = writeln!(
            out,
            "| **{}** | {} | {} | {} | {} | {} |",
            md_inline(&t.info.name),
            if l.compared() > 0 && l.differs == 0 {
                format!("✅ {}", l.equivalent)
            } else {
                l.equivalent.to_string()
            },
            if l.differs > 0 {
                format!("❌ {}", l.differs)
            } else {
                "0".into()
            },
            l.not_compared,
            l.fails_exact_but_equivalent.len(),
            l.passes_exact_but_differs.len(),
        );
    }
    out
}

fn browser_level(r: &RunResults) -> String {
    let mut out = String::from(
        "Whether a browser makes the same decision as with Amazon S3 for the same request \
         (allowed or blocked, and which response headers a script can read), whatever the exact \
         headers. Not compared: no cross-origin request, an expectation that does not pin the \
         whole CORS surface, or a case that did not run to a verdict (unsupported, skipped, \
         error). Security cases are counted in their own section.\n\n",
    );
    out.push_str(&browser_table(r));
    for t in &r.targets {
        let l = BrowserLevel::of(t);
        for (cases, what) in [
            (
                &l.fails_exact_but_equivalent,
                "fails exact conformance but is browser-equivalent",
            ),
            (
                &l.passes_exact_but_differs,
                "passes exact conformance but a browser decides differently",
            ),
        ] {
            if cases.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "\n<details><summary><b>{}</b>: {} case(s) {what}</summary>\n",
                html_line(&t.info.name),
                cases.len()
            );
            for c in cases {
                let _ = writeln!(
                    out,
                    "- {} ({}) — {}",
                    md_code(&c.case),
                    c.outcome.0.label(),
                    md_inline(&c.title)
                );
            }
            out.push_str("\n</details>\n");
        }
    }
    out
}

/// The per-target security table: checked, as S3, wrongly granted by severity, stricter,
/// other differences, not run.
pub fn security_table(r: &RunResults) -> String {
    let mut out = String::from(
        "| Target | Checked | As Amazon S3 | Wrongly granted | high | medium | low \
         | Refused where S3 grants | Headers differ | Not run |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for t in &r.targets {
        let s = SecuritySummary::of(t);
        let granted = s.count(FindingKind::Granted);
        let by = s.granted_by_severity();
        let _ = writeln!(
            out,
            "| **{}** | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md_inline(&t.info.name),
            s.total,
            s.as_s3,
            if granted > 0 {
                format!("⚠️ **{granted}**")
            } else {
                "0".into()
            },
            by[0].1,
            by[1].1,
            by[2].1,
            s.count(FindingKind::Refused),
            s.count(FindingKind::HeadersDiffer),
            s.not_run,
        );
    }
    out
}

fn security_findings(r: &RunResults) -> String {
    if !security::any_security(r) {
        return "No security cases in this run (the origin-mutation pack, tag `security`, was \
                not run).\n"
            .into();
    }
    let mut out = String::from(
        "The origin-mutation pack (cases tagged `security`, ids `mutation/<source case>/<variant>`) \
         sends the hostile `Origin` values CORS scanners try and expects Amazon S3's answer. A \
         target that **grants** an origin S3 refuses lets that site's pages read the bucket: \
         those are the findings, by severity (high: an attacker-controlled site is granted with \
         credentials; medium: a scheme downgrade or an arbitrary subdomain; low: `null` and \
         origins no browser sends). These cases are not in the matrix above; known deviations \
         among them are still findings.\n\n",
    );
    out.push_str(&security_table(r));
    for t in &r.targets {
        let s = SecuritySummary::of(t);
        if s.findings.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### {}\n", md_inline(&t.info.name));
        for kind in [
            FindingKind::Granted,
            FindingKind::Refused,
            FindingKind::HeadersDiffer,
        ] {
            let found: Vec<_> = s.of_kind(kind).collect();
            if found.is_empty() {
                continue;
            }
            let heading = match kind {
                FindingKind::Granted => "Hostile origins granted where Amazon S3 refuses them",
                FindingKind::Refused => {
                    "Origins refused where Amazon S3 grants them (stricter; not a vulnerability)"
                }
                FindingKind::HeadersDiffer => "Same decision as Amazon S3, different headers",
            };
            let _ = writeln!(
                out,
                "{heading}:\n\n| Severity | Variant | Origin | Case | Outcome |\n|---|---|---|---|---|"
            );
            for f in &found {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    f.severity.map(|s| s.as_str()).unwrap_or("—"),
                    md_code(f.variant),
                    f.origin.map(md_code).unwrap_or_else(|| "—".into()),
                    md_code(&f.case.case),
                    f.case.outcome.0.label(),
                );
            }
            out.push('\n');
            for f in &found {
                out.push_str(&case_details_labelled(t, f.case, Some(f.variant)));
            }
        }
    }
    out
}

fn case_details(t: &TargetRun, c: &CaseResult) -> String {
    case_details_labelled(t, c, None)
}

/// [`case_details`] with an optional label in front of the summary (a mutation's variant,
/// where several findings share one case file).
fn case_details_labelled(t: &TargetRun, c: &CaseResult, label: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(label) = label {
        let _ = write!(
            out,
            "<details><summary><code>{}</code> on ",
            html_line(label)
        );
    } else {
        out.push_str("<details><summary>");
    }
    let location = match c.failed_line {
        Some(line) => format!("{}:{line}", c.file),
        None => c.file.clone(),
    };
    // `<summary>` is an HTML block, where Markdown escapes would show as backslashes: escape
    // as HTML, on one line (a blank line would end the block).
    let _ = writeln!(
        out,
        "<b>{}</b>: {} — {}</summary>\n",
        html_line(&t.info.name),
        c.outcome.0.label(),
        html_line(&location),
    );
    if let Some(reason) = &c.reason {
        let _ = writeln!(out, "Reason: {}\n", md_inline(reason));
    }
    if let Some(why) = &c.unsettled {
        let _ = writeln!(out, "Unsettled in the spec: {}\n", md_inline(why));
    }
    if let Some(diff) = case_diff(c) {
        out.push_str(&md_fence("diff", diff));
        out.push('\n');
    }
    out.push_str(&browser_details(c));
    if let Some(curl) = deciding_curl(c) {
        out.push_str("Replay:\n\n");
        out.push_str(&md_fence("sh", &curl));
        out.push('\n');
    }
    out.push_str("</details>\n\n");
    out
}

/// The browser level of one case in the details: one line, plus each step whose verdict
/// differs (Amazon S3's, then the target's).
fn browser_details(c: &CaseResult) -> String {
    let status = levels::browser_status(c);
    if status.is_none() {
        return String::new();
    }
    let mut out = format!("Browser level: {}.\n\n", levels::status_label(status));
    let differing = levels::differing_steps(c);
    for &(i, s, expected, actual) in &differing {
        let _ = writeln!(
            out,
            "- step {} {} (line {}):\n  - Amazon S3: {}\n  - this target: {}",
            i + 1,
            md_inline(&s.label),
            s.line,
            md_inline(&levels::verdict_line(expected)),
            md_inline(&levels::verdict_line(actual)),
        );
    }
    if !differing.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::{FAIL_DIFF, sample_results};

    #[test]
    fn header_has_provenance_and_targets() {
        let md = render(&sample_results());
        assert!(md.starts_with("# S3 CORS compatibility report\n"));
        assert!(
            md.contains(
                "s3cors 0.1.0 · run started 2026-05-01T12:00:00Z · case revision `abc1234`"
            )
        );
        assert!(md.contains(
            "Reproduce with: `s3cors run --target embedded --target endpoint=http://127.0.0.1:5000`"
        ));
        assert!(
            md.contains(
                "| **embedded** | embedded | s3cors 0.1.0 | `http://127.0.0.1:41234` | — |"
            )
        );
        assert!(md.contains("| **moto** | endpoint | moto 5.2.1 | `http://127.0.0.1:5000` | no public ACLs: PutObjectAcl answered NotImplemented |"));
    }

    #[test]
    fn matrix_rows_cells_and_totals() {
        let md = matrix(&sample_results());
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "| Case group | embedded | moto |");
        assert_eq!(lines[1], "|---|---|---|");
        assert_eq!(
            lines[2],
            "| `config-api` | ✅ 1/1 | ➖ 0/1 · 1 unsupported |"
        );
        assert_eq!(
            lines[3],
            "| `preflight` | ❌ 1/2 · 1 fail | ❌ 0/2 · 1 fail, 1 known |"
        );
        assert_eq!(
            lines[4],
            "| `validation` | 💥 0/1 · 1 error | ❌ 0/1 · 1 stale |"
        );
        assert_eq!(
            lines[5],
            "| **Total** | **💥 2/4 · 1 error, 1 fail** | **❌ 0/4 · 1 fail, 1 stale, 1 known, 1 unsupported** |"
        );
    }

    #[test]
    fn differences_are_detailed_and_escaped() {
        let md = render(&sample_results());
        let diffs = md.split("## Differences").nth(1).unwrap_or_default();
        // Passing cases are not detailed; everything else is.
        assert!(
            !diffs.contains("put-get-round-trip</")
                && diffs.contains("`config-api/put-get-round-trip`")
        );
        assert!(diffs.contains("<details><summary><b>embedded</b>: fail — cases/preflight/vary-all-three.yaml:14</summary>"));
        assert!(diffs.contains(&format!("```diff\n{}```", FAIL_DIFF)));
        assert!(diffs.contains("```sh\ncurl -X OPTIONS"));
        assert!(diffs.contains("<b>moto</b>: known deviation"));
        assert!(diffs.contains("Reason: moto answers \\* instead of echoing the origin"));
        assert!(diffs.contains("<b>moto</b>: unsupported"));
        assert!(diffs.contains("Reason: bucket-cors: PutBucketCors answered NotImplemented"));
        assert!(diffs.contains("Reason: connection refused &lt;after 3 retries&gt;"));
        // The hostile title is escaped in the heading.
        assert!(md.contains("&lt;script&gt;alert(\"title\")&lt;/script&gt; &amp; 'quotes'"));
        assert!(!md.contains("<script>"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
        assert_eq!(
            diffs.matches("<details>").count(),
            6,
            "6 non-pass case×target results"
        );
        // The browser level of each detailed case, with both verdicts where they differ.
        assert!(diffs.contains("Browser level: same verdict as Amazon S3."));
        assert!(diffs.contains(
            "Browser level: different verdict from Amazon S3.\n\n- step 1 OPTIONS image.jpg (line 12):\n  \
             - Amazon S3: allowed (preflight); methods GET, HEAD\n  \
             - this target: blocked (preflight): Response to preflight request"
        ));
    }

    #[test]
    fn browser_level_table_and_crossings() {
        let md = render(&sample_results());
        let section = md
            .split("## Browser level")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        assert!(section.contains(
            "| Target | Browser-equivalent | Differs | Not compared | Fails exact, same in a browser | Passes exact, differs in a browser |"
        ));
        assert!(section.contains("| **embedded** | ✅ 2 | 0 | 2 | 1 | 0 |"));
        assert!(section.contains("| **moto** | 1 | ❌ 2 | 1 | 1 | 1 |"));
        assert!(section.contains(
            "<details><summary><b>embedded</b>: 1 case(s) fails exact conformance but is browser-equivalent</summary>"
        ));
        assert!(section.contains("- `preflight/vary-all-three` (fail) — Vary &lt;script&gt;"));
        assert!(section.contains(
            "<b>moto</b>: 1 case(s) passes exact conformance but a browser decides differently"
        ));
        assert!(section.contains("- `validation/two-wildcards` (stale expectation)"));
        let matrix_at = md.find("## Matrix").unwrap_or(usize::MAX);
        let browser_at = md.find("## Browser level").unwrap_or(0);
        assert!(
            matrix_at < browser_at,
            "the browser level follows the matrix"
        );
    }

    #[test]
    fn security_findings_have_their_own_section() {
        let plain = render(&sample_results());
        assert!(plain.contains("No security cases in this run"));

        let md = render(&crate::report::sample::sample_with_security());
        let section = md
            .split("## Security findings (origin mutations)")
            .nth(1)
            .and_then(|s| s.split("\n## Differences").next())
            .unwrap_or_default();
        assert!(section.contains("| **embedded** | 3 | 3 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"));
        assert!(section.contains("| **moto** | 3 | 0 | ⚠️ **2** | 1 | 1 | 0 | 1 | 0 | 0 |"));
        assert!(section.contains("### moto"));
        assert!(!section.contains("### embedded"));
        assert!(section.contains(
            "| high | `suffix-domain` | `https://app.example.com.evil-s3cors.test` | \
             `mutation/actual/get-match-wildcard/suffix-domain` | fail |"
        ));
        assert!(section.contains(
            "| medium | `scheme-downgrade` | `http://app.example.com` | \
             `mutation/actual/get-match-wildcard/scheme-downgrade` | known deviation |"
        ));
        assert!(section.contains("Origins refused where Amazon S3 grants them"));
        assert!(section.contains(
            "<details><summary><code>scheme-downgrade</code> on <b>moto</b>: known deviation — \
             cases/actual/get-match-wildcard.yaml:14</summary>"
        ));
        // Kept out of the matrix and the ordinary differences.
        let matrix = md.split("## Matrix").nth(1).unwrap_or_default();
        let matrix = matrix.split("## Browser level").next().unwrap_or_default();
        assert!(!matrix.contains("mutation"));
        let diffs = md.split("\n## Differences").nth(1).unwrap_or_default();
        assert!(!diffs.contains("mutation/"));
        // The step summary carries the security table too.
        let summary = render_summary(&crate::report::sample::sample_with_security());
        assert!(summary.contains("#### Security findings (origin mutations)"));
        assert!(summary.contains("#### Browser level"));
    }

    #[test]
    fn all_passing_run_says_so() {
        let mut r = sample_results();
        for t in &mut r.targets {
            for c in &mut t.cases {
                c.outcome.0 = Outcome::Pass;
            }
        }
        let md = render(&r);
        assert!(md.contains("None: every case passed on every target."));
        assert!(md.contains("| **Total** | **✅ 4/4** | **✅ 4/4** |"));
    }

    #[test]
    fn unavailable_target_is_explained_once() {
        let mut r = sample_results();
        r.targets[1].unavailable = Some("no Docker engine".into());
        for c in &mut r.targets[1].cases {
            c.outcome.0 = Outcome::Skipped;
        }
        let md = render(&r);
        assert!(md.contains("not run: no Docker engine"));
        assert!(!md.contains("<b>moto</b>"));
    }

    #[test]
    fn summary_is_the_short_form() {
        let s = render_summary(&sample_results());
        assert!(s.contains("| Case group | embedded | moto |"));
        assert!(!s.contains("## Differences"));
        assert!(!s.contains("<details>"));
    }
}
