//! The runner: one libtest-mimic trial per case × target, each in a fresh bucket, with the
//! results collected into the one [`RunResults`] model.
//!
//! Why libtest-mimic: `cargo test` and `s3cors run` then share filtering, `--exact`,
//! `--list`, `--ignored`, parallelism and output formats with every other Rust test, and
//! runtime skips (`Completion::ignored_with`) carry the reason a case is unsupported.
//!
//! Flow: build targets → [`Session::add_target`] probes each one's capabilities →
//! [`Session::trials`] makes the trials → `libtest_mimic::run` runs them in parallel (each
//! `block_on`s the shared [`runtime`]) → [`Session::finish`] removes leftovers and returns
//! the results. Outcome assignment lives in [`classify`] only.
//!
//! ```no_run
//! use s3cors::runner::{self, Session};
//! use s3cors::target::select::{self, TargetSpec};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let loaded = s3cors::case::load_dir(std::path::Path::new("cases"));
//! let rt = runner::runtime()?;
//! let built = rt.block_on(select::build(&TargetSpec::Embedded, "embedded", &Default::default()))?;
//! let mut session = Session::new(runner::RunMeta::default());
//! rt.block_on(session.add_target(built.target.clone()));
//! let session = std::sync::Arc::new(session);
//! let trials = session.trials(&loaded.cases);
//! let conclusion = libtest_mimic::run(&libtest_mimic::Arguments::default(), trials);
//! let results = rt.block_on(session.finish());
//! rt.block_on(built.shutdown());
//! # let _ = (conclusion, results); Ok(()) }
//! ```

pub mod browser;
pub mod capture;
pub mod compare;
pub mod exec;
pub mod expectations;
pub mod observe;
pub mod pool;
pub mod probe;
pub mod render;

use crate::case::{Capability, Case};
use crate::results::{CaseResult, Outcome, OutcomeOrDefault, RunResults, TargetRun};
use crate::s3::{Capabilities, TargetInfo, WireRequest};
use crate::target::cleanup::{RunId, Tracked};
use crate::target::{CaseSupport, Target, TargetExt};
use expectations::Expectations;
use libtest_mimic::{Completion, Failed, Trial};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// The runner could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(String),
}

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The process-wide tokio runtime every trial `block_on`s (and the embedded server runs on).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime, RunnerError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .thread_name("s3cors-rt")
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| RunnerError::Runtime(e.clone()))
}

/// How many times a case whose judged step was throttled (`503 SlowDown`) is re-run from a
/// fresh bucket before the throttling stands as its (error) outcome. The throttled step
/// itself is never retried; a re-run is a new trial of the whole case, and the result says
/// it happened. With 5 % throttling a case with ten judged steps is throttled in 40 % of its
/// attempts; after eight re-runs it still errors about 3 times in 10 000 (0.40⁹).
pub const THROTTLE_RERUNS: usize = 8;

/// Facts about a run stored in `results.json`.
#[derive(Debug, Clone, Default)]
pub struct RunMeta {
    /// RFC 3339 start time (filled in when empty).
    pub started_at: String,
    /// Revision of the case corpus.
    pub case_revision: String,
    /// The reproducing command line.
    pub command: String,
}

/// What a step-level failure looked like.
#[derive(Debug, Clone)]
pub struct StepFailure {
    /// 0-based step index.
    pub step: usize,
    /// Source line of the step.
    pub line: usize,
    pub label: String,
    /// The request sent (redacted).
    pub request: WireRequest,
    /// Plain `-expected +actual` diff.
    pub diff: String,
    /// curl replay.
    pub curl: String,
}

/// The raw verdict of running a case, before [`classify`] maps it to an [`Outcome`].
#[derive(Debug, Clone)]
pub enum Decision {
    Passed,
    Failed(Box<StepFailure>),
    /// A needed capability is missing.
    Unsupported(String),
    /// The target cannot run at all.
    Skipped(String),
    /// The harness or target broke; `step` is `(index, line)` when a step was running.
    Errored {
        reason: String,
        step: Option<(usize, usize)>,
    },
}

/// Why a case with blank expectations cannot be judged: names the steps and the fix.
pub fn unrecorded_reason(case: &Case, steps: &[usize]) -> String {
    let list: Vec<String> = steps.iter().map(|n| n.to_string()).collect();
    format!(
        "{}: step(s) {} have no recorded expectation (`expect: record` or no `expect:`); record them with `s3cors record {}` and review the diff",
        case.file,
        list.join(", "),
        case.file
    )
}

/// The one place outcomes are assigned. `target` and `case` are there for the
/// known-deviation hook (a per-target expectations file, issue 5): a listed failure becomes
/// [`Outcome::KnownDeviation`], a listed pass [`Outcome::StaleExpectation`].
pub fn classify(
    _target: &TargetInfo,
    case: &Case,
    decision: &Decision,
    expectations: Option<&Expectations>,
) -> (Outcome, Option<String>) {
    let (outcome, reason) = match decision {
        Decision::Passed => (Outcome::Pass, None),
        Decision::Failed(f) => (
            Outcome::Fail,
            Some(format!("step {} ({}) differs", f.step + 1, f.label)),
        ),
        Decision::Unsupported(r) => (Outcome::Unsupported, Some(r.clone())),
        Decision::Skipped(r) => (Outcome::Skipped, Some(r.clone())),
        Decision::Errored { reason, .. } => (Outcome::Error, Some(reason.clone())),
    };
    match expectations {
        Some(exp) => expectations::adjust(exp, &case.id, outcome, reason),
        None => (outcome, reason),
    }
}

/// A target with its probe results.
pub struct PreparedTarget {
    /// The target wrapped so every bucket it creates is tracked for the final clean-up.
    pub tracked: Arc<Tracked>,
    pub info: TargetInfo,
    pub region: Option<String>,
    pub capabilities: Capabilities,
    pub unavailable: Option<String>,
    /// Set when the probe could not even create a bucket: every case errors with it.
    pub broken: Option<String>,
    /// The target's known deviations (`expectations/<name>.yaml`), if any.
    pub expectations: Option<Expectations>,
    /// Buckets free for reuse by the next case ([`pool`]).
    pub pool: pool::BucketPool,
}

/// One run: targets, the bucket counter and the results being collected.
pub struct Session {
    run_id: RunId,
    meta: RunMeta,
    next_bucket: AtomicU64,
    targets: Vec<PreparedTarget>,
    results: Mutex<Vec<Vec<CaseResult>>>,
    colour: bool,
    bucket_reuse: bool,
}

/// Whether a target's cases may run in reused buckets. Not on `aws`: there a configuration
/// change becomes visible with a delay, and the aws target waits for it with a canary
/// preflight that tells configurations apart by origin and method only; between two
/// configurations of a reused bucket that differ in allowed headers alone it finds no canary
/// and cannot wait. A fresh bucket always starts from "no configuration", which every canary
/// tells apart.
fn reuses_buckets(info: &TargetInfo) -> bool {
    info.kind != "aws"
}

impl Session {
    /// A new session with a fresh run id.
    pub fn new(meta: RunMeta) -> Session {
        Session::with_run_id(meta, RunId::generate())
    }

    /// A new session with a given run id (targets that name buckets or tags after the run,
    /// like `aws`, must be built with the same id).
    pub fn with_run_id(mut meta: RunMeta, run_id: RunId) -> Session {
        if meta.started_at.is_empty() {
            meta.started_at = now_rfc3339();
        }
        Session {
            run_id,
            meta,
            next_bucket: AtomicU64::new(0),
            targets: Vec::new(),
            results: Mutex::new(Vec::new()),
            colour: render::use_colour(),
            bucket_reuse: true,
        }
    }

    /// Turns bucket reuse ([`pool`]) on (the default) or off (a fresh bucket per case).
    pub fn set_bucket_reuse(&mut self, reuse: bool) {
        self.bucket_reuse = reuse;
        for t in &mut self.targets {
            t.pool = pool::BucketPool::new(reuse && reuses_buckets(&t.info));
        }
    }

    /// How each target's cases used buckets so far, in the order targets were added.
    pub fn bucket_stats(&self) -> Vec<pool::PoolStats> {
        self.targets.iter().map(|t| t.pool.stats()).collect()
    }

    /// Forces coloured failure messages on or off (default: stderr is a terminal and
    /// `NO_COLOR` is unset).
    pub fn set_colour(&mut self, colour: bool) {
        self.colour = colour;
    }

    /// This run's id (part of every bucket name).
    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    /// The targets added so far.
    pub fn targets(&self) -> &[PreparedTarget] {
        &self.targets
    }

    /// The tracked targets (for a Ctrl-C clean-up hook).
    pub fn tracked(&self) -> Vec<Arc<Tracked>> {
        self.targets.iter().map(|t| t.tracked.clone()).collect()
    }

    fn bucket(&self) -> String {
        let n = self.next_bucket.fetch_add(1, Ordering::Relaxed);
        self.run_id.bucket_name(n)
    }

    /// Adds a target and probes its capabilities (skipped when it is unavailable).
    pub async fn add_target(&mut self, target: Arc<dyn Target>) {
        let info = target.info();
        let region = target.region();
        let unavailable = target.unavailable();
        let tracked = Arc::new(Tracked::new(target));
        let mut capabilities = Capabilities::default();
        let mut broken = None;
        if unavailable.is_none() {
            let bucket = self.bucket();
            match probe::probe(tracked.as_ref(), region.as_deref(), &bucket).await {
                Ok(c) => capabilities = c,
                Err(e) => broken = Some(e),
            }
        }
        let info = TargetInfo {
            version: tracked.info().version.or(info.version),
            ..info
        };
        let reuse = self.bucket_reuse && reuses_buckets(&info);
        self.targets.push(PreparedTarget {
            tracked,
            info,
            region,
            capabilities,
            unavailable,
            broken,
            expectations: None,
            pool: pool::BucketPool::new(reuse),
        });
        self.lock_results().push(Vec::new());
    }

    /// Sets the known deviations of the target added last (see
    /// [`expectations`]): listed failures end as known deviations, listed
    /// passes as stale expectations.
    pub fn set_expectations(&mut self, exp: Expectations) {
        if let Some(t) = self.targets.last_mut() {
            t.expectations = Some(exp);
        }
    }

    /// One trial per case × target, named `<target>/<case id>`: the targets in the order
    /// added, and each target's cases in [`pool::order_key`] order, so that cases with the
    /// same starting bucket state run back to back and reuse one bucket (libtest-mimic runs
    /// trials in the order given). Results are sorted by case id anyway
    /// ([`Session::finish`]); only the order of libtest's progress lines changes.
    pub fn trials(self: &Arc<Self>, cases: &[Case]) -> Vec<Trial> {
        let mut order: Vec<(usize, _)> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| (i, pool::order_key(c)))
            .collect();
        order.sort_by(|a, b| a.1.cmp(&b.1));
        let mut trials = Vec::new();
        for (ti, t) in self.targets.iter().enumerate() {
            for (i, _) in &order {
                let case = &cases[*i];
                let name = format!("{}/{}", t.info.name, case.id);
                let session = Arc::clone(self);
                let case = case.clone();
                trials.push(Trial::ignorable_test(name, move || {
                    session.run_one(ti, &case)
                }));
            }
        }
        trials
    }

    /// Runs one case against the target at `ti` (in the order added) exactly as its trial
    /// does, records the result, and returns what the trial reports to libtest. Blocks on
    /// [`runtime`]; call it from outside the runtime.
    pub fn run_one(&self, ti: usize, case: &Case) -> Result<Completion, Failed> {
        let started = Instant::now();
        let mut rerun_note: Option<String> = None;
        let Some(t) = self.targets.get(ti) else {
            return Err(Failed::from("internal: no such target"));
        };
        let unrecorded = case.unrecorded_steps();
        let run = if !unrecorded.is_empty() {
            // A blank expectation (`expect: record`) judges nothing: passing it would be a lie.
            None.ok_or(Decision::Errored {
                reason: unrecorded_reason(case, &unrecorded),
                step: None,
            })
        } else if let Some(r) = &t.unavailable {
            None.ok_or(Decision::Skipped(r.clone()))
        } else if let Some(r) = &t.broken {
            None.ok_or(Decision::Errored {
                reason: r.clone(),
                step: None,
            })
        } else if let Some(r) = match t.tracked.case_support(case) {
            CaseSupport::Probe => missing_capability(&t.capabilities, case),
            CaseSupport::Supported => None,
            CaseSupport::Unsupported(r) => Some(r),
        } {
            None.ok_or(Decision::Unsupported(r))
        } else {
            match runtime() {
                Ok(rt) => {
                    let attempt = || {
                        rt.block_on(exec::run_case_pooled(
                            t.tracked.as_ref(),
                            t.region.as_deref(),
                            case,
                            &t.pool,
                            || self.bucket(),
                        ))
                    };
                    let mut run = attempt();
                    let mut throttled = Vec::new();
                    while exec::throttled(&run) && throttled.len() < THROTTLE_RERUNS {
                        if let Decision::Errored { reason, .. } = &run.decision {
                            throttled.push(reason.clone());
                        }
                        run = attempt();
                    }
                    if !throttled.is_empty() {
                        rerun_note = Some(format!(
                            "re-run {} time(s) from a fresh bucket after throttling: {}",
                            throttled.len(),
                            throttled.join("; ")
                        ));
                    }
                    Ok(run)
                }
                Err(e) => Err(Decision::Errored {
                    reason: e.to_string(),
                    step: None,
                }),
            }
        };
        let (decision, steps, teardown) = match run {
            Ok(r) => (r.decision, r.steps, r.teardown),
            Err(d) => (d, Vec::new(), None),
        };
        let (outcome, mut reason) = classify(&t.info, case, &decision, t.expectations.as_ref());
        if let Some(note) = rerun_note {
            reason = Some(match reason {
                Some(r) => format!("{r}; {note}"),
                None => note,
            });
        }
        if let Some(td) = &teardown {
            reason = Some(match reason {
                Some(r) => format!("{r}; {td}"),
                None => td.clone(),
            });
        }
        let (failed_step, failed_line, diff) = match &decision {
            Decision::Failed(f) => (Some(f.step), Some(f.line), Some(f.diff.clone())),
            Decision::Errored {
                step: Some((s, l)), ..
            } => (Some(*s), Some(*l), None),
            _ => (None, None, None),
        };
        let browser_equivalent = browser::case_equivalent(&steps);
        let result = CaseResult {
            case: case.id.clone(),
            title: case.title.clone(),
            file: case.file.clone(),
            spec: case.spec.clone(),
            tags: case.tags.clone(),
            unsettled: case.unsettled.clone(),
            outcome: OutcomeOrDefault(outcome),
            reason: reason.clone(),
            failed_step,
            failed_line,
            diff,
            steps,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            browser_equivalent,
        };
        if let Some(list) = self.lock_results().get_mut(ti) {
            list.push(result);
        }
        let reason = reason.unwrap_or_default();
        match outcome {
            Outcome::Pass => Ok(Completion::Completed),
            Outcome::Unsupported => Ok(Completion::ignored_with(format!("unsupported: {reason}"))),
            Outcome::Skipped => Ok(Completion::ignored_with(reason)),
            Outcome::KnownDeviation => Ok(Completion::ignored_with(format!(
                "known deviation: {reason}"
            ))),
            Outcome::Fail => match &decision {
                Decision::Failed(f) => Err(Failed::from(f.message(&case.file, self.colour))),
                _ => Err(Failed::from(reason)),
            },
            Outcome::StaleExpectation => Err(Failed::from(format!("stale expectation: {reason}"))),
            Outcome::Error => Err(Failed::from(format!("error: {reason}"))),
        }
    }

    /// The collected results. A trial that panicked while holding the lock poisons it; the
    /// results already in it are still valid (a push is one operation), so they are used
    /// rather than dropped, and the panicking trial itself ends as failed in libtest.
    fn lock_results(&self) -> std::sync::MutexGuard<'_, Vec<Vec<CaseResult>>> {
        self.results.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes whatever buckets are still registered (the pooled ones included) and returns
    /// the results (cases sorted by id within each target).
    pub async fn finish(&self) -> RunResults {
        for t in &self.targets {
            t.pool.drain();
            for (bucket, result) in t.tracked.teardown().await {
                if let Err(e) = result {
                    eprintln!(
                        "warning: could not remove bucket {bucket} on {}: {e} (run `s3cors sweep`)",
                        t.info.name
                    );
                }
            }
        }
        self.results()
    }

    /// The results collected so far.
    pub fn results(&self) -> RunResults {
        let collected = self.lock_results().clone();
        let targets = self
            .targets
            .iter()
            .zip(collected.into_iter().chain(std::iter::repeat(Vec::new())))
            .map(|(t, mut cases)| {
                cases.sort_by(|a, b| a.case.cmp(&b.case));
                TargetRun {
                    info: TargetInfo {
                        version: t.tracked.info().version.or(t.info.version.clone()),
                        ..t.info.clone()
                    },
                    capabilities: t.capabilities.clone(),
                    unavailable: t.unavailable.clone(),
                    cases,
                    notes: t.tracked.policy().notes,
                }
            })
            .collect();
        RunResults {
            schema_version: crate::results::SCHEMA_VERSION,
            s3cors_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: self.meta.started_at.clone(),
            case_revision: self.meta.case_revision.clone(),
            command: self.meta.command.clone(),
            targets,
        }
    }
}

/// Why [`run`] could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Runner(#[from] RunnerError),
    #[error("target `{name}`: {source}")]
    Target {
        name: String,
        source: crate::target::select::BuildError,
    },
}

/// Everything a whole run needs.
pub struct RunPlan<'a> {
    /// Targets with their trial-name prefixes.
    pub targets: Vec<(crate::target::select::TargetSpec, String)>,
    pub cases: &'a [Case],
    pub args: &'a libtest_mimic::Arguments,
    pub meta: RunMeta,
    pub endpoint: crate::target::endpoint::EndpointOptions,
    /// Install the Ctrl-C clean-up hook (the CLI does; test harnesses need not).
    pub interrupt_cleanup: bool,
    /// The user explicitly consented to run against real AWS (`--aws-confirm`).
    pub aws_confirmed: bool,
    /// Known deviations per target, by target name (`expectations/<name>.yaml`).
    pub expectations: Vec<(String, Expectations)>,
}

/// Builds the targets, probes them, runs every trial through libtest-mimic, removes
/// leftovers, stops what was started and returns libtest's conclusion with the results.
/// With `args.list`, only lists (no target is built).
pub fn run(plan: RunPlan<'_>) -> Result<(libtest_mimic::Conclusion, RunResults), RunError> {
    use crate::target::select;
    if plan.args.list {
        let names: Vec<String> = plan.targets.iter().map(|(_, n)| n.clone()).collect();
        let c = libtest_mimic::run(plan.args, listing_trials(&names, plan.cases));
        return Ok((c, RunResults::default()));
    }
    let rt = runtime()?;
    let run_id = RunId::generate();
    let ctx = select::BuildContext {
        run_id: Some(run_id.clone()),
        aws_confirmed: plan.aws_confirmed,
        cases: plan.cases,
    };
    // Ctrl-C while targets start (a container pulling or becoming ready) removes the
    // containers started so far; the bucket hook below takes over once trials run.
    let startup_hook = plan.interrupt_cleanup.then(|| {
        let _guard = rt.enter();
        crate::target::container::spawn_startup_interrupt_hook()
    });
    let mut built: Vec<select::BuiltTarget> = Vec::new();
    for (spec, name) in &plan.targets {
        match rt.block_on(select::build_with(spec, name, &plan.endpoint, &ctx)) {
            Ok(b) => built.push(b),
            Err(source) => {
                if let Some(h) = &startup_hook {
                    h.abort();
                }
                for b in &built {
                    rt.block_on(b.shutdown());
                }
                return Err(RunError::Target {
                    name: name.clone(),
                    source,
                });
            }
        }
    }
    let mut session = Session::with_run_id(plan.meta, run_id);
    session.set_bucket_reuse(!fresh_buckets_requested(&|k| std::env::var(k).ok()));
    for (b, (_, name)) in built.iter().zip(&plan.targets) {
        rt.block_on(session.add_target(b.target.clone()));
        if let Some((_, exp)) = plan.expectations.iter().find(|(n, _)| n == name) {
            session.set_expectations(exp.clone());
        }
    }
    for t in session.targets() {
        if let Some(r) = &t.broken {
            eprintln!("warning: target `{}` is not usable: {r}", t.info.name);
        }
    }
    let session = Arc::new(session);
    if let Some(h) = startup_hook {
        h.abort();
    }
    let hook = plan.interrupt_cleanup.then(|| {
        let _guard = rt.enter();
        crate::target::cleanup::spawn_interrupt_cleanup(session.tracked())
    });
    let conclusion = libtest_mimic::run(plan.args, session.trials(plan.cases));
    let results = rt.block_on(session.finish());
    if let Some(h) = hook {
        h.abort();
    }
    for b in &built {
        rt.block_on(b.shutdown());
    }
    Ok((conclusion, results))
}

/// Whether `S3CORS_FRESH_BUCKETS` asks for one fresh bucket per case (any value but empty,
/// `0`, `false` or `no`): the escape hatch should bucket reuse ([`pool`]) ever be suspected
/// of changing a result. An environment variable rather than a flag keeps the `run` CLI as it
/// is, and works the same under `cargo test`.
pub fn fresh_buckets_requested(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("S3CORS_FRESH_BUCKETS").is_some_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        !(v.is_empty() || v == "0" || v == "false" || v == "no")
    })
}

/// Trials that only carry names, for `--list` (no target is built, nothing is probed).
pub fn listing_trials(target_names: &[String], cases: &[Case]) -> Vec<Trial> {
    let mut trials: Vec<Trial> = target_names
        .iter()
        .flat_map(|t| {
            cases
                .iter()
                .map(move |c| Trial::test(format!("{t}/{}", c.id), || Ok(())))
        })
        .collect();
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    trials
}

/// The reason a case cannot run on a target with these capabilities, if any.
pub fn missing_capability(caps: &Capabilities, case: &Case) -> Option<String> {
    case.needs.iter().find_map(|need| {
        let missing = match need {
            Capability::BucketCors => &caps.bucket_cors,
            Capability::PublicAcl => &caps.public_acl,
            Capability::VirtualHosted => &caps.virtual_hosted,
        };
        missing
            .as_ref()
            .map(|r| format!("needs {}: {r}", need.name()))
    })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
