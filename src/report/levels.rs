//! The browser level of a report (issue 7, comparison levels), next to exact conformance.
//!
//! Exact conformance asks "does the target answer with Amazon S3's headers?"; the browser
//! level asks "does a browser make the same decision as with Amazon S3?" (allowed or blocked,
//! and which headers a script can read; see [`crate::browser::Verdict::browser_equivalent`]).
//! The two disagree in both directions and those crossings are what a reader wants listed: a
//! target can differ in `Vary` only and be fine for every page, or answer "almost right" and
//! still break a credentialed `fetch()`.
//!
//! Counted per target, over the same cases as the matrix (security cases are reported on
//! their own, see [`super::security`]). Only cases that ran to a verdict count as compared
//! (pass, fail, known deviation, stale expectation); unsupported, skipped and errored cases are
//! "not compared", whatever steps ran before they stopped.

use crate::browser::{Verdict, VerdictKind};
use crate::results::{CaseResult, Outcome, StepResult, TargetRun};

/// Whether an outcome means the case passed exact conformance (`Some(true)`), failed it
/// (`Some(false)`), or did not get that far (`None`).
pub fn exact_passed(outcome: Outcome) -> Option<bool> {
    match outcome {
        Outcome::Pass | Outcome::StaleExpectation => Some(true),
        Outcome::Fail | Outcome::KnownDeviation => Some(false),
        Outcome::Unsupported | Outcome::Skipped | Outcome::Error => None,
    }
}

/// The browser level of one case: `Some(true)` browser-equivalent to Amazon S3, `Some(false)`
/// not, `None` not compared (no cross-origin step, an expectation that does not pin the whole
/// CORS surface, or a case that did not run to a verdict).
pub fn browser_status(case: &CaseResult) -> Option<bool> {
    exact_passed(case.outcome.0)?;
    case.browser_equivalent
}

/// A short label for a case's browser level.
pub fn status_label(status: Option<bool>) -> &'static str {
    match status {
        Some(true) => "same verdict as Amazon S3",
        Some(false) => "different verdict from Amazon S3",
        None => "not compared",
    }
}

/// The browser level of one target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrowserLevel<'a> {
    /// Cases a browser treats exactly as on Amazon S3.
    pub equivalent: usize,
    /// Cases where a browser decides differently.
    pub differs: usize,
    /// Cases without a browser comparison.
    pub not_compared: usize,
    /// Failed exact conformance (fail or known deviation), yet browser-equivalent: the
    /// difference does not matter to pages.
    pub fails_exact_but_equivalent: Vec<&'a CaseResult>,
    /// Passed exact conformance (pass or stale expectation), yet not browser-equivalent
    /// (possible when an expectation lists only part of the CORS surface).
    pub passes_exact_but_differs: Vec<&'a CaseResult>,
}

impl<'a> BrowserLevel<'a> {
    /// The browser level over the given cases of one target.
    pub fn of_cases(cases: impl IntoIterator<Item = &'a CaseResult>) -> BrowserLevel<'a> {
        let mut level = BrowserLevel::default();
        for c in cases {
            match browser_status(c) {
                Some(true) => level.equivalent += 1,
                Some(false) => level.differs += 1,
                None => level.not_compared += 1,
            }
            match (exact_passed(c.outcome.0), browser_status(c)) {
                (Some(false), Some(true)) => level.fails_exact_but_equivalent.push(c),
                (Some(true), Some(false)) => level.passes_exact_but_differs.push(c),
                _ => {}
            }
        }
        level
    }

    /// The browser level of a target's ordinary (non-security) cases.
    pub fn of(target: &'a TargetRun) -> BrowserLevel<'a> {
        BrowserLevel::of_cases(super::security::ordinary_cases(target))
    }

    /// Cases compared at the browser level.
    pub fn compared(&self) -> usize {
        self.equivalent + self.differs
    }
}

/// One verdict in a line: `allowed (preflight): methods GET, HEAD` or
/// `blocked (actual request): <console reason>`.
pub fn verdict_line(v: &Verdict) -> String {
    let kind = kind_label(v.kind);
    let notes: String = v.notes.iter().map(|n| format!("; {n}")).collect();
    if !v.allowed {
        return format!("blocked ({kind}): {}{notes}", v.reason);
    }
    let mut s = format!("allowed ({kind})");
    if let Some(p) = &v.preflight {
        if !p.allowed_methods.is_empty() {
            s.push_str(&format!("; methods {}", p.allowed_methods.join(", ")));
        }
        if !p.allowed_headers.is_empty() {
            s.push_str(&format!("; headers {}", p.allowed_headers.join(", ")));
        }
    }
    if v.kind == VerdictKind::Actual {
        s.push_str(&format!("; readable headers: {}", readable(v)));
    }
    s.push_str(&notes);
    s
}

/// What a verdict judges, in words: `actual request`, `preflight`, `no-cors load`.
pub fn kind_label(kind: VerdictKind) -> &'static str {
    match kind {
        VerdictKind::Actual => "actual request",
        VerdictKind::Preflight => "preflight",
        VerdictKind::Opaque => "no-cors load",
    }
}

/// The readable headers of a verdict, or `none`.
pub fn readable(v: &Verdict) -> String {
    if v.readable_headers.is_empty() {
        "none".into()
    } else {
        v.readable_headers.join(", ")
    }
}

/// The steps of a case whose browser verdicts differ from Amazon S3's, with their index.
pub fn differing_steps(case: &CaseResult) -> Vec<(usize, &StepResult, &Verdict, &Verdict)> {
    case.steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match (&s.expected_browser, &s.browser) {
            (Some(e), Some(a)) if !a.browser_equivalent(e) => Some((i, s, e, a)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_results;

    #[test]
    fn counts_and_crossings_per_target() {
        let r = sample_results();
        let embedded = BrowserLevel::of(&r.targets[0]);
        assert_eq!(
            (embedded.equivalent, embedded.differs, embedded.not_compared),
            (2, 0, 2)
        );
        let ids = |v: &[&CaseResult]| v.iter().map(|c| c.case.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&embedded.fails_exact_but_equivalent),
            vec!["preflight/vary-all-three"]
        );
        assert!(embedded.passes_exact_but_differs.is_empty());

        let moto = BrowserLevel::of(&r.targets[1]);
        assert_eq!(
            (moto.equivalent, moto.differs, moto.not_compared),
            (1, 2, 1)
        );
        assert_eq!(moto.compared(), 3);
        assert_eq!(
            ids(&moto.fails_exact_but_equivalent),
            vec!["preflight/vary-all-three"]
        );
        assert_eq!(
            ids(&moto.passes_exact_but_differs),
            vec!["validation/two-wildcards"]
        );
    }

    #[test]
    fn unfinished_cases_are_not_compared() {
        let mut c = CaseResult {
            browser_equivalent: Some(true),
            ..CaseResult::default()
        };
        c.outcome.0 = Outcome::Error;
        assert_eq!(browser_status(&c), None);
        c.outcome.0 = Outcome::KnownDeviation;
        assert_eq!(browser_status(&c), Some(true));
    }

    #[test]
    fn verdict_lines() {
        let blocked = Verdict {
            allowed: false,
            reason: "No 'Access-Control-Allow-Origin' header is present".into(),
            ..Verdict::default()
        };
        assert_eq!(
            verdict_line(&blocked),
            "blocked (actual request): No 'Access-Control-Allow-Origin' header is present"
        );
        let allowed = Verdict {
            allowed: true,
            readable_headers: vec!["content-type".into(), "etag".into()],
            ..Verdict::default()
        };
        assert_eq!(
            verdict_line(&allowed),
            "allowed (actual request); readable headers: content-type, etag"
        );
    }
}
