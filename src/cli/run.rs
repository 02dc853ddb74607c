//! `s3cors run`: load cases, build targets, run every case × target as a libtest trial, and
//! write `<report-dir>/results.json`.
//!
//! libtest-mimic's own argument parser rejects flags it does not know, so the libtest flags
//! are declared here next to ours and a `libtest_mimic::Arguments` is built from them.
//! Positional words that name an existing file or directory (or end in `.yaml`) are case
//! paths; the one other word is the trial-name filter.
//!
//! Which cases run: the positional paths when there are any; otherwise the default corpus —
//! `./cases` when that folder exists (the project's checkout), else the corpus built into the
//! binary (see [`crate::case::corpus`]). `--cases DIR` adds a user's own cases to either, and
//! `--no-default-cases` leaves the default corpus out, so `run --cases DIR --no-default-cases`
//! runs only the user's cases (as does `run DIR`).

use crate::case::{self, Case};
use crate::cli::{EXIT_CASE_ERRORS, EXIT_HARNESS, EXIT_OK, EXIT_USAGE};
use crate::mutation;
use crate::report;
use crate::results::RunResults;
use crate::runner::expectations;
use crate::runner::{self, RunMeta, RunPlan};
use crate::s3::Addressing;
use crate::target::endpoint::EndpointOptions;
use crate::target::select::{self, TargetSpec};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `s3cors run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Case files or directories (default: `./cases` if it exists, else the built-in corpus),
    /// and optionally one trial-name filter.
    #[arg(value_name = "CASES|FILTER")]
    pub words: Vec<String>,
    /// Add your own cases (a folder or a `.yaml` file) to the run (repeatable). `spec:` is
    /// optional in them.
    #[arg(long = "cases", value_name = "DIR")]
    pub extra_cases: Vec<PathBuf>,
    /// Leave out the default corpus: run only the cases given with `--cases`.
    #[arg(long)]
    pub no_default_cases: bool,
    /// Target to run against: embedded, endpoint=URL, aws, container=IMAGE[,OPTION=VALUE…],
    /// or a container preset: minio, minio-global, localstack, moto, s3rver, garage
    /// (repeatable; see docs/targets.md).
    #[arg(long = "target", value_name = "T")]
    pub targets: Vec<String>,
    /// Where `results.json` is written.
    #[arg(long, value_name = "DIR", default_value = "reports/latest")]
    pub report_dir: PathBuf,
    /// List the trials instead of running them.
    #[arg(long)]
    pub list: bool,
    /// Number of trials run in parallel.
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    /// The filter must match a trial name exactly.
    #[arg(long)]
    pub exact: bool,
    /// Skip trials whose name contains this (repeatable).
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// Run only ignored trials.
    #[arg(long)]
    pub ignored: bool,
    /// Run ignored and non-ignored trials.
    #[arg(long)]
    pub include_ignored: bool,
    /// One character per trial.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format: pretty, terse or json.
    #[arg(long, value_name = "FMT")]
    pub format: Option<Format>,
    /// Colour: auto, always or never.
    #[arg(long, value_name = "WHEN")]
    pub color: Option<Color>,
    /// Access key for `endpoint` (default: AWS_ACCESS_KEY_ID).
    #[arg(long)]
    pub access_key: Option<String>,
    /// Secret key for `endpoint` (default: AWS_SECRET_ACCESS_KEY; prefer the variable).
    #[arg(long)]
    pub secret_key: Option<String>,
    /// Region for `endpoint` (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Default addressing for `endpoint`: path or virtual.
    #[arg(long, value_name = "STYLE")]
    pub addressing: Option<AddressingArg>,
    /// Domain for virtual-hosted requests to `endpoint` (`Host: <bucket>.<domain>`).
    #[arg(long, value_name = "DOMAIN")]
    pub virtual_domain: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Directory of known-deviation files (`<target name>.yaml`) (default: `./expectations`
    /// if it exists, else the built-in files when the built-in corpus runs).
    #[arg(long, value_name = "DIR")]
    pub expectations: Option<PathBuf>,
    /// Consent to create (and delete) buckets on real Amazon S3 with `--target aws`
    /// (or set S3CORS_AWS_CONFIRM=yes).
    #[arg(long)]
    pub aws_confirm: bool,
    /// Write only results.json (no Markdown, HTML or JUnit reports).
    #[arg(long)]
    pub results_only: bool,
    /// Do not add the origin-mutation pack (hostile `Origin` variants of every allowed
    /// origin in the cases, ids `mutation/…`, tagged `security`).
    #[arg(long)]
    pub no_mutations: bool,
    /// Record instead of judging: the same as `s3cors record` with these case paths and the
    /// one `--target` (see `s3cors record --help`).
    #[arg(long)]
    pub bless: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Pretty,
    Terse,
    Json,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AddressingArg {
    Path,
    Virtual,
}

impl Args {
    /// The libtest arguments these flags stand for.
    fn libtest(&self, filter: Option<String>) -> libtest_mimic::Arguments {
        libtest_mimic::Arguments {
            filter,
            exact: self.exact,
            skip: self.skip.clone(),
            list: self.list,
            test_threads: self.test_threads,
            ignored: self.ignored,
            include_ignored: self.include_ignored,
            quiet: self.quiet,
            format: self.format.map(|f| match f {
                Format::Pretty => libtest_mimic::FormatSetting::Pretty,
                Format::Terse => libtest_mimic::FormatSetting::Terse,
                Format::Json => libtest_mimic::FormatSetting::Json,
            }),
            color: self.color.map(|c| match c {
                Color::Auto => libtest_mimic::ColorSetting::Auto,
                Color::Always => libtest_mimic::ColorSetting::Always,
                Color::Never => libtest_mimic::ColorSetting::Never,
            }),
            ..libtest_mimic::Arguments::default()
        }
    }
}

/// Splits positional words into case paths and the filter.
fn split_words(words: &[String]) -> Result<(Vec<PathBuf>, Option<String>), String> {
    let mut paths = Vec::new();
    let mut filter: Option<String> = None;
    for w in words {
        let p = Path::new(w);
        if p.exists() || w.ends_with(".yaml") {
            paths.push(p.to_path_buf());
        } else if let Some(f) = &filter {
            return Err(format!(
                "more than one filter (`{f}` and `{w}`), or a case path that does not exist"
            ));
        } else {
            filter = Some(w.clone());
        }
    }
    Ok((paths, filter))
}

/// Runs `s3cors run`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let (paths, filter) = match split_words(&args.words) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    if args.bless {
        return bless(&args, paths, filter);
    }
    let target_words = if args.targets.is_empty() {
        vec!["embedded".to_string()]
    } else {
        args.targets.clone()
    };
    let mut specs = Vec::new();
    let mut given_names = Vec::new();
    for t in &target_words {
        match select::parse_named(t) {
            Ok((s, n)) => {
                specs.push(s);
                given_names.push(n);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_USAGE);
            }
        }
    }
    let names = target_names(&specs, &given_names);

    let gathered = match gather_cases(&args, &paths) {
        Ok(g) => g,
        Err(code) => return Ok(code),
    };
    let mut expectations = Vec::new();
    let mut expectation_errors = 0;
    let exp_source = expectations_source(args.expectations.as_deref(), gathered.builtin);
    for name in &names {
        match load_expectations(&exp_source, name) {
            Ok(Some(e)) => expectations.push((name.clone(), e)),
            Ok(None) => {}
            Err(e) => {
                eprintln!("error: {e}");
                expectation_errors += 1;
            }
        }
    }
    if expectation_errors > 0 {
        return Ok(EXIT_CASE_ERRORS);
    }
    let revision = gathered.revision;
    let mut cases = gathered.cases;
    if !args.no_mutations {
        let mutations = mutation::generate(&cases);
        cases.extend(mutations);
    }
    let filter_shown = filter
        .as_ref()
        .map(|f| format!(" `{f}`"))
        .unwrap_or_default();
    let libtest = args.libtest(filter);
    let list = args.list;
    let meta = if list {
        RunMeta::default()
    } else {
        RunMeta {
            started_at: String::new(),
            case_revision: revision,
            command: reproducing_command(),
        }
    };
    let opts = EndpointOptions {
        access_key: args.access_key.clone(),
        secret_key: args.secret_key.clone(),
        session_token: None,
        region: args.region.clone(),
        addressing: args.addressing.map(|a| match a {
            AddressingArg::Path => Addressing::Path,
            AddressingArg::Virtual => Addressing::Virtual,
        }),
        virtual_domain: args.virtual_domain.clone(),
        timeout: Some(Duration::from_secs(args.timeout.max(1))),
    };
    let plan = RunPlan {
        targets: specs.into_iter().zip(names).collect(),
        cases: &cases,
        args: &libtest,
        meta,
        endpoint: opts,
        interrupt_cleanup: true,
        aws_confirmed: args.aws_confirm,
        expectations: expectations.clone(),
    };
    let mut results = match runner::run(plan) {
        Ok((_, results)) => results,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_HARNESS);
        }
    };
    if list {
        return Ok(EXIT_OK);
    }
    // The trials already classified against the expectations; applying them again only
    // collects the warnings (entries that matched no case, files naming another target).
    for t in &mut results.targets {
        if let Some((_, exp)) = expectations.iter().find(|(n, _)| *n == t.info.name) {
            for w in expectations::apply(t, exp) {
                eprintln!("warning: {w}");
            }
        }
    }
    write_results(&args.report_dir, &results, args.results_only)?;
    if let Err(e) = report::github::emit_from_env(&results) {
        eprintln!("warning: cannot write the GitHub step summary: {e}");
    }
    if results.targets.iter().all(|t| t.cases.is_empty()) {
        eprintln!(
            "error: no case ran: the filter{filter_shown} and the selection flags matched none of the {} case(s) loaded",
            cases.len()
        );
    }
    Ok(super::exit_code(&results))
}

/// `run --bless`: `s3cors record` with the run's case paths and its one target.
fn bless(args: &Args, paths: Vec<PathBuf>, filter: Option<String>) -> anyhow::Result<u8> {
    if let Some(f) = filter {
        eprintln!(
            "error: --bless records whole case files: give files or folders, not the filter `{f}`"
        );
        return Ok(EXIT_USAGE);
    }
    if args.targets.len() > 1 {
        eprintln!(
            "error: --bless records from one target; {} given",
            args.targets.len()
        );
        return Ok(EXIT_USAGE);
    }
    let mut paths = paths;
    paths.extend(args.extra_cases.iter().cloned());
    super::record::main(super::record::Args {
        paths,
        target: args
            .targets
            .first()
            .cloned()
            .unwrap_or_else(|| "embedded".to_string()),
        check: false,
        volatile: Vec::new(),
        normalise: false,
        region: args.region.clone(),
        timeout: args.timeout,
        aws_confirm: args.aws_confirm,
    })
}

/// The cases of a run and the revision that names them.
struct Gathered {
    cases: Vec<Case>,
    /// `git` tree or content hash of each source, joined with ` + `.
    revision: String,
    /// Whether the built-in corpus is part of the run.
    builtin: bool,
}

/// Loads the run's cases (see the module doc for which); on a problem, prints it and returns
/// the exit code.
fn gather_cases(args: &Args, paths: &[PathBuf]) -> Result<Gathered, u8> {
    let mut sets: Vec<(case::Loaded, String, String)> = Vec::new();
    let mut builtin = false;
    if !paths.is_empty() {
        let loaded = case::load_paths(paths);
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let rev = folder_revision(paths, &loaded.cases);
        sets.push((loaded, shown.join(", "), rev));
    } else if !args.no_default_cases {
        match case::corpus::default_source() {
            case::corpus::Source::Folder(dir) => {
                let loaded = case::load_dir(&dir);
                let rev = folder_revision(std::slice::from_ref(&dir), &loaded.cases);
                sets.push((loaded, dir.display().to_string(), rev));
            }
            case::corpus::Source::BuiltIn => {
                builtin = true;
                sets.push((
                    case::corpus::load_builtin(),
                    "the built-in corpus".to_string(),
                    case::corpus::builtin_revision(),
                ));
            }
        }
    }
    for p in &args.extra_cases {
        let one = std::slice::from_ref(p);
        let loaded = case::load_paths(one);
        let rev = folder_revision(one, &loaded.cases);
        sets.push((
            loaded,
            p.display().to_string(),
            format!("{}: {rev}", p.display()),
        ));
    }
    if sets.is_empty() {
        eprintln!(
            "error: no cases to run: `--no-default-cases` leaves out the default corpus; give \
             your own with `--cases DIR`"
        );
        return Err(EXIT_USAGE);
    }
    let mut cases: Vec<Case> = Vec::new();
    let mut errors = Vec::new();
    let mut described = Vec::new();
    let mut revisions = Vec::new();
    for (loaded, shown, rev) in sets {
        errors.extend(loaded.errors);
        if loaded.cases.is_empty() {
            errors.push(case::LoadError::file(
                shown.clone(),
                case::LoadErrorKind::Io,
                "no case files (*.yaml) found",
            ));
        }
        described.push(format!("{} case(s) from {shown}", loaded.cases.len()));
        revisions.push(rev);
        for c in loaded.cases {
            if let Some(other) = cases.iter().find(|o| o.id == c.id) {
                errors.push(case::LoadError::file(
                    c.file.clone(),
                    case::LoadErrorKind::Duplicate,
                    format!(
                        "duplicate case id `{}` (also {}); rename one of the files",
                        c.id, other.file
                    ),
                ));
            } else {
                cases.push(c);
            }
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "{} case file error(s); {} case(s) loaded fine",
            errors.len(),
            cases.len()
        );
        return Err(EXIT_CASE_ERRORS);
    }
    if !args.list {
        eprintln!("cases: {}", described.join(" + "));
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Gathered {
        cases,
        revision: revisions.join(" + "),
        builtin,
    })
}

/// Where known-deviation files come from.
enum ExpectationsSource {
    Folder(PathBuf),
    BuiltIn,
    None,
}

/// `--expectations DIR` when given; else `./expectations` when it exists; else the built-in
/// files, but only when the built-in corpus runs (they name its cases).
fn expectations_source(given: Option<&Path>, builtin_corpus: bool) -> ExpectationsSource {
    match given {
        Some(dir) => ExpectationsSource::Folder(dir.to_path_buf()),
        None if Path::new("expectations").is_dir() => {
            ExpectationsSource::Folder(PathBuf::from("expectations"))
        }
        None if builtin_corpus => ExpectationsSource::BuiltIn,
        None => ExpectationsSource::None,
    }
}

fn load_expectations(
    source: &ExpectationsSource,
    target: &str,
) -> Result<Option<expectations::Expectations>, expectations::ExpectationsError> {
    match source {
        ExpectationsSource::Folder(dir) => expectations::load_for_target(dir, target),
        ExpectationsSource::BuiltIn => match case::corpus::builtin_expectations(target) {
            Some(text) => {
                let shown = PathBuf::from(format!("expectations/{target}.yaml (built-in)"));
                expectations::parse(text, &shown).map(Some)
            }
            None => Ok(None),
        },
        ExpectationsSource::None => Ok(None),
    }
}

/// Trial-name prefixes: the given name, else the kind, with `-2`, `-3` … when one repeats.
fn target_names(specs: &[TargetSpec], given: &[Option<String>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let base = given
            .get(i)
            .cloned()
            .flatten()
            .unwrap_or_else(|| s.name().to_string());
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        names.push(name);
    }
    names
}

fn write_results(dir: &Path, results: &RunResults, results_only: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create report directory {}", dir.display()))?;
    let path = dir.join("results.json");
    if results_only {
        report::write_formats(results, dir, &[report::Format::Json])
    } else {
        report::write_all(results, dir)
    }
    .with_context(|| format!("cannot write reports into {}", dir.display()))?;
    let counts = results.counts();
    let summary: Vec<String> = counts
        .iter()
        .map(|(o, n)| format!("{n} {}", o.label()))
        .collect();
    eprintln!("results: {} ({})", path.display(), summary.join(", "));
    Ok(())
}

/// `git rev-parse HEAD:<dir>` (plus `-dirty` when the directory has local changes) for a
/// single case directory inside a git checkout; otherwise a content hash of the case files
/// ([`case::corpus::content_revision`] over `<id>.yaml` and the bytes), which equals the
/// built-in corpus's hash for an unedited `s3cors cases export`.
fn folder_revision(paths: &[PathBuf], cases: &[Case]) -> String {
    if let [dir] = paths
        && dir.is_dir()
        && let Some(rev) = git_tree(dir)
    {
        return rev;
    }
    case::corpus::content_revision(cases.iter().map(|c| {
        (
            format!("{}.yaml", c.id),
            std::fs::read(&c.file).unwrap_or_default(),
        )
    }))
}

fn git_tree(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD:./"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let rev = String::from_utf8(out.stdout).ok()?.trim().to_string();
    let dirty = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--", "."])
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    Some(if dirty { format!("{rev}-dirty") } else { rev })
}

/// The command line, with secret flag values replaced.
fn reproducing_command() -> String {
    let mut out = Vec::new();
    let mut redact_next = false;
    for (i, a) in std::env::args().enumerate() {
        if i == 0 {
            out.push("s3cors".to_string());
            continue;
        }
        if redact_next {
            out.push("REDACTED".to_string());
            redact_next = false;
            continue;
        }
        if let Some((flag, _)) = a.split_once('=')
            && (flag == "--secret-key" || flag == "--access-key")
        {
            out.push(format!("{flag}=REDACTED"));
            continue;
        }
        redact_next = a == "--secret-key" || a == "--access-key";
        out.push(redact_target_secrets(&a));
    }
    out.join(" ")
}

/// `moto,secret-key=X,env=MINIO_ROOT_PASSWORD=Y` → the values of `secret-key=` and of
/// secret-looking `env=` options replaced (container target options; see docs/targets.md).
fn redact_target_secrets(arg: &str) -> String {
    let value = arg.strip_prefix("--target=").unwrap_or(arg);
    if !value.contains(',') {
        return arg.to_string();
    }
    let redacted: Vec<String> = value
        .split(',')
        .map(|part| {
            if part.starts_with("secret-key=") {
                return "secret-key=REDACTED".to_string();
            }
            if let Some(env) = part.strip_prefix("env=")
                && let Some((k, _)) = env.split_once('=')
                && crate::target::container::is_secret_name(k)
            {
                return format!("env={k}=REDACTED");
            }
            part.to_string()
        })
        .collect();
    let joined = redacted.join(",");
    if arg.starts_with("--target=") {
        format!("--target={joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_target_secrets_are_redacted() {
        assert_eq!(
            redact_target_secrets(
                "container=img:1,access-key=ak,secret-key=sk,env=A_PASSWORD=p,env=B=b"
            ),
            "container=img:1,access-key=ak,secret-key=REDACTED,env=A_PASSWORD=REDACTED,env=B=b"
        );
        assert_eq!(
            redact_target_secrets("--target=moto,secret-key=x"),
            "--target=moto,secret-key=REDACTED"
        );
        assert_eq!(
            redact_target_secrets("endpoint=http://h:1"),
            "endpoint=http://h:1"
        );
    }

    #[test]
    fn words_split_into_paths_and_filter() {
        let (p, f) = split_words(&["src".into(), "preflight".into()]).unwrap();
        assert_eq!(p, vec![PathBuf::from("src")]);
        assert_eq!(f.as_deref(), Some("preflight"));
        let (p, f) = split_words(&[]).unwrap();
        assert!(p.is_empty(), "no paths: the default corpus runs");
        assert_eq!(f, None);
        assert!(split_words(&["a".into(), "b".into()]).is_err());
    }

    #[test]
    fn repeated_kinds_get_numbered() {
        let n = target_names(
            &[TargetSpec::Embedded, TargetSpec::Embedded, TargetSpec::Aws],
            &[None, None, None],
        );
        assert_eq!(n, vec!["embedded", "embedded-2", "aws"]);
        let n = target_names(
            &[TargetSpec::Endpoint(None), TargetSpec::Endpoint(None)],
            &[Some("moto".into()), None],
        );
        assert_eq!(n, vec!["moto", "endpoint"]);
    }
}
