//! Security findings: the origin-mutation pack (issue 6) reported apart from conformance.
//!
//! Cases tagged `security` ([`crate::mutation::TAG`], ids `mutation/<source>/<variant>`) send
//! hostile `Origin` values (suffix and prefix tricks, `null`, scheme downgrades, …) and expect
//! exactly Amazon S3's answer. A target that *grants* one that S3 refuses lets an attacker's
//! page read the bucket's responses: that is a security finding, not a compatibility nit, so
//! reports keep these cases out of the conformance matrix and list them in their own section,
//! counted by severity (the case's `severity:*` tag, see [`crate::mutation::severity_of`]).
//!
//! A failed security case is classified by what a browser would do
//! ([`crate::results::StepResult::browser`] against `expected_browser`), falling back to the
//! diff when no verdict was recorded:
//!
//! - [`FindingKind::Granted`]: the target lets the hostile origin through where S3 refuses
//!   (or adds an `Access-Control-Allow-Origin` S3 does not send) — the finding;
//! - [`FindingKind::Refused`]: the target is stricter than S3 (a compatibility difference);
//! - [`FindingKind::HeadersDiffer`]: same decision, different headers.
//!
//! Known deviations count: a listed security finding is still a finding (marked as known).

use crate::mutation::{Severity, TAG, severity_of};
use crate::results::{CaseResult, Outcome, TargetRun};

/// Severities, most serious first (the order reports list them in).
pub const SEVERITIES: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];

/// Whether a case belongs to the security findings rather than the conformance matrix.
pub fn is_security(case: &CaseResult) -> bool {
    case.tags.iter().any(|t| t == TAG)
}

/// A target's cases that are not security cases (the matrix and the browser level).
pub fn ordinary_cases(target: &TargetRun) -> impl Iterator<Item = &CaseResult> {
    target.cases.iter().filter(|c| !is_security(c))
}

/// What a failed security case shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// The target grants the hostile origin where Amazon S3 refuses it.
    Granted,
    /// The target refuses where Amazon S3 grants (stricter; not a vulnerability).
    Refused,
    /// Same decision as Amazon S3, different headers.
    HeadersDiffer,
}

impl FindingKind {
    /// A short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::Granted => "wrongly granted",
            FindingKind::Refused => "refused where S3 grants",
            FindingKind::HeadersDiffer => "headers differ",
        }
    }
}

/// One failed security case on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding<'a> {
    pub case: &'a CaseResult,
    pub kind: FindingKind,
    pub severity: Option<Severity>,
    /// The variant name: the last segment of the case id (`suffix-domain`).
    pub variant: &'a str,
    /// The hostile `Origin` the case sent (from its first request).
    pub origin: Option<&'a str>,
}

impl Finding<'_> {
    /// Whether the target's expectations file lists it.
    pub fn known(&self) -> bool {
        self.case.outcome.0 == Outcome::KnownDeviation
    }
}

/// The security part of one target's run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecuritySummary<'a> {
    /// Security cases in the run for this target.
    pub total: usize,
    /// Answered as Amazon S3 does (pass or stale expectation).
    pub as_s3: usize,
    /// Unsupported, skipped or errored.
    pub not_run: usize,
    /// Failed security cases, most serious first (granted before refused, high before low).
    pub findings: Vec<Finding<'a>>,
}

impl<'a> SecuritySummary<'a> {
    /// Summarises one target's security cases.
    pub fn of(target: &'a TargetRun) -> SecuritySummary<'a> {
        let mut s = SecuritySummary::default();
        for c in target.cases.iter().filter(|c| is_security(c)) {
            s.total += 1;
            match c.outcome.0 {
                Outcome::Pass | Outcome::StaleExpectation => s.as_s3 += 1,
                Outcome::Fail | Outcome::KnownDeviation => s.findings.push(finding(c)),
                Outcome::Unsupported | Outcome::Skipped | Outcome::Error => s.not_run += 1,
            }
        }
        s.findings.sort_by(|a, b| {
            (a.kind, std::cmp::Reverse(a.severity), &a.case.case).cmp(&(
                b.kind,
                std::cmp::Reverse(b.severity),
                &b.case.case,
            ))
        });
        s
    }

    /// Findings of one kind.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding<'a>> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// How many hostile origins were wrongly granted, per severity (most serious first);
    /// findings without a severity tag are not counted here.
    pub fn granted_by_severity(&self) -> [(Severity, usize); 3] {
        SEVERITIES.map(|sev| {
            let n = self
                .of_kind(FindingKind::Granted)
                .filter(|f| f.severity == Some(sev))
                .count();
            (sev, n)
        })
    }

    /// Count of findings of one kind.
    pub fn count(&self, kind: FindingKind) -> usize {
        self.of_kind(kind).count()
    }
}

/// Whether any target ran a security case.
pub fn any_security(r: &crate::results::RunResults) -> bool {
    r.targets.iter().flat_map(|t| &t.cases).any(is_security)
}

fn finding(c: &CaseResult) -> Finding<'_> {
    let origin = c.steps.first().and_then(|s| {
        s.request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("origin"))
            .map(|(_, v)| v.as_str())
    });
    Finding {
        case: c,
        kind: classify(c),
        severity: severity_of(&c.tags),
        variant: c.case.rsplit('/').next().unwrap_or(&c.case),
        origin,
    }
}

/// Decides what a failed security case shows (see the module docs).
pub fn classify(c: &CaseResult) -> FindingKind {
    let pairs = c
        .steps
        .iter()
        .filter_map(|s| Some((s.browser.as_ref()?, s.expected_browser.as_ref()?)));
    let (mut granted, mut refused, mut compared) = (false, false, false);
    for (actual, expected) in pairs {
        compared = true;
        granted |= actual.allowed && !expected.allowed;
        refused |= !actual.allowed && expected.allowed;
    }
    if granted {
        return FindingKind::Granted;
    }
    if refused {
        return FindingKind::Refused;
    }
    if compared {
        return FindingKind::HeadersDiffer;
    }
    // No verdicts: the recorded facts of the failing step decide. An
    // Access-Control-Allow-Origin the target sent where the case expected none is a grant;
    // one the case expected and the target did not send, a refusal.
    let step = c
        .failed_step
        .and_then(|i| c.steps.get(i))
        .or_else(|| c.steps.iter().find(|s| !s.passed));
    let facts = step.and_then(|s| Some((s.response.as_ref()?, s.expected.as_ref()?)));
    match facts.map(|(actual, expected)| {
        (
            actual.header(ACAO).is_some(),
            expected.header(ACAO).is_some(),
        )
    }) {
        Some((true, false)) => FindingKind::Granted,
        Some((false, true)) => FindingKind::Refused,
        _ => FindingKind::HeadersDiffer,
    }
}

const ACAO: &str = "access-control-allow-origin";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_with_security;

    #[test]
    fn security_cases_are_kept_apart() {
        let r = sample_with_security();
        let ordinary: Vec<_> = ordinary_cases(&r.targets[0]).collect();
        assert_eq!(ordinary.len(), 4);
        assert!(ordinary.iter().all(|c| !c.case.starts_with("mutation/")));
        assert!(any_security(&r));
        assert!(!any_security(&crate::report::sample::sample_results()));
    }

    #[test]
    fn summary_counts_by_severity() {
        let r = sample_with_security();
        let embedded = SecuritySummary::of(&r.targets[0]);
        assert_eq!(
            (embedded.total, embedded.as_s3, embedded.not_run),
            (3, 3, 0)
        );
        assert!(embedded.findings.is_empty());

        let moto = SecuritySummary::of(&r.targets[1]);
        assert_eq!((moto.total, moto.as_s3, moto.not_run), (3, 0, 0));
        assert_eq!(
            moto.granted_by_severity(),
            [
                (Severity::High, 1),
                (Severity::Medium, 1),
                (Severity::Low, 0)
            ]
        );
        let kinds: Vec<_> = moto.findings.iter().map(|f| (f.kind, f.variant)).collect();
        assert_eq!(
            kinds,
            vec![
                (FindingKind::Granted, "suffix-domain"),
                (FindingKind::Granted, "scheme-downgrade"),
                (FindingKind::Refused, "arbitrary-subdomain"),
            ]
        );
        assert_eq!(
            moto.findings[0].origin,
            Some("https://app.example.com.evil-s3cors.test")
        );
        assert!(moto.findings[1].known());
    }

    #[test]
    fn recorded_facts_decide_without_verdicts() {
        use crate::results::{ExpectedResponse, StepResult};
        use crate::s3::S3Response;
        let step = |sent: Option<&str>, expected: Option<&str>| StepResult {
            response: Some(S3Response {
                status: 200,
                headers: sent
                    .map(|v| vec![(ACAO.to_string(), v.to_string())])
                    .unwrap_or_default(),
                body: Vec::new(),
            }),
            expected: Some(ExpectedResponse {
                status: 200,
                headers: expected
                    .map(|v| vec![(ACAO.to_string(), v.to_string())])
                    .unwrap_or_default(),
            }),
            ..StepResult::default()
        };
        let case = |s: StepResult| CaseResult {
            failed_step: Some(0),
            steps: vec![s],
            // The diff text is not read: a misleading one must not change the verdict.
            diff: Some("-access-control-allow-origin: http://a.test\n".into()),
            ..CaseResult::default()
        };
        assert_eq!(
            classify(&case(step(Some("http://evil.test"), None))),
            FindingKind::Granted
        );
        assert_eq!(
            classify(&case(step(None, Some("http://a.test")))),
            FindingKind::Refused
        );
        assert_eq!(
            classify(&case(step(Some("*"), Some("http://a.test")))),
            FindingKind::HeadersDiffer
        );
        // An old results file without the expected side: no guess.
        let mut old = step(Some("http://evil.test"), None);
        old.expected = None;
        assert_eq!(classify(&case(old)), FindingKind::HeadersDiffer);
    }
}
