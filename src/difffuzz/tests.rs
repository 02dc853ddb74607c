//! The fuzzer against an in-process target that deviates on purpose: it must find exactly
//! that deviation, shrink it, write cases that pass on the reference and fail on the
//! deviating target, and find the same things twice for the same seed.

use super::*;
use crate::target::embedded::EmbeddedTarget;
use crate::target::{S3Request, S3Response, TargetInfo, TransportError, WireRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The embedded server, except that it never sends `Access-Control-Max-Age` and answers
/// `Access-Control-Allow-Origin: *` whenever it allows an origin.
struct Deviating(Arc<EmbeddedTarget>);

impl Target for Deviating {
    fn policy(&self) -> crate::target::TargetPolicy {
        let mut p = self.0.policy();
        p.info = TargetInfo {
            name: "deviating".into(),
            kind: "test".into(),
            ..TargetInfo::default()
        };
        p
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        Box::pin(async move {
            let mut resp = self.0.send(req).await?;
            resp.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("access-control-max-age"));
            for (n, v) in resp.headers.iter_mut() {
                if n.eq_ignore_ascii_case("access-control-allow-origin") {
                    *v = "*".into();
                }
            }
            Ok(resp)
        })
    }

    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<crate::target::Exchange, TransportError>> + Send + 'a>>
    {
        crate::target::exchange_in_two(self, req)
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.0.wire(req)
    }
}

fn options(seed: u64, count: u64) -> Options {
    Options {
        seed,
        budget: Budget::Count(count),
        max_shrink_runs: 40,
        target_name: "deviating".into(),
        expectations: None,
        command: format!("s3cors fuzz --seed {seed}"),
        corpus: CorpusClasses::default(),
    }
}

fn with_targets(f: impl FnOnce(&tokio::runtime::Runtime, &dyn Target, &dyn Target)) {
    let rt = crate::runner::runtime().unwrap();
    let reference = Arc::new(rt.block_on(EmbeddedTarget::start("reference")).unwrap());
    let other = Arc::new(rt.block_on(EmbeddedTarget::start("other")).unwrap());
    let deviating = Deviating(other.clone());
    f(rt, reference.as_ref(), &deviating);
    rt.block_on(reference.shutdown());
    rt.block_on(other.shutdown());
}

#[test]
fn finds_shrinks_and_reproduces_the_planted_deviations() {
    with_targets(|rt, reference, deviating| {
        let fuzzer = Fuzzer::new(rt, reference, deviating, None);
        let a = fuzzer.campaign(&options(7, 60));
        assert_eq!(a.scenarios, 60);
        assert_eq!(a.errors, 0, "{:?}", a.error_samples);
        assert!(!a.findings.is_empty(), "no finding in 60 scenarios");
        assert!(
            a.findings
                .iter()
                .any(|f| f.signature.contains("access-control-max-age missing")),
            "{}",
            findings_text(&a)
        );
        for f in &a.findings {
            // Only the planted deviations are reported, nothing else.
            let planted = f.signature.contains("access-control-max-age missing")
                || f.signature.contains("access-control-allow-origin star")
                || f.signature
                    .contains("access-control-allow-credentials extra");
            assert!(planted, "unexpected class: {}", f.signature);
            // The written case passes on the reference and fails on the deviating target.
            let case = parse_case(&f.case_id, "found.yaml", &f.case_yaml)
                .unwrap_or_else(|e| panic!("{e:?}\n{}", f.case_yaml));
            assert_eq!(
                fuzzer.run_on(reference, None, &case),
                Verdict::Same,
                "{}",
                f.case_yaml
            );
            assert!(
                matches!(fuzzer.run_on(deviating, None, &case), Verdict::Differs { ref signature, .. } if *signature == f.signature),
                "{}",
                f.case_yaml
            );
            // Shrunk: a single step is enough for every planted deviation.
            assert_eq!(case.steps.len(), 1, "{}", f.case_yaml);
        }
        // Same seed, same findings (and the same minimal cases).
        let b = Fuzzer::new(rt, reference, deviating, None).campaign(&options(7, 60));
        assert_eq!(findings_text(&a), findings_text(&b));
        let yaml = |s: &Summary| -> Vec<String> {
            s.findings.iter().map(|f| f.case_yaml.clone()).collect()
        };
        assert_eq!(yaml(&a), yaml(&b));
    });
}

#[test]
fn the_reference_against_itself_finds_nothing_and_known_classes_are_not_rewritten() {
    with_targets(|rt, reference, deviating| {
        let same = Fuzzer::new(rt, reference, reference, None).campaign(&options(3, 25));
        assert_eq!(same.same, 25, "{:?}", same.findings);
        assert!(same.findings.is_empty());

        let first = Fuzzer::new(rt, reference, deviating, None).campaign(&options(7, 30));
        let listed = first.findings.first().expect("a finding").case_id.clone();
        let exp = crate::runner::expectations::parse(
            &format!("target: deviating\ndeviations:\n  - case: {listed}\n    reason: planted\n"),
            std::path::Path::new("deviating.yaml"),
        )
        .unwrap();
        let mut opts = options(7, 30);
        opts.expectations = Some(exp);
        let second = Fuzzer::new(rt, reference, deviating, None).campaign(&opts);
        let f = second
            .findings
            .iter()
            .find(|f| f.case_id == listed)
            .expect("the listed class is still counted");
        assert_eq!(f.known.as_deref(), Some("planted"));
        assert!(f.case_yaml.is_empty());
        assert_eq!(second.new_findings().count() + 1, second.findings.len());
    });
}

#[test]
fn corpus_classes_flag_a_finding_only_when_every_part_is_shown() {
    use crate::results::{
        CaseResult, Outcome, OutcomeOrDefault, RunResults, StepResult, TargetRun,
    };
    let case = CaseResult {
        case: "preflight/x".into(),
        outcome: OutcomeOrDefault(Outcome::KnownDeviation),
        failed_step: Some(0),
        diff: Some(
            "-status: 403\n+status: 200\n-error.Code: AccessForbidden\n+error.Code: <absent>\n"
                .into(),
        ),
        steps: vec![StepResult {
            label: "OPTIONS fuzz.txt".into(),
            ..StepResult::default()
        }],
        ..CaseResult::default()
    };
    let results = RunResults {
        targets: vec![TargetRun {
            info: TargetInfo {
                name: "peer".into(),
                ..TargetInfo::default()
            },
            cases: vec![case],
            ..TargetRun::default()
        }],
        ..RunResults::default()
    };
    let c = CorpusClasses::from_results(&results, "peer");
    assert_eq!(c.len(), 2);
    assert_eq!(
        c.flagging("preflight: error.Code missing, status 403→200 [browser-differs]"),
        Some(vec!["preflight/x".to_string()])
    );
    assert_eq!(
        c.flagging("preflight: status 403→200, vary extra [browser-same]"),
        None
    );
    assert_eq!(c.flagging("GET: status 403→200 [browser-same]"), None);
    assert!(CorpusClasses::from_results(&results, "other").is_empty());
}
