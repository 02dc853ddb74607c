//! `s3cors fuzz --target T`: differential fuzzing of a target against the embedded reference
//! (see [`crate::difffuzz`] for how scenarios are generated, judged and shrunk).
//!
//! Output: one case file per new deviation class in `--out` (default `fuzz-found/<target>`),
//! `findings.txt` there (one sorted line per class, the file two runs are compared by), and a
//! summary on stdout. Classes whose case id (`fuzz/<slug>`) `expectations/<target>.yaml`
//! lists are counted as known and not written. Decision: the output directory is not the
//! corpus; a person reviews the files and moves the worthwhile ones to `cases/fuzz/`.
//!
//! Exit codes: 0 no new class, 1 new classes written, 2 usage, 3 unreadable expectations
//! file, 4 a target could not be built or nothing could be judged.

use crate::cli::{EXIT_CASE_ERRORS, EXIT_FAILURES, EXIT_HARNESS, EXIT_OK, EXIT_USAGE};
use crate::difffuzz::{self, Budget, Fuzzer, Options};
use crate::report::expectations;
use crate::runner;
use crate::target::TargetExt;
use crate::target::cleanup::Tracked;
use crate::target::endpoint::EndpointOptions;
use crate::target::select::{self, TargetSpec};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `s3cors fuzz`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target compared with the reference (same forms as `s3cors run --target`,
    /// including `NAME=TARGET`; `aws` is refused).
    #[arg(long = "target", value_name = "T")]
    pub target: String,
    /// Seed of the scenario generator: the same seed generates the same scenarios.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Stop starting new scenarios after this long (`60s`, `2m`, `90`).
    #[arg(long, value_name = "TIME", conflicts_with = "count")]
    pub budget: Option<String>,
    /// Stop after this many scenarios (reproducible whatever the speed).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Evaluations allowed for shrinking one finding.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub max_shrink: usize,
    /// Where case files and findings.txt are written (default `fuzz-found/<target name>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Directory of known-deviation files (`<target name>.yaml`).
    #[arg(long, value_name = "DIR", default_value = "expectations")]
    pub expectations: PathBuf,
    /// A results file of a corpus run against the same target (its name must match): the
    /// deviation classes its failing cases show are counted as known, not rewritten
    /// (default: reports/results.json.gz, else reports/results.json, when one exists).
    #[arg(long, value_name = "FILE")]
    pub corpus_results: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
}

/// `60s`, `2m`, `1h`, `90` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (use e.g. 60s, 2m, 1h)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use s, m or h)")),
    };
    if secs == 0 {
        return Err(format!("`{s}`: the budget must be positive"));
    }
    Ok(Duration::from_secs(secs))
}

/// Runs `s3cors fuzz`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let budget = match (&args.budget, args.count) {
        (Some(b), _) => match parse_duration(b) {
            Ok(d) => Budget::Time(d),
            Err(e) => {
                eprintln!("error: --budget {e}");
                return Ok(EXIT_USAGE);
            }
        },
        (None, Some(0)) => {
            eprintln!("error: --count must be positive");
            return Ok(EXIT_USAGE);
        }
        (None, Some(n)) => Budget::Count(n),
        (None, None) => Budget::Time(Duration::from_secs(60)),
    };
    let (spec, name) = match select::parse_named(&args.target) {
        Ok((s, n)) => {
            let name = n.unwrap_or_else(|| s.name().to_string());
            (s, name)
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    if matches!(spec, TargetSpec::Aws) {
        eprintln!(
            "error: `fuzz` does not run against real AWS (it creates hundreds of buckets); use `s3cors run --target aws`"
        );
        return Ok(EXIT_USAGE);
    }
    let exp = match expectations::load_for_target(&args.expectations, &name) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_CASE_ERRORS);
        }
    };
    // The published results (`reports/results.json.gz`, or an uncompressed `results.json` from a
    // local `s3cors run --report-dir reports`) when the flag is absent.
    let corpus_file = args.corpus_results.clone().or_else(|| {
        ["reports/results.json.gz", "reports/results.json"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    let corpus = match &corpus_file {
        None => difffuzz::CorpusClasses::default(),
        Some(p) => match crate::report::read_results(p) {
            Ok(r) => difffuzz::CorpusClasses::from_results(&r, &name),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_CASE_ERRORS);
            }
        },
    };
    if let Some(p) = &corpus_file {
        eprintln!(
            "{} deviation classes of `{name}` known from the corpus run in {}",
            corpus.len(),
            p.display()
        );
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("fuzz-found").join(&name));
    let budget_word = match budget {
        Budget::Time(d) => format!("--budget {}s", d.as_secs()),
        Budget::Count(n) => format!("--count {n}"),
    };
    let opts = Options {
        seed: args.seed,
        budget,
        max_shrink_runs: args.max_shrink,
        target_name: name.clone(),
        expectations: exp,
        corpus,
        command: format!(
            "s3cors fuzz --target {name}=… --seed {} {budget_word}",
            args.seed
        ),
    };
    let endpoint = EndpointOptions {
        timeout: Some(Duration::from_secs(args.timeout.max(1))),
        ..EndpointOptions::default()
    };
    let rt = runner::runtime()?;
    let reference = match rt.block_on(select::build(
        &TargetSpec::Embedded,
        "reference",
        &EndpointOptions::default(),
    )) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: the reference: {e}");
            return Ok(EXIT_HARNESS);
        }
    };
    let built = match rt.block_on(select::build(&spec, &name, &endpoint)) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: target `{name}`: {e}");
            rt.block_on(reference.shutdown());
            return Ok(EXIT_HARNESS);
        }
    };
    if let Some(r) = built.target.unavailable() {
        eprintln!("error: target `{name}` is unavailable: {r}");
        rt.block_on(built.shutdown());
        rt.block_on(reference.shutdown());
        return Ok(EXIT_HARNESS);
    }
    let tracked = Arc::new(Tracked::new(built.target.clone()));
    let hook = {
        let _guard = rt.enter();
        crate::target::cleanup::spawn_interrupt_cleanup(vec![tracked.clone()])
    };
    let region = built.target.region();
    eprintln!(
        "fuzzing `{name}` against the reference: seed {}, {budget_word}",
        args.seed
    );
    let summary =
        Fuzzer::new(rt, reference.target.as_ref(), tracked.as_ref(), region).campaign(&opts);
    for (bucket, result) in rt.block_on(tracked.teardown()) {
        if let Err(e) = result {
            eprintln!(
                "warning: could not remove bucket {bucket} on {name}: {e} (run `s3cors sweep`)"
            );
        }
    }
    hook.abort();
    rt.block_on(built.shutdown());
    rt.block_on(reference.shutdown());

    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    for f in summary.new_findings() {
        let path = out.join(difffuzz::file_name(f));
        std::fs::write(&path, &f.case_yaml)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let list = out.join("findings.txt");
    std::fs::write(&list, difffuzz::findings_text(&summary))
        .with_context(|| format!("cannot write {}", list.display()))?;

    println!(
        "{} scenarios in {:.1}s: {} same, {} differing, {} not judged",
        summary.scenarios,
        summary.elapsed.as_secs_f64(),
        summary.same,
        summary.differing,
        summary.errors
    );
    for e in &summary.error_samples {
        println!("  not judged: {e}");
    }
    for f in &summary.findings {
        match &f.known {
            Some(reason) => println!("known  {}  ({} hits) — {reason}", f.signature, f.hits),
            None => println!(
                "NEW    {}  ({} hits) → {}",
                f.signature,
                f.hits,
                out.join(difffuzz::file_name(f)).display()
            ),
        }
    }
    println!("findings list: {}", list.display());
    let new = summary.new_findings().count();
    Ok(
        if summary.scenarios > 0 && summary.errors == summary.scenarios {
            EXIT_HARNESS
        } else if new > 0 {
            EXIT_FAILURES
        } else {
            EXIT_OK
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_nonsense() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("soon").is_err());
    }
}
