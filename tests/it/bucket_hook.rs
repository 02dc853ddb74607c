//! The per-target bucket-creation hook (`S3CORS_<NAME>_CREATE_BUCKET_CMD` /
//! `S3CORS_<NAME>_DELETE_BUCKET_CMD`, see `s3cors::runner::exec::BucketCommands`), exercised
//! the way a user sets it up: `s3cors run --target hook=endpoint=URL` against the embedded
//! server, with `curl --aws-sigv4` making and removing the bucket instead of the runner's own
//! CreateBucket / DeleteBucket.
//!
//! The hook is given through the child's environment, never this process's (tests here run
//! in parallel threads). curl is required: without it this test fails and says so.

use crate::util::{self, server::Fixture};
use s3cors::results::{Outcome, RunResults};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const CASE: &str = "cases/preflight/allowed-full-headers.yaml";

fn require_curl() {
    let ok = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "this test needs curl (with --aws-sigv4, curl >= 7.75) on PATH: apt-get install curl"
    );
}

fn curl_cmd(method: &str, endpoint: &str, log: &std::path::Path) -> String {
    format!(
        "echo {method} {{bucket}} >> '{log}' && curl -sSf -o /dev/null -X {method} \
         -H 'x-amz-content-sha256: {EMPTY_SHA256}' --aws-sigv4 'aws:amz:{region}:s3' \
         --user '{access}:{secret}' '{endpoint}/{{bucket}}'",
        log = log.display(),
        region = util::server::REGION,
        access = util::server::ACCESS_KEY,
        secret = util::server::SECRET_KEY,
    )
}

/// `s3cors run` of the one case against `endpoint` named `hook`, with `hook_env` added.
fn run(endpoint: &str, report: &std::path::Path, hook_env: &[(&str, String)]) -> util::Run {
    let mut cmd = util::s3cors()
        .args(["run", CASE, "--results-only", "--no-mutations", "-q"])
        .arg("--target")
        .arg(format!("hook=endpoint={endpoint}"))
        .arg("--report-dir")
        .arg(report)
        .env("AWS_ACCESS_KEY_ID", util::server::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", util::server::SECRET_KEY)
        .env("AWS_REGION", util::server::REGION)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("S3CORS_HOOK_CREATE_BUCKET_CMD")
        .env_remove("S3CORS_HOOK_DELETE_BUCKET_CMD");
    for (k, v) in hook_env {
        cmd = cmd.env(k, v);
    }
    cmd.run()
}

fn results(report: &std::path::Path) -> RunResults {
    let path = report.join("results.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_commands_replace_create_and_delete_bucket() {
    require_curl();
    let server = Fixture::start().await;
    let endpoint = server.endpoint.clone();
    let dir = util::scratch("hook");
    let log = dir.path().join("calls.log");

    let (ep, report, lg) = (endpoint.clone(), dir.path().join("ok"), log.clone());
    let done = tokio::task::spawn_blocking(move || {
        let env = [
            ("S3CORS_HOOK_CREATE_BUCKET_CMD", curl_cmd("PUT", &ep, &lg)),
            (
                "S3CORS_HOOK_DELETE_BUCKET_CMD",
                curl_cmd("DELETE", &ep, &lg),
            ),
        ];
        let run = run(&ep, &report, &env).code(0);
        (run, results(&report))
    })
    .await
    .expect("join");
    let (_, ok) = done;
    let r = &ok.targets[0].cases[0];
    assert_eq!(r.outcome.0, Outcome::Pass, "{:?}", r.reason);
    let calls = std::fs::read_to_string(&log).expect("the hook wrote its log");
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    let bucket = lines[0].strip_prefix("PUT ").expect("PUT first");
    assert!(bucket.starts_with("s3cors-"), "{calls}");
    assert_eq!(lines[1], format!("DELETE {bucket}"));

    // A failing command ends the case as a harness error that names the command.
    let (ep, report) = (endpoint.clone(), dir.path().join("failing"));
    let (run, failed) = tokio::task::spawn_blocking(move || {
        let env = [(
            "S3CORS_HOOK_CREATE_BUCKET_CMD",
            "echo nope >&2; exit 7".to_string(),
        )];
        let run = run(&ep, &report, &env);
        let results = results(&report);
        (run, results)
    })
    .await
    .expect("join");
    assert_ne!(
        run.code,
        Some(0),
        "a harness error must not exit 0: {run:?}"
    );
    let r = &failed.targets[0].cases[0];
    assert_eq!(r.outcome.0, Outcome::Error);
    let reason = r.reason.clone().unwrap_or_default();
    assert!(reason.contains("create-bucket command"), "{reason}");
    assert!(reason.contains("nope"), "{reason}");

    server.server.shutdown().await;
}
