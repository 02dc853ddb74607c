//! Container targets against a real Docker engine: a case run through testcontainers, the
//! four distinct start errors, and every clean-up path (normal end, failed start, panic,
//! SIGINT/SIGTERM, SIGKILL + `s3cors sweep`), plus proof that sweep never touches a
//! container s3cors did not label.
//!
//! These tests need an engine and a local S3 server image (`S3CORS_TEST_IMAGE`, default
//! `local/moto:5.2.5`, built by `scripts/images/build.sh moto`). Without them each test
//! prints why it skips; with `S3CORS_REQUIRE_DOCKER=1` (CI) a missing engine or image FAILS.
//! Every container a test starts carries a target name unique to the test, and every check
//! is scoped to it, so parallel tests and other users of the engine do not interfere.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use s3cors::target::TargetExt;
use s3cors::target::container::{ContainerSpec, ContainerTarget, Readiness};
use s3cors::target::docker;
use s3cors::target::presets::Preset;

/// The engine and the test image, or `None` (skip) with the reason printed. Panics when
/// `S3CORS_REQUIRE_DOCKER=1` and either is missing.
fn engine_and_image() -> Option<(String, String)> {
    let require = std::env::var("S3CORS_REQUIRE_DOCKER").is_ok_and(|v| v == "1");
    let image =
        std::env::var("S3CORS_TEST_IMAGE").unwrap_or_else(|_| "local/moto:5.2.5".to_string());
    let host = docker::docker_host();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let problem = rt.block_on(async {
        if let Err(why) = docker::probe_docker(&host, Duration::from_secs(2)).await {
            return Some(why);
        }
        let d = match docker::connect(&host) {
            Ok(d) => d,
            Err(e) => return Some(e.to_string()),
        };
        match docker::image_id(&d, &image).await {
            Ok(Some(_)) => None,
            Ok(None) => Some(format!(
                "image {image} is missing: build it with scripts/images/build.sh moto (or set S3CORS_TEST_IMAGE)"
            )),
            Err(e) => Some(e.to_string()),
        }
    });
    match problem {
        None => Some((host, image)),
        Some(why) if require => panic!("S3CORS_REQUIRE_DOCKER=1 but: {why}"),
        Some(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The moto preset with the test image and a test-unique target name.
fn moto_spec(name: &str, image: &str) -> ContainerSpec {
    let mut s = Preset::Moto.spec(name);
    s.set_image(image);
    s.startup_timeout = Duration::from_secs(90);
    s
}

/// s3cors containers labelled with this target name (running or not).
fn labelled(name: &str) -> Vec<docker::Labelled> {
    runtime().block_on(async {
        let d = docker::connect(&docker::docker_host()).expect("client");
        docker::list_labelled(&d, &[(docker::LABEL_TARGET, name)])
            .await
            .expect("list")
    })
}

/// A target name no other test (or process) uses: prefix, pid, a counter, the clock.
fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

const CASE: &str = "title: a plain GET\nspec: [\"4.1\"]\nbucket:\n  objects:\n    a.txt: hi\nsteps:\n  - request: {method: GET, key: a.txt}\n    expect: {status: 200}\n";

#[test]
fn a_case_runs_through_the_container_target_and_the_container_is_removed_at_the_end() {
    let Some((_, image)) = engine_and_image() else {
        return;
    };
    let name = unique("it-run");
    let rt = s3cors::runner::runtime().expect("runtime");
    let case = crate::util::case("seed/get", CASE);
    let target = Arc::new(rt.block_on(ContainerTarget::start(moto_spec(&name, &image))));
    assert_eq!(target.failure(), None, "the container must start");
    assert!(target.unavailable().is_none());
    let id = target.container_id().expect("a container");
    let info = target.info();
    let version = info.version.clone().unwrap_or_default();
    assert!(
        version.starts_with("5.2.5 (image local/moto:5.2.5, id sha256:")
            || !image.starts_with("local/moto:5.2.5"),
        "the report names the server version, the image and its id: {version}"
    );
    assert_eq!(info.kind, "moto");
    assert!(
        info.endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://127.0.0.1:"))
    );
    assert_eq!(
        labelled(&name).len(),
        1,
        "one labelled container while running"
    );

    let mut session = s3cors::runner::Session::new(s3cors::runner::RunMeta::default());
    rt.block_on(session.add_target(target.clone()));
    let outcome = session.run_one(0, &case);
    let results = rt.block_on(session.finish());
    assert!(
        matches!(outcome, Ok(libtest_mimic::Completion::Completed)),
        "the GET case passes on moto: {:?}",
        results.targets[0].cases[0]
    );
    rt.block_on(target.stop());
    assert!(target.container_id().is_none());
    assert!(
        labelled(&name).is_empty(),
        "container {id} must be gone after stop"
    );
}

#[test]
fn a_missing_image_is_an_error_within_seconds_naming_the_image_and_the_way_out() {
    let Some(_) = engine_and_image() else {
        return;
    };
    let name = unique("it-missing");
    let mut spec = ContainerSpec::new(&name, "container", "local/s3cors-no-such-image", "0", 9000);
    spec.startup_timeout = Duration::from_secs(30);
    let started = Instant::now();
    let t = runtime().block_on(ContainerTarget::start(spec));
    let took = started.elapsed();
    let reason = t.failure().expect("a start failure").to_string();
    assert!(
        reason.contains("image local/s3cors-no-such-image:0 is not on this Docker engine"),
        "{reason}"
    );
    assert!(reason.contains("scripts/images/build.sh"), "{reason}");
    assert!(reason.contains(",image=NAME:TAG"), "{reason}");
    assert!(
        took < Duration::from_secs(20),
        "took {took:?} (no registry: the pull must fail fast)"
    );
    assert!(t.unavailable().is_none(), "an error, not a skip");
    assert!(labelled(&name).is_empty());
}

#[test]
fn a_container_that_exits_while_starting_is_reported_with_its_last_log_lines() {
    let Some((_, image)) = engine_and_image() else {
        return;
    };
    let name = unique("it-exit");
    let mut spec = moto_spec(&name, &image);
    spec.cmd = Some(vec![
        "sh".into(),
        "-c".into(),
        "echo first line; echo boom-s3cors-test >&2; exit 3".into(),
    ]);
    let t = runtime().block_on(ContainerTarget::start(spec));
    let reason = t.failure().expect("a start failure").to_string();
    assert!(
        reason.contains("exited with code 3 while starting"),
        "{reason}"
    );
    assert!(reason.contains("boom-s3cors-test"), "{reason}");
    assert!(reason.contains("first line"), "{reason}");
    assert!(
        labelled(&name).is_empty(),
        "the failed container is removed"
    );
}

#[test]
fn a_readiness_timeout_says_how_long_it_waited_and_for_what() {
    let Some((_, image)) = engine_and_image() else {
        return;
    };
    let name = unique("it-slow");
    let mut spec = moto_spec(&name, &image);
    spec.cmd = Some(vec!["sleep".into(), "120".into()]);
    spec.readiness = Readiness::Log("a line that never comes".into());
    spec.startup_timeout = Duration::from_secs(3);
    let started = Instant::now();
    let t = runtime().block_on(ContainerTarget::start(spec));
    let reason = t.failure().expect("a start failure").to_string();
    assert!(reason.contains("not ready after waiting 3."), "{reason}");
    assert!(
        reason.contains("the log line `a line that never comes`"),
        "{reason}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(labelled(&name).is_empty(), "the slow container is removed");
}

#[test]
fn a_panic_while_the_target_is_alive_still_removes_the_container() {
    let Some((_, image)) = engine_and_image() else {
        return;
    };
    let name = unique("it-panic");
    let n2 = name.clone();
    let joined = std::thread::spawn(move || {
        let rt = runtime();
        let mut spec = moto_spec(&n2, &image);
        spec.readiness = Readiness::None;
        spec.version = s3cors::target::container::VersionProbe::None;
        let t = rt.block_on(ContainerTarget::start(spec));
        assert!(t.container_id().is_some(), "{:?}", t.failure());
        assert_eq!(labelled(&n2).len(), 1);
        panic!("a trial harness bug (deliberate)");
    })
    .join();
    assert!(joined.is_err(), "the thread panicked");
    assert!(
        labelled(&name).is_empty(),
        "unwinding removed the container"
    );
}

// ---------------------------------------------------------------------------------------
// The CLI: interrupted and killed runs
// ---------------------------------------------------------------------------------------

fn case_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("s3cors-it-containers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("get.yaml"), CASE).expect("case file");
    dir
}

/// Starts `s3cors run` against a container that never becomes ready (so the run is
/// mid-start for a long time), and waits until its container exists. The caller waits for
/// the child (it is returned for that).
#[allow(clippy::zombie_processes)]
fn start_hanging_run(name: &str, image: &str) -> (std::process::Child, docker::Labelled) {
    let cases = case_dir();
    let report = cases.join(format!("report-{name}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3cors"))
        .arg("run")
        .arg(&cases)
        .arg("--no-mutations")
        .arg("--results-only")
        .arg("--report-dir")
        .arg(&report)
        .arg("--target")
        .arg(format!(
            "{name}=moto,image={image},cmd=sleep 300,ready-log=never printed,startup-timeout=600"
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s3cors runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(c) = labelled(name).into_iter().next() {
            return (child, c);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no container appeared for {name}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn wait_exit(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("s3cors did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigint_and_sigterm_remove_the_runs_containers_before_exit() {
    let Some((_, image)) = engine_and_image() else {
        return;
    };
    for signal in ["-INT", "-TERM"] {
        let name = unique(&format!(
            "it-sig{}",
            signal.trim_start_matches('-').to_lowercase()
        ));
        let (mut child, c) = start_hanging_run(&name, &image);
        assert_eq!(
            c.labels.get(docker::LABEL_PID).map(String::as_str),
            Some(child.id().to_string().as_str()),
            "labelled with the run's pid"
        );
        assert!(c.labels.get(docker::LABEL_RUN).is_some_and(|r| r != "none"));
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = wait_exit(&mut child, Duration::from_secs(60));
        assert_eq!(exit.code(), Some(130), "{signal}: {exit:?}");
        assert!(
            labelled(&name).is_empty(),
            "{signal}: the run removed its container before exiting"
        );
    }
}

#[test]
fn sweep_removes_what_a_sigkilled_run_left_and_never_an_unlabelled_container() {
    let Some((_, image)) = engine_and_image() else {
        return;
    };
    // Two containers s3cors did not start: one with no labels of ours, one whose label
    // merely looks like ours.
    let others: Vec<String> = [vec![], vec!["--label".to_string(), "s3cors=0".to_string()]]
        .into_iter()
        .map(|labels| {
            let out = Command::new("docker")
                .args(["run", "-d", "--rm"])
                .args(labels)
                .args([&image, "sleep", "300"])
                .output()
                .expect("docker run");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
        .collect();

    let name = unique("it-kill");
    let (mut child, c) = start_hanging_run(&name, &image);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(
        labelled(&name).len(),
        1,
        "a SIGKILLed run leaves its container"
    );
    let run = c.labels.get(docker::LABEL_RUN).cloned().expect("run label");

    // Scoped to this test's run so that other users' leftovers on the engine are not ours
    // to remove here; the unlabelled containers are checked by id afterwards.
    let out = Command::new(env!("CARGO_BIN_EXE_s3cors"))
        .args(["sweep", "--target", "container", "--run", &run])
        .output()
        .expect("sweep runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("removed       "), "{stdout}");
    assert!(stdout.contains(": removed 1, kept 0, failed 0"), "{stdout}");
    assert!(labelled(&name).is_empty(), "sweep removed it");

    // A sweep of everything still leaves the unlabelled ones alone.
    let out = Command::new(env!("CARGO_BIN_EXE_s3cors"))
        .args(["sweep", "--target", "container", "--dry-run"])
        .output()
        .expect("sweep runs");
    assert!(out.status.success());
    for id in &others {
        let short = &id[..12];
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(short),
            "sweep never lists {short}"
        );
        let alive = Command::new("docker")
            .args(["inspect", "-f", "{{.State.Running}}", id])
            .output()
            .expect("docker inspect");
        assert_eq!(String::from_utf8_lossy(&alive.stdout).trim(), "true");
        let _ = Command::new("docker").args(["rm", "-f", id]).output();
    }
}
