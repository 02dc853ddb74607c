//! `report.html`: the compatibility report as ONE self-contained page.
//!
//! Why one file with inline CSS and JS: reports get attached to CI runs, mailed and opened
//! from `file://` on machines without network, so nothing may be fetched. The page works
//! without JS (every table is plain HTML); the script only adds the text and outcome filters
//! and the panel that opens when a cell is clicked.
//!
//! Safety: case titles, diffs, header values and bodies come from files and servers we do not
//! control. Every such string is HTML-escaped here in Rust; the script never builds markup
//! from data, it only clones `<template>`s rendered here (expanded from their compressed
//! form, see [`templates`]) and reads `data-*` attributes.
//!
//! First paint: what a reader opens the page for — each target's score and the matrix — comes
//! first and compact (a strip of score cards, then the matrix), so both are visible without
//! scrolling on a laptop screen (the Chromium test checks the score cards are inside a
//! 1280×720 viewport). The case table and the per-cell details follow.
//!
//! Size: every cell's details are a `<template>`, and all of them travel gzip-compressed in
//! one attribute, expanded on the first open (see [`templates`]). A failing cell's details
//! show every step that ran, but only the deciding step with its whole exchange — earlier
//! steps answered as expected and are one line each. Measured sizes: `docs/reports.md`.
//!
//! Deep links: `report.html#open=<target>/<case id>` opens that cell on load through the same
//! `click()` a user's click takes (the Chromium test uses this).

use std::fmt::Write as _;

use super::levels::{self, BrowserLevel};
use super::security::{self, FindingKind, SecuritySummary};
use super::text::{html as h, html_linkified};
use super::{ALL_OUTCOMES, Matrix, Tally, case_diff, case_index, find_case, short_label, symbol};
use crate::browser::Verdict;
use crate::results::{CaseResult, Outcome, RunResults, StepResult};

/// Longest body shown per request/response; bodies are evidence, not the point.
const BODY_LIMIT: usize = 4096;

/// A stable identifier for an outcome, used in CSS classes and `data-outcome`
/// (the serde name: `pass`, `known_deviation`, …).
pub fn outcome_id(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::KnownDeviation => "known_deviation",
        Outcome::StaleExpectation => "stale_expectation",
        Outcome::Unsupported => "unsupported",
        Outcome::Skipped => "skipped",
        Outcome::Error => "error",
    }
}

/// Renders the whole page.
pub fn render(r: &RunResults) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>S3 CORS compatibility report</title>\n<style>\n");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n");
    header(&mut out, r);
    scores(&mut out, r);
    matrix(&mut out, r);
    targets(&mut out, r);
    browser_section(&mut out, r);
    security_section(&mut out, r);
    cases(&mut out, r);
    out.push_str(
        "<aside id=\"panel\" hidden tabindex=\"-1\" aria-labelledby=\"panel-title\">\n\
         <div class=\"panel-head\"><h2 id=\"panel-title\"></h2>\
         <button type=\"button\" id=\"panel-close\">Close</button></div>\n\
         <div id=\"panel-body\"></div>\n</aside>\n",
    );
    templates(&mut out, r);
    out.push_str("<script>\n");
    out.push_str(JS);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn badge(o: Outcome) -> String {
    format!(
        "<span class=\"badge o-{}\">{} {}</span>",
        outcome_id(o),
        symbol(o),
        o.label()
    )
}

fn header(out: &mut String, r: &RunResults) {
    let _ = write!(
        out,
        "<header>\n<h1>S3 CORS compatibility report</h1>\n\
         <p class=\"prov\">s3cors {} · run started <time>{}</time> · case revision <code>{}</code></p>\n",
        h(&r.s3cors_version),
        h(&r.started_at),
        h(&r.case_revision)
    );
    if !r.command.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"prov\" title=\"{cmd}\">Reproduce with: <code>{cmd}</code></p>",
            cmd = h(&r.command)
        );
    }
    out.push_str("</header>\n");
}

/// One card per target: `passed/total` of the ordinary cases (as Amazon S3), the percentage,
/// what did not pass, and the browser level.
fn scores(out: &mut String, r: &RunResults) {
    let m = Matrix::of(r);
    out.push_str(
        "<section id=\"scores\" aria-label=\"Score per target\">\n\
         <h2 class=\"visually-hidden\">Score per target</h2>\n",
    );
    for (t, total) in r.targets.iter().zip(&m.totals) {
        let pct = if total.total() > 0 {
            format!("{}%", total.get(Outcome::Pass) * 100 / total.total())
        } else {
            "—".to_string()
        };
        let l = BrowserLevel::of(t);
        let marks: Vec<String> = total
            .markers()
            .into_iter()
            .map(|(o, n)| format!("{}{n}&nbsp;{}", symbol(o), short_label(o)))
            .collect();
        let _ = writeln!(
            out,
            "<div class=\"score o-{}\" data-target=\"{}\"><div class=\"name\">{}</div>\
             <div><span class=\"ratio\">{}</span> {pct} as Amazon S3</div>\
             <div class=\"marks\">{} · 🌐&nbsp;{}/{}</div></div>",
            total.worst().map(outcome_id).unwrap_or("skipped"),
            h(&t.info.name),
            h(&t.info.name),
            total.ratio(),
            if marks.is_empty() {
                "all passed".to_string()
            } else {
                marks.join(", ")
            },
            l.equivalent,
            l.compared(),
        );
    }
    out.push_str("</section>\n");
}

fn targets(out: &mut String, r: &RunResults) {
    out.push_str(
        "<section id=\"targets\">\n<h2>Targets</h2>\n<table>\n<thead><tr><th>Target</th>\
         <th>Kind</th><th>Version</th><th>Endpoint</th><th>Notes</th></tr></thead>\n<tbody>\n",
    );
    for t in &r.targets {
        let opt = |v: &Option<String>| v.as_deref().map(h).unwrap_or_else(|| "—".into());
        let notes: Vec<String> = super::target_notes(t).iter().map(|n| h(n)).collect();
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            h(&t.info.name),
            h(&t.info.kind),
            opt(&t.info.version),
            opt(&t.info.endpoint),
            if notes.is_empty() {
                "—".into()
            } else {
                notes.join("<br>")
            }
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// A matrix cell on one line: `passed/total`, then one symbol and count per other outcome
/// (`≈21 ∅10`), spelled out in the `title` (the legend under the matrix names the symbols).
/// One line per cell keeps the whole matrix on the first screen.
fn tally_cell(t: &Tally) -> String {
    let mut s = format!("<span class=\"ratio\">{}</span>", t.ratio());
    let markers = t.markers();
    if !markers.is_empty() {
        let short: Vec<String> = markers
            .iter()
            .map(|(o, n)| format!("{}{n}", symbol(*o)))
            .collect();
        let long: Vec<String> = markers
            .iter()
            .map(|(o, n)| format!("{n} {}", short_label(*o)))
            .collect();
        let _ = write!(
            s,
            "<span class=\"marks\" title=\"{}\">{}</span>",
            long.join(", "),
            short.join(" ")
        );
    }
    s
}

fn matrix(out: &mut String, r: &RunResults) {
    let m = Matrix::of(r);
    out.push_str(
        "<section id=\"matrix-section\">\n<h2>Matrix</h2>\n\
         <p class=\"hint\">Rows are case groups, columns targets: <code>passed/total</code>, then \
         what did not pass. Click a cell to list its cases below.</p>\n\
         <table id=\"matrix\">\n<thead><tr><th>Case group</th>",
    );
    for t in &r.targets {
        let _ = write!(out, "<th scope=\"col\">{}</th>", h(&t.info.name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (group, row) in m.groups.iter().zip(&m.cells) {
        let _ = write!(
            out,
            "<tr data-group=\"{g}\"><th scope=\"row\"><code>{g}</code></th>",
            g = h(group)
        );
        for (t, cell) in r.targets.iter().zip(row) {
            match cell.worst() {
                None => out.push_str("<td class=\"none\">—</td>"),
                Some(worst) => {
                    let _ = write!(
                        out,
                        "<td><button type=\"button\" class=\"cell o-{}\" data-group=\"{}\" \
                         data-target=\"{}\">{}</button></td>",
                        outcome_id(worst),
                        h(group),
                        h(&t.info.name),
                        tally_cell(cell)
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n<tfoot><tr><th scope=\"row\">Total</th>");
    for total in &m.totals {
        let class = total.worst().map(outcome_id).unwrap_or("none");
        let _ = write!(
            out,
            "<td class=\"total o-{class}\">{}</td>",
            tally_cell(total)
        );
    }
    out.push_str("</tr>\n<tr class=\"browser-row\"><th scope=\"row\">Browser-equivalent</th>");
    for t in &r.targets {
        let l = BrowserLevel::of(t);
        let class = match (l.compared(), l.differs) {
            (0, _) => "bl-none",
            (_, 0) => "bl-same",
            _ => "bl-differs",
        };
        let _ = write!(
            out,
            "<td class=\"{class}\">🌐 <span class=\"ratio\">{}/{}</span>\
             <span class=\"marks\">{} not compared</span></td>",
            l.equivalent,
            l.compared(),
            l.not_compared
        );
    }
    out.push_str("</tr></tfoot>\n</table>\n<p class=\"legend\">");
    for o in ALL_OUTCOMES {
        out.push_str(&badge(o));
        out.push(' ');
    }
    out.push_str(
        "<br><b>fail</b>: differs from Amazon S3 · <b>stale expectation</b>: listed as a known \
         deviation but passed · <b>known deviation</b>: listed in <code>expectations/</code> · \
         <b>unsupported</b>: the target lacks a capability · <b>error</b>: the harness or the \
         target broke. <b>Browser-equivalent</b>: cases where a browser decides as with Amazon \
         S3, of those compared (see <a href=\"#browser-section\">Browser level</a>).</p>\n\
         </section>\n",
    );
}

/// A link that opens a case's panel through the page's `#open=` deep link.
fn open_link(target: &str, case: &str, text: &str) -> String {
    format!(
        "<a class=\"open\" href=\"#open={}\">{}</a>",
        h(&encode_component(&format!("{target}/{case}"))),
        text
    )
}

/// What `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes like `encodeURIComponent` (the page decodes with `decodeURIComponent`).
fn encode_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URI_COMPONENT).to_string()
}

fn browser_section(out: &mut String, r: &RunResults) {
    out.push_str(
        "<section id=\"browser-section\">\n<h2>Browser level</h2>\n\
         <p class=\"hint\">Whether a browser makes the same decision as with Amazon S3 for the \
         same request (allowed or blocked, and which response headers a script can read), \
         whatever the exact headers. Not compared: no cross-origin request, an expectation that \
         does not pin the whole CORS surface, or a case that did not run to a verdict.</p>\n\
         <table id=\"browser\">\n<thead><tr><th>Target</th><th>Browser-equivalent</th>\
         <th>Differs</th><th>Not compared</th><th>Fails exact, same in a browser</th>\
         <th>Passes exact, differs in a browser</th></tr></thead>\n<tbody>\n",
    );
    for t in &r.targets {
        let l = BrowserLevel::of(t);
        let list = |cases: &[&CaseResult]| {
            if cases.is_empty() {
                return "0".to_string();
            }
            let items: Vec<String> = cases
                .iter()
                .map(|c| {
                    format!(
                        "<li>{}</li>",
                        open_link(
                            &t.info.name,
                            &c.case,
                            &format!("<code>{}</code> ({})", h(&c.case), c.outcome.0.label())
                        )
                    )
                })
                .collect();
            format!(
                "{}<ul class=\"crossing\">{}</ul>",
                cases.len(),
                items.concat()
            )
        };
        let _ = writeln!(
            out,
            "<tr data-target=\"{name}\"><th scope=\"row\">{name}</th><td class=\"{}\">{}</td>\
             <td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if l.equivalent > 0 { "bl-same" } else { "" },
            l.equivalent,
            if l.differs > 0 { "bl-differs" } else { "" },
            l.differs,
            l.not_compared,
            list(&l.fails_exact_but_equivalent),
            list(&l.passes_exact_but_differs),
            name = h(&t.info.name),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn security_section(out: &mut String, r: &RunResults) {
    out.push_str(
        "<section id=\"security-section\">\n<h2>Security findings (origin mutations)</h2>\n",
    );
    if !security::any_security(r) {
        out.push_str(
            "<p class=\"hint\">No security cases in this run (the origin-mutation pack, tag \
             <code>security</code>, was not run).</p>\n</section>\n",
        );
        return;
    }
    out.push_str(
        "<p class=\"hint\">The origin-mutation pack sends the hostile <code>Origin</code> values \
         CORS scanners try and expects Amazon S3's answer. A target that <b>grants</b> an origin \
         S3 refuses lets that site's pages read the bucket: those are the findings, by severity. \
         These cases are not in the matrix; known deviations among them are still findings.</p>\n\
         <table id=\"security\">\n<thead><tr><th>Target</th><th>Checked</th><th>As Amazon S3</th>\
         <th>Wrongly granted</th><th>high</th><th>medium</th><th>low</th>\
         <th>Refused where S3 grants</th><th>Headers differ</th><th>Not run</th></tr></thead>\n\
         <tbody>\n",
    );
    let summaries: Vec<_> = r.targets.iter().map(SecuritySummary::of).collect();
    for (t, s) in r.targets.iter().zip(&summaries) {
        let granted = s.count(FindingKind::Granted);
        let by = s.granted_by_severity();
        let _ = writeln!(
            out,
            "<tr data-target=\"{name}\"><th scope=\"row\">{name}</th><td>{}</td><td>{}</td>\
             <td class=\"{}\">{}{granted}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            s.total,
            s.as_s3,
            if granted > 0 { "sec-found" } else { "" },
            if granted > 0 { "⚠ " } else { "" },
            by[0].1,
            by[1].1,
            by[2].1,
            s.count(FindingKind::Refused),
            s.count(FindingKind::HeadersDiffer),
            s.not_run,
            name = h(&t.info.name),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    for (t, s) in r.targets.iter().zip(&summaries) {
        if s.findings.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h3>{}</h3>\n<table class=\"findings\">\n<thead><tr><th>Finding</th>\
             <th>Severity</th><th>Variant</th><th>Origin</th><th>Case</th><th>Outcome</th></tr>\
             </thead>\n<tbody>\n",
            h(&t.info.name)
        );
        for f in &s.findings {
            let _ = writeln!(
                out,
                "<tr class=\"finding f-{}\"><td>{}</td><td>{}</td><td><code>{}</code></td>\
                 <td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                match f.kind {
                    FindingKind::Granted => "granted",
                    FindingKind::Refused => "refused",
                    FindingKind::HeadersDiffer => "headers",
                },
                f.kind.label(),
                f.severity.map(|s| s.as_str()).unwrap_or("—"),
                h(f.variant),
                h(f.origin.unwrap_or("—")),
                open_link(
                    &t.info.name,
                    &f.case.case,
                    &format!("<code>{}</code>", h(&f.case.case))
                ),
                badge(f.case.outcome.0),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn search_text(c: &CaseResult) -> String {
    format!("{} {} {}", c.case, c.title, c.tags.join(" ")).to_lowercase()
}

fn cases(out: &mut String, r: &RunResults) {
    out.push_str(
        "<section id=\"cases-section\">\n<h2>Cases</h2>\n<div id=\"filters\">\n\
         <label>Filter <input type=\"search\" id=\"filter\" \
         placeholder=\"case id, title or tag\" autocomplete=\"off\"></label>\n\
         <fieldset><legend>Outcomes</legend>",
    );
    for o in ALL_OUTCOMES {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" class=\"of\" value=\"{}\" checked> {}</label> ",
            outcome_id(o),
            badge(o)
        );
    }
    out.push_str(
        "</fieldset>\n<span id=\"shown\" aria-live=\"polite\"></span>\n</div>\n\
         <table id=\"cases\">\n<thead><tr><th>Case</th>",
    );
    for t in &r.targets {
        let _ = write!(out, "<th scope=\"col\">{}</th>", h(&t.info.name));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (ci, (id, first)) in case_index(r).into_iter().enumerate() {
        let outcomes: Vec<&str> = r
            .targets
            .iter()
            .filter_map(|t| find_case(t, id).map(|c| outcome_id(c.outcome.0)))
            .collect();
        let _ = write!(
            out,
            "<tr class=\"case\" data-case=\"{}\" data-search=\"{}\" data-outcomes=\"{}\">\
             <th scope=\"row\"><code>{}</code><div class=\"title\">{}</div></th>",
            h(id),
            h(&search_text(first)),
            outcomes.join(" "),
            h(id),
            h(&first.title)
        );
        for (ti, t) in r.targets.iter().enumerate() {
            match find_case(t, id) {
                None => out.push_str("<td class=\"none\">not run</td>"),
                Some(c) => {
                    let o = c.outcome.0;
                    let _ = write!(
                        out,
                        "<td><button type=\"button\" class=\"cell o-{oid}\" data-outcome=\"{oid}\" \
                         data-target=\"{}\" data-case=\"{}\" data-detail=\"d-{ti}-{ci}\">{} {}{}</button></td>",
                        h(&t.info.name),
                        h(id),
                        symbol(o),
                        o.label(),
                        browser_badge(levels::browser_status(c)),
                        oid = outcome_id(o),
                    );
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The browser level of a case cell: `🌐 =` same verdict as S3, `🌐 ≠` different, nothing
/// when not compared.
fn browser_badge(status: Option<bool>) -> &'static str {
    match status {
        Some(true) => {
            " <span class=\"bl bl-same\" title=\"browser: same verdict as Amazon S3\">🌐 =</span>"
        }
        Some(false) => {
            " <span class=\"bl bl-differs\" title=\"browser: different verdict from Amazon \
             S3\">🌐 ≠</span>"
        }
        None => "",
    }
}

/// The details of every cell: `<template id="d-<target>-<case>">`s, gzip-compressed and
/// base64-encoded into one attribute, expanded by the script when a cell is first opened.
///
/// Why compressed: the details are the bulk of the page (every difference's exchange, diff
/// and browser verdicts) and very repetitive; compressed they are about a tenth. Opening a
/// cell needs the script anyway, so nothing readable without JS is lost, and the page stays
/// one offline file. The markup is rendered and escaped here like the rest of the page.
fn templates(out: &mut String, r: &RunResults) {
    let mut inner = String::new();
    for (ci, (id, _)) in case_index(r).into_iter().enumerate() {
        for (ti, t) in r.targets.iter().enumerate() {
            if let Some(c) = find_case(t, id) {
                let _ = writeln!(
                    inner,
                    "<template id=\"d-{ti}-{ci}\">{}</template>",
                    detail(&t.info.name, c)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "<div id=\"details\" hidden></div>\n<div id=\"details-gz\" hidden data-gz=\"{}\"></div>",
        compress(&inner)
    );
}

/// gzip, then standard base64 (what `atob` and `DecompressionStream("gzip")` read).
fn compress(text: &str) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(text.as_bytes());
    let bytes = gz.finish().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The page with its compressed details expanded in place, as the script does: what the
/// tests inspect.
#[doc(hidden)]
pub fn expand_details(page: &str) -> String {
    use base64::Engine as _;
    use std::io::Read as _;
    let marker = "<div id=\"details-gz\" hidden data-gz=\"";
    let Some(start) = page.find(marker) else {
        return page.to_string();
    };
    let rest = &page[start + marker.len()..];
    let end = rest.find('"').unwrap_or(rest.len());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&rest[..end])
        .unwrap_or_default();
    let mut inner = String::new();
    let _ = flate2::read::GzDecoder::new(bytes.as_slice()).read_to_string(&mut inner);
    page.replacen(
        "<div id=\"details\" hidden></div>",
        &format!("<div id=\"details\" hidden>{inner}</div>"),
        1,
    )
}

/// The panel content for one case on one target.
fn detail(target: &str, c: &CaseResult) -> String {
    let mut out = String::from("<div class=\"detail\">");
    let _ = write!(
        out,
        "<p>{} on <b>{}</b> · <code>{}</code></p><p class=\"title\">{}</p>",
        badge(c.outcome.0),
        h(target),
        h(&c.case),
        h(&c.title)
    );
    let location = match c.failed_line {
        Some(line) => format!("{}:{line}", c.file),
        None => c.file.clone(),
    };
    let _ = write!(out, "<p>File <code>{}</code>", h(&location));
    if !c.spec.is_empty() {
        let _ = write!(out, " · spec {}", h(&c.spec.join(", ")));
    }
    if !c.tags.is_empty() {
        let _ = write!(out, " · tags {}", h(&c.tags.join(", ")));
    }
    let _ = write!(out, " · {} ms</p>", c.duration_ms);
    if let Some(reason) = &c.reason {
        let _ = write!(
            out,
            "<p class=\"reason\">Reason: {}</p>",
            html_linkified(reason)
        );
    }
    if let Some(why) = &c.unsettled {
        let _ = write!(
            out,
            "<p class=\"reason\">Unsettled in the spec: {}</p>",
            h(why)
        );
    }
    let status = levels::browser_status(c);
    if status.is_some() {
        let _ = write!(
            out,
            "<p class=\"browser-level {}\">Browser level: {}</p>",
            if status == Some(true) {
                "bl-same"
            } else {
                "bl-differs"
            },
            levels::status_label(status)
        );
    }
    if security::is_security(c) {
        let _ = write!(
            out,
            "<p class=\"reason\">Security case (origin mutation){}.</p>",
            crate::mutation::severity_of(&c.tags)
                .map(|s| format!(", severity {}", s.as_str()))
                .unwrap_or_default()
        );
    }
    if let Some(diff) = case_diff(c) {
        out.push_str("<h3>Diff <small>(-expected +actual)</small></h3>");
        out.push_str(&diff_block(diff));
    }
    if c.outcome.0 == Outcome::Pass {
        // A pass has nothing to inspect; its exchange would only multiply the page's size
        // (published reports hold thousands of passes). `s3cors run --exact` replays it.
        let _ = write!(
            out,
            "<p>All {} step(s) answered as Amazon S3 does. To see the exchange: \
             <code>s3cors run --exact {}/{}</code></p>",
            c.steps.len(),
            h(target),
            h(&c.case)
        );
    } else if !c.steps.is_empty() {
        out.push_str("<h3>Steps</h3>");
        for (i, s) in c.steps.iter().enumerate() {
            let deciding = c.failed_step == Some(i);
            let browser_differs = match (&s.expected_browser, &s.browser) {
                (Some(e), Some(a)) => !a.browser_equivalent(e),
                _ => false,
            };
            if s.passed && !deciding && !browser_differs {
                // Answered as expected: one line (the exchange would only add size; the
                // replay command of the deciding step reproduces the case).
                let _ = write!(
                    out,
                    "<p class=\"step-ok\">{}. {} <small>(line {})</small> — ✓ as expected</p>",
                    i + 1,
                    h(&s.label),
                    s.line
                );
            } else {
                out.push_str(&step(i, s, deciding, case_diff(c)));
            }
        }
    }
    out.push_str("</div>");
    out
}

fn diff_block(diff: &str) -> String {
    let mut out = String::from("<pre class=\"diff\">");
    for line in diff.lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            "hdr"
        } else if line.starts_with('+') {
            "add"
        } else if line.starts_with('-') {
            "del"
        } else {
            "ctx"
        };
        // Block spans, no newline between them: the spans already break the lines.
        let _ = write!(out, "<span class=\"{class}\">{}</span>", h(line));
    }
    out.push_str("</pre>");
    out
}

fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.chars().count() > BODY_LIMIT {
        let cut: String = text.chars().take(BODY_LIMIT).collect();
        format!("{cut}\n… ({} bytes in all)", body.len())
    } else {
        text.into_owned()
    }
}

/// One step, collapsed unless it decided the outcome. Its diff is left out when it is the
/// case diff already shown above.
fn step(i: usize, s: &StepResult, open: bool, case_diff: Option<&str>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<details class=\"step\"{}><summary>{}. {} <small>(line {})</small> — {}</summary>",
        if open { " open" } else { "" },
        i + 1,
        h(&s.label),
        s.line,
        if s.passed {
            "✓ as expected"
        } else {
            "✗ differs"
        }
    );
    let mut req = format!("{} {}\n", s.request.method, s.request.url);
    for (k, v) in &s.request.headers {
        let _ = writeln!(req, "{k}: {v}");
    }
    if !s.request.body.is_empty() {
        let _ = write!(req, "\n{}", body_text(&s.request.body));
    }
    let _ = write!(out, "<h4>Request</h4><pre>{}</pre>", h(&req));
    match &s.response {
        Some(resp) => {
            let mut text = format!("{}\n", resp.status);
            for (k, v) in &resp.headers {
                let _ = writeln!(text, "{k}: {v}");
            }
            if !resp.body.is_empty() {
                let _ = write!(text, "\n{}", body_text(&resp.body));
            }
            let _ = write!(out, "<h4>Response</h4><pre>{}</pre>", h(&text));
        }
        None => out.push_str("<h4>Response</h4><p>none (transport error)</p>"),
    }
    if let Some(diff) = s.diff.as_deref().filter(|d| Some(*d) != case_diff) {
        out.push_str("<h4>Diff</h4>");
        out.push_str(&diff_block(diff));
    }
    if s.browser.is_some() || s.expected_browser.is_some() {
        out.push_str(&verdicts(s.expected_browser.as_ref(), s.browser.as_ref()));
    }
    if !s.curl.is_empty() || !s.request.method.is_empty() {
        let curl = super::curl_replay(s);
        let _ = write!(out, "<h4>curl</h4><pre class=\"curl\">{}</pre>", h(&curl));
    }
    out.push_str("</details>");
    out
}

/// The browser verdicts of a step side by side: Amazon S3's (from the expected response)
/// and the target's.
fn verdicts(expected: Option<&Verdict>, actual: Option<&Verdict>) -> String {
    let same = match (expected, actual) {
        (Some(e), Some(a)) => Some(a.browser_equivalent(e)),
        _ => None,
    };
    let mut out = format!(
        "<h4>Browser {}</h4><table class=\"verdicts\"><thead><tr><th></th>\
         <th scope=\"col\">Amazon S3 (expected)</th><th scope=\"col\">This target</th></tr>\
         </thead><tbody>",
        match same {
            Some(true) => "<small>(same verdict)</small>",
            Some(false) => "<small class=\"bl-differs\">(different verdict)</small>",
            None => "",
        }
    );
    let row = |name: &str, f: &dyn Fn(&Verdict) -> String| {
        let cell = |v: Option<&Verdict>| v.map(f).unwrap_or_else(|| "not judged".into());
        format!(
            "<tr><th scope=\"row\">{name}</th><td>{}</td><td>{}</td></tr>",
            h(&cell(expected)),
            h(&cell(actual))
        )
    };
    out.push_str(&row("Verdict", &|v| {
        format!(
            "{} ({})",
            if v.allowed { "allowed" } else { "blocked" },
            levels::kind_label(v.kind)
        )
    }));
    out.push_str(&row("Console", &|v| {
        if v.allowed {
            "—".into()
        } else {
            v.reason.clone()
        }
    }));
    out.push_str(&row("Readable headers", &|v| {
        if v.allowed {
            levels::readable(v)
        } else {
            "none".into()
        }
    }));
    out.push_str("</tbody></table>");
    out
}

/// Okabe–Ito colours (distinguishable with the common colour-vision deficiencies); every
/// coloured element also carries a symbol and a text label. Kept in its own file so it can be
/// edited as CSS; compiled in, so the page stays one file.
const CSS: &str = include_str!("assets/report.css");

/// The page script: filters, the panel, deep links. Never turns data into markup.
const JS: &str = include_str!("assets/report.js");

#[cfg(test)]
mod tests {

    use super::*;
    use crate::report::sample::{HOSTILE_TITLE, sample_results};

    #[test]
    fn encode_component_matches_encode_uri_component() {
        // encodeURIComponent("a/b c?&=#é!~*'()-_.") in a browser.
        assert_eq!(
            encode_component("a/b c?&=#é!~*'()-_."),
            "a%2Fb%20c%3F%26%3D%23%C3%A9!~*'()-_."
        );
    }

    /// The page as the script sees it once a cell was opened (details expanded).
    fn expanded(r: &RunResults) -> String {
        expand_details(&render(r))
    }

    #[test]
    fn details_are_compressed_and_expand_to_every_template() {
        let page = render(&sample_results());
        assert!(
            !page.contains("<template id="),
            "the details are compressed"
        );
        assert!(
            page.contains("<div id=\"details-gz\" hidden data-gz=\"H4sI"),
            "gzip, base64"
        );
        let full = expanded(&sample_results());
        assert_eq!(full.matches("<template id=\"d-").count(), 8);
    }

    #[test]
    fn self_contained() {
        let page = render(&sample_results());
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert_eq!(page.matches("<script").count(), 1, "one inline script");
        assert!(!page.contains("<script src"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("@import"));
        assert!(!page.contains("url("), "no CSS fetches");
        assert!(!page.contains("src=\""), "no element loads anything");
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let page = expanded(&sample_results());
        // The only <script> is ours, and no attribute was broken out of.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(!page.contains("<img"));
        assert!(!page.contains(HOSTILE_TITLE));
        assert!(page.contains(
            "Vary &lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"
        ));
        assert!(page.contains("+X-Evil: &lt;img src=x onerror=alert(1)&gt;"));
        assert!(
            page.contains("&lt;Error&gt;&amp;&lt;/Error&gt;"),
            "bodies escaped"
        );
        assert!(page.contains("connection refused &lt;after 3 retries&gt;"));
    }

    #[test]
    fn matrix_and_case_table_shape() {
        let page = expanded(&sample_results());
        let matrix = page
            .split("<table id=\"matrix\">")
            .nth(1)
            .and_then(|s| s.split("</table>").next())
            .unwrap_or_default();
        assert_eq!(matrix.matches("<tr data-group=").count(), 3);
        assert_eq!(matrix.matches("class=\"cell ").count(), 6);
        assert!(matrix.contains(
            "<button type=\"button\" class=\"cell o-fail\" data-group=\"preflight\" data-target=\"embedded\"><span class=\"ratio\">1/2</span><span class=\"marks\" title=\"1 fail\">✗1</span></button>"
        ));
        assert!(matrix.contains("<td class=\"total o-error\"><span class=\"ratio\">2/4</span>"));

        let cases = page
            .split("<table id=\"cases\">")
            .nth(1)
            .and_then(|s| s.split("</table>").next())
            .unwrap_or_default();
        assert_eq!(cases.matches("<tr class=\"case\"").count(), 4);
        assert_eq!(cases.matches("class=\"cell ").count(), 8);
        assert!(cases.contains(
            "data-outcome=\"known_deviation\" data-target=\"moto\" data-case=\"preflight/allowed-origin\""
        ));
        // Every case cell has its template.
        for ti in 0..2 {
            for ci in 0..4 {
                assert!(page.contains(&format!("<template id=\"d-{ti}-{ci}\">")));
            }
        }
    }

    #[test]
    fn details_carry_diff_reason_curl() {
        let page = expanded(&sample_results());
        let t = page
            .split("<template id=\"d-0-2\">")
            .nth(1)
            .and_then(|s| s.split("</template>").next())
            .unwrap_or_default();
        assert!(t.contains("<span class=\"del\">-Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method</span>"));
        assert!(t.contains("<span class=\"add\">+Vary: Origin</span>"));
        assert!(t.contains("cases/preflight/vary-all-three.yaml:14"));
        assert!(t.contains(
            "<pre class=\"curl\">curl -X OPTIONS -H &#39;Origin: http://localhost:8000&#39;"
        ));
        assert!(
            t.contains("<details class=\"step\" open>"),
            "failing step open"
        );

        let known = page
            .split("<template id=\"d-1-1\">")
            .nth(1)
            .and_then(|s| s.split("</template>").next())
            .unwrap_or_default();
        assert!(known.contains("known deviation"));
        assert!(known.contains(
            "<a href=\"https://github.com/getmoto/moto/issues/8410\" rel=\"noopener noreferrer\">"
        ));
    }

    fn template<'a>(page: &'a str, id: &str) -> &'a str {
        page.split(&format!("<template id=\"{id}\">"))
            .nth(1)
            .and_then(|s| s.split("</template>").next())
            .unwrap_or_default()
    }

    #[test]
    fn browser_level_per_target_and_per_cell() {
        let page = expanded(&sample_results());
        let browser = page
            .split("<table id=\"browser\">")
            .nth(1)
            .and_then(|s| s.split("</table>").next())
            .unwrap_or_default();
        assert!(browser.contains(
            "<tr data-target=\"moto\"><th scope=\"row\">moto</th><td class=\"bl-same\">1</td><td class=\"bl-differs\">2</td><td>1</td>"
        ));
        assert!(browser.contains(
            "<a class=\"open\" href=\"#open=moto%2Fvalidation%2Ftwo-wildcards\"><code>validation/two-wildcards</code> (stale expectation)</a>"
        ));
        // The matrix footer carries the browser level per target.
        assert!(page.contains(
            "<tr class=\"browser-row\"><th scope=\"row\">Browser-equivalent</th><td class=\"bl-same\">🌐 <span class=\"ratio\">2/2</span>"
        ));
        // Case cells carry a badge when compared.
        assert!(
            page.contains("data-detail=\"d-1-1\">≈ known deviation <span class=\"bl bl-differs\"")
        );
        assert!(page.contains("data-detail=\"d-0-2\">✗ fail <span class=\"bl bl-same\""));
        assert!(
            page.contains("data-detail=\"d-0-0\">✓ pass</button>"),
            "not compared: no badge"
        );

        // The panel shows both verdicts side by side.
        let known = template(&page, "d-1-1");
        assert!(known.contains("Browser level: different verdict from Amazon S3"));
        assert!(known.contains(
            "<tr><th scope=\"row\">Verdict</th><td>allowed (preflight)</td><td>blocked (preflight)</td></tr>"
        ));
        assert!(known.contains(
            "<tr><th scope=\"row\">Console</th><td>—</td><td>Response to preflight request doesn&#39;t pass access control check"
        ));
        assert!(known.contains("<th scope=\"row\">Readable headers</th>"));
    }

    #[test]
    fn security_section_lists_findings() {
        let plain = expanded(&sample_results());
        assert!(plain.contains("No security cases in this run"));

        let page = expanded(&crate::report::sample::sample_with_security());
        let sec = page
            .split("<section id=\"security-section\">")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap_or_default();
        assert!(sec.contains(
            "<tr data-target=\"moto\"><th scope=\"row\">moto</th><td>3</td><td>0</td><td class=\"sec-found\">⚠ 2</td><td>1</td><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td></tr>"
        ));
        assert!(sec.contains("<tr class=\"finding f-granted\"><td>wrongly granted</td><td>high</td><td><code>suffix-domain</code></td><td><code>https://app.example.com.evil-s3cors.test</code></td>"));
        assert!(sec.contains(
            "href=\"#open=moto%2Fmutation%2Factual%2Fget-match-wildcard%2Fsuffix-domain\""
        ));
        assert!(sec.contains("<tr class=\"finding f-refused\"><td>refused where S3 grants</td>"));
        assert!(!sec.contains("<h3>embedded</h3>"));
        // Not in the matrix, still openable from the case table.
        let matrix = page
            .split("<table id=\"matrix\">")
            .nth(1)
            .and_then(|s| s.split("</table>").next())
            .unwrap_or_default();
        assert!(!matrix.contains("mutation"));
        assert!(page.contains("data-case=\"mutation/actual/get-match-wildcard/suffix-domain\""));
    }

    #[test]
    fn outcome_ids_match_serde_names() {
        for o in ALL_OUTCOMES {
            let json = serde_json::to_string(&o).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", outcome_id(o)));
        }
    }
}
