//! The per-target bucket-creation hook (`S3CORS_<NAME>_CREATE_BUCKET_CMD` /
//! `S3CORS_<NAME>_DELETE_BUCKET_CMD`, see `s3cors::runner::exec::BucketCommands`), exercised
//! against the embedded server with trivial commands: `curl --aws-sigv4` makes and removes the
//! bucket instead of the runner's own CreateBucket / DeleteBucket.

use s3cors::results::Outcome;
use s3cors::runner::{self, RunMeta, Session};
use s3cors::target::embedded::{ACCESS_KEY, REGION, SECRET_KEY};
use s3cors::target::select::{self, TargetSpec};
use std::path::PathBuf;
use std::sync::Arc;

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn curl_available() -> bool {
    std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn curl_cmd(method: &str, endpoint: &str, log: &std::path::Path) -> String {
    format!(
        "echo {method} {{bucket}} >> '{log}' && curl -sSf -o /dev/null -X {method} \
         -H 'x-amz-content-sha256: {EMPTY_SHA256}' --aws-sigv4 'aws:amz:{REGION}:s3' \
         --user '{ACCESS_KEY}:{SECRET_KEY}' '{endpoint}/{{bucket}}'",
        log = log.display()
    )
}

#[test]
fn bucket_commands_replace_create_and_delete_bucket() {
    if !curl_available() {
        eprintln!("skipped: no curl");
        return;
    }
    let loaded =
        s3cors::case::load_paths(&[PathBuf::from("cases/preflight/allowed-full-headers.yaml")]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let case = loaded.cases[0].clone();
    let rt = runner::runtime().unwrap();
    let built = rt
        .block_on(select::build(
            &TargetSpec::Embedded,
            "hook-test",
            &Default::default(),
        ))
        .unwrap();
    let endpoint = built.target.info().endpoint.unwrap();
    let dir = std::env::temp_dir().join(format!("s3cors-hook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("calls.log");

    // SAFETY: this test binary has this one test; nothing else reads the environment
    // concurrently.
    unsafe {
        std::env::set_var(
            "S3CORS_HOOK_TEST_CREATE_BUCKET_CMD",
            curl_cmd("PUT", &endpoint, &log),
        );
        std::env::set_var(
            "S3CORS_HOOK_TEST_DELETE_BUCKET_CMD",
            curl_cmd("DELETE", &endpoint, &log),
        );
    }
    let mut session = Session::new(RunMeta::default());
    rt.block_on(session.add_target(built.target.clone()));
    let session = Arc::new(session);
    let done = session.run_one(0, &case);
    assert!(done.is_ok(), "{:?}", done.err());
    let results = session.results();
    let r = &results.targets[0].cases[0];
    assert_eq!(r.outcome.0, Outcome::Pass, "{:?}", r.reason);
    let calls = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    let bucket = lines[0].strip_prefix("PUT ").unwrap();
    assert!(bucket.starts_with("s3cors-"), "{calls}");
    assert_eq!(lines[1], format!("DELETE {bucket}"));

    // A failing command ends the case as a harness error that names the command.
    unsafe {
        std::env::set_var(
            "S3CORS_HOOK_TEST_CREATE_BUCKET_CMD",
            "echo nope >&2; exit 7",
        );
        std::env::remove_var("S3CORS_HOOK_TEST_DELETE_BUCKET_CMD");
    }
    let _ = session.run_one(0, &case);
    let results = session.results();
    let r = &results.targets[0].cases[1];
    assert_eq!(r.outcome.0, Outcome::Error);
    let reason = r.reason.clone().unwrap_or_default();
    assert!(reason.contains("create-bucket command"), "{reason}");
    assert!(reason.contains("nope"), "{reason}");

    let _ = rt.block_on(session.finish());
    rt.block_on(built.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}
