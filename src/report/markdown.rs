//! `report.md` and `details/<target>.md`: the compatibility report as GitHub-flavoured
//! Markdown.
//!
//! Laid out the way people read compatibility tables (Garage's and R2's S3 tables, wpt.fyi):
//! first where the run came from (so it can be reproduced), then one row per case group and
//! one column per target with `passed/total` and what did not pass. Everything that came from
//! a case file or a target is escaped (see `text`).
//!
//! Why two levels of files: a whole corpus against seven servers is thousands of differences
//! (the first single-file report was 3.4 MB, too large for a code host to display or a person
//! to read). `report.md` is the summary a person opens — targets, matrix, browser level,
//! security counts and the *headline* differences of each target (the most frequent causes,
//! counted) — and stays small whatever the corpus size (tens of KB). Every difference with its
//! diff, browser verdicts and replay command goes to that target's `details/<target>.md`,
//! linked from the summary.

use std::fmt::Write as _;

use super::levels::{self, BrowserLevel};
use super::security::{self, FindingKind, SecuritySummary};
use super::text::{html_line, md_code, md_fence, md_inline};
use super::{Matrix, Tally, case_diff, deciding_curl, short_label};
use crate::results::{CaseResult, Outcome, RunResults, TargetRun};

/// How many headline causes the summary lists per target and kind.
const HEADLINES: usize = 6;
/// Longest headline cause shown (characters); the details file has the whole text.
const HEADLINE_CHARS: usize = 160;

/// Renders the summary, `report.md`.
pub fn render(results: &RunResults) -> String {
    let files = detail_files(results);
    let mut out = String::new();
    out.push_str("# S3 CORS compatibility report\n\n");
    out.push_str(&provenance(results));
    out.push_str("\n## Targets\n\n");
    out.push_str(&targets_table(results, &files));
    out.push_str("\n## Matrix\n\n");
    out.push_str(&matrix(results));
    out.push_str("\n## Browser level\n\n");
    out.push_str(&browser_level(results));
    out.push_str("\n## Security findings (origin mutations)\n\n");
    out.push_str(&security_summary(results));
    out.push_str("\n## Headline differences per target\n\n");
    out.push_str(&headlines(results, &files));
    out
}

/// The details file of each target, relative to the report directory
/// (`details/<target>.md`), in target order. Target names are user-given: anything outside
/// `[A-Za-z0-9._-]` becomes `_`, and a name that then repeats gets `-2`, `-3`, …
pub fn detail_files(results: &RunResults) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for t in &results.targets {
        let mut base: String = t
            .info
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if base.is_empty() || base.starts_with('.') {
            base.insert(0, '_');
        }
        let mut name = format!("details/{base}.md");
        let mut n = 1;
        while files.contains(&name) {
            n += 1;
            name = format!("details/{base}-{n}.md");
        }
        files.push(name);
    }
    files
}

/// Renders one target's details file: its browser-level crossings, its security findings and
/// every difference with its diff, browser verdicts and replay command.
pub fn render_target(results: &RunResults, index: usize) -> String {
    let Some(t) = results.targets.get(index) else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}: S3 CORS differences in detail\n\n[← the summary](../report.md)\n",
        md_inline(&t.info.name)
    );
    out.push_str(&provenance(results));
    let m = Matrix::of(results);
    if let Some(total) = m.totals.get(index) {
        let _ = writeln!(out, "\nSame as Amazon S3: {}\n", cell(total));
    }
    for note in super::target_notes(t) {
        let _ = writeln!(out, "- {}", md_inline(&note));
    }
    out.push_str("\n## Browser level\n\n");
    let crossings = browser_crossings(t);
    if crossings.is_empty() {
        out.push_str("No case where exact conformance and the browser level disagree.\n");
    } else {
        out.push_str(&crossings);
    }
    out.push_str("\n## Security findings (origin mutations)\n\n");
    out.push_str(&security_findings_of(t));
    out.push_str("\n## Differences\n\n");
    out.push_str(&differences_of(t));
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

fn targets_table(r: &RunResults, files: &[String]) -> String {
    let m = Matrix::of(r);
    let mut out = String::from(
        "| Target | Kind | Version | Endpoint | Same as Amazon S3 | Notes | Details |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (i, t) in r.targets.iter().enumerate() {
        let opt = |v: &Option<String>| v.as_deref().map(md_inline).unwrap_or_else(|| "—".into());
        let notes: Vec<String> = super::target_notes(t)
            .iter()
            .map(|n| md_inline(n))
            .collect();
        let _ = writeln!(
            out,
            "| **{}** | {} | {} | {} | {} | {} | [{}]({}) |",
            md_inline(&t.info.name),
            md_inline(&t.info.kind),
            opt(&t.info.version),
            t.info
                .endpoint
                .as_deref()
                .map(md_code)
                .unwrap_or_else(|| "—".into()),
            m.totals.get(i).map(cell).unwrap_or_else(|| "—".into()),
            if notes.is_empty() {
                "—".into()
            } else {
                notes.join("; ")
            },
            files.get(i).map(|f| md_inline(f)).unwrap_or_default(),
            files.get(i).cloned().unwrap_or_default(),
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

/// Every ordinary case of one target that did not pass, in id order, with its details.
fn differences_of(t: &TargetRun) -> String {
    let mut out = String::new();
    let mut cases: Vec<&CaseResult> = security::ordinary_cases(t)
        .filter(|c| worth_detailing(t, c))
        .collect();
    cases.sort_by(|a, b| a.case.cmp(&b.case));
    for c in &cases {
        let _ = writeln!(out, "### {} — {}\n", md_code(&c.case), md_inline(&c.title));
        let _ = write!(out, "File: {}", md_code(&c.file));
        if !c.spec.is_empty() {
            let _ = write!(out, " · spec {}", md_inline(&c.spec.join(", ")));
        }
        if !c.tags.is_empty() {
            let _ = write!(out, " · tags {}", md_inline(&c.tags.join(", ")));
        }
        out.push_str("\n\n");
        out.push_str(&case_details(t, c));
    }
    if cases.is_empty() {
        out.push_str("None: every case passed on this target.\n");
    }
    out
}

/// What did not pass on a target, by cause, most frequent first: `(cause, count, an example
/// case id)`. Known deviations are counted by the clauses of their reasons (`no Vary; no
/// Max-Age (see …)` counts once for each clause, the `(see …)` pointer dropped), other
/// differences by the first changed line of their diff.
fn causes<'a>(
    cases: impl Iterator<Item = &'a CaseResult>,
    by_reason: bool,
) -> (usize, Vec<(String, usize, &'a str)>) {
    let mut counts: Vec<(String, usize, &'a str)> = Vec::new();
    let mut n = 0;
    for c in cases {
        n += 1;
        let keys: Vec<String> = if by_reason {
            let reason = c.reason.as_deref().unwrap_or("no reason given");
            let reason = match reason.rfind(" (see ") {
                Some(at) if reason.ends_with(')') => &reason[..at],
                _ => reason,
            };
            let mut parts: Vec<String> = reason
                .split("; ")
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            parts.dedup();
            parts
        } else {
            let line = case_diff(c)
                .map(super::first_diff_line)
                .or(c.reason.as_deref())
                .unwrap_or("no diff recorded");
            vec![line.trim().to_string()]
        };
        for k in keys {
            match counts.iter_mut().find(|(key, _, _)| *key == k) {
                Some(entry) => entry.1 += 1,
                None => counts.push((k, 1, c.case.as_str())),
            }
        }
    }
    // Most frequent first; ties in the order first seen (cases are in id order).
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    (n, counts)
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= HEADLINE_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(HEADLINE_CHARS).collect();
    format!("{cut}…")
}

/// The summary's per-target headlines: the score, the most frequent causes of new
/// differences, known deviations and errors, and the link to the details file.
fn headlines(r: &RunResults, files: &[String]) -> String {
    let m = Matrix::of(r);
    let mut out = String::from(
        "Per target, the most frequent causes of what did not pass (known deviations by the \
         clauses of their reasons in `expectations/<target>.yaml`, other differences by the \
         first line of their `-expected +actual` diff), each with how many cases show it and \
         one example. Every case with its diff is in the target's details file.\n",
    );
    for (i, t) in r.targets.iter().enumerate() {
        let file = files.get(i).cloned().unwrap_or_default();
        let _ = writeln!(out, "\n### {}\n", md_inline(&t.info.name));
        if let Some(total) = m.totals.get(i) {
            let _ = writeln!(out, "{} · [details]({file})\n", cell(total));
        }
        let notes = super::target_notes(t);
        for note in &notes {
            let _ = writeln!(out, "- {}", md_inline(note));
        }
        if !notes.is_empty() {
            out.push('\n');
        }
        let groups: [(&str, &[Outcome], bool); 3] = [
            (
                "New differences (fail) and stale expectations",
                &[Outcome::Fail, Outcome::StaleExpectation],
                false,
            ),
            ("Errors", &[Outcome::Error], false),
            ("Known deviations", &[Outcome::KnownDeviation], true),
        ];
        let mut any = false;
        for (what, outcomes, by_reason) in groups {
            let (n, found) = causes(
                security::ordinary_cases(t).filter(|c| outcomes.contains(&c.outcome.0)),
                by_reason,
            );
            if n == 0 {
                continue;
            }
            any = true;
            let _ = writeln!(out, "{what}: {n} case(s).\n");
            for (cause, count, example) in found.iter().take(HEADLINES) {
                let _ = writeln!(
                    out,
                    "- {} — {count} case(s), e.g. {}",
                    md_code(&shorten(cause)),
                    md_code(example)
                );
            }
            if found.len() > HEADLINES {
                let _ = writeln!(
                    out,
                    "- … {} more cause(s) in [the details]({file})",
                    found.len() - HEADLINES
                );
            }
            out.push('\n');
        }
        if !any {
            out.push_str("No differences from Amazon S3 outside the security pack.\n");
        }
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
    out.push_str("\nThe cases of the two crossings are listed in each target's details file.\n");
    out
}

/// The two crossings of one target (cases failing exact conformance but browser-equivalent,
/// and the reverse), as collapsible lists.
fn browser_crossings(t: &TargetRun) -> String {
    let mut out = String::new();
    {
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

fn security_summary(r: &RunResults) -> String {
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
    out.push_str("\nEach finding, with its diff, is in the target's details file.\n");
    out
}

/// One target's security findings, each with its details.
fn security_findings_of(t: &TargetRun) -> String {
    let mut out = String::new();
    {
        let s = SecuritySummary::of(t);
        if s.findings.is_empty() {
            return "None: every security case that ran answered as Amazon S3 does (or none ran).\n"
                .into();
        }
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
        assert!(md.contains(
            "| **embedded** | embedded | s3cors 0.1.0 | `http://127.0.0.1:41234` | 💥 2/4 · 1 error, 1 fail | — | [details/embedded.md](details/embedded.md) |"
        ), "{md}");
        assert!(md.contains("| **moto** | endpoint | moto 5.2.1 | `http://127.0.0.1:5000` | ❌ 0/4 · 1 fail, 1 stale, 1 known, 1 unsupported | no public ACLs: PutObjectAcl answered NotImplemented | [details/moto.md](details/moto.md) |"));
    }

    #[test]
    fn detail_file_names_are_safe_and_unique() {
        let mut r = sample_results();
        r.targets[0].info.name = "../my store".into();
        r.targets[1].info.name = "../my_store".into();
        assert_eq!(
            detail_files(&r),
            vec!["details/_.._my_store.md", "details/_.._my_store-2.md"]
        );
    }

    #[test]
    fn headlines_count_causes_per_target() {
        let md = render(&sample_results());
        let section = md
            .split("## Headline differences per target")
            .nth(1)
            .unwrap_or_default();
        assert!(section.contains("### moto\n\n❌ 0/4 · 1 fail, 1 stale, 1 known, 1 unsupported · [details](details/moto.md)"), "{section}");
        assert!(
            section.contains("Known deviations: 1 case(s).\n\n- `moto answers * instead of echoing the origin (https://github.com/getmoto/moto/issues/8410)` — 1 case(s), e.g. `preflight/allowed-origin`"),
            "{section}"
        );
        assert!(
            section.contains("New differences (fail) and stale expectations: 2 case(s)."),
            "{section}"
        );
        assert!(section.contains("Errors: 1 case(s)."), "{section}");
        // The summary carries no case details.
        assert!(!md.contains("```diff"));
        assert!(!md.contains("<details>"));
    }

    #[test]
    fn summary_stays_small_for_a_large_run() {
        // 7 targets × 3000 failing cases with long diffs: the details grow, the summary not.
        let mut r = sample_results();
        let proto = r.targets[1].clone();
        r.targets = (0..7)
            .map(|i| {
                let mut t = proto.clone();
                t.info.name = format!("target-{i}");
                let c0 = t.cases[0].clone();
                t.cases = (0..3000)
                    .map(|n| {
                        let mut c = c0.clone();
                        c.case = format!("group-{}/case-{n}", n % 12);
                        c.outcome.0 = Outcome::KnownDeviation;
                        c.reason = Some(format!("reason {} of many; shared clause", n % 40));
                        c.diff = Some(format!("-vary: Origin\n+vary: {}\n", "x".repeat(n % 500)));
                        c
                    })
                    .collect();
                t
            })
            .collect();
        let md = render(&r);
        assert!(md.len() < 300 * 1024, "report.md is {} bytes", md.len());
        let details = render_target(&r, 0);
        assert!(details.len() > md.len(), "the details hold the differences");
        assert_eq!(details.matches("<details>").count(), 3000);
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
        let r = sample_results();
        let md = format!("{}{}", render_target(&r, 0), render_target(&r, 1));
        let diffs: String = [render_target(&r, 0), render_target(&r, 1)]
            .iter()
            .map(|t| {
                t.split("## Differences")
                    .nth(1)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
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
        let r = sample_results();
        let md = render(&r);
        let section = md
            .split("## Browser level")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        let crossings = format!("{}{}", render_target(&r, 0), render_target(&r, 1));
        assert!(section.contains(
            "| Target | Browser-equivalent | Differs | Not compared | Fails exact, same in a browser | Passes exact, differs in a browser |"
        ));
        assert!(section.contains("| **embedded** | ✅ 2 | 0 | 2 | 1 | 0 |"));
        assert!(section.contains("| **moto** | 1 | ❌ 2 | 1 | 1 | 1 |"));
        assert!(crossings.contains(
            "<details><summary><b>embedded</b>: 1 case(s) fails exact conformance but is browser-equivalent</summary>"
        ));
        assert!(crossings.contains("- `preflight/vary-all-three` (fail) — Vary &lt;script&gt;"));
        assert!(crossings.contains(
            "<b>moto</b>: 1 case(s) passes exact conformance but a browser decides differently"
        ));
        assert!(crossings.contains("- `validation/two-wildcards` (stale expectation)"));
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

        let sec = crate::report::sample::sample_with_security();
        let md = render(&sec);
        let table = md
            .split("## Security findings (origin mutations)")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        assert!(table.contains("| **embedded** | 3 | 3 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"));
        assert!(table.contains("| **moto** | 3 | 0 | ⚠️ **2** | 1 | 1 | 0 | 1 | 0 | 0 |"));
        assert!(render_target(&sec, 0).contains("None: every security case that ran answered"));
        let moto = render_target(&sec, 1);
        let section = moto
            .split("## Security findings (origin mutations)")
            .nth(1)
            .and_then(|s| s.split("\n## Differences").next())
            .unwrap_or_default();
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
        let diffs = moto.split("\n## Differences").nth(1).unwrap_or_default();
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
        assert!(render_target(&r, 1).contains("None: every case passed on this target."));
        assert!(md.contains("No differences from Amazon S3 outside the security pack."));
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
        assert!(!render_target(&r, 1).contains("<b>moto</b>"));
    }

    #[test]
    fn summary_is_the_short_form() {
        let s = render_summary(&sample_results());
        assert!(s.contains("| Case group | embedded | moto |"));
        assert!(!s.contains("## Differences"));
        assert!(!s.contains("<details>"));
    }
}
