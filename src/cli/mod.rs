//! The command-line front end. `src/main.rs` parses arguments with clap and calls the
//! `main` of one of these modules; each returns the process exit code.
//!
//! Exit codes (stable, documented in the README):
//! - [`EXIT_OK`] 0: nothing failed.
//! - [`EXIT_FAILURES`] 1: conformance failures (a case failed, or a known-deviation entry is stale).
//! - [`EXIT_USAGE`] 2: bad command line (clap's own code).
//! - [`EXIT_CASE_ERRORS`] 3: case files (or an expectations file) could not be loaded.
//! - [`EXIT_HARNESS`] 4: the harness or a target broke (errors, not differences).
//!
//! The policy that maps a run's results to one of these lives here ([`exit_code`]) and only
//! here: the runner and the reports know nothing about exit codes.

pub mod bench;
pub mod cases;
pub mod diff;
pub mod explain;
pub mod fuzz;
pub mod record;
pub mod report;
pub mod run;
pub mod serve;
pub mod sweep;

use crate::results::{Outcome, RunResults};

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILURES: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_CASE_ERRORS: u8 = 3;
pub const EXIT_HARNESS: u8 = 4;

/// The process exit code a run's results call for (`s3cors run`, `s3cors report
/// --exit-status`):
///
/// - [`EXIT_HARNESS`] (4) when any case ended in a harness or target error: the results are
///   incomplete, which matters more than any difference;
/// - else [`EXIT_FAILURES`] (1) when a case failed or a known-deviation entry is stale;
/// - else [`EXIT_CASE_ERRORS`] (3) when no case ran at all (a filter or `--skip` that
///   matched nothing, an empty results file). Decision: an empty run proves nothing, and a CI
///   job whose filter silently stopped matching must not stay green; 3 is the code for "the
///   cases given could not be used", which is what happened;
/// - else [`EXIT_OK`] (0): passes, known deviations, unsupported and skipped cases are fine.
pub fn exit_code(results: &RunResults) -> u8 {
    let counts = results.counts();
    let has = |o: Outcome| counts.get(&o).copied().unwrap_or(0) > 0;
    if has(Outcome::Error) {
        EXIT_HARNESS
    } else if has(Outcome::Fail) || has(Outcome::StaleExpectation) {
        EXIT_FAILURES
    } else if counts.values().sum::<usize>() == 0 {
        EXIT_CASE_ERRORS
    } else {
        EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_results;

    #[test]
    fn exit_codes() {
        let mut r = sample_results();
        assert_eq!(exit_code(&r), EXIT_HARNESS, "sample has an error");
        let set_all = |r: &mut RunResults, from: Outcome, to: Outcome| {
            for t in &mut r.targets {
                for c in &mut t.cases {
                    if c.outcome.0 == from {
                        c.outcome.0 = to;
                    }
                }
            }
        };
        set_all(&mut r, Outcome::Error, Outcome::Pass);
        assert_eq!(exit_code(&r), EXIT_FAILURES, "fail and stale remain");
        set_all(&mut r, Outcome::Fail, Outcome::KnownDeviation);
        assert_eq!(exit_code(&r), EXIT_FAILURES, "stale alone fails the run");
        set_all(&mut r, Outcome::StaleExpectation, Outcome::Skipped);
        assert_eq!(
            exit_code(&r),
            EXIT_OK,
            "known, unsupported, skipped are fine"
        );
        for t in &mut r.targets {
            t.cases.clear();
        }
        assert_eq!(exit_code(&r), EXIT_CASE_ERRORS, "no case ran");
        assert_eq!(exit_code(&RunResults::default()), EXIT_CASE_ERRORS);
    }
}
