//! `s3cors bench`: how fast the harness is, measured against what the wire allows.
//!
//! A conformance harness earns its place in CI by being fast, and "fast" only means
//! something next to a floor. One run measures, on the same machine:
//!
//! 1. **Corpus vs floor**: the whole corpus through the real runner (libtest-mimic trials,
//!    set-up, steps, comparison, teardown) against the in-process embedded server; then the
//!    exact request sequence the runner sent ([`record`]), signed up front and replayed by a
//!    bare `reqwest` client against a fresh embedded server ([`floor`]). The ratio
//!    harness/floor is the harness's own cost; the target is at most 2.
//! 2. **Scaling**: generated corpora of 1,000 and 10,000 cases ([`scale`]); time per case
//!    should stay flat.
//! 3. **Server load**: the embedded server alone under a bounded raw-HTTP load generator
//!    ([`load`]) for preflight and GET, and the same load against peers given with `--peer`
//!    (LocalStack: `scripts/peers/localstack/start.sh 4566`).
//!
//! Numbers are printed as Markdown (and written to `--markdown FILE` when given), ready for
//! `docs/performance.md`. Nothing here asserts a time: benchmarks are benchmarks.

pub mod floor;
pub mod load;
pub mod record;
pub mod s3tests;
pub mod scale;

use crate::case::model::{CannedAcl, Checksum};
use crate::case::{Case, load_dir};
use crate::cors::CorsRule;
use crate::runner::exec::{create_bucket_request, put_cors_request, rules_xml};
use crate::runner::{self, RunMeta, Session};
use crate::s3::{Auth, S3Request};
use crate::server::{self, ServerConfig};
use crate::target::embedded::{self as embedded_target, EmbeddedTarget};
use crate::target::{HttpConfig, HttpTarget, Target};
use anyhow::Context;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of `s3cors bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The case corpus.
    #[arg(long, value_name = "DIR", default_value = "cases")]
    pub cases: PathBuf,
    /// Repetitions of the corpus/floor measurement; the median of each row is reported.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub repeat: usize,
    /// Trials run in parallel (the runner's `--test-threads`; also the floor's parallelism).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub test_threads: usize,
    /// Sizes of the generated corpora for the scaling run (comma-separated; empty or 0: skip).
    #[arg(
        long,
        value_name = "N,N",
        value_delimiter = ',',
        default_value = "1000,10000",
        value_parser = parse_scale
    )]
    pub scale: Vec<usize>,
    /// Requests per load run (each of preflight and GET, per server).
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub load_requests: usize,
    /// Time limit of each load run, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub load_seconds: u64,
    /// Concurrent connections of the load generator.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// A peer to load as well: `NAME=URL` (e.g. `localstack=http://127.0.0.1:4566`).
    #[arg(long = "peer", value_name = "NAME=URL")]
    pub peers: Vec<String>,
    /// Access key for peers.
    #[arg(long, default_value = "test")]
    pub peer_access_key: String,
    /// Secret key for peers.
    #[arg(long, default_value = "test")]
    pub peer_secret_key: String,
    /// Include the origin-mutation pack in the corpus run.
    #[arg(long)]
    pub mutations: bool,
    /// Skip the corpus/floor run.
    #[arg(long)]
    pub skip_corpus: bool,
    /// Skip the server load runs.
    #[arg(long)]
    pub skip_load: bool,
    /// Skip the corpus runs against `--peer` servers (wall time and requests per case).
    #[arg(long)]
    pub skip_peer_corpus: bool,
    /// One fresh bucket per case instead of bucket reuse (to measure what reuse saves).
    #[arg(long)]
    pub fresh_buckets: bool,
    /// A checkout of ceph/s3-tests: its CORS subset (`pytest -k cors` in
    /// `s3tests_boto3/functional/test_s3.py`) runs against each `--peer` right after our
    /// corpus, for a side-by-side row. Needs Python with the checkout's requirements.
    #[arg(long, value_name = "DIR")]
    pub s3_tests: Option<PathBuf>,
    /// The Python that runs s3-tests (a venv's `bin/python` with its requirements).
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub s3_tests_python: PathBuf,
    /// Also write the Markdown report to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// `NAME=URL` of a `--peer`.
fn peer_parts(peer: &str) -> anyhow::Result<(&str, &str)> {
    peer.split_once('=')
        .with_context(|| format!("--peer wants NAME=URL, got `{peer}`"))
}

/// The corpus through the runner against each peer (wall time, requests per case: what a
/// user waits for), and with `--s3-tests`, s3-tests' CORS subset against the same peer right
/// after it.
fn peer_corpus(args: &Args, corpus: &[Case], md: &mut String) -> anyhow::Result<()> {
    let checked = checked_values(corpus);
    let s3t_values = match &args.s3_tests {
        Some(dir) => Some(s3tests::checked_values(dir)?),
        None => None,
    };
    let _ = writeln!(
        md,
        "## Corpus against peers ({} trial threads, bucket reuse {})\n\n\
         | peer | suite | cases/tests | passed | failed | ignored | checked values | requests | requests/case | wall time |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        args.test_threads,
        if args.fresh_buckets { "off" } else { "on" }
    );
    let mut notes = Vec::new();
    for peer in &args.peers {
        let (name, url) = peer_parts(peer)?;
        // The same target `s3cors run --target endpoint=URL` builds.
        let opts = crate::target::endpoint::EndpointOptions {
            access_key: Some(args.peer_access_key.clone()),
            secret_key: Some(args.peer_secret_key.clone()),
            ..Default::default()
        };
        let rt = runner::runtime()?;
        let built = rt.block_on(crate::target::select::build(
            &crate::target::select::TargetSpec::Endpoint(Some(url.to_string())),
            name,
            &opts,
        ))?;
        let target = built.target.clone();
        eprintln!("bench: corpus ({} cases) against {name}…", corpus.len());
        let h = harness_run_on(target, corpus, args.test_threads, !args.fresh_buckets);
        rt.block_on(built.shutdown());
        let h = h?;
        let _ = writeln!(
            md,
            "| {name} | s3cors corpus | {} | {} | {} | {} | {checked} | {} | {:.2} | {:.2} s |",
            h.cases,
            h.passed,
            h.failed,
            h.ignored,
            h.requests,
            h.requests as f64 / h.cases.max(1) as f64,
            h.wall.as_secs_f64()
        );
        if let (Some(dir), Some(values)) = (&args.s3_tests, s3t_values) {
            eprintln!("bench: s3-tests CORS subset against {name}…");
            let r = s3tests::run(
                dir,
                &args.s3_tests_python,
                url,
                &args.peer_access_key,
                &args.peer_secret_key,
            )?;
            let _ = writeln!(
                md,
                "| {name} | s3-tests CORS subset | {} | {} | {} | {} | ~{values} | – | – | {:.2} s |",
                r.passed + r.failed + r.skipped,
                r.passed,
                r.failed,
                r.skipped,
                r.wall.as_secs_f64()
            );
            notes.push(format!(
                "{name}: corpus/s3-tests wall time {:.2}",
                h.wall.as_secs_f64() / r.wall.as_secs_f64().max(1e-9)
            ));
        }
    }
    md.push('\n');
    if !notes.is_empty() {
        let _ = writeln!(md, "Ratios: {}.\n", notes.join("; "));
    }
    Ok(())
}

/// Values the corpus checks: per step the status, every CORS-surface header, every other
/// header, every error field, the body and every expected rule.
pub fn checked_values(cases: &[Case]) -> usize {
    cases
        .iter()
        .flat_map(|c| c.steps.iter())
        .map(|s| {
            let e = &s.expect;
            1 + e.headers.iter().count()
                + e.other_headers.iter().count()
                + e.error.as_ref().map_or(0, |x| x.fields().len())
                + usize::from(e.body.is_some())
                + e.rules.as_ref().map_or(0, Vec::len)
        })
        .sum()
}

/// One `--scale` size: a number of cases, or empty for none (what the help offers as
/// "skip"; clap hands the empty string to the parser, which `usize` refuses).
fn parse_scale(s: &str) -> Result<usize, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(0);
    }
    s.parse().map_err(|_| {
        format!("`{s}` is not a number of cases (use e.g. 1000,10000; empty or 0 skips)")
    })
}

/// What one harness run measured.
#[derive(Debug, Clone)]
pub struct HarnessRun {
    pub cases: usize,
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    /// HTTP requests the trials sent (the capability probe excluded).
    pub requests: usize,
    pub wall: Duration,
    /// The requests, in send order (for the floor).
    pub recorded: Vec<S3Request>,
    /// How cases used buckets (fresh or from the pool).
    pub buckets: runner::pool::PoolStats,
}

impl HarnessRun {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// What kind of S3 call a recorded request is (set-up and teardown calls are told apart
/// from case steps by their shape: the runner's own calls are all signed and carry no
/// `Origin`).
fn kind(r: &S3Request) -> &'static str {
    let has_origin = r
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("origin"));
    let sub = |name: &str| r.query.iter().any(|(n, _)| n == name);
    let harness_call = r.auth == Auth::Signed && !has_origin;
    match (r.method.as_str(), r.key.is_some(), harness_call) {
        ("PUT", false, true) if r.query.is_empty() => "set-up: CreateBucket",
        ("PUT", false, true) if sub("cors") => "set-up or step: PutBucketCors",
        ("PUT", true, true) if r.query.is_empty() => "set-up or step: PutObject",
        ("PUT", false, true) if sub("acl") => "set-up: PutBucketAcl",
        ("GET", false, true) if sub("list-type") || r.query.is_empty() => {
            "teardown or step: ListObjects"
        }
        ("DELETE", true, true) => "teardown or step: DeleteObject",
        ("DELETE", false, true) if r.query.is_empty() => "teardown or step: DeleteBucket",
        ("OPTIONS", _, _) => "step: preflight (OPTIONS)",
        _ => "step: other request",
    }
}

/// Recorded requests counted by [`kind`], most frequent first.
pub fn breakdown(requests: &[S3Request]) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for r in requests {
        let k = kind(r);
        match counts.iter_mut().find(|(n, _)| *n == k) {
            Some((_, c)) => *c += 1,
            None => counts.push((k, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
}

/// Runs `cases` through the real runner against a fresh in-process embedded server.
pub fn harness_run(cases: &[Case], threads: usize) -> anyhow::Result<HarnessRun> {
    harness_run_with(cases, threads, true)
}

/// [`harness_run`] with bucket reuse on or off.
pub fn harness_run_with(cases: &[Case], threads: usize, reuse: bool) -> anyhow::Result<HarnessRun> {
    let rt = runner::runtime()?;
    let embedded = Arc::new(rt.block_on(EmbeddedTarget::start("embedded"))?);
    let run = harness_run_on(embedded.clone(), cases, threads, reuse);
    rt.block_on(embedded.shutdown());
    run
}

/// Runs `cases` through the real runner against `target` (recording what it sends).
pub fn harness_run_on(
    target: Arc<dyn Target>,
    cases: &[Case],
    threads: usize,
    reuse: bool,
) -> anyhow::Result<HarnessRun> {
    let rt = runner::runtime()?;
    let recording = Arc::new(record::Recording::new(target));
    let mut session = Session::new(RunMeta::default());
    session.set_colour(false);
    session.set_bucket_reuse(reuse);
    rt.block_on(session.add_target(recording.clone()));
    let after_probe = recording.len();
    let session = Arc::new(session);
    let trials = session.trials(cases);
    let log = std::env::temp_dir().join(format!("s3cors-bench-{}.log", std::process::id()));
    let args = libtest_mimic::Arguments {
        test_threads: Some(threads.max(1)),
        quiet: true,
        logfile: Some(log.display().to_string()),
        ..libtest_mimic::Arguments::default()
    };
    let started = Instant::now();
    let conclusion = libtest_mimic::run(&args, trials);
    let wall = started.elapsed();
    let buckets = session.bucket_stats().first().copied().unwrap_or_default();
    let _ = rt.block_on(session.finish());
    let _ = std::fs::remove_file(&log);
    let recorded = recording.since(after_probe);
    Ok(HarnessRun {
        buckets,
        cases: cases.len(),
        passed: conclusion.num_passed,
        failed: conclusion.num_failed,
        ignored: conclusion.num_ignored,
        requests: recorded.len(),
        wall,
        recorded,
    })
}

/// The floor and the steps between it and the harness.
#[derive(Debug, Clone)]
pub struct FloorRuns {
    /// Signed up front, sent by a bare reqwest client from runtime tasks: the floor.
    pub bare: floor::FloorRun,
    /// Through the harness's `HttpTarget` (signing at send time), from runtime tasks.
    pub target_tasks: floor::FloorRun,
    /// Through the harness's `HttpTarget` from OS threads that `block_on` each group, the way
    /// libtest trials drive the runner.
    pub target_threads: floor::FloorRun,
}

async fn fresh_server() -> anyhow::Result<(server::RunningServer, Arc<HttpTarget>)> {
    let running = server::start(ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        access_key: embedded_target::ACCESS_KEY.to_string(),
        secret_key: embedded_target::SECRET_KEY.to_string(),
        region: embedded_target::REGION.to_string(),
        ..ServerConfig::default()
    })
    .await?;
    let mut cfg = HttpConfig::new(
        "floor",
        "embedded",
        &running.endpoint(),
        embedded_target::ACCESS_KEY,
        embedded_target::SECRET_KEY,
        embedded_target::REGION,
    );
    cfg.virtual_domain = Some("localhost".to_string());
    Ok((running, Arc::new(HttpTarget::new(cfg)?)))
}

/// Replays `requests` against fresh embedded servers: with a bare client (the floor), then
/// through the harness's own client from tasks and from `block_on` threads.
pub fn floor_run(requests: &[S3Request], parallelism: usize) -> anyhow::Result<FloorRuns> {
    let rt = runner::runtime()?;
    let (running, signer) = rt.block_on(fresh_server())?;
    let groups = floor::prepare(signer.as_ref(), requests);
    let bare = rt.block_on(floor::replay(groups, parallelism));
    rt.block_on(running.shutdown());

    let (running, target) = rt.block_on(fresh_server())?;
    let target_tasks =
        floor::replay_through_target(rt, target, floor::group(requests), parallelism, false);
    rt.block_on(running.shutdown());

    let (running, target) = rt.block_on(fresh_server())?;
    let target_threads =
        floor::replay_through_target(rt, target, floor::group(requests), parallelism, true);
    rt.block_on(running.shutdown());
    Ok(FloorRuns {
        bare,
        target_tasks,
        target_threads,
    })
}

/// Load results for one server.
struct ServerLoad {
    name: String,
    preflight: load::LoadRun,
    get: load::LoadRun,
}

const LOAD_BUCKET: &str = "s3cors-bench-load";
const LOAD_KEY: &str = "bench.txt";
const LOAD_ORIGIN: &str = "https://app.example.com";

/// Creates the load bucket (CORS rule, one public object) through a signed client.
async fn prepare_load_bucket(client: &HttpTarget) -> anyhow::Result<()> {
    let created = client
        .send(&create_bucket_request(LOAD_BUCKET, None))
        .await?;
    anyhow::ensure!(
        created.status == 200 || created.status == 409,
        "CreateBucket answered {}",
        created.status
    );
    let rules = vec![CorsRule {
        allowed_origins: vec![LOAD_ORIGIN.into()],
        allowed_methods: vec!["GET".into(), "PUT".into()],
        allowed_headers: vec!["*".into()],
        expose_headers: vec!["ETag".into()],
        max_age_seconds: Some(3000),
        ..CorsRule::default()
    }];
    let put = client
        .send(&put_cors_request(
            LOAD_BUCKET,
            rules_xml(&rules).into_bytes(),
            Checksum::Md5,
        ))
        .await?;
    anyhow::ensure!(put.status == 200, "PutBucketCors answered {}", put.status);
    let mut obj = S3Request::new("PUT", Some(LOAD_BUCKET), Some(LOAD_KEY), Auth::Signed);
    obj.body = vec![b'x'; 1024];
    obj.headers.push((
        "x-amz-acl".into(),
        CannedAcl::PublicRead.header_value().to_string(),
    ));
    let stored = client.send(&obj).await?;
    anyhow::ensure!(stored.status == 200, "PutObject answered {}", stored.status);
    Ok(())
}

async fn cleanup_load_bucket(client: &HttpTarget) {
    let _ = crate::target::cleanup::delete_bucket_fully(client, LOAD_BUCKET).await;
}

async fn load_server(
    name: &str,
    endpoint: &str,
    access: &str,
    secret: &str,
    args: &Args,
) -> anyhow::Result<ServerLoad> {
    let client = HttpTarget::new(HttpConfig::new(
        name,
        "bench",
        endpoint,
        access,
        secret,
        "us-east-1",
    ))?;
    prepare_load_bucket(&client)
        .await
        .with_context(|| format!("preparing the load bucket on {name}"))?;
    let url = url::Url::parse(endpoint)?;
    let addr = url
        .socket_addrs(|| Some(80))?
        .into_iter()
        .next()
        .context("endpoint has no address")?;
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "load is only ever generated against loopback addresses, not {addr}"
    );
    let host = format!("{}:{}", url.host_str().unwrap_or("127.0.0.1"), addr.port());
    let preflight = Arc::new(
        format!(
            "OPTIONS /{LOAD_BUCKET}/{LOAD_KEY} HTTP/1.1\r\nHost: {host}\r\nOrigin: {LOAD_ORIGIN}\r\n\
             Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n"
        )
        .into_bytes(),
    );
    let get = Arc::new(
        format!(
            "GET /{LOAD_BUCKET}/{LOAD_KEY} HTTP/1.1\r\nHost: {host}\r\nOrigin: {LOAD_ORIGIN}\r\n\r\n"
        )
        .into_bytes(),
    );
    let limit = Duration::from_secs(args.load_seconds);
    // A short warm-up so connection set-up and first-touch allocations are not measured.
    let _ = load::run(addr, preflight.clone(), 200, 500, 8, limit).await;
    let p = load::run(
        addr,
        preflight,
        200,
        args.load_requests,
        args.concurrency,
        limit,
    )
    .await;
    let g = load::run(addr, get, 200, args.load_requests, args.concurrency, limit).await;
    cleanup_load_bucket(&client).await;
    Ok(ServerLoad {
        name: name.to_string(),
        preflight: p,
        get: g,
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or("?".to_string(), |kb| format!("{} GiB", kb / 1024 / 1024));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    format!("{cpu}, {cores} cores, {mem} RAM, {profile} build")
}

/// The median element by `key` (the upper median for an even count).
fn median_by<T>(mut runs: Vec<T>, key: impl Fn(&T) -> Duration) -> T {
    runs.sort_by_key(|r| key(r));
    let mid = runs.len() / 2;
    runs.swap_remove(mid)
}

/// Runs every measurement `args` asks for and prints the Markdown report (the subcommand's
/// entry point and exit code are `crate::cli::bench`).
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut md = String::new();
    let _ = writeln!(md, "Machine: {}\n", machine());
    let loaded = load_dir(&args.cases);
    anyhow::ensure!(
        !loaded.cases.is_empty(),
        "no cases under {}",
        args.cases.display()
    );
    let mut corpus = loaded.cases.clone();
    if args.mutations {
        corpus.extend(crate::mutation::generate(&loaded.cases));
    }

    if !args.skip_corpus {
        let reps = args.repeat.max(1);
        let mut harness_runs = Vec::new();
        let mut floor_runs = Vec::new();
        for i in 0..reps {
            eprintln!(
                "bench: corpus ({} cases) through the runner, then the floor ({}/{reps})…",
                corpus.len(),
                i + 1
            );
            let h = harness_run_with(&corpus, args.test_threads, !args.fresh_buckets)?;
            floor_runs.push(floor_run(&h.recorded, args.test_threads)?);
            harness_runs.push(h);
        }
        let h = median_by(harness_runs, |r| r.wall);
        let f = FloorRuns {
            bare: median_by(floor_runs.iter().map(|f| f.bare.clone()).collect(), |r| {
                r.wall
            }),
            target_tasks: median_by(
                floor_runs.iter().map(|f| f.target_tasks.clone()).collect(),
                |r| r.wall,
            ),
            target_threads: median_by(
                floor_runs
                    .iter()
                    .map(|f| f.target_threads.clone())
                    .collect(),
                |r| r.wall,
            ),
        };
        let secs = |d: Duration| d.as_secs_f64().max(1e-9);
        let ratio = secs(h.wall) / secs(f.bare.wall);
        let row = |what: &str, r: &floor::FloorRun| {
            format!(
                "| {what} | – | {} | {:.3} s | {:.0} | {:.2} |\n",
                r.requests,
                secs(r.wall),
                r.requests as f64 / secs(r.wall),
                secs(r.wall) / secs(f.bare.wall)
            )
        };
        let _ = writeln!(
            md,
            "## Corpus against the embedded server (median of {reps} runs)\n\n\
             | run | cases | requests | wall time | requests/s | × floor |\n|---|---:|---:|---:|---:|---:|\n\
             | **harness** (runner, {t} trial threads) | {c} ({p} passed, {fl} failed, {ig} ignored) | {r} | {hw:.3} s | {hr:.0} | {ratio:.2} |\n\
             {floor}{tasks}{threads}\n\
             **Ratio harness/floor: {ratio:.2}** (transport errors in the replays: {fe})\n",
            t = args.test_threads,
            c = h.cases,
            p = h.passed,
            fl = h.failed,
            ig = h.ignored,
            r = h.requests,
            hw = secs(h.wall),
            hr = h.rps(),
            floor = row(
                &format!(
                    "**floor**: same sequence, signed up front, bare reqwest, {} in parallel",
                    args.test_threads
                ),
                &f.bare
            ),
            tasks = row(
                "same sequence through the harness's HttpTarget (signing per request), tokio tasks",
                &f.target_tasks
            ),
            threads = row(
                "same, from OS threads that block_on each case (as libtest trials do)",
                &f.target_threads
            ),
            fe = f.bare.errors + f.target_tasks.errors + f.target_threads.errors,
        );
        let _ = writeln!(
            md,
            "Requests the corpus run sent, by kind ({} cases; {:.2} requests per case; {} cases \
             in a fresh bucket, {} in a reused one):\n\n| kind | requests | per case |\n|---|---:|---:|",
            h.cases,
            h.requests as f64 / h.cases.max(1) as f64,
            h.buckets.fresh,
            h.buckets.reused,
        );
        for (k, n) in breakdown(&h.recorded) {
            let _ = writeln!(
                md,
                "| {k} | {n} | {:.2} |",
                n as f64 / h.cases.max(1) as f64
            );
        }
        md.push('\n');
    }

    let sizes: Vec<usize> = args.scale.iter().copied().filter(|n| *n > 0).collect();
    if !sizes.is_empty() {
        let _ = writeln!(
            md,
            "## Scaling (generated corpora)\n\n\
             | cases | passed | failed | requests | wall time | ms/case | requests/s |\n\
             |---:|---:|---:|---:|---:|---:|---:|"
        );
        for n in sizes {
            let cases = scale::corpus_of(&loaded.cases, n);
            eprintln!("bench: scaling run with {} cases…", cases.len());
            let h = harness_run_with(&cases, args.test_threads, !args.fresh_buckets)?;
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.2} s | {:.3} | {:.0} |",
                h.cases,
                h.passed,
                h.failed,
                h.requests,
                h.wall.as_secs_f64(),
                h.wall.as_secs_f64() * 1000.0 / h.cases.max(1) as f64,
                h.rps()
            );
        }
        md.push('\n');
    }

    if !args.skip_peer_corpus && !args.peers.is_empty() {
        peer_corpus(&args, &corpus, &mut md)?;
    }

    if !args.skip_load {
        let rt = runner::runtime()?;
        let mut loads = Vec::new();
        eprintln!("bench: load on the embedded server…");
        let embedded = rt.block_on(server::start(ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            access_key: embedded_target::ACCESS_KEY.to_string(),
            secret_key: embedded_target::SECRET_KEY.to_string(),
            ..ServerConfig::default()
        }))?;
        let endpoint = embedded.endpoint();
        loads.push(rt.block_on(load_server(
            "embedded (s3cors)",
            &endpoint,
            embedded_target::ACCESS_KEY,
            embedded_target::SECRET_KEY,
            &args,
        ))?);
        rt.block_on(embedded.shutdown());
        for peer in &args.peers {
            let (name, url) = peer_parts(peer)?;
            eprintln!("bench: load on {name} at {url}…");
            match rt.block_on(load_server(
                name,
                url,
                &args.peer_access_key,
                &args.peer_secret_key,
                &args,
            )) {
                Ok(l) => loads.push(l),
                Err(e) => {
                    let _ = writeln!(md, "Peer {name} could not be loaded: {e:#}\n");
                }
            }
        }
        let _ = writeln!(
            md,
            "## Server under load ({} requests per row at most, {} connections, {} s limit, loopback)\n\n\
             | server | request | completed | unexpected status | errors | wall | requests/s | p50 ms | p99 ms | p99.9 ms |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            args.load_requests, args.concurrency, args.load_seconds
        );
        for l in &loads {
            for (what, r) in [("preflight", &l.preflight), ("GET", &l.get)] {
                let _ = writeln!(
                    md,
                    "| {} | {what} | {} | {} | {} | {:.2} s | {:.0} | {:.2} | {:.2} | {:.2} |",
                    l.name,
                    r.completed,
                    r.unexpected_status,
                    r.errors,
                    r.wall.as_secs_f64(),
                    r.throughput(),
                    r.quantile_ms(0.5),
                    r.quantile_ms(0.99),
                    r.quantile_ms(0.999)
                );
            }
        }
        md.push('\n');
    }

    print!("{md}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &md).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn scale(argv: &[&str]) -> Result<Vec<usize>, String> {
        let argv = std::iter::once("bench").chain(argv.iter().copied());
        Cli::try_parse_from(argv)
            .map(|c| c.args.scale)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn scale_accepts_empty_as_skip() {
        assert_eq!(scale(&[]).unwrap(), [1000, 10000]);
        assert_eq!(scale(&["--scale", ""]).unwrap(), [0]);
        assert_eq!(scale(&["--scale", "0"]).unwrap(), [0]);
        assert_eq!(scale(&["--scale", "5,7"]).unwrap(), [5, 7]);
        let e = scale(&["--scale", "lots"]).unwrap_err();
        assert!(e.contains("`lots` is not a number of cases"), "{e}");
    }
}
