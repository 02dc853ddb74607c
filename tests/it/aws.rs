//! The `aws` target against the AWS-like mode of the server (issue 13): HTTPS under
//! `*.amazonaws.com` names mapped to loopback, delayed visibility, throttling, the global
//! bucket namespace, region enforcement — and the messages a user sees when those bite.

use s3cors::case::Case;
use s3cors::results::Outcome;
use s3cors::runner::{self, RunMeta, Session, exec};
use s3cors::server::awslike::AwsLikeConfig;
use s3cors::server::{self, RunningServer, ServerConfig};
use s3cors::target::aws::{AwsTarget, VisibilityPolicy};
use s3cors::target::cleanup::RunId;
use s3cors::target::{
    Auth, S3Request, S3Response, Target, TargetExt, TargetPolicy, TransportError, WireRequest,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const AK: &str = "AKIDMAINACCOUNT";
const SK: &str = "main-secret";
const OTHER_AK: &str = "AKIDOTHERACCOUNT";
const OTHER_SK: &str = "other-secret";

/// A fresh directory for this test's CA file.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3cors-it-aws-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Starts the AWS-like server (HTTPS, region us-east-1, a second account) on the shared
/// runtime.
fn start(name: &str, tweak: impl FnOnce(&mut AwsLikeConfig)) -> (RunningServer, PathBuf) {
    let ca = scratch(name).join("ca.pem");
    let mut aws = AwsLikeConfig {
        accounts: vec![(OTHER_AK.into(), OTHER_SK.into())],
        ca_file: Some(ca.clone()),
        seed: 13,
        ..AwsLikeConfig::default()
    };
    tweak(&mut aws);
    let cfg = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        access_key: AK.into(),
        secret_key: SK.into(),
        region: "us-east-1".into(),
        aws: Some(aws),
        ..ServerConfig::default()
    };
    let rt = runner::runtime().expect("runtime");
    let server = rt.block_on(server::start(cfg)).expect("server starts");
    (server, ca)
}

/// The `aws` target for `server`, signing for `region` at `endpoint_region`'s endpoint.
fn aws_target(
    server: &RunningServer,
    ca: &Path,
    run: &RunId,
    keys: (&str, &str),
    region: &str,
    endpoint_region: &str,
) -> AwsTarget {
    let endpoint = format!(
        "https://s3.{endpoint_region}.amazonaws.com:{}",
        server.addr().port()
    );
    let ca = ca.display().to_string();
    let (ak, sk) = (keys.0.to_string(), keys.1.to_string());
    let region = region.to_string();
    let env = move |name: &str| -> Option<String> {
        match name {
            "AWS_ACCESS_KEY_ID" => Some(ak.clone()),
            "AWS_SECRET_ACCESS_KEY" => Some(sk.clone()),
            "AWS_REGION" => Some(region.clone()),
            "S3CORS_AWS_CONFIRM" => Some("yes".into()),
            "S3CORS_AWS_ENDPOINT" => Some(endpoint.clone()),
            "S3CORS_AWS_CA_FILE" => Some(ca.clone()),
            "S3CORS_AWS_CONNECT_TO" => Some("127.0.0.1".into()),
            _ => None,
        }
    };
    let t = AwsTarget::build(run, false, &env).with_visibility(VisibilityPolicy {
        polls: 40,
        first_wait: Duration::from_millis(50),
        max_wait: Duration::from_millis(250),
    });
    assert_eq!(t.unavailable(), None);
    t
}

fn corpus(ids: &[&str]) -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let paths: Vec<PathBuf> = ids
        .iter()
        .map(|id| root.join(format!("{id}.yaml")))
        .collect();
    let loaded = s3cors::case::load_paths(&paths);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.cases.len(), ids.len());
    loaded.cases
}

/// Runs `cases` through a session (exactly as `s3cors run` does) and returns the results.
fn run_session(target: Arc<dyn Target>, run: RunId, cases: &[Case]) -> s3cors::results::RunResults {
    let rt = runner::runtime().expect("runtime");
    let mut session = Session::with_run_id(RunMeta::default(), run);
    session.set_colour(false);
    rt.block_on(session.add_target(target));
    let session = Arc::new(session);
    for case in cases {
        let _ = session.run_one(0, case);
    }
    rt.block_on(session.finish())
}

fn buckets_left(server: &RunningServer, ca: &Path) -> Vec<String> {
    let t = aws_target(
        server,
        ca,
        &RunId::generate(),
        (AK, SK),
        "us-east-1",
        "us-east-1",
    );
    let rt = runner::runtime().expect("runtime");
    rt.block_on(s3cors::target::sweep::list_buckets(&t))
        .expect("ListBuckets")
        .into_iter()
        .map(|b| b.name)
        .collect()
}

#[test]
fn cases_pass_over_https_with_delayed_visibility_and_throttling() {
    let (server, ca) = start("pass", |a| {
        a.get_delay = Duration::from_millis(200);
        a.cors_delay = Duration::from_millis(700);
        a.throttle = 0.05;
    });
    let run = RunId::generate();
    let target = aws_target(&server, &ca, &run, (AK, SK), "us-east-1", "us-east-1");
    let cases = corpus(&[
        "config-api/replace-changes-preflight",
        "config-api/delete-applies-immediately",
        "seed/readme-image",
        "addressing/preflight-allowed-path",
    ]);
    let results = run_session(Arc::new(target), run, &cases);
    let t = &results.targets[0];
    for c in &t.cases {
        assert_eq!(c.outcome.0, Outcome::Pass, "{}: {:?}", c.case, c.reason);
    }
    assert_eq!(t.cases.len(), cases.len());
    assert!(
        t.notes.iter().any(|n| n.contains("CORS configuration changes to reach GetBucketCors and preflights")),
        "{:?}",
        t.notes
    );
    assert_eq!(buckets_left(&server, &ca), Vec::<String>::new());
}

#[test]
fn a_wrong_region_names_the_right_one() {
    let (server, ca) = start("region", |_| {});
    // Signing for eu-west-1 but talking to us-east-1's endpoint.
    let run = RunId::generate();
    let target = aws_target(&server, &ca, &run, (AK, SK), "eu-west-1", "us-east-1");
    let results = run_session(Arc::new(target), run, &corpus(&["seed/readme-image"]));
    let case = &results.targets[0].cases[0];
    assert_eq!(case.outcome.0, Outcome::Error);
    let reason = case.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("CreateBucket answered 400 AuthorizationHeaderMalformed: The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1' (set AWS_REGION=us-east-1"),
        "{reason}"
    );

    // A bucket in us-east-1 addressed through eu-west-1's endpoint: AWS's redirect, with
    // the bucket's region.
    let run = RunId::generate();
    let home = aws_target(&server, &ca, &run, (AK, SK), "us-east-1", "us-east-1");
    let away = aws_target(&server, &ca, &run, (AK, SK), "eu-west-1", "eu-west-1");
    let bucket = run.bucket_name(1);
    let rt = runner::runtime().expect("runtime");
    let created = rt
        .block_on(home.send(&S3Request::new("PUT", Some(&bucket), None, Auth::Signed)))
        .expect("CreateBucket");
    assert_eq!(created.status, 200);
    let mut preflight = S3Request::new("OPTIONS", Some(&bucket), Some("k"), Auth::Anonymous);
    preflight
        .headers
        .push(("Origin".into(), "http://a.example".into()));
    preflight
        .headers
        .push(("Access-Control-Request-Method".into(), "GET".into()));
    let resp = rt.block_on(away.send(&preflight)).expect("preflight");
    assert_eq!(resp.status, 301);
    assert_eq!(resp.header("x-amz-bucket-region"), Some("us-east-1"));
    assert_eq!(resp.header("access-control-allow-origin"), None);
    assert_eq!(
        s3cors::target::cleanup::error_summary(&resp),
        "301 PermanentRedirect: The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint. (the bucket is in region us-east-1: set AWS_REGION=us-east-1)"
    );
    rt.block_on(s3cors::target::cleanup::delete_bucket_fully(&home, &bucket))
        .expect("cleanup");
}

#[test]
fn a_taken_bucket_name_is_reported_as_such() {
    let (server, ca) = start("taken", |_| {});
    let run = RunId::generate();
    let mine = aws_target(&server, &ca, &run, (AK, SK), "us-east-1", "us-east-1");
    let theirs = aws_target(
        &server,
        &ca,
        &run,
        (OTHER_AK, OTHER_SK),
        "us-east-1",
        "us-east-1",
    );
    let bucket = run.bucket_name(7);
    let rt = runner::runtime().expect("runtime");
    let created = rt
        .block_on(theirs.send(&S3Request::new("PUT", Some(&bucket), None, Auth::Signed)))
        .expect("CreateBucket");
    assert_eq!(created.status, 200);

    let case = &corpus(&["seed/readme-image"])[0];
    let outcome = rt.block_on(exec::run_case(&mine, Some("us-east-1"), case, &bucket));
    let runner::Decision::Errored { reason, .. } = &outcome.decision else {
        panic!("expected a set-up error, got {:?}", outcome.decision)
    };
    assert!(
        reason.contains("set-up: CreateBucket answered 409 BucketAlreadyExists: The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."),
        "{reason}"
    );
    // The other account's bucket survives our teardown attempt, and only it lists it.
    assert_eq!(buckets_left(&server, &ca), Vec::<String>::new());
    let theirs_listed: Vec<String> = rt
        .block_on(s3cors::target::sweep::list_buckets(&theirs))
        .expect("ListBuckets")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(theirs_listed, vec![bucket.clone()]);
    // Our own name again: BucketAlreadyOwnedByYou.
    let again = rt
        .block_on(theirs.send(&S3Request::new("PUT", Some(&bucket), None, Auth::Signed)))
        .expect("CreateBucket");
    assert_eq!(
        s3cors::target::cleanup::error_code(&again).as_deref(),
        Some("BucketAlreadyOwnedByYou")
    );
    rt.block_on(s3cors::target::cleanup::delete_bucket_fully(
        &theirs, &bucket,
    ))
    .expect("cleanup");
}

#[test]
fn a_throttled_set_up_call_backs_off_then_says_so() {
    // Every request throttled: the set-up call gives up after its retries, and says why.
    let (server, ca) = start("throttled", |a| a.throttle = 1.0);
    let run = RunId::generate();
    let target = aws_target(&server, &ca, &run, (AK, SK), "us-east-1", "us-east-1");
    let case = &corpus(&["seed/readme-image"])[0];
    let rt = runner::runtime().expect("runtime");
    let started = std::time::Instant::now();
    let outcome = rt.block_on(exec::run_case(
        &target,
        Some("us-east-1"),
        case,
        &run.bucket_name(1),
    ));
    let runner::Decision::Errored { reason, .. } = &outcome.decision else {
        panic!("expected a set-up error, got {:?}", outcome.decision)
    };
    assert!(
        reason.contains("set-up: CreateBucket answered 503 SlowDown: Please reduce your request rate. (still throttled after every retry with back-off)"),
        "{reason}"
    );
    // It backed off (200 + 400 + 800 ms between its four attempts) rather than hammering.
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    drop(server);

    // Throttling at 30 %: set-up calls get through by backing off; the case passes.
    let (server, ca) = start("backoff", |a| a.throttle = 0.3);
    let run = RunId::generate();
    let target = aws_target(&server, &ca, &run, (AK, SK), "us-east-1", "us-east-1");
    let results = run_session(Arc::new(target), run, &corpus(&["seed/readme-image"]));
    let c = &results.targets[0].cases[0];
    assert_eq!(c.outcome.0, Outcome::Pass, "{:?}", c.reason);
    assert_eq!(buckets_left(&server, &ca), Vec::<String>::new());
}

/// Answers every preflight with S3's throttling error, and passes everything else on.
struct ThrottlesPreflights(Arc<dyn Target>);

/// (A hand-written `Target`, not a `Hook`: a hook cannot change an answer.)
impl Target for ThrottlesPreflights {
    fn policy(&self) -> TargetPolicy {
        self.0.policy()
    }
    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S3Response, TransportError>> + Send + 'a>,
    > {
        Box::pin(async move {
            if req.method == "OPTIONS" {
                return Ok(S3Response {
                    status: 503,
                    headers: vec![("server".into(), "AmazonS3".into())],
                    body: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>1</RequestId><HostId>2</HostId></Error>".to_vec(),
                });
            }
            self.0.send(req).await
        })
    }
    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<s3cors::target::Exchange, TransportError>>
                + Send
                + 'a,
        >,
    > {
        s3cors::target::exchange_in_two(self, req)
    }
    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.0.wire(req)
    }
}

#[test]
fn a_judged_slow_down_is_a_harness_error_on_any_target() {
    let rt = runner::runtime().expect("runtime");
    let built = rt
        .block_on(s3cors::target::select::build(
            &s3cors::target::select::TargetSpec::Embedded,
            "embedded",
            &Default::default(),
        ))
        .expect("embedded target");
    let target = Arc::new(ThrottlesPreflights(built.target.clone()));
    let results = run_session(target, RunId::generate(), &corpus(&["seed/readme-image"]));
    let c = &results.targets[0].cases[0];
    assert_eq!(c.outcome.0, Outcome::Error, "{:?}", c.reason);
    let reason = c.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("step 1 (") && reason.contains("the target answered 503 SlowDown"),
        "{reason}"
    );
    assert!(
        reason.contains("re-run 8 time(s) from a fresh bucket after throttling"),
        "{reason}"
    );
    assert_eq!(c.diff, None, "a throttled step is not a CORS difference");
    rt.block_on(built.shutdown());
}

#[test]
fn sweep_removes_tagged_leftovers_in_the_aws_like_mode() {
    let (server, ca) = start("sweep", |_| {});
    let run = RunId::generate();
    let target = aws_target(&server, &ca, &run, (AK, SK), "us-east-1", "us-east-1");
    let rt = runner::runtime().expect("runtime");
    for n in 1..=2 {
        let resp = rt
            .block_on(target.send(&S3Request::new(
                "PUT",
                Some(&run.bucket_name(n)),
                None,
                Auth::Signed,
            )))
            .expect("CreateBucket");
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    }
    let opts = s3cors::target::sweep::SweepOptions {
        require_tag: true,
        region: Some("us-east-1".into()),
        ..Default::default()
    };
    let entries = rt
        .block_on(s3cors::target::sweep::sweep(&target, &opts))
        .expect("sweep");
    assert_eq!(entries.len(), 2, "{entries:?}");
    for e in &entries {
        assert!(
            matches!(e.decision, s3cors::target::sweep::Decision::Removed { .. }),
            "{e:?}"
        );
    }
    assert_eq!(buckets_left(&server, &ca), Vec::<String>::new());
}
