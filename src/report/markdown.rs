//! `report.md`: the compatibility report as GitHub-flavoured Markdown.
//!
//! Laid out the way people read compatibility tables (Garage's and R2's S3 tables, wpt.fyi):
//! first where the run came from (so it can be reproduced), then one row per case group and
//! one column per target with `passed/total` and what did not pass, then the details of every
//! difference, collapsed so the page stays scannable. Everything that came from a case file
//! or a target is escaped (see `text`).

use std::fmt::Write as _;

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
        let mut notes = Vec::new();
        if let Some(why) = &t.unavailable {
            notes.push(format!("not run: {}", md_inline(why)));
        }
        let caps = &t.capabilities;
        for (name, why) in [
            ("bucket CORS", &caps.bucket_cors),
            ("public ACLs", &caps.public_acl),
            ("virtual-hosted addressing", &caps.virtual_hosted),
        ] {
            if let Some(why) = why {
                notes.push(format!("no {name}: {}", md_inline(why)));
            }
        }
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

fn case_details(t: &TargetRun, c: &CaseResult) -> String {
    let mut out = String::new();
    let location = match c.failed_line {
        Some(line) => format!("{}:{line}", c.file),
        None => c.file.clone(),
    };
    // `<summary>` is an HTML block, where Markdown escapes would show as backslashes: escape
    // as HTML, on one line (a blank line would end the block).
    let _ = writeln!(
        out,
        "<details><summary><b>{}</b>: {} — {}</summary>\n",
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
    if let Some(curl) = deciding_curl(c) {
        out.push_str("Replay:\n\n");
        out.push_str(&md_fence("sh", curl));
        out.push('\n');
    }
    out.push_str("</details>\n\n");
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
            md.matches("<details>").count(),
            6,
            "6 non-pass case×target results"
        );
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
