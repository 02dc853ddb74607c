//! The `aws` target: real Amazon S3. Opt-in only, because it creates buckets and costs money.
//!
//! What makes it different from `endpoint=URL` (see `docs/targets.md`):
//!
//! - **Consent.** Without `S3CORS_AWS_CONFIRM=yes` (or the run command's confirm flag) the
//!   target is *unavailable*, and its reason says exactly what it would create ([`plan`]).
//! - **Own buckets only.** CreateBucket is refused unless the name has s3cors's shape
//!   ([`BucketName`]), and every bucket it creates is tagged `s3cors=run-<run id>` right away,
//!   so `s3cors sweep` can prove a bucket is ours before deleting it.
//! - **Read-after-write.** S3 applies a new CORS configuration with a delay, so after a
//!   successful PutBucketCors (or DeleteBucketCors) [`AwsTarget::send`] polls GetBucketCors,
//!   bounded, until the change is visible, before handing the response back. The response is
//!   returned unchanged; only its timing moves. No runner cooperation is needed.
//! - Virtual-hosted addressing at `https://s3.<region>.amazonaws.com` by default, over rustls
//!   with ring (no C toolchain needed).

use std::sync::Arc;
use std::time::Duration;

use super::cleanup::{self, BucketName, RetryPolicy, RunId, TAG_KEY, error_code};
use super::client::{HttpConfig, HttpTarget};
use super::endpoint::EnvLookup;
use super::{
    Addressing, Auth, CasePolicy, S3Request, S3Response, Target, TargetInfo, TargetPolicy,
    TransportError, WireRequest,
};

/// The environment variable that confirms real-AWS runs (value `yes`).
pub const CONFIRM_ENV: &str = "S3CORS_AWS_CONFIRM";

/// How many times, and how patiently, to look for a new CORS configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibilityPolicy {
    pub polls: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
}

impl Default for VisibilityPolicy {
    /// 20 polls, 100 ms doubling up to 1 s: at most about 17 s.
    fn default() -> Self {
        VisibilityPolicy {
            polls: 20,
            first_wait: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
        }
    }
}

/// Real Amazon S3 (or, for tests, any endpoint behind the same rules).
pub struct AwsTarget {
    run: RunId,
    region: String,
    endpoint: String,
    http: Option<Arc<HttpTarget>>,
    unavailable: Option<String>,
    visibility: VisibilityPolicy,
}

/// What an `aws` run will create, for the consent message and the run's banner.
pub fn plan(run: &RunId, region: &str) -> String {
    format!(
        "the aws target creates real S3 buckets in region {region}: one per case, named {}, {}, …, \
         tagged {TAG_KEY}={}, each holding the case's few small objects, and deletes them when the \
         run ends (also on Ctrl-C; `s3cors sweep --target aws` removes leftovers). Cost: S3 request \
         charges only (a few hundred requests per run; cents).",
        run.bucket_name(1),
        run.bucket_name(2),
        run.tag_value()
    )
}

impl AwsTarget {
    /// The target for a run, from the process environment. `confirmed` is the run command's
    /// explicit flag; `S3CORS_AWS_CONFIRM=yes` confirms too. Never fails: without consent or
    /// credentials the target is unavailable with the reason.
    pub fn from_env(run: &RunId, confirmed: bool) -> AwsTarget {
        Self::build(run, confirmed, &super::endpoint::process_env)
    }

    /// [`AwsTarget::from_env`] with an explicit environment (tests).
    ///
    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` /
    /// `AWS_DEFAULT_REGION` (default `us-east-1`) and, for tests against a local server,
    /// `S3CORS_AWS_ENDPOINT` (default `https://s3.<region>.amazonaws.com`).
    pub fn build(run: &RunId, confirmed: bool, env: EnvLookup<'_>) -> AwsTarget {
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_string());
        let endpoint = env("S3CORS_AWS_ENDPOINT")
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let mut target = AwsTarget {
            run: run.clone(),
            region: region.clone(),
            endpoint: endpoint.clone(),
            http: None,
            unavailable: None,
            visibility: VisibilityPolicy::default(),
        };
        let confirmed =
            confirmed || env(CONFIRM_ENV).is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        if !confirmed {
            target.unavailable = Some(format!(
                "not confirmed: set {CONFIRM_ENV}=yes to run against real AWS. {}",
                plan(run, &region)
            ));
            return target;
        }
        match Self::client(&endpoint, &region, env) {
            Ok(http) => target.http = Some(Arc::new(http)),
            Err(reason) => target.unavailable = Some(reason),
        }
        target
    }

    /// A target for `s3cors sweep`: no consent needed (sweep only deletes buckets proven to
    /// be s3cors's own), but credentials are. `Err` is the reason.
    pub fn for_sweep(env: EnvLookup<'_>) -> Result<AwsTarget, String> {
        let t = Self::build(&RunId::generate(), true, env);
        match t.unavailable {
            Some(reason) => Err(reason),
            None => Ok(t),
        }
    }

    fn client(endpoint: &str, region: &str, env: EnvLookup<'_>) -> Result<HttpTarget, String> {
        let (Some(access), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones); profiles in ~/.aws are not read".into());
        };
        let mut cfg = HttpConfig::new("aws", "aws", endpoint, &access, &secret, region);
        cfg.session_token = env("AWS_SESSION_TOKEN");
        cfg.addressing = Addressing::Virtual;
        HttpTarget::new(cfg).map_err(|e| e.to_string())
    }

    pub fn region_name(&self) -> &str {
        &self.region
    }

    /// What this run will create (print it before starting).
    pub fn plan(&self) -> String {
        plan(&self.run, &self.region)
    }

    async fn create_bucket(
        &self,
        http: &HttpTarget,
        req: &S3Request,
    ) -> Result<S3Response, TransportError> {
        let bucket = req.bucket.as_deref().unwrap_or_default();
        let Some(name) = BucketName::parse(bucket) else {
            return Err(TransportError::Build(format!(
                "the aws target only creates buckets named s3cors-<run id>-<n> (so sweep can find them); refused `{bucket}`"
            )));
        };
        let mut req = req.clone();
        if req.body.is_empty() && self.region != "us-east-1" {
            req.body = format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            )
            .into_bytes();
        }
        let resp = http.send(&req).await?;
        if resp.status != 200 {
            return Ok(resp);
        }
        let tagging = tagging_request(bucket, &name.run);
        match cleanup::retry_setup(http, &tagging, &RetryPolicy::default()).await {
            Ok(t) if t.status < 300 => Ok(resp),
            Ok(t) => Err(TransportError::Other {
                url: format!("{}/{bucket}?tagging", self.endpoint),
                reason: format!(
                    "created bucket {bucket} but could not tag it ({}{}); it is still removed at the end of the run",
                    t.status,
                    error_code(&t).map(|c| format!(" {c}")).unwrap_or_default()
                ),
            }),
            Err(e) => Err(e),
        }
    }

    async fn get_cors(
        &self,
        http: &HttpTarget,
        bucket: &str,
    ) -> Result<S3Response, TransportError> {
        let mut req = S3Request::new("GET", Some(bucket), None, Auth::Signed);
        req.query.push(("cors".into(), None));
        cleanup::retry_setup(http, &req, &RetryPolicy::default()).await
    }

    /// Polls GetBucketCors until `visible` holds for its response; `Err` after the budget.
    async fn wait_until(
        &self,
        http: &HttpTarget,
        bucket: &str,
        what: &str,
        visible: impl Fn(&S3Response) -> bool,
    ) -> Result<(), TransportError> {
        let mut wait = self.visibility.first_wait;
        for _ in 0..self.visibility.polls {
            let resp = self.get_cors(http, bucket).await?;
            if visible(&resp) {
                return Ok(());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.visibility.max_wait);
        }
        Err(TransportError::Other {
            url: format!("{}/{bucket}?cors", self.endpoint),
            reason: format!(
                "{what} succeeded but GetBucketCors did not show it after {} polls",
                self.visibility.polls
            ),
        })
    }
}

fn tagging_request(bucket: &str, run: &RunId) -> S3Request {
    use base64::Engine;
    use md5::Digest;
    let body = format!(
        "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>{TAG_KEY}</Key><Value>{}</Value></Tag></TagSet></Tagging>",
        run.tag_value()
    );
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
    let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
    req.query.push(("tagging".into(), None));
    req.headers.push(("Content-MD5".into(), md5));
    req.headers
        .push(("Content-Type".into(), "application/xml".into()));
    req.body = body.into_bytes();
    req
}

/// The CORS configuration in a body as comparable leaves (`None`: not a configuration).
fn cors_leaves(body: &[u8]) -> Option<Vec<(String, String)>> {
    let root = super::s3xml::parse(body)?;
    (root.name == "CORSConfiguration").then(|| root.leaves())
}

fn is_cors_call(req: &S3Request, method: &str) -> bool {
    req.method.eq_ignore_ascii_case(method)
        && req.key.is_none()
        && req.bucket.is_some()
        && req.query.iter().any(|(k, _)| k == "cors")
}

impl Target for AwsTarget {
    fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            info: TargetInfo {
                name: "aws".to_string(),
                kind: "aws".to_string(),
                endpoint: Some(self.endpoint.clone()),
                version: None,
            },
            unavailable: self.unavailable.clone(),
            bucket_prefix: cleanup::BUCKET_PREFIX.to_string(),
            region: Some(self.region.clone()),
            cases: CasePolicy::Probe,
        }
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S3Response, TransportError>> + Send + 'a>,
    > {
        Box::pin(async move {
            let Some(http) = self.http.as_deref() else {
                return Err(TransportError::Build(
                    self.unavailable.clone().unwrap_or_default(),
                ));
            };
            let bucket = req.bucket.as_deref().unwrap_or_default();
            let creates_bucket = req.method.eq_ignore_ascii_case("PUT")
                && req.bucket.is_some()
                && req.key.is_none()
                && req.query.is_empty();
            if creates_bucket {
                return self.create_bucket(http, req).await;
            }
            if is_cors_call(req, "PUT") {
                // What GetBucketCors showed before, so a configuration S3 stores normalised
                // still counts as "changed" once it shows something else.
                let before = self.get_cors(http, bucket).await.ok().map(|r| r.body);
                let resp = http.send(req).await?;
                if resp.status == 200 {
                    let want = cors_leaves(&req.body);
                    let before = before.as_deref().and_then(cors_leaves);
                    self.wait_until(http, bucket, "PutBucketCors", |r| {
                        let now = (r.status == 200).then(|| cors_leaves(&r.body)).flatten();
                        now.is_some() && (now == want || now != before)
                    })
                    .await?;
                }
                return Ok(resp);
            }
            if is_cors_call(req, "DELETE") {
                let resp = http.send(req).await?;
                if resp.status < 300 {
                    self.wait_until(http, bucket, "DeleteBucketCors", |r| r.status == 404)
                        .await?;
                }
                return Ok(resp);
            }
            http.send(req).await
        })
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        match &self.http {
            Some(http) => http.wire(req),
            None => Err(TransportError::Build(
                self.unavailable.clone().unwrap_or_default(),
            )),
        }
    }

    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<super::Exchange, TransportError>> + Send + 'a>,
    > {
        super::exchange_in_two(self, req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetExt;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn run() -> RunId {
        RunId::parse("20261128-101530-abcd").expect("valid")
    }

    #[test]
    fn refuses_without_consent_and_says_what_it_would_create() {
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t-key"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        let t = AwsTarget::build(&run(), false, &e);
        let reason = t.unavailable().expect("refused");
        assert!(reason.contains("S3CORS_AWS_CONFIRM=yes"), "{reason}");
        assert!(reason.contains("s3cors-20261128-101530-abcd-1"), "{reason}");
        assert!(reason.contains("eu-west-1"), "{reason}");
        assert!(
            reason.contains("s3cors=run-20261128-101530-abcd"),
            "{reason}"
        );
        assert!(!reason.contains("s3cr3t-key"));
    }

    #[test]
    fn consent_by_env_or_flag() {
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            (CONFIRM_ENV, "yes"),
        ]);
        let t = AwsTarget::build(&run(), false, &e);
        assert_eq!(t.unavailable(), None);
        assert_eq!(
            t.info().endpoint.as_deref(),
            Some("https://s3.us-east-1.amazonaws.com")
        );
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]);
        assert_eq!(AwsTarget::build(&run(), true, &e).unavailable(), None);
    }

    #[test]
    fn credentials_are_required() {
        let e = env(&[(CONFIRM_ENV, "yes")]);
        let reason = AwsTarget::build(&run(), false, &e)
            .unavailable()
            .expect("no creds");
        assert!(reason.contains("AWS_ACCESS_KEY_ID"), "{reason}");
    }

    #[tokio::test]
    async fn refuses_foreign_bucket_names() {
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            (CONFIRM_ENV, "yes"),
            ("S3CORS_AWS_ENDPOINT", "http://127.0.0.1:9"),
        ]);
        let t = AwsTarget::build(&run(), false, &e);
        let req = S3Request::new("PUT", Some("my-production-bucket"), None, Auth::Signed);
        match t.send(&req).await {
            Err(TransportError::Build(m)) => assert!(m.contains("refused"), "{m}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn tagging_body_names_the_run() {
        let req = tagging_request("s3cors-20261128-101530-abcd-1", &run());
        let body = String::from_utf8(req.body.clone()).expect("utf8");
        assert!(body.contains("<Key>s3cors</Key><Value>run-20261128-101530-abcd</Value>"));
        assert!(req.headers.iter().any(|(k, _)| k == "Content-MD5"));
    }

    #[test]
    fn cors_leaves_ignore_layout() {
        let a = cors_leaves(b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>");
        let b = cors_leaves(b"<CORSConfiguration xmlns=\"x\">\n <CORSRule>\n  <AllowedMethod>GET</AllowedMethod>\n </CORSRule>\n</CORSConfiguration>");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(cors_leaves(b"<Error/>"), None);
    }
}
