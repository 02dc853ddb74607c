//! The one results model: what a run produced, target by target and case by case.
//!
//! The runner fills it, `results.json` stores it (versioned by [`SCHEMA_VERSION`]), and every
//! report (Markdown, HTML, JUnit, GitHub summary) is rendered from it and nothing else.

use serde::{Deserialize, Serialize};

use crate::s3::{S3Response, TargetInfo, WireRequest};

/// Version of the results file format. Bump on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run: one or more targets, every case against each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunResults {
    pub schema_version: u32,
    /// `env!("CARGO_PKG_VERSION")` of the s3cors that ran.
    pub s3cors_version: String,
    /// RFC 3339 UTC time the run started.
    pub started_at: String,
    /// Revision of the case corpus (git commit of `cases/` when known, else a content hash).
    pub case_revision: String,
    /// The command line that reproduces the run (no secrets).
    pub command: String,
    pub targets: Vec<TargetRun>,
}

/// One target's part of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TargetRun {
    pub info: TargetInfo,
    /// Capability probe results (reasons for anything unsupported).
    pub capabilities: crate::s3::Capabilities,
    /// Why the whole target could not run, if it could not.
    pub unavailable: Option<String>,
    pub cases: Vec<CaseResult>,
    /// What the target reported about the run itself (e.g. the `aws` target's visibility
    /// waits; see [`crate::target::Target::notes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The outcome of one case against one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every expectation held.
    Pass,
    /// An expectation did not hold (a conformance difference).
    Fail,
    /// Failed, and the target's expectations file lists it as a known deviation.
    KnownDeviation,
    /// Listed as a known deviation but passed: the expectations entry is stale.
    StaleExpectation,
    /// The target lacks a capability the case needs (reason given).
    Unsupported,
    /// Skipped for another reason (target unavailable, filtered by tag, …).
    Skipped,
    /// The harness or the target broke (timeout, connection refused, setup failed).
    Error,
}

impl Outcome {
    /// Short lower-case label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::KnownDeviation => "known deviation",
            Outcome::StaleExpectation => "stale expectation",
            Outcome::Unsupported => "unsupported",
            Outcome::Skipped => "skipped",
            Outcome::Error => "error",
        }
    }
}

/// One case × target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CaseResult {
    /// Case id: its path under the cases directory without `.yaml` (`preflight/allowed-origin`).
    pub case: String,
    pub title: String,
    /// Case file path as given to the runner, for annotations.
    pub file: String,
    /// Spec rules the case exercises.
    pub spec: Vec<String>,
    pub tags: Vec<String>,
    /// Set when the spec marks the behaviour unsettled (the reason).
    pub unsettled: Option<String>,
    pub outcome: OutcomeOrDefault,
    /// Reason for unsupported / skipped / error / known deviation (with link when given).
    pub reason: Option<String>,
    /// Step that decided a failure or error (0-based), with its source line.
    pub failed_step: Option<usize>,
    pub failed_line: Option<usize>,
    /// Plain-text `-expected +actual` diff of the failing step (no colour codes).
    pub diff: Option<String>,
    /// Every step that ran, in order.
    pub steps: Vec<StepResult>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Browser-level comparison (issue 7): `Some(true)` when every step's browser verdict
    /// equals the expected one.
    pub browser_equivalent: Option<bool>,
}

/// Wrapper so `CaseResult` can derive `Default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutcomeOrDefault(pub Outcome);

impl Default for OutcomeOrDefault {
    fn default() -> Self {
        OutcomeOrDefault(Outcome::Error)
    }
}

/// One step that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StepResult {
    /// Step kind and summary, e.g. `OPTIONS image.jpg` or `PutBucketCors`.
    pub label: String,
    /// Source line of the step in the case file (1-based).
    pub line: usize,
    /// The request as sent (after signing; credentials redacted).
    pub request: WireRequest,
    /// What came back (`None` on a transport error).
    pub response: Option<S3Response>,
    /// Whether this step's expectations held.
    pub passed: bool,
    /// The step's diff when it did not.
    pub diff: Option<String>,
    /// `curl` command replaying the request (credentials redacted). Rendered by the runner
    /// for failing and erroring steps only (a passing step's replay is rarely read and cost
    /// a string per step): empty otherwise; `report::curl_replay` renders any step's.
    pub curl: String,
    /// What a browser makes of the response, when the step is a cross-origin request.
    pub browser: Option<crate::browser::Verdict>,
    /// What a browser would make of the expected response, for the browser-equivalence level.
    pub expected_browser: Option<crate::browser::Verdict>,
    /// What the case expected of the response, as data (`None` for set-up steps and in
    /// results files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<ExpectedResponse>,
}

/// What a case expected of one step's response, kept as data so that readers (security
/// findings, reports) decide from facts instead of parsing the rendered diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ExpectedResponse {
    pub status: u16,
    /// The CORS surface the case lists (`Access-Control-*`, `Vary`): names lower-cased,
    /// `${bucket}` substituted, in the case's order.
    pub headers: Vec<(String, String)>,
}

impl ExpectedResponse {
    /// The expected value of a CORS-surface header (case-insensitive name), if listed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl RunResults {
    /// Counts of each outcome over every target.
    pub fn counts(&self) -> std::collections::BTreeMap<Outcome, usize> {
        let mut m = std::collections::BTreeMap::new();
        for t in &self.targets {
            for c in &t.cases {
                *m.entry(c.outcome.0).or_insert(0) += 1;
            }
        }
        m
    }
}
