//! Running cases without judging them, for `s3cors record`: one target, every case in a
//! fresh bucket, every step's answer kept.
//!
//! The target is built, wrapped in bucket tracking and probed exactly as for `run`
//! ([`super::Session`]), so a case the target cannot run is skipped with the same reason a
//! run gives, and no bucket outlives the call. Cases run one after the other: recording is
//! rare and a sequence keeps the order of writes to a throttling target predictable.

use super::exec::{self, Observation};
use super::{RunError, RunMeta, Session, missing_capability, runtime};
use crate::case::Case;
use crate::target::CaseSupport;
use crate::target::TargetExt;
use crate::target::cleanup::RunId;
use crate::target::endpoint::EndpointOptions;
use crate::target::select::{self, TargetSpec};

/// How often a case stopped by `503 SlowDown` is re-run from a fresh bucket.
const THROTTLE_RERUNS: usize = 3;

/// What to observe, and where.
pub struct ObservePlan<'a> {
    pub target: TargetSpec,
    pub name: String,
    pub cases: &'a [Case],
    pub endpoint: EndpointOptions,
    pub aws_confirmed: bool,
}

/// One case's fate.
#[derive(Debug, Clone)]
pub enum CaseObservation {
    /// The case ran (maybe not to its end: see [`Observation::stopped`]).
    Ran(Observation),
    /// The case could not run on this target (unavailable, broken, missing capability).
    NotRun(String),
}

/// Builds the target, runs every case and returns one observation per case, in order.
pub fn observe(plan: ObservePlan<'_>) -> Result<Vec<CaseObservation>, RunError> {
    let rt = runtime()?;
    let run_id = RunId::generate();
    let ctx = select::BuildContext {
        run_id: Some(run_id.clone()),
        aws_confirmed: plan.aws_confirmed,
        cases: plan.cases,
    };
    let built = rt
        .block_on(select::build_with(
            &plan.target,
            &plan.name,
            &plan.endpoint,
            &ctx,
        ))
        .map_err(|source| RunError::Target {
            name: plan.name.clone(),
            source,
        })?;
    let mut session = Session::with_run_id(RunMeta::default(), run_id);
    rt.block_on(session.add_target(built.target.clone()));
    let mut out = Vec::with_capacity(plan.cases.len());
    if let Some(t) = session.targets().first() {
        for case in plan.cases {
            let not_run = if let Some(r) = &t.unavailable {
                Some(format!("target unavailable: {r}"))
            } else if let Some(r) = &t.broken {
                Some(format!("target not usable: {r}"))
            } else {
                match t.tracked.case_support(case) {
                    CaseSupport::Probe => missing_capability(&t.capabilities, case)
                        .map(|r| format!("unsupported: {r}")),
                    CaseSupport::Supported => None,
                    CaseSupport::Unsupported(r) => Some(format!("unsupported: {r}")),
                }
            };
            if let Some(r) = not_run {
                out.push(CaseObservation::NotRun(r));
                continue;
            }
            let attempt = || {
                rt.block_on(exec::observe_case(
                    t.tracked.as_ref(),
                    t.region.as_deref(),
                    case,
                    &session.bucket(),
                ))
            };
            let mut obs = attempt();
            let mut reruns = 0;
            while obs.throttled && reruns < THROTTLE_RERUNS {
                reruns += 1;
                obs = attempt();
            }
            out.push(CaseObservation::Ran(obs));
        }
    }
    rt.block_on(session.finish());
    rt.block_on(built.shutdown());
    Ok(out)
}
