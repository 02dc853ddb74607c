//! The `minio` target where no Docker engine answers: it is unavailable with a reason naming
//! the Docker endpoint, every trial against it ends *skipped* with that reason (not failed,
//! not errored), and the rest of the run is unaffected. Where an engine answers, the same
//! MinIO code path (MinioTarget on the generic container target, through testcontainers)
//! runs a case for real against a locally built image of a real S3 server: MinIO's own image
//! cannot be pulled or built here (docs/targets.md), so `local/moto:5.2.5` stands in, with
//! the preset's port, readiness and version probe adjusted to it.

use std::sync::Arc;

use s3cors::results::Outcome;
use s3cors::runner::{RunMeta, Session};
use s3cors::target::container::ContainerSpec;
use s3cors::target::embedded::EmbeddedTarget;
use s3cors::target::minio::{self, MinioMode, MinioTarget};
use s3cors::target::{Target, TargetExt};

/// A plain GET of an object, the case every run here tries.
const GET_A_TXT: &str = "title: a plain GET\nspec: [\"4.1\"]\nbucket:\n  objects:\n    a.txt: hi\nsteps:\n  - request: {method: GET, key: a.txt}\n    expect: {status: 200}\n";

const NO_ENGINE: &str = "unix:///nonexistent/s3cors-test/docker.sock";

/// The spec `--target minio` / `minio-global` starts, pointed at an engine that is not there.
fn no_engine(mode: MinioMode) -> ContainerSpec {
    let mut spec = minio::spec_from_env(mode);
    spec.docker_host = Some(NO_ENGINE.to_string());
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_docker_the_target_is_unavailable_with_a_reason() {
    let t = MinioTarget::start_spec(
        MinioMode::BucketCors,
        None,
        no_engine(MinioMode::BucketCors),
    )
    .await;
    let reason = t.unavailable().expect("unavailable");
    assert!(
        reason.starts_with(&format!("no Docker engine answers at {NO_ENGINE}: ")),
        "{reason}"
    );
    let info = t.info();
    assert_eq!((info.name.as_str(), info.kind.as_str()), ("minio", "minio"));
    assert_eq!(
        info.version.as_deref(),
        Some("image quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z")
    );
    // Requests are refused, not hung.
    let req = s3cors::target::S3Request::new("GET", None, None, s3cors::target::Auth::Signed);
    assert!(t.send(&req).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_mode_without_docker_is_unavailable_too() {
    let t = MinioTarget::start_spec(
        MinioMode::GlobalCors,
        Some("http://localhost:8000".into()),
        no_engine(MinioMode::GlobalCors),
    )
    .await;
    assert_eq!(t.info().name, "minio-global");
    assert!(
        t.unavailable()
            .is_some_and(|r| r.starts_with("no Docker engine answers")),
        "{:?}",
        t.unavailable()
    );
}

/// The machine's own default engine: with none (no `DOCKER_HOST`, no socket) the reason names
/// it; with one, the MinIO target's container path runs a case for real.
#[test]
fn the_default_engine_is_named_or_the_minio_path_runs_for_real() {
    let rt = s3cors::runner::runtime().expect("runtime");
    let host = s3cors::target::docker::docker_host();
    let engine = rt
        .block_on(s3cors::target::docker::probe_docker(
            &host,
            std::time::Duration::from_secs(2),
        ))
        .is_ok();
    let require = std::env::var("S3CORS_REQUIRE_DOCKER").is_ok_and(|v| v == "1");
    if !engine {
        assert!(
            !require,
            "S3CORS_REQUIRE_DOCKER=1 but no engine answers at {host}"
        );
        let t = rt.block_on(MinioTarget::start_spec(
            MinioMode::BucketCors,
            None,
            minio::spec_from_env(MinioMode::BucketCors),
        ));
        let reason = t.unavailable().expect("no engine here");
        assert!(reason.contains("no Docker engine answers at "), "{reason}");
        return;
    }
    let image = std::env::var("S3CORS_TEST_IMAGE").unwrap_or_else(|_| "local/moto:5.2.5".into());
    let present = rt.block_on(async {
        let d = s3cors::target::docker::connect(&host).ok()?;
        s3cors::target::docker::image_id(&d, &image)
            .await
            .ok()
            .flatten()
    });
    if present.is_none() {
        assert!(
            !require,
            "S3CORS_REQUIRE_DOCKER=1 but image {image} is missing (scripts/images/build.sh moto)"
        );
        eprintln!("skipped: image {image} is missing (scripts/images/build.sh moto)");
        return;
    }
    let mut spec = minio::spec_from_env(MinioMode::BucketCors);
    spec.set_image(&image);
    spec.port = 5000;
    spec.cmd = None;
    spec.readiness = s3cors::target::container::Readiness::Http {
        path: "/".into(),
        status: Some(200),
    };
    spec.version = s3cors::target::container::VersionProbe::Exec(vec![
        "python3".into(),
        "-c".into(),
        "import moto; print(moto.__version__)".into(),
    ]);
    let minio = Arc::new(rt.block_on(MinioTarget::start_spec(MinioMode::BucketCors, None, spec)));
    assert!(minio.unavailable().is_none());
    let info = minio.info();
    assert_eq!((info.name.as_str(), info.kind.as_str()), ("minio", "minio"));
    let version = info.version.unwrap_or_default();
    assert!(
        version.contains(&format!("(image {image}, id sha256:")),
        "{version}"
    );
    let case = crate::util::case("seed/get", GET_A_TXT);
    let mut session = Session::new(RunMeta::default());
    rt.block_on(session.add_target(minio.clone()));
    let outcome = session.run_one(0, &case);
    let results = rt.block_on(session.finish());
    rt.block_on(minio.container().stop());
    assert!(
        matches!(outcome, Ok(libtest_mimic::Completion::Completed)),
        "{:?}",
        results.targets[0].cases[0]
    );
    assert!(
        minio.container().container_id().is_none(),
        "removed at the end"
    );
}

#[test]
fn trials_against_it_are_skipped_and_the_run_goes_on() {
    let rt = s3cors::runner::runtime().expect("runtime");
    let case = crate::util::case("seed/get", GET_A_TXT);
    let minio: Arc<dyn Target> = Arc::new(rt.block_on(MinioTarget::start_spec(
        MinioMode::BucketCors,
        None,
        no_engine(MinioMode::BucketCors),
    )));
    let embedded = Arc::new(
        rt.block_on(EmbeddedTarget::start("embedded"))
            .expect("server"),
    );
    let mut session = Session::new(RunMeta::default());
    rt.block_on(session.add_target(minio));
    rt.block_on(session.add_target(embedded.clone()));
    // The trial bodies themselves (what libtest-mimic would run), so no nested libtest
    // summary lands in this test's output.
    let on_minio = session.run_one(0, &case);
    let on_embedded = session.run_one(1, &case);
    let results = rt.block_on(session.finish());
    rt.block_on(embedded.shutdown());

    assert!(
        matches!(on_minio, Ok(libtest_mimic::Completion::Ignored { reason: Some(ref r) }) if r.contains("no Docker engine answers")),
        "the minio trial must be ignored with the no-Docker reason"
    );
    assert!(
        matches!(on_embedded, Ok(libtest_mimic::Completion::Completed)),
        "the embedded trial must pass"
    );
    let minio = &results.targets[0];
    assert!(minio.unavailable.is_some());
    assert_eq!(minio.cases[0].outcome.0, Outcome::Skipped);
    assert!(
        minio.cases[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("no Docker engine answers")),
        "{:?}",
        minio.cases[0].reason
    );
    assert_eq!(results.targets[1].cases[0].outcome.0, Outcome::Pass);
}
