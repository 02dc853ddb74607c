//! `s3cors sweep` and the run-scoped clean-up, against the embedded server on port 0:
//! sweep removes s3cors's own buckets (objects first) and never another; a run "killed
//! halfway" (buckets created through the tracking wrapper, then dropped without teardown)
//! leaves nothing once sweep has run.

use std::sync::Arc;

use s3cors::s3::{Auth, S3Request};
use s3cors::target::Target;
use s3cors::target::cleanup::{RunId, Tracked};
use s3cors::target::embedded::{self, EmbeddedTarget};
use s3cors::target::sweep::{Decision, SweepOptions, list_buckets, sweep};

async fn create(target: &dyn Target, bucket: &str, objects: &[&str]) {
    let resp = target
        .send(&S3Request::new("PUT", Some(bucket), None, Auth::Signed))
        .await
        .expect("CreateBucket sent");
    assert_eq!(resp.status, 200, "CreateBucket {bucket}");
    for key in objects {
        let mut put = S3Request::new("PUT", Some(bucket), Some(key), Auth::Signed);
        put.body = b"leftover".to_vec();
        let resp = target.send(&put).await.expect("PutObject sent");
        assert_eq!(resp.status, 200, "PutObject {bucket}/{key}");
    }
}

async fn names(target: &dyn Target) -> Vec<String> {
    let mut v: Vec<String> = list_buckets(target)
        .await
        .expect("ListBuckets")
        .into_iter()
        .map(|b| b.name)
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_removes_only_its_own_buckets() {
    let server = EmbeddedTarget::start("embedded").await.expect("server");
    let run = RunId::generate();
    let ours = [run.bucket_name(0), run.bucket_name(1)];
    create(&server, &ours[0], &["a.txt", "dir/b.txt"]).await;
    create(&server, &ours[1], &[]).await;
    // Foreign buckets, including ones that merely look like ours.
    let foreign = ["photos", "s3cors-prod", "s3cors-backup-2026"];
    for b in foreign {
        create(&server, b, &["keep.txt"]).await;
    }

    let dry = sweep(
        &server,
        &SweepOptions {
            dry_run: true,
            ..SweepOptions::default()
        },
    )
    .await
    .expect("dry run");
    assert_eq!(
        dry.iter()
            .filter(|e| e.decision == Decision::WouldRemove)
            .count(),
        2
    );
    assert_eq!(names(&server).await.len(), 5, "a dry run removes nothing");

    let entries = sweep(&server, &SweepOptions::default())
        .await
        .expect("sweep");
    for e in &entries {
        let own = ours.contains(&e.bucket);
        match &e.decision {
            Decision::Removed { objects } => {
                assert!(own, "removed a foreign bucket {}", e.bucket);
                assert_eq!(*objects, if e.bucket == ours[0] { 2 } else { 0 });
            }
            Decision::Kept { reason } => {
                assert!(!own, "kept its own bucket {}: {reason}", e.bucket);
                assert!(reason.contains("not an s3cors bucket name"), "{reason}");
            }
            other => panic!("{}: {other:?}", e.bucket),
        }
    }
    let mut left = foreign.map(str::to_string).to_vec();
    left.sort();
    assert_eq!(names(&server).await, left);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_halfway_is_cleaned_by_sweep() {
    let server = Arc::new(EmbeddedTarget::start("embedded").await.expect("server"));
    create(server.as_ref(), "someone-elses", &["x"]).await;
    let run = RunId::generate();
    {
        // The "run": buckets created through the tracking wrapper, then the process "dies"
        // (the wrapper is dropped without teardown).
        let tracked = Tracked::new(server.clone());
        for n in 0..3 {
            create(&tracked, &run.bucket_name(n), &["obj"]).await;
        }
        assert_eq!(tracked.registry().buckets().len(), 3);
    }
    assert_eq!(names(server.as_ref()).await.len(), 4);
    let entries = sweep(server.as_ref(), &SweepOptions::default())
        .await
        .expect("sweep");
    let removed = entries
        .iter()
        .filter(|e| matches!(e.decision, Decision::Removed { .. }))
        .count();
    assert_eq!(removed, 3);
    assert_eq!(names(server.as_ref()).await, ["someone-elses"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teardown_removes_what_the_run_created_and_forgets_deleted_buckets() {
    let server = Arc::new(EmbeddedTarget::start("embedded").await.expect("server"));
    let run = RunId::generate();
    let tracked = Tracked::new(server.clone());
    create(&tracked, &run.bucket_name(0), &["a", "b"]).await;
    create(&tracked, &run.bucket_name(1), &[]).await;
    // The runner deleted one itself: the registry forgets it.
    let del = S3Request::new("DELETE", Some(&run.bucket_name(1)), None, Auth::Signed);
    assert_eq!(tracked.send(&del).await.expect("sent").status, 204);
    assert_eq!(tracked.registry().buckets(), [run.bucket_name(0)]);
    // A CreateBucket the server refuses created nothing: it is not kept registered.
    let bad = S3Request::new("PUT", Some("Bad_Name"), None, Auth::Signed);
    let resp = tracked.send(&bad).await.expect("sent");
    assert!(resp.status >= 400);
    assert_eq!(tracked.registry().buckets(), [run.bucket_name(0)]);

    let report = tracked.teardown().await;
    assert_eq!(report.len(), 1);
    assert!(matches!(report[0].1, Ok(2)), "{report:?}");
    assert!(tracked.registry().is_empty());
    assert!(names(server.as_ref()).await.is_empty());
    server.shutdown().await;
}

#[test]
fn sweep_command_prints_its_decisions_and_never_the_secret() {
    let (rt, server) = crate::util::embedded_server();
    let run = RunId::generate();
    rt.block_on(create(&server, &run.bucket_name(7), &["k"]));
    rt.block_on(create(&server, "unrelated", &[]));
    let out = crate::util::s3cors()
        .args([
            "sweep",
            "--target",
            &format!("endpoint={}", server.endpoint()),
        ])
        .env("AWS_ACCESS_KEY_ID", embedded::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", embedded::SECRET_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .expect_code(0);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(
        stdout.contains(&format!(
            "removed       {} (1 object(s))",
            run.bucket_name(7)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("kept          unrelated: not an s3cors bucket name"),
        "{stdout}"
    );
    assert!(stdout.contains("removed 1, kept 1, failed 0"), "{stdout}");
    for text in [stdout, stderr] {
        assert!(!text.contains(embedded::SECRET_KEY), "secret in output");
    }
    rt.block_on(server.shutdown());
}
