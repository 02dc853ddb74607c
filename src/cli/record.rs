//! `s3cors record`: run case files against one target and write the observed answers into
//! them as expectations (see [`crate::record`] for what is recorded and how the text is
//! edited), printing a unified diff of every file changed.
//!
//! Exit codes: 0 = done (or, with `--check`, nothing would change); 1 = `--check` and
//! recording would change a file; 2 = bad command line; 3 = the case files do not load;
//! 4 = the target could not be built, or a case could not be recorded to its end (a
//! set-up call failed, a transport error, a missing capture). A case the target does not
//! support (a missing capability) is reported and left as it is, which is not an error.

use super::{EXIT_CASE_ERRORS, EXIT_FAILURES, EXIT_HARNESS, EXIT_OK, EXIT_USAGE};
use crate::case;
use crate::record::{self, Options};
use crate::runner::observe::{self, CaseObservation, ObservePlan};
use crate::target::endpoint::EndpointOptions;
use crate::target::select;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `s3cors record`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Case files or directories to record (default: `./cases`). Recording edits these
    /// files in place (not with `--check`).
    #[arg(value_name = "CASES")]
    pub paths: Vec<PathBuf>,
    /// The one target to record from (default: embedded): any `--target` of `s3cors run`,
    /// e.g. `aws` or `mystore=endpoint=URL`.
    #[arg(long = "target", value_name = "T", default_value = "embedded")]
    pub target: String,
    /// Change nothing on disk: print the diff and exit 1 when recording would change a file.
    #[arg(long)]
    pub check: bool,
    /// A header or S3 error element whose value is never recorded (repeatable; added to the
    /// built-in list: x-amz-request-id, x-amz-id-2, Date, Last-Modified, Expires,
    /// x-amz-version-id, x-amz-expiration, Server, RequestId, HostId).
    #[arg(long = "volatile", value_name = "NAME")]
    pub volatile: Vec<String>,
    /// Re-render every expectation in the canonical style, changed or not (used once to
    /// normalise the corpus).
    #[arg(long)]
    pub normalise: bool,
    /// Region for `endpoint`/`aws` (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Consent to create (and delete) buckets on real Amazon S3 with `--target aws`
    /// (or set S3CORS_AWS_CONFIRM=yes).
    #[arg(long)]
    pub aws_confirm: bool,
}

pub fn main(args: Args) -> anyhow::Result<u8> {
    let (spec, given_name) = match select::parse_named(&args.target) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let name = given_name.unwrap_or_else(|| spec.name().to_string());
    let paths = if args.paths.is_empty() {
        let default = PathBuf::from("cases");
        if !default.is_dir() {
            eprintln!(
                "error: no case files given and no ./cases folder: recording edits files, so name them (`s3cors record my-cases/`)"
            );
            return Ok(EXIT_USAGE);
        }
        vec![default]
    } else {
        args.paths.clone()
    };
    let loaded = case::load_paths(&paths);
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("error: {e}");
        }
        return Ok(EXIT_CASE_ERRORS);
    }
    let cases = loaded.cases;
    let plan = ObservePlan {
        target: spec,
        name: name.clone(),
        cases: &cases,
        endpoint: EndpointOptions {
            region: args.region.clone(),
            timeout: Some(Duration::from_secs(args.timeout.max(1))),
            ..EndpointOptions::default()
        },
        aws_confirmed: args.aws_confirm,
    };
    let observed = match observe::observe(plan) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_HARNESS);
        }
    };
    let opts = Options {
        volatile: args.volatile.clone(),
        normalise: args.normalise,
    };
    let mut changed = 0usize;
    let mut broken = 0usize;
    let mut skipped = 0usize;
    for (case, obs) in cases.iter().zip(&observed) {
        let obs = match obs {
            CaseObservation::NotRun(why) => {
                eprintln!("note: {}: not recorded: {why}", case.file);
                skipped += 1;
                continue;
            }
            CaseObservation::Ran(o) => o,
        };
        if let Some(td) = &obs.teardown {
            eprintln!("warning: {}: {td}", case.file);
        }
        let src = match std::fs::read_to_string(&case.file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}: cannot read: {e}", case.file);
                broken += 1;
                continue;
            }
        };
        let rec = record::record_text(
            &src,
            case,
            &obs.steps,
            &obs.bucket,
            obs.stopped.as_deref(),
            &opts,
        );
        for n in &rec.notes {
            eprintln!("warning: {n}");
        }
        if !rec.notes.is_empty() {
            broken += 1;
        }
        if rec.text != src {
            changed += 1;
            print!("{}", record::unified_diff(&case.file, &src, &rec.text));
            if !args.check
                && let Err(e) = std::fs::write(&case.file, &rec.text)
            {
                eprintln!("error: {}: cannot write: {e}", case.file);
                broken += 1;
            }
        }
    }
    let verb = if args.check {
        "would change"
    } else {
        "changed"
    };
    eprintln!(
        "record from `{name}`: {} case(s), {changed} file(s) {verb}, {skipped} not supported by the target, {broken} not recorded to the end",
        cases.len()
    );
    Ok(if broken > 0 {
        EXIT_HARNESS
    } else if args.check && changed > 0 {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}
