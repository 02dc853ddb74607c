//! Reports: everything people and CI systems read about a run, rendered from one
//! [`RunResults`] and nothing else.
//!
//! Why one model: the Markdown matrix, the HTML drill-down, the JUnit file and the GitHub
//! annotations must never disagree about what happened, so none of them talks to the runner;
//! each is a pure `fn(&RunResults) -> String` in its own module, and `s3cors report` can
//! re-render any of them later from `results.json` alone.
//!
//! - [`markdown`]: `report.md`, the compatibility matrix (case groups × targets) then the
//!   details of every difference.
//! - [`html`]: `report.html`, one self-contained file (inline CSS and JS, works from
//!   `file://`) with a filterable matrix whose cells open the case's diff.
//! - [`junit`]: `junit.xml` for CI systems (one `<testsuite>` per target).
//! - [`json`]: `results.json` itself, pretty-printed.
//! - [`github`]: the GitHub Actions step summary and `::error` annotations.
//! - [`levels`]: the browser level (same browser verdict as Amazon S3?) next to exact
//!   conformance, and the cases where the two disagree.
//! - [`security`]: the origin-mutation pack's cases (tag `security`), kept out of the matrix
//!   and reported as security findings by severity.
//! - [`expectations`]: per-target known deviations (`expectations/<target>.yaml`), applied
//!   to results before they are rendered, and the run's exit code.
//!
//! The run command calls [`write_all`] (and [`github::emit_from_env`]); `s3cors report`
//! calls [`read_results`] and then the same functions.

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod levels;
pub mod markdown;
/// Test fixtures (a synthetic run); the file lives with the integration tests' helpers so that
/// it is not compiled into the shipped library.
#[cfg(test)]
#[path = "../../tests/it/util/sample.rs"]
pub mod sample;
pub mod security;
mod text;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::results::{CaseResult, Outcome, RunResults, SCHEMA_VERSION, TargetRun};

/// Known deviations are an input of a run and live in the runner; this path is kept for
/// code written before they moved (issue 10).
pub use crate::runner::expectations;

/// A report format `s3cors report --format` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `report.html`.
    Html,
    /// `junit.xml`.
    Junit,
    /// `results.json`.
    Json,
}

impl Format {
    /// Every format, in the order they are written.
    pub const ALL: [Format; 4] = [Format::Json, Format::Markdown, Format::Html, Format::Junit];

    /// The file name the format is written to inside the report directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Junit => "junit.xml",
            Format::Json => "results.json",
        }
    }

    /// Renders `results` in this format.
    pub fn render(self, results: &RunResults) -> String {
        match self {
            Format::Markdown => markdown::render(results),
            Format::Html => html::render(results),
            Format::Junit => junit::render(results),
            Format::Json => json::render(results),
        }
    }

    /// Parses a format name as written on the command line (`md`, `html`, `junit`, `json`).
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "junit" | "xml" => Some(Format::Junit),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Why a results file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The file could not be read.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    /// The file is not a results document.
    #[error("{path}:{line}:{column}: not a results file: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The file was written by an s3cors with a different results format.
    #[error(
        "{path}: results format version {found}, this s3cors reads version {expected}; \
         re-run the cases or use the matching s3cors"
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
}

/// Reads a `results.json` written by `s3cors run`, or the same gzip-compressed (recognised by
/// its magic bytes, whatever the name: the published `reports/results.json.gz` is one).
pub fn read_results(path: &Path) -> Result<RunResults, ReportError> {
    let io_error = |error| ReportError::Io {
        path: path.to_path_buf(),
        error,
    };
    let bytes = std::fs::read(path).map_err(io_error)?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read as _;
        let mut plain = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut plain)
            .map_err(io_error)?;
        plain
    } else {
        bytes
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        io_error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text: {e}"),
        ))
    })?;
    parse_results(&text, path)
}

/// Parses the text of a results file; `path` is only used in error messages.
pub fn parse_results(text: &str, path: &Path) -> Result<RunResults, ReportError> {
    // Check the version first, so an old or new file gets a clear message instead of a
    // complaint about some field that moved.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<u32>,
    }
    let parse_error = |e: serde_json::Error| ReportError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let version: Version = serde_json::from_str(text).map_err(parse_error)?;
    if let Some(found) = version.schema_version
        && found != SCHEMA_VERSION
    {
        return Err(ReportError::Version {
            path: path.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_str(text).map_err(parse_error)
}

/// Writes every report format into `dir` (created if missing); returns the files written.
pub fn write_all(results: &RunResults, dir: &Path) -> io::Result<Vec<PathBuf>> {
    write_formats(results, dir, &Format::ALL)
}

/// Writes the given formats into `dir` (created if missing); returns the files written.
pub fn write_formats(
    results: &RunResults,
    dir: &Path,
    formats: &[Format],
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for format in formats {
        let path = dir.join(format.file_name());
        std::fs::write(&path, format.render(results))?;
        written.push(path);
        if *format == Format::Markdown {
            // The summary links one details file per target (see `markdown`).
            for (i, rel) in markdown::detail_files(results).iter().enumerate() {
                let path = dir.join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, markdown::render_target(results, i))?;
                written.push(path);
            }
        }
    }
    Ok(written)
}

/// Why a target did not run everything, unescaped (each renderer escapes for its format):
/// "not run: …" when it was unavailable, then "no <capability>: …" per missing capability.
pub fn target_notes(t: &TargetRun) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(why) = &t.unavailable {
        notes.push(format!("not run: {why}"));
    }
    let caps = &t.capabilities;
    for (name, why) in [
        ("bucket CORS", &caps.bucket_cors),
        ("public ACLs", &caps.public_acl),
        ("virtual-hosted addressing", &caps.virtual_hosted),
    ] {
        if let Some(why) = why {
            notes.push(format!("no {name}: {why}"));
        }
    }
    notes.extend(t.notes.iter().cloned());
    notes
}

/// The group a case belongs to in the matrix: the first path segment of its id
/// (`preflight/allowed-origin` → `preflight`).
pub fn group_of(case_id: &str) -> &str {
    case_id.split('/').next().unwrap_or(case_id)
}

/// Outcome counts for one cell of the matrix (one group on one target, or a total).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: BTreeMap<Outcome, usize>,
}

impl Tally {
    /// Counts one outcome.
    pub fn add(&mut self, outcome: Outcome) {
        *self.counts.entry(outcome).or_insert(0) += 1;
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Tally) {
        for (outcome, n) in &other.counts {
            *self.counts.entry(*outcome).or_insert(0) += n;
        }
    }

    /// How many cases ended with `outcome`.
    pub fn get(&self, outcome: Outcome) -> usize {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// Every case counted.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// `passed/total`.
    pub fn ratio(&self) -> String {
        format!("{}/{}", self.get(Outcome::Pass), self.total())
    }

    /// Markers for everything that did not pass, e.g. `2 fail, 1 known deviation`, in a fixed
    /// order (most serious first).
    pub fn markers(&self) -> Vec<(Outcome, usize)> {
        MARKER_ORDER
            .iter()
            .filter_map(|&o| {
                let n = self.get(o);
                (n > 0).then_some((o, n))
            })
            .collect()
    }

    /// The most serious outcome counted, for colouring a cell (`None` when empty).
    pub fn worst(&self) -> Option<Outcome> {
        MARKER_ORDER
            .iter()
            .copied()
            .find(|&o| self.get(o) > 0)
            .or_else(|| (self.get(Outcome::Pass) > 0).then_some(Outcome::Pass))
    }
}

/// Non-pass outcomes, most serious first: the order markers are listed in everywhere.
pub const MARKER_ORDER: [Outcome; 6] = [
    Outcome::Error,
    Outcome::Fail,
    Outcome::StaleExpectation,
    Outcome::KnownDeviation,
    Outcome::Unsupported,
    Outcome::Skipped,
];

/// A one-word label for matrix markers (`known` rather than `known deviation`).
pub fn short_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::KnownDeviation => "known",
        Outcome::StaleExpectation => "stale",
        Outcome::Unsupported => "unsupported",
        Outcome::Skipped => "skipped",
        Outcome::Error => "error",
    }
}

/// A symbol that tells outcomes apart without colour (reports always print the label too).
pub fn symbol(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::KnownDeviation => "≈",
        Outcome::StaleExpectation => "!",
        Outcome::Unsupported => "∅",
        Outcome::Skipped => "–",
        Outcome::Error => "⚡",
    }
}

/// Every outcome, in the order legends and filters list them.
pub const ALL_OUTCOMES: [Outcome; 7] = [
    Outcome::Pass,
    Outcome::Fail,
    Outcome::StaleExpectation,
    Outcome::KnownDeviation,
    Outcome::Unsupported,
    Outcome::Skipped,
    Outcome::Error,
];

/// The compatibility matrix: case groups (rows) × targets (columns).
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    /// Group names, sorted.
    pub groups: Vec<String>,
    /// `cells[group][target]`, targets in run order.
    pub cells: Vec<Vec<Tally>>,
    /// Per-target totals over every group.
    pub totals: Vec<Tally>,
}

impl Matrix {
    /// Builds the matrix of a run: every case except the security cases, which reports show
    /// in their own section (see [`security`]).
    pub fn of(results: &RunResults) -> Matrix {
        let mut by_group: BTreeMap<&str, Vec<Tally>> = BTreeMap::new();
        let n = results.targets.len();
        for (ti, target) in results.targets.iter().enumerate() {
            for case in security::ordinary_cases(target) {
                let row = by_group
                    .entry(group_of(&case.case))
                    .or_insert_with(|| vec![Tally::default(); n]);
                row[ti].add(case.outcome.0);
            }
        }
        let mut totals = vec![Tally::default(); n];
        for row in by_group.values() {
            for (total, cell) in totals.iter_mut().zip(row) {
                total.merge(cell);
            }
        }
        let (groups, cells) = by_group
            .into_iter()
            .map(|(g, row)| (g.to_string(), row))
            .unzip();
        Matrix {
            groups,
            cells,
            totals,
        }
    }
}

/// Every case id in the run (union over targets), sorted, with the first result that
/// describes it (for its title, tags and file).
pub fn case_index(results: &RunResults) -> Vec<(&str, &CaseResult)> {
    let mut index: BTreeMap<&str, &CaseResult> = BTreeMap::new();
    for target in &results.targets {
        for case in &target.cases {
            index.entry(case.case.as_str()).or_insert(case);
        }
    }
    index.into_iter().collect()
}

/// The result of `case_id` on `target`, if it ran there.
pub fn find_case<'a>(target: &'a TargetRun, case_id: &str) -> Option<&'a CaseResult> {
    target.cases.iter().find(|c| c.case == case_id)
}

/// The `curl` command of the step that decided the outcome (the failing step, else the
/// last step that ran).
pub fn deciding_curl(case: &CaseResult) -> Option<std::borrow::Cow<'_, str>> {
    let step = case
        .failed_step
        .and_then(|i| case.steps.get(i))
        .or_else(|| case.steps.last())?;
    (!step.curl.is_empty() || !step.request.method.is_empty()).then(|| curl_replay(step))
}

/// The diff of a case: the case-level diff, else the failing step's.
pub fn case_diff(case: &CaseResult) -> Option<&str> {
    case.diff.as_deref().or_else(|| {
        case.failed_step
            .and_then(|i| case.steps.get(i))
            .and_then(|s| s.diff.as_deref())
    })
}

/// The first changed line of a diff (`-…` or `+…`, not the `---`/`+++` headers), else its
/// first non-empty line: what a one-line message about a failure should say.
pub fn first_diff_line(diff: &str) -> &str {
    let is_change = |l: &&str| {
        (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---") && !l.starts_with("+++")
    };
    diff.lines()
        .find(is_change)
        .or_else(|| diff.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
}

/// The `curl` command replaying a step: the stored one, else rendered from the (redacted)
/// request on demand (the runner stores it only for failing steps).
pub(crate) fn curl_replay(step: &crate::results::StepResult) -> std::borrow::Cow<'_, str> {
    if step.curl.is_empty() {
        std::borrow::Cow::Owned(crate::runner::render::curl(&step.request))
    } else {
        std::borrow::Cow::Borrowed(&step.curl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::OutcomeOrDefault;

    #[test]
    fn groups_are_first_path_segments() {
        assert_eq!(group_of("preflight/allowed-origin"), "preflight");
        assert_eq!(group_of("validation/a/b"), "validation");
        assert_eq!(group_of("lonely"), "lonely");
    }

    #[test]
    fn matrix_counts_per_group_and_target() {
        let r = sample::sample_results();
        let m = Matrix::of(&r);
        assert_eq!(m.groups, vec!["config-api", "preflight", "validation"]);
        let preflight = &m.cells[1];
        assert_eq!(preflight[0].ratio(), "1/2");
        assert_eq!(preflight[0].get(Outcome::Fail), 1);
        assert_eq!(m.totals.len(), 2);
        assert_eq!(
            m.totals[0].total(),
            r.targets[0].cases.len(),
            "totals cover every case"
        );
    }

    #[test]
    fn matrix_leaves_security_cases_out() {
        let m = Matrix::of(&sample::sample_with_security());
        assert!(!m.groups.iter().any(|g| g == "mutation"));
        assert_eq!(m.totals[1].total(), 4);
    }

    #[test]
    fn tally_worst_and_markers() {
        let mut t = Tally::default();
        assert_eq!(t.worst(), None);
        t.add(Outcome::Pass);
        assert_eq!(t.worst(), Some(Outcome::Pass));
        t.add(Outcome::Unsupported);
        t.add(Outcome::Fail);
        t.add(Outcome::Fail);
        assert_eq!(t.worst(), Some(Outcome::Fail));
        assert_eq!(
            t.markers(),
            vec![(Outcome::Fail, 2), (Outcome::Unsupported, 1)]
        );
        assert_eq!(t.ratio(), "1/4");
    }

    #[test]
    fn first_diff_line_skips_headers_and_context() {
        let d = "--- expected\n+++ actual\n status 200\n-Vary: Origin\n+Vary: *\n";
        assert_eq!(first_diff_line(d), "-Vary: Origin");
        assert_eq!(first_diff_line("\n  just text\n"), "  just text");
        assert_eq!(first_diff_line(""), "");
    }

    #[test]
    fn results_round_trip_and_version_check() {
        let r = sample::sample_results();
        let text = json::render(&r);
        let back = parse_results(&text, Path::new("results.json")).expect("parses");
        assert_eq!(back, r);

        let newer = text.replacen(
            &format!("\"schema_version\":{SCHEMA_VERSION}"),
            "\"schema_version\":999",
            1,
        );
        let err = parse_results(&newer, Path::new("r.json")).expect_err("version");
        assert!(err.to_string().contains("version 999"), "{err}");

        let err = parse_results("{\n  \"targets\": 5\n}", Path::new("r.json")).expect_err("bad");
        assert!(err.to_string().starts_with("r.json:2:"), "{err}");
    }

    #[test]
    fn write_all_writes_four_files_and_a_details_file_per_target() {
        let dir = std::env::temp_dir().join(format!("s3cors-report-{}", std::process::id()));
        let r = sample::sample_results();
        let files = write_all(&r, &dir).expect("writes");
        let names: Vec<_> = files
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect();
        assert_eq!(
            names,
            vec![
                "results.json",
                "report.md",
                "embedded.md",
                "moto.md",
                "report.html",
                "junit.xml"
            ]
        );
        assert!(dir.join("details/moto.md").is_file());
        for f in &files {
            let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            assert!(len > 100, "{} is too small", f.display());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn deciding_curl_prefers_failed_step() {
        let mut c = CaseResult {
            outcome: OutcomeOrDefault(Outcome::Fail),
            ..Default::default()
        };
        assert_eq!(deciding_curl(&c), None);
        c.steps = vec![
            crate::results::StepResult {
                curl: "curl one".into(),
                ..Default::default()
            },
            crate::results::StepResult {
                curl: "curl two".into(),
                ..Default::default()
            },
        ];
        assert_eq!(deciding_curl(&c).as_deref(), Some("curl two"));
        c.failed_step = Some(0);
        assert_eq!(deciding_curl(&c).as_deref(), Some("curl one"));
    }

    #[test]
    fn format_names() {
        assert_eq!(Format::parse("md"), Some(Format::Markdown));
        assert_eq!(Format::parse(" HTML "), Some(Format::Html));
        assert_eq!(Format::parse("junit"), Some(Format::Junit));
        assert_eq!(Format::parse("json"), Some(Format::Json));
        assert_eq!(Format::parse("pdf"), None);
    }
}
