//! `s3cors diff`: two targets' responses compared directly, case by case, step by step,
//! without reference to the AWS expectations in the case files.
//!
//! Why: "which of my two servers is right" is a different question from "where do the two
//! differ". A migration from one store to another, or a release of the same store, is judged
//! by the second; the conformance run answers only the first.
//!
//! Two modes:
//! - results files: `s3cors diff A/results.json B/results.json` (a file with several targets
//!   is addressed as `FILE#TARGET`; one file with exactly two targets compares those two);
//! - live: `s3cors diff --target A --target B [CASES...] [FILTER]` builds both targets, runs
//!   every case on each through the runner's [`Session`] and compares the results.
//!
//! Each response is rendered into the runner's canonical text ([`compare::render`]), with
//! the whole CORS surface, every S3 error element except the volatile `RequestId`/`HostId`,
//! the GetBucketCors rules when either side returned a configuration, and whatever other
//! headers or body the case's step names; bucket names are replaced by `${bucket}`. Two steps
//! are the same when the two texts are; a difference is shown as the same `-A +B` diff a
//! failure shows. A case stops at its first step that deviates from the AWS expectation, so
//! steps are compared as far as both targets got.
//!
//! Exit codes: 0 identical, 1 some case differs, 2 usage, 3 case files unreadable, 4 a
//! target could not be built or a case errored on either side (the comparison is then
//! incomplete).

use crate::case::model::{CorsSurface, Expect, ExpectError};
use crate::case::{self, Case, OrderedMap};
use crate::cli::{EXIT_CASE_ERRORS, EXIT_FAILURES, EXIT_HARNESS, EXIT_OK, EXIT_USAGE};
use crate::results::{CaseResult, Outcome, RunResults, TargetRun};
use crate::runner::{self, RunMeta, Session, compare, render};
use crate::s3::S3Response;
use crate::target::cleanup::BucketName;
use crate::target::endpoint::EndpointOptions;
use crate::target::select;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `s3cors diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Two results files (`PATH[#TARGET]`), or, with `--target`, case files/directories and
    /// optionally one case-id filter (substring).
    #[arg(value_name = "RESULTS|CASES|FILTER")]
    pub words: Vec<String>,
    /// Run live against these two targets (same forms as `s3cors run --target`, including
    /// `NAME=TARGET` with per-target credentials; `aws` is refused: it needs `run`'s consent).
    #[arg(long = "target", value_name = "T")]
    pub targets: Vec<String>,
    /// Print only the ids of the cases that differ.
    #[arg(long)]
    pub names_only: bool,
    /// Live mode: cases run in parallel.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub test_threads: usize,
    /// Live mode: per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
}

/// Runs `s3cors diff`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let (a, b, cases) = if args.targets.is_empty() {
        match from_files(&args.words) {
            Ok((a, b)) => (a, b, None),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(EXIT_USAGE);
            }
        }
    } else {
        match live(&args)? {
            Live::Done(done) => {
                let (a, b, cases) = *done;
                (a, b, Some(cases))
            }
            Live::Exit(code) => return Ok(code),
        }
    };
    let cases = cases.unwrap_or_else(|| load_case_files(&a, &b));
    let report = compare_runs(&a, &b, &cases);
    let colour = render::colour_on(&std::io::stdout());
    print!("{}", report.render(args.names_only, colour));
    eprintln!("{}", report.summary());
    Ok(report.exit_code())
}

// ---------------------------------------------------------------------------------------
// Inputs

/// Reads the two sides from results files.
fn from_files(words: &[String]) -> Result<(TargetRun, TargetRun), String> {
    let pick = |w: &str| -> Result<(RunResults, Option<String>), String> {
        let (path, name) = match w.rsplit_once('#') {
            Some((p, n)) if !n.is_empty() => (p, Some(n.to_string())),
            _ => (w, None),
        };
        let results =
            crate::report::read_results(Path::new(path)).map_err(|e| format!("{path}: {e}"))?;
        Ok((results, name))
    };
    let one = |results: &RunResults, name: Option<&str>, w: &str| -> Result<TargetRun, String> {
        let names: Vec<&str> = results
            .targets
            .iter()
            .map(|t| t.info.name.as_str())
            .collect();
        match name {
            Some(n) => results
                .targets
                .iter()
                .find(|t| t.info.name == n)
                .cloned()
                .ok_or_else(|| format!("{w}: no target `{n}` (has: {})", names.join(", "))),
            None if results.targets.len() == 1 => Ok(results.targets[0].clone()),
            None => Err(format!(
                "{w} has {} targets ({}): pick one with `{w}#NAME`",
                names.len(),
                names.join(", ")
            )),
        }
    };
    match words {
        [w] => {
            let (results, name) = pick(w)?;
            if name.is_none() && results.targets.len() == 2 {
                Ok((results.targets[0].clone(), results.targets[1].clone()))
            } else {
                Err(format!(
                    "one results file compares its two targets; {w} has {}: give two `FILE#TARGET`s",
                    results.targets.len()
                ))
            }
        }
        [wa, wb] => {
            let (ra, na) = pick(wa)?;
            let (rb, nb) = pick(wb)?;
            Ok((one(&ra, na.as_deref(), wa)?, one(&rb, nb.as_deref(), wb)?))
        }
        _ => Err(
            "give two results files (`s3cors diff A/results.json B/results.json`) or two targets (`--target A --target B`)"
                .to_string(),
        ),
    }
}

/// The cases the results name, loaded from their files when those still exist (for the
/// other headers and body a step checks). Unreadable files are simply left out: the
/// comparison then covers status, CORS surface, error and rules only.
fn load_case_files(a: &TargetRun, b: &TargetRun) -> BTreeMap<String, Case> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for c in a.cases.iter().chain(&b.cases) {
        files
            .entry(c.file.clone())
            .or_insert_with(|| c.case.clone());
    }
    let mut out = BTreeMap::new();
    for (file, id) in files {
        let Ok(src) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Ok(c) = case::parse_case(&id, &file, &src) {
            out.insert(id, c);
        }
    }
    out
}

enum Live {
    Done(Box<(TargetRun, TargetRun, BTreeMap<String, Case>)>),
    Exit(u8),
}

/// Builds the two targets and runs the cases on both.
fn live(args: &Args) -> anyhow::Result<Live> {
    let [ta, tb] = args.targets.as_slice() else {
        eprintln!("error: live mode needs exactly two `--target`s");
        return Ok(Live::Exit(EXIT_USAGE));
    };
    let mut specs = Vec::new();
    let mut names = Vec::new();
    for t in [ta, tb] {
        match select::parse_named(t) {
            Ok((s, n)) => {
                names.push(n.unwrap_or_else(|| s.name().to_string()));
                specs.push(s);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(Live::Exit(EXIT_USAGE));
            }
        }
    }
    let name_a = names[0].clone();
    let mut name_b = names[1].clone();
    if name_b == name_a {
        name_b.push_str("-2");
    }
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut filter: Option<String> = None;
    for w in &args.words {
        if Path::new(w).exists() || w.ends_with(".yaml") {
            paths.push(PathBuf::from(w));
        } else if filter.replace(w.clone()).is_some() {
            eprintln!("error: more than one filter, or a case path that does not exist: `{w}`");
            return Ok(Live::Exit(EXIT_USAGE));
        }
    }
    // No paths: `./cases` when it exists, else the built-in corpus (as `s3cors run`).
    let loaded = if paths.is_empty() {
        case::corpus::load_default().0
    } else {
        case::load_paths(&paths)
    };
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("error: {e}");
        }
        return Ok(Live::Exit(EXIT_CASE_ERRORS));
    }
    let cases: Vec<Case> = loaded
        .cases
        .into_iter()
        .filter(|c| filter.as_deref().is_none_or(|f| c.id.contains(f)))
        .collect();
    if cases.is_empty() {
        eprintln!("error: no cases to run");
        return Ok(Live::Exit(EXIT_CASE_ERRORS));
    }
    let opts = EndpointOptions {
        timeout: Some(Duration::from_secs(args.timeout.max(1))),
        ..EndpointOptions::default()
    };
    let rt = runner::runtime()?;
    let mut session = Session::new(RunMeta::default());
    session.set_colour(false);
    let ctx = select::BuildContext {
        run_id: Some(session.run_id().clone()),
        aws_confirmed: false,
        cases: &cases,
    };
    let mut built = Vec::new();
    for (spec, name) in specs.iter().zip([&name_a, &name_b]) {
        match rt.block_on(select::build_with(spec, name, &opts, &ctx)) {
            Ok(b) => built.push(b),
            Err(e) => {
                for b in &built {
                    rt.block_on(b.shutdown());
                }
                eprintln!("error: target `{name}`: {e}");
                return Ok(Live::Exit(EXIT_HARNESS));
            }
        }
    }
    for b in &built {
        rt.block_on(session.add_target(b.target.clone()));
    }
    let session = Arc::new(session);
    let hook = {
        let _guard = rt.enter();
        crate::target::cleanup::spawn_interrupt_cleanup(session.tracked())
    };
    let jobs: Vec<(usize, &Case)> = (0..2)
        .flat_map(|ti| cases.iter().map(move |c| (ti, c)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..args.test_threads.clamp(1, 64) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((ti, case)) = jobs.get(i) else { break };
                    let _ = session.run_one(*ti, case);
                }
            });
        }
    });
    let results = rt.block_on(session.finish());
    hook.abort();
    for b in &built {
        rt.block_on(b.shutdown());
    }
    let mut targets = results.targets.into_iter();
    let (Some(a), Some(b)) = (targets.next(), targets.next()) else {
        anyhow::bail!("internal: the session lost a target");
    };
    let by_id = cases.into_iter().map(|c| (c.id.clone(), c)).collect();
    Ok(Live::Done(Box::new((a, b, by_id))))
}

// ---------------------------------------------------------------------------------------
// Comparison

/// How one case compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseDiff {
    /// Every step both ran rendered the same (or neither side ran: same outcome).
    Same,
    /// A step's responses differ.
    Step {
        step: usize,
        line: usize,
        label: String,
        /// `-A +B` diff of the canonical texts.
        diff: String,
    },
    /// The cases cannot be compared step by step (one side did not run it, ran a different
    /// number of steps, or errored); the text says how they differ.
    Outcome { text: String, error: bool },
}

/// The result of comparing two target runs.
#[derive(Debug, Clone)]
pub struct DiffReport {
    pub a: String,
    pub b: String,
    /// Every case id in either run, with its file and verdict.
    pub cases: Vec<(String, String, CaseDiff)>,
}

impl DiffReport {
    /// How many cases differ (including outcome-level differences and errors).
    pub fn differing(&self) -> usize {
        self.cases
            .iter()
            .filter(|(_, _, d)| *d != CaseDiff::Same)
            .count()
    }

    fn errors(&self) -> usize {
        self.cases
            .iter()
            .filter(|(_, _, d)| matches!(d, CaseDiff::Outcome { error: true, .. }))
            .count()
    }

    /// 0 identical, 1 differences, 4 when a case errored on either side.
    pub fn exit_code(&self) -> u8 {
        if self.errors() > 0 {
            EXIT_HARNESS
        } else if self.differing() > 0 {
            EXIT_FAILURES
        } else {
            EXIT_OK
        }
    }

    /// One line for stderr.
    pub fn summary(&self) -> String {
        format!(
            "diff {} vs {}: {} case(s) compared, {} identical, {} differ ({} with an error)",
            self.a,
            self.b,
            self.cases.len(),
            self.cases.len() - self.differing(),
            self.differing(),
            self.errors()
        )
    }

    /// The differing cases, as failures are shown (`-->` file:line, step, `-A +B` diff).
    pub fn render(&self, names_only: bool, colour: bool) -> String {
        let mut out = String::new();
        for (id, file, d) in &self.cases {
            if names_only {
                if *d != CaseDiff::Same {
                    out.push_str(id);
                    out.push('\n');
                }
                continue;
            }
            match d {
                CaseDiff::Same => {}
                CaseDiff::Step {
                    step,
                    line,
                    label,
                    diff,
                } => {
                    let diff = if colour {
                        render::colour_diff(diff)
                    } else {
                        diff.clone()
                    };
                    out.push_str(&format!(
                        "{id}\n--> {file}:{line}\nstep {}: {label}\n\n-{} +{}:\n{diff}\n",
                        step + 1,
                        self.a,
                        self.b
                    ));
                }
                CaseDiff::Outcome { text, .. } => {
                    out.push_str(&format!("{id}\n--> {file}\n{text}\n\n"));
                }
            }
        }
        out
    }
}

/// Compares two target runs case by case. `cases` supplies each case's step expectations
/// (for the other headers and body a step names); missing cases are compared without them.
pub fn compare_runs(a: &TargetRun, b: &TargetRun, cases: &BTreeMap<String, Case>) -> DiffReport {
    let mut ids: BTreeMap<&str, (Option<&CaseResult>, Option<&CaseResult>)> = BTreeMap::new();
    for c in &a.cases {
        ids.entry(&c.case).or_default().0 = Some(c);
    }
    for c in &b.cases {
        ids.entry(&c.case).or_default().1 = Some(c);
    }
    let (na, nb) = (a.info.name.as_str(), b.info.name.as_str());
    let (na, nb) = if na == nb { ("A", "B") } else { (na, nb) };
    let out = ids
        .into_iter()
        .map(|(id, (ca, cb))| {
            let file = ca.or(cb).map(|c| c.file.clone()).unwrap_or_default();
            let d = match (ca, cb) {
                (Some(ca), Some(cb)) => compare_case(ca, cb, cases.get(id), (na, nb)),
                (Some(_), None) => CaseDiff::Outcome {
                    text: format!("only run on {na}"),
                    error: false,
                },
                (None, _) => CaseDiff::Outcome {
                    text: format!("only run on {nb}"),
                    error: false,
                },
            };
            (id.to_string(), file, d)
        })
        .collect();
    DiffReport {
        a: na.to_string(),
        b: nb.to_string(),
        cases: out,
    }
}

fn ran(o: Outcome) -> bool {
    matches!(
        o,
        Outcome::Pass | Outcome::Fail | Outcome::KnownDeviation | Outcome::StaleExpectation
    )
}

fn describe(c: &CaseResult) -> String {
    match &c.reason {
        Some(r) if !ran(c.outcome.0) => format!("{} ({r})", c.outcome.0.label()),
        _ => c.outcome.0.label().to_string(),
    }
}

fn compare_case(
    a: &CaseResult,
    b: &CaseResult,
    case: Option<&Case>,
    (na, nb): (&str, &str),
) -> CaseDiff {
    let (oa, ob) = (a.outcome.0, b.outcome.0);
    if oa == Outcome::Error || ob == Outcome::Error {
        return CaseDiff::Outcome {
            text: format!(
                "cannot compare: {na}: {}; {nb}: {}",
                describe(a),
                describe(b)
            ),
            error: true,
        };
    }
    match (ran(oa), ran(ob)) {
        (false, false) if oa == ob => return CaseDiff::Same,
        (true, true) => {}
        _ => {
            return CaseDiff::Outcome {
                text: format!("{na}: {}\n{nb}: {}", describe(a), describe(b)),
                error: false,
            };
        }
    }
    for (i, (sa, sb)) in a.steps.iter().zip(&b.steps).enumerate() {
        let (Some(ra), Some(rb)) = (&sa.response, &sb.response) else {
            return CaseDiff::Outcome {
                text: format!("step {}: no response on one side", i + 1),
                error: true,
            };
        };
        let expect = case.and_then(|c| c.steps.get(i)).map(|s| &s.expect);
        let (ta, tb) = canonical_pair(expect, ra, rb);
        if ta != tb {
            return CaseDiff::Step {
                step: i,
                line: sa.line,
                label: sa.label.clone(),
                diff: render::diff(&ta, &tb),
            };
        }
    }
    if a.steps.len() != b.steps.len() {
        return CaseDiff::Outcome {
            text: format!(
                "the steps both ran are the same, but {na} ran {} step(s) and {nb} {} ({na}: {}, {nb}: {})",
                a.steps.len(),
                b.steps.len(),
                describe(a),
                describe(b)
            ),
            error: false,
        };
    }
    CaseDiff::Same
}

/// Error elements that differ on every request and say nothing about behaviour.
const VOLATILE_ERROR_ELEMENTS: [&str; 2] = ["RequestId", "HostId"];

/// The canonical texts of two responses to the same step, rendered with one synthetic
/// expectation covering whatever either side has (see the module docs).
pub fn canonical_pair(expect: Option<&Expect>, a: &S3Response, b: &S3Response) -> (String, String) {
    let mut elements: Vec<String> = Vec::new();
    let mut any_error = false;
    for r in [a, b] {
        if let Some(p) = crate::s3::parse_error_body(&r.body) {
            any_error = true;
            for (n, _) in &p.elements {
                if !VOLATILE_ERROR_ELEMENTS.contains(&n.as_str()) && !elements.contains(n) {
                    elements.push(n.clone());
                }
            }
        }
    }
    let is_config = |r: &S3Response| compare::parse_rules(&r.body).is_some();
    let synthetic = Expect {
        status: 0,
        headers: OrderedMap::default(),
        cors_surface: CorsSurface::Exact,
        other_headers: OrderedMap(
            expect
                .map(|e| {
                    e.other_headers
                        .iter()
                        .map(|(n, _)| (n.to_string(), None))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        error: any_error.then(|| ExpectError {
            elements: OrderedMap(elements.into_iter().map(|n| (n, None)).collect()),
            ..ExpectError::default()
        }),
        body: expect.and_then(|e| e.body.clone()),
        rules: (expect.is_some_and(|e| e.rules.is_some()) || is_config(a) || is_config(b))
            .then(Vec::new),
    };
    let text = |r: &S3Response| normalize_buckets(&compare::render(&synthetic, r, "").actual);
    (text(a), text(b))
}

/// Replaces every s3cors bucket name (`s3cors-YYYYMMDD-HHMMSS-xxxx-N`) with `${bucket}`, so
/// two runs' responses compare equal when only the bucket differs.
pub fn normalize_buckets(s: &str) -> String {
    const PREFIX: &str = crate::target::cleanup::BUCKET_PREFIX;
    // prefix + 8 digits + '-' + 6 digits + '-' + 4 chars + '-'
    const FIXED: usize = PREFIX.len() + 8 + 1 + 6 + 1 + 4 + 1;
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(PREFIX) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let digits = tail
            .get(FIXED..)
            .map(|t| t.bytes().take_while(u8::is_ascii_digit).count())
            .unwrap_or(0);
        let candidate = tail.get(..FIXED + digits).unwrap_or("");
        if digits > 0 && BucketName::parse(candidate).is_some() {
            out.push_str("${bucket}");
            rest = &tail[candidate.len()..];
        } else {
            out.push_str(PREFIX);
            rest = &tail[PREFIX.len()..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{OutcomeOrDefault, StepResult};
    use crate::target::TargetInfo;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> S3Response {
        S3Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn run(name: &str, cases: Vec<(&str, Outcome, Vec<S3Response>)>) -> TargetRun {
        TargetRun {
            info: TargetInfo {
                name: name.into(),
                kind: "endpoint".into(),
                ..TargetInfo::default()
            },
            cases: cases
                .into_iter()
                .map(|(id, o, resps)| CaseResult {
                    case: id.into(),
                    file: format!("cases/{id}.yaml"),
                    outcome: OutcomeOrDefault(o),
                    reason: (!ran(o)).then(|| "why".to_string()),
                    steps: resps
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| StepResult {
                            label: "OPTIONS image.jpg".into(),
                            line: 10 + i,
                            response: Some(r),
                            ..StepResult::default()
                        })
                        .collect(),
                    ..CaseResult::default()
                })
                .collect(),
            ..TargetRun::default()
        }
    }

    const B1: &str = "s3cors-20261128-150102-ab12-7";
    const B2: &str = "s3cors-20261128-160000-zz99-123";

    #[test]
    fn bucket_names_are_normalised() {
        assert_eq!(
            normalize_buckets(&format!("/{B1}/k and {B2}-other.s3 s3cors-x")),
            "/${bucket}/k and ${bucket}-other.s3 s3cors-x"
        );
    }

    #[test]
    fn identical_responses_modulo_bucket_and_request_id_are_the_same() {
        let err = |b: &str, id: &str| {
            format!(
                "<Error><Code>AccessForbidden</Code><BucketName>{b}</BucketName><RequestId>{id}</RequestId></Error>"
            )
        };
        let a = run(
            "x",
            vec![(
                "p/one",
                Outcome::Fail,
                vec![resp(403, &[("x-amz-request-id", "1")], &err(B1, "1"))],
            )],
        );
        let b = run(
            "y",
            vec![(
                "p/one",
                Outcome::KnownDeviation,
                vec![resp(403, &[], &err(B2, "2"))],
            )],
        );
        let r = compare_runs(&a, &b, &BTreeMap::new());
        assert_eq!(r.cases[0].2, CaseDiff::Same);
        assert_eq!(r.exit_code(), EXIT_OK);
    }

    #[test]
    fn a_differing_step_is_shown_as_a_minus_a_plus_b_diff() {
        let a = run(
            "localstack",
            vec![(
                "p/one",
                Outcome::Pass,
                vec![
                    resp(200, &[], ""),
                    resp(
                        200,
                        &[
                            ("access-control-allow-origin", "http://a"),
                            ("vary", "Origin"),
                        ],
                        "",
                    ),
                ],
            )],
        );
        let b = run(
            "s3rver",
            vec![(
                "p/one",
                Outcome::Fail,
                vec![
                    resp(200, &[], ""),
                    resp(200, &[("Access-Control-Allow-Origin", "*")], ""),
                ],
            )],
        );
        let r = compare_runs(&a, &b, &BTreeMap::new());
        let CaseDiff::Step {
            step, line, diff, ..
        } = &r.cases[0].2
        else {
            panic!("{:?}", r.cases[0].2)
        };
        assert_eq!((*step, *line), (1, 11));
        assert_eq!(
            diff,
            " status: 200\n-access-control-allow-origin: http://a\n-vary: Origin\n+access-control-allow-origin: *\n"
        );
        assert_eq!(r.exit_code(), EXIT_FAILURES);
        let text = r.render(false, false);
        assert!(
            text.contains("p/one\n--> cases/p/one.yaml:11\nstep 2: OPTIONS image.jpg\n\n-localstack +s3rver:\n"),
            "{text}"
        );
        assert_eq!(r.render(true, false), "p/one\n");
    }

    #[test]
    fn outcomes_errors_and_missing_cases() {
        let a = run(
            "a",
            vec![
                ("c/unsupported-both", Outcome::Unsupported, vec![]),
                ("c/unsupported-one", Outcome::Unsupported, vec![]),
                ("c/only-a", Outcome::Pass, vec![resp(200, &[], "")]),
                ("c/error", Outcome::Error, vec![]),
            ],
        );
        let b = run(
            "b",
            vec![
                ("c/unsupported-both", Outcome::Unsupported, vec![]),
                ("c/unsupported-one", Outcome::Pass, vec![resp(200, &[], "")]),
                ("c/error", Outcome::Pass, vec![resp(200, &[], "")]),
            ],
        );
        let r = compare_runs(&a, &b, &BTreeMap::new());
        let get = |id: &str| &r.cases.iter().find(|c| c.0 == id).unwrap().2;
        assert_eq!(*get("c/unsupported-both"), CaseDiff::Same);
        assert!(
            matches!(get("c/unsupported-one"), CaseDiff::Outcome { error: false, text } if text.contains("a: unsupported (why)"))
        );
        assert!(
            matches!(get("c/only-a"), CaseDiff::Outcome { text, .. } if text == "only run on a")
        );
        assert!(matches!(
            get("c/error"),
            CaseDiff::Outcome { error: true, .. }
        ));
        assert_eq!(r.exit_code(), EXIT_HARNESS);
    }

    #[test]
    fn rules_are_compared_when_either_side_returns_a_configuration() {
        let cfg = |m: &str| {
            format!(
                "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>{m}</AllowedMethod></CORSRule></CORSConfiguration>"
            )
        };
        let (ta, tb) = canonical_pair(
            None,
            &resp(200, &[], &cfg("GET")),
            &resp(200, &[], &cfg("PUT")),
        );
        assert_ne!(ta, tb);
        assert!(ta.contains("rule 1.allowed_methods: [GET]"), "{ta}");
    }
}
