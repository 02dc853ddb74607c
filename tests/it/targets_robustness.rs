//! A target that is down or hangs ends trials as *errors* with the reason and the run
//! finishes; set-up retries are bounded; secrets never reach stdout, stderr, results or
//! reports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::util;
use s3cors::results::Outcome;
use s3cors::runner::{RunMeta, Session};
use s3cors::target::cleanup::{RetryPolicy, retry_setup};
use s3cors::target::embedded;
use s3cors::target::{Auth, HttpConfig, HttpTarget, S3Request, Target, TransportError};

const SECRET: &str = "robustness-secret-key-never-printed";

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn client(endpoint: &str, timeout: Duration) -> HttpTarget {
    let mut cfg = HttpConfig::new(
        "down",
        "endpoint",
        endpoint,
        "AKIDEXAMPLE",
        SECRET,
        "us-east-1",
    );
    cfg.timeout = timeout;
    HttpTarget::new(cfg).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_server_times_out() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            open.push(s);
        }
    });
    let t = client(&format!("http://{addr}"), Duration::from_millis(300));
    let started = Instant::now();
    let err = t
        .send(&S3Request::new("GET", Some("b"), None, Auth::Signed))
        .await
        .expect_err("no answer");
    assert!(matches!(err, TransportError::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_up_retries_are_bounded() {
    let t = client(
        &format!("http://127.0.0.1:{}", closed_port()),
        Duration::from_secs(2),
    );
    let policy = RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
    };
    let started = Instant::now();
    let err = retry_setup(
        &t,
        &S3Request::new("PUT", Some("b"), None, Auth::Signed),
        &policy,
    )
    .await
    .expect_err("down");
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
    // Two waits (50 + 100 ms) between three attempts, and no more.
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_target_that_is_down_ends_trials_as_errors_and_the_run_finishes() {
    let rt = s3cors::runner::runtime().expect("runtime");
    let case = crate::util::case(
        "seed/get",
        "title: a plain GET\nspec: [\"4.1\"]\nsteps:\n  - request: {method: GET}\n    expect: {status: 200}\n",
    );
    let down: Arc<dyn Target> = Arc::new(client(
        &format!("http://127.0.0.1:{}", closed_port()),
        Duration::from_secs(2),
    ));
    let mut session = Session::new(RunMeta::default());
    rt.block_on(session.add_target(down));
    // The trial body itself (what libtest-mimic would run), so no nested libtest summary
    // lands in this test's output.
    let trial = session.run_one(0, &case);
    let results = rt.block_on(session.finish());
    assert!(trial.is_err(), "the trial must fail");
    let r = &results.targets[0].cases[0];
    assert_eq!(r.outcome.0, Outcome::Error);
    let reason = r.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("cannot connect"), "{reason}");
    assert!(
        !serde_json::to_string(&results)
            .expect("json")
            .contains(SECRET)
    );
}

/// Runs the seed corpus through `endpoint=URL` against the embedded server with a known
/// secret and greps everything the run wrote.
#[test]
fn a_run_never_prints_or_stores_the_secret_key() {
    let (rt, server) = util::embedded_server();
    let scratch = util::scratch("secrets");
    let dir = scratch.path().join("report");
    let out = util::s3cors()
        .args(["run", "cases/seed", "--target"])
        .arg(format!("endpoint={}", server.endpoint()))
        .arg("--report-dir")
        .arg(&dir)
        .env("AWS_ACCESS_KEY_ID", embedded::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", embedded::SECRET_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env("NO_COLOR", "1")
        .run();
    rt.block_on(server.shutdown());
    let mut texts = vec![
        ("stdout".to_string(), out.stdout.clone()),
        ("stderr".to_string(), out.stderr.clone()),
    ];
    let mut files = 0;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path()) {
                files += 1;
                texts.push((
                    e.path().display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    assert!(files > 0, "the run wrote no reports: {:?}", texts);
    for (name, text) in &texts {
        assert!(
            !text.contains(embedded::SECRET_KEY),
            "the secret key appears in {name}"
        );
    }
}
