//! Differential fuzzing (`s3cors fuzz`): generated scenarios sent to the embedded reference
//! and to a target, compared exactly as the runner compares a case, every difference shrunk
//! and grouped by signature, one case file per signature.
//!
//! Why: the corpus is hand-written, so whether it pins the behaviour down is unmeasured; a
//! peer can deviate in a combination no case tries. s3cors has an oracle (the reference), so
//! it can write its own tests.
//!
//! How one scenario is judged ([`Fuzzer::judge`]):
//! 1. [`emit::case_yaml`] renders it as a case with placeholder expectations; the runner's
//!    [`exec::step_request`] turns each step into the request it would send;
//! 2. the reference answers each request in a fresh bucket; its answers become the case's
//!    expectations ([`emit::StepExpect`]) and the case is parsed again from the final YAML;
//! 3. [`exec::run_case`] runs that case on the target, exactly as `s3cors run` does: the
//!    exact level is the runner's [`crate::runner::compare`], the browser level its
//!    [`crate::runner::browser`] verdicts. A failed step's diff gives the [`signature`].
//!
//! Every *new* signature is shrunk ([`shrink`]) with a bounded number of evaluations, the
//! minimal case is re-run on the reference (it must pass there, else it is dropped as a
//! harness problem) and kept. A signature whose case id (`fuzz/<slug>`) is listed in the
//! target's expectations file is counted as *known* and not rewritten.
//!
//! Reproducibility: scenarios come from a ChaCha RNG seeded with `--seed`, one after the
//! other, and shrinking uses no randomness, so a given seed against a deterministic target
//! yields the same findings for the same number of scenarios. `--count` fixes that number;
//! `--budget` bounds wall time instead, so a slower run may stop earlier (the report says how
//! many scenarios ran).

pub mod emit;
pub mod generate;
pub mod shrink;
pub mod signature;

use crate::case::{Case, parse_case};
use crate::runner::expectations::{self, Expectations};
use crate::runner::{Decision, exec};
use crate::target::Target;
use crate::target::cleanup::{self, RunId};
use emit::{Header, StepExpect};
use generate::Scenario;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use signature::BrowserLevel;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When to stop generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Stop starting new scenarios after this much wall time.
    Time(Duration),
    /// Stop after this many scenarios.
    Count(u64),
}

/// What a campaign needs besides the two targets.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub budget: Budget,
    /// Evaluations allowed for shrinking one finding.
    pub max_shrink_runs: usize,
    /// The target's name (labels findings, and picks its expectations).
    pub target_name: String,
    /// The target's known deviations, if any.
    pub expectations: Option<Expectations>,
    /// The reproducing command line, for the written files.
    pub command: String,
    /// Classes the corpus already shows on this target (counted, not rewritten).
    pub corpus: CorpusClasses,
}

/// One deviation class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub signature: String,
    /// `fuzz/<slug>`: the id the case gets under `cases/`.
    pub case_id: String,
    /// The minimal case file (the reference's answers as expectations).
    pub case_yaml: String,
    /// The target's `-expected +actual` diff of the minimal case.
    pub diff: String,
    /// The expectations entry covering this class, if any (then not written).
    pub known: Option<String>,
    /// How many generated scenarios showed this signature.
    pub hits: usize,
    /// The (0-based) scenario that first showed it.
    pub first_scenario: u64,
    /// Evaluations spent shrinking it.
    pub shrink_runs: usize,
}

/// The deviation classes the corpus already shows on a target, part by part, from a results
/// file (`--corpus-results`): every `(step kind, part)` of every failing or known-deviation
/// case's diff, with the first case that shows it.
///
/// Why parts and not whole signatures: a corpus case names only some fields (often the error
/// `Code` but not the `Message`), so its signature is coarser than a fuzz finding's. A finding
/// counts as flagged by the corpus when *every* part of it appears in some corpus case of the
/// same step kind; a single unseen part makes it new.
#[derive(Debug, Clone, Default)]
pub struct CorpusClasses {
    parts: BTreeMap<(String, String), String>,
}

impl CorpusClasses {
    /// The classes of `target`'s failing cases in `results`.
    pub fn from_results(results: &crate::results::RunResults, target: &str) -> CorpusClasses {
        let mut parts = BTreeMap::new();
        for t in results.targets.iter().filter(|t| t.info.name == target) {
            for c in &t.cases {
                use crate::results::Outcome;
                if !matches!(c.outcome.0, Outcome::Fail | Outcome::KnownDeviation) {
                    continue;
                }
                let (Some(step), Some(diff)) = (c.failed_step, &c.diff) else {
                    continue;
                };
                let Some(label) = c.steps.get(step).map(|s| s.label.clone()) else {
                    continue;
                };
                let sig = signature::of_diff(&label, diff, BrowserLevel::Same);
                let (kind, ps) = signature::split(&sig);
                for p in ps {
                    parts
                        .entry((kind.clone(), p))
                        .or_insert_with(|| c.case.clone());
                }
            }
        }
        CorpusClasses { parts }
    }

    /// How many `(step kind, part)` classes are known.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether no class is known.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The corpus cases that show every part of `signature`, or `None` when a part is new.
    pub fn flagging(&self, signature: &str) -> Option<Vec<String>> {
        let (kind, parts) = signature::split(signature);
        let mut cases: Vec<String> = Vec::new();
        for p in parts {
            let c = self.parts.get(&(kind.clone(), p))?;
            if !cases.contains(c) {
                cases.push(c.clone());
            }
        }
        Some(cases)
    }
}

/// What a campaign found.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub seed: u64,
    pub scenarios: u64,
    /// Scenarios the target answered like the reference.
    pub same: u64,
    /// Scenarios that differed (all signatures).
    pub differing: u64,
    /// Scenarios that could not be judged (transport errors, unsupported set-up, …).
    pub errors: u64,
    /// The first few error reasons.
    pub error_samples: Vec<String>,
    /// Findings sorted by signature.
    pub findings: Vec<Finding>,
    pub elapsed: Duration,
}

impl Summary {
    /// Findings not covered by the expectations file.
    pub fn new_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.known.is_none())
    }
}

/// The verdict on one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Differs {
        signature: String,
        diff: String,
        yaml: String,
    },
    /// Could not be judged (the reason).
    Error(String),
}

/// A reference and a target, ready to judge scenarios. All methods block on `rt`.
pub struct Fuzzer<'a> {
    pub rt: &'a tokio::runtime::Runtime,
    pub reference: &'a dyn Target,
    pub target: &'a dyn Target,
    pub target_region: Option<String>,
    pub run_id: RunId,
    next_bucket: AtomicU64,
}

/// The case id a signature's case gets under `cases/`.
pub fn case_id(signature: &str) -> String {
    format!("fuzz/{}", signature::slug(signature))
}

/// The ChaCha seed for `--seed N` (the same on every platform).
fn rng_for(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let v = seed
            .wrapping_add(i as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

impl<'a> Fuzzer<'a> {
    pub fn new(
        rt: &'a tokio::runtime::Runtime,
        reference: &'a dyn Target,
        target: &'a dyn Target,
        target_region: Option<String>,
    ) -> Self {
        Fuzzer {
            rt,
            reference,
            target,
            target_region,
            run_id: RunId::generate(),
            next_bucket: AtomicU64::new(0),
        }
    }

    fn bucket(&self) -> String {
        self.run_id
            .bucket_name(self.next_bucket.fetch_add(1, Ordering::Relaxed))
    }

    /// The reference's answer to every step of `scn`, as expectations.
    fn reference_answers(&self, scn: &Scenario) -> Result<Vec<StepExpect>, String> {
        let header = Header {
            title: "placeholder".into(),
            ..Header::default()
        };
        let yaml = emit::case_yaml(scn, None, &header);
        let case = parse_case("fuzz/placeholder", "<generated>", &yaml)
            .map_err(|e| format!("generated case does not load: {e:?}"))?;
        let bucket = self.bucket();
        let reference = self.reference;
        self.rt.block_on(async {
            let answers = async {
                let mut setup = vec![exec::create_bucket_request(&bucket, None)];
                if let Some(rules) = &case.bucket.cors {
                    setup.push(exec::put_cors_request(
                        &bucket,
                        exec::rules_xml(rules).into_bytes(),
                        crate::case::model::Checksum::Md5,
                    ));
                }
                let mut put = crate::target::S3Request::new(
                    "PUT",
                    Some(&bucket),
                    Some(generate::OBJECT_KEY),
                    crate::target::Auth::Signed,
                );
                put.body = generate::OBJECT_BODY.as_bytes().to_vec();
                setup.push(put);
                for req in &setup {
                    let resp = reference.send(req).await.map_err(|e| e.to_string())?;
                    if resp.status >= 300 {
                        return Err(format!(
                            "reference set-up {} answered {}",
                            req.method, resp.status
                        ));
                    }
                }
                let mut out = Vec::new();
                for step in &case.steps {
                    let req = exec::step_request(step, &bucket);
                    let resp = reference.send(&req).await.map_err(|e| e.to_string())?;
                    let get_cors = matches!(step.action, crate::case::Action::GetBucketCors(_));
                    out.push(StepExpect::from_response(&resp, &bucket, get_cors));
                }
                Ok(out)
            }
            .await;
            let _ = cleanup::delete_bucket_fully(reference, &bucket).await;
            answers
        })
    }

    /// The case for `scn` with the reference's answers as expectations.
    pub fn case_for(&self, scn: &Scenario, header: &Header) -> Result<(String, Case), String> {
        let expects = self.reference_answers(scn)?;
        let yaml = emit::case_yaml(scn, Some(&expects), header);
        let case = parse_case("fuzz/generated", "<generated>", &yaml)
            .map_err(|e| format!("generated case does not load: {e:?}"))?;
        Ok((yaml, case))
    }

    /// Runs `case` on `target` as the runner does.
    fn run_on(&self, target: &dyn Target, region: Option<&str>, case: &Case) -> Verdict {
        let bucket = self.bucket();
        let run = self
            .rt
            .block_on(exec::run_case(target, region, case, &bucket));
        match run.decision {
            Decision::Passed => Verdict::Same,
            Decision::Failed(f) => {
                let browser = match crate::runner::browser::case_equivalent(&run.steps) {
                    Some(false) => BrowserLevel::Differs,
                    _ => BrowserLevel::Same,
                };
                Verdict::Differs {
                    signature: signature::of_diff(&f.label, &f.diff, browser),
                    diff: f.diff.replace(&bucket, "${bucket}"),
                    yaml: String::new(),
                }
            }
            Decision::Errored { reason, step: None } if reason.starts_with("set-up:") => {
                Verdict::Differs {
                    signature: signature::of_setup(&reason),
                    diff: reason.replace(&bucket, "${bucket}"),
                    yaml: String::new(),
                }
            }
            Decision::Errored { reason, .. } => Verdict::Error(reason.replace(&bucket, "…")),
            Decision::Unsupported(r) | Decision::Skipped(r) => Verdict::Error(r),
        }
    }

    /// Judges one scenario: the reference's answers against the target's.
    pub fn judge(&self, scn: &Scenario, header: &Header) -> Verdict {
        let (yaml, case) = match self.case_for(scn, header) {
            Ok(c) => c,
            Err(e) => return Verdict::Error(e),
        };
        match self.run_on(self.target, self.target_region.as_deref(), &case) {
            Verdict::Differs {
                signature, diff, ..
            } => Verdict::Differs {
                signature,
                diff,
                yaml,
            },
            v => v,
        }
    }

    /// Runs a campaign: generate, judge, shrink new signatures, group.
    pub fn campaign(&self, opts: &Options) -> Summary {
        let started = Instant::now();
        let mut runner = TestRunner::new_with_rng(Config::default(), rng_for(opts.seed));
        let strategy = generate::scenario();
        let mut summary = Summary {
            seed: opts.seed,
            ..Summary::default()
        };
        let mut found: BTreeMap<String, Finding> = BTreeMap::new();
        let plain = Header {
            title: "generated".into(),
            ..Header::default()
        };
        loop {
            let go_on = match opts.budget {
                Budget::Count(n) => summary.scenarios < n,
                Budget::Time(t) => started.elapsed() < t,
            };
            if !go_on {
                break;
            }
            let index = summary.scenarios;
            summary.scenarios += 1;
            let mut tree = match strategy.new_tree(&mut runner) {
                Ok(t) => t,
                Err(e) => {
                    summary.errors += 1;
                    push_sample(&mut summary, format!("generator: {e}"));
                    continue;
                }
            };
            let scn = tree.current();
            let sig = match self.judge(&scn, &plain) {
                Verdict::Same => {
                    summary.same += 1;
                    continue;
                }
                Verdict::Error(e) => {
                    summary.errors += 1;
                    push_sample(&mut summary, e);
                    continue;
                }
                Verdict::Differs { signature, .. } => signature,
            };
            summary.differing += 1;
            if let Some(f) = found.get_mut(&sig) {
                f.hits += 1;
                continue;
            }
            let id = case_id(&sig);
            let known = opts
                .expectations
                .as_ref()
                .and_then(|e| expectations::entry_for(e, &id))
                .map(|d| d.full_reason())
                .or_else(|| {
                    opts.corpus
                        .flagging(&sig)
                        .map(|cases| format!("shown by corpus case(s) {}", cases.join(", ")))
                });
            if known.is_some() {
                // Counted, not shrunk or rewritten: the corpus already has its case.
                found.insert(
                    sig.clone(),
                    Finding {
                        signature: sig,
                        case_id: id,
                        case_yaml: String::new(),
                        diff: String::new(),
                        known,
                        hits: 1,
                        first_scenario: index,
                        shrink_runs: 0,
                    },
                );
                continue;
            }
            let (minimal, shrink_runs) =
                shrink::shrink(&mut tree, opts.max_shrink_runs, |candidate| {
                    matches!(self.judge(candidate, &plain),
                        Verdict::Differs { signature, .. } if signature == sig)
                });
            match self.finalize(&minimal, &sig, opts, index, shrink_runs) {
                Ok((yaml, diff)) => {
                    found.insert(
                        sig.clone(),
                        Finding {
                            signature: sig,
                            case_id: id,
                            case_yaml: yaml,
                            diff,
                            known,
                            hits: 1,
                            first_scenario: index,
                            shrink_runs,
                        },
                    );
                }
                Err(e) => {
                    summary.errors += 1;
                    push_sample(&mut summary, e);
                }
            }
        }
        summary.findings = found.into_values().collect();
        summary.elapsed = started.elapsed();
        summary
    }

    /// The final case file of a finding: judged once more with its full header, checked to
    /// pass on the reference and to fail on the target with the same signature.
    fn finalize(
        &self,
        scn: &Scenario,
        sig: &str,
        opts: &Options,
        index: u64,
        shrink_runs: usize,
    ) -> Result<(String, String), String> {
        let header = Header {
            comments: vec![
                format!(
                    "Found by `{}` (scenario {index}, shrunk in {shrink_runs} runs).",
                    opts.command
                ),
                format!("Signature on {}: {sig}", opts.target_name),
                "Expectations are the embedded reference's answers; review before adding to cases/fuzz/."
                    .into(),
            ],
            title: format!("fuzz: {sig}"),
            tags: vec!["fuzz".into(), format!("found-on:{}", opts.target_name)],
        };
        let (yaml, case) = self.case_for(scn, &header)?;
        if let Verdict::Differs { signature, .. } = self.run_on(self.reference, None, &case) {
            return Err(format!(
                "the reference does not reproduce its own answers for `{sig}` ({signature}); dropped"
            ));
        }
        match self.run_on(self.target, self.target_region.as_deref(), &case) {
            Verdict::Differs {
                signature, diff, ..
            } if signature == sig => {
                let mut yaml = yaml;
                yaml.insert_str(0, &diff_comment(&opts.target_name, &diff));
                Ok((yaml, diff))
            }
            other => Err(format!(
                "`{sig}` did not reproduce on the minimal case ({other:?}); dropped"
            )),
        }
    }
}

fn diff_comment(target: &str, diff: &str) -> String {
    let mut s = format!("# What {target} answered (-expected +actual):\n");
    for l in diff.lines() {
        s.push_str("#   ");
        s.push_str(l);
        s.push('\n');
    }
    s
}

fn push_sample(summary: &mut Summary, e: String) {
    if summary.error_samples.len() < 5 && !summary.error_samples.contains(&e) {
        summary.error_samples.push(e);
    }
}

/// A file-safe name for a finding under the output directory: `<slug>.yaml`.
pub fn file_name(f: &Finding) -> String {
    format!("{}.yaml", signature::slug(&f.signature))
}

/// One line per finding (`new|known  hits  signature  case-id`), sorted: the text two runs
/// with the same seed are compared by.
pub fn findings_text(summary: &Summary) -> String {
    let mut s = String::new();
    for f in &summary.findings {
        let state = if f.known.is_some() { "known" } else { "new" };
        s.push_str(&format!("{state}\t{}\t{}\n", f.case_id, f.signature));
    }
    s
}

#[cfg(test)]
mod tests;
