//! The `aws` target: real Amazon S3. Opt-in only, because it creates buckets and costs money.
//!
//! What makes it different from `endpoint=URL` (see `docs/targets.md`):
//!
//! - **Consent.** Without `S3CORS_AWS_CONFIRM=yes` (or the run command's confirm flag) the
//!   target is *unavailable*, and its reason says exactly what it would create ([`plan`]).
//! - **Own buckets only.** CreateBucket is refused unless the name has s3cors's shape
//!   ([`BucketName`]), and every bucket it creates is tagged `s3cors=run-<run id>` right away,
//!   so `s3cors sweep` can prove a bucket is ours before deleting it.
//! - **Read-after-write.** S3 applies a new CORS configuration with a delay, and GetBucketCors
//!   may show it before preflights do. So after a successful PutBucketCors (or
//!   DeleteBucketCors) [`AwsTarget::send`] polls, bounded, first GetBucketCors until it shows
//!   the change, then a canary preflight until it is answered as the reference model says the
//!   new configuration answers it ([`super::visibility`]), before handing the response back.
//!   The response is returned unchanged; only its timing moves. The time spent is reported
//!   with the run ([`TargetPolicy::notes`]). No runner cooperation is needed.
//! - Set-up calls (CreateBucket's tagging, the polls) back off on `503 SlowDown`; the
//!   request being judged is sent once.
//! - Virtual-hosted addressing at `https://<bucket>.s3.<region>.amazonaws.com` by default,
//!   over rustls with ring (no C toolchain needed).
//! - For the AWS-like mode of `s3cors serve` (and any other stand-in): `S3CORS_AWS_ENDPOINT`
//!   overrides the endpoint, `S3CORS_AWS_CA_FILE` trusts a CA file instead of the platform's
//!   roots, `S3CORS_AWS_CONNECT_TO=IP` connects the endpoint's name and every bucket name
//!   under it to that address (see `docs/aws.md`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cors::CorsConfiguration;

use super::cleanup::{self, BucketName, RetryPolicy, RunId, TAG_KEY, error_code};
use super::client::{HttpConfig, HttpTarget};
use super::endpoint::EnvLookup;
use super::{
    Addressing, Auth, CasePolicy, S3Request, S3Response, Target, TargetInfo, TargetPolicy,
    TransportError, WireRequest,
};

/// The environment variable that confirms real-AWS runs (value `yes`).
pub const CONFIRM_ENV: &str = "S3CORS_AWS_CONFIRM";

/// `S3CORS_AWS_ENDPOINT`: the endpoint URL instead of `https://s3.<region>.amazonaws.com`.
pub const ENDPOINT_ENV: &str = "S3CORS_AWS_ENDPOINT";
/// `S3CORS_AWS_CA_FILE`: PEM file of the only CA certificates to trust.
pub const CA_FILE_ENV: &str = "S3CORS_AWS_CA_FILE";
/// `S3CORS_AWS_CONNECT_TO`: IP address the endpoint's host name and every name under it
/// connect to (no DNS).
pub const CONNECT_TO_ENV: &str = "S3CORS_AWS_CONNECT_TO";

/// How many times, and how patiently, to look for a new CORS configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibilityPolicy {
    pub polls: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
}

impl Default for VisibilityPolicy {
    /// 40 polls, 100 ms doubling up to 1 s: at most about 37 s per stage (GetBucketCors, then
    /// the canary preflight).
    fn default() -> Self {
        VisibilityPolicy {
            polls: 40,
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
    waits: WaitStats,
}

/// How long configuration changes took to reach preflights, for the run's notes.
#[derive(Debug, Default)]
struct WaitStats {
    changes: AtomicU64,
    total_ms: AtomicU64,
    max_ms: AtomicU64,
}

impl WaitStats {
    fn record(&self, took: Duration) {
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.changes.fetch_add(1, Ordering::Relaxed);
        self.total_ms.fetch_add(ms, Ordering::Relaxed);
        self.max_ms.fetch_max(ms, Ordering::Relaxed);
    }

    fn note(&self) -> Option<String> {
        let n = self.changes.load(Ordering::Relaxed);
        (n > 0).then(|| {
            let total = self.total_ms.load(Ordering::Relaxed) as f64 / 1000.0;
            let max = self.max_ms.load(Ordering::Relaxed) as f64 / 1000.0;
            format!(
                "waited {total:.1} s in all for {n} CORS configuration changes to reach GetBucketCors and preflights (longest {max:.1} s, mean {:.2} s)",
                total / n as f64
            )
        })
    }
}

/// What an `aws` run will create, for the consent message and the run's banner.
pub fn plan(run: &RunId, region: &str) -> String {
    format!(
        "the aws target creates real S3 buckets in region {region}: one per case, named {}, {}, …, \
         tagged {TAG_KEY}={}, each holding the case's few small objects, and deletes them when the \
         run ends (also on Ctrl-C; `s3cors sweep --target aws` removes leftovers). Cost: S3 request \
         charges only (roughly 25 requests per case; under $0.10 per run, see docs/aws.md).",
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
        let endpoint =
            env(ENDPOINT_ENV).unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let mut target = AwsTarget {
            run: run.clone(),
            region: region.clone(),
            endpoint: endpoint.clone(),
            http: None,
            unavailable: None,
            visibility: VisibilityPolicy::default(),
            waits: WaitStats::default(),
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
        cfg.virtual_in_url = true;
        if let Some(path) = env(CA_FILE_ENV) {
            let pem = std::fs::read(&path)
                .map_err(|e| format!("cannot read the CA file {path} ({CA_FILE_ENV}): {e}"))?;
            cfg.ca_pem = Some(pem);
        }
        if let Some(ip) = env(CONNECT_TO_ENV) {
            let ip: std::net::IpAddr = ip.trim().parse().map_err(|_| {
                format!("{CONNECT_TO_ENV}=`{ip}` is not an IP address (e.g. 127.0.0.1)")
            })?;
            let host = url::Url::parse(endpoint)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .ok_or_else(|| format!("{ENDPOINT_ENV}=`{endpoint}` has no host name"))?;
            cfg.connect_to = Some((host, ip));
        }
        HttpTarget::new(cfg).map_err(|e| format!("{e} (endpoint {endpoint})"))
    }

    /// Replaces the visibility polling policy (the integration tests use a short one).
    pub fn with_visibility(mut self, policy: VisibilityPolicy) -> AwsTarget {
        self.visibility = policy;
        self
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
            Ok(t) if t.status < 300 => {
                // Best effort: where the account forbids it, the capability probe finds
                // public ACLs refused and the cases needing them end as unsupported.
                for req in allow_acls_requests(bucket) {
                    let _ = cleanup::retry_setup(http, &req, &RetryPolicy::default()).await;
                }
                Ok(resp)
            }
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

    /// After a successful change from `before` to `after`: GetBucketCors first, then a
    /// canary preflight ([`super::visibility`]) until both reflect it. Records the time spent.
    async fn wait_visible(
        &self,
        http: &HttpTarget,
        bucket: &str,
        what: &str,
        before: Option<&CorsConfiguration>,
        after: Option<&CorsConfiguration>,
        api_visible: impl Fn(&S3Response) -> bool,
    ) -> Result<(), TransportError> {
        let started = Instant::now();
        self.wait_until(http, bucket, what, api_visible).await?;
        if let Some(canary) = super::visibility::canary(before, after) {
            let mut req = S3Request::new(
                "OPTIONS",
                Some(bucket),
                Some(super::visibility::CANARY_KEY),
                Auth::Anonymous,
            );
            req.headers.push(("Origin".into(), canary.origin.clone()));
            req.headers.push((
                "Access-Control-Request-Method".into(),
                canary.method.clone(),
            ));
            let mut wait = self.visibility.first_wait;
            let mut last = String::from("nothing");
            let mut seen = false;
            for _ in 0..self.visibility.polls {
                // A throttled or failed canary is only "not yet".
                match http.send(&req).await {
                    Ok(resp) if super::visibility::answered(&canary, &resp) => {
                        seen = true;
                        break;
                    }
                    Ok(resp) => {
                        last = format!(
                            "{}{}",
                            resp.status,
                            error_code(&resp)
                                .map(|c| format!(" {c}"))
                                .unwrap_or_default()
                        )
                    }
                    Err(e) => last = e.to_string(),
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(self.visibility.max_wait);
            }
            if !seen {
                return Err(TransportError::Other {
                    url: format!(
                        "{}/{bucket}/{}",
                        self.endpoint,
                        super::visibility::CANARY_KEY
                    ),
                    reason: format!(
                        "{what} succeeded and GetBucketCors shows it, but preflights did not reflect it after {} polls ({:.1} s): the canary preflight (Origin: {}, Access-Control-Request-Method: {}) kept answering {last} instead of {:?}",
                        self.visibility.polls,
                        started.elapsed().as_secs_f64(),
                        canary.origin,
                        canary.method,
                        canary.expected
                    ),
                });
            }
        }
        self.waits.record(started.elapsed());
        Ok(())
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

/// New S3 buckets have ACLs disabled and Block Public Access on; cases about anonymous
/// access need public-read ACLs. So: Object Ownership `ObjectWriter`, then no bucket-level
/// public access block.
fn allow_acls_requests(bucket: &str) -> [S3Request; 2] {
    use base64::Engine;
    use md5::Digest;
    let body = "<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>";
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body.as_bytes()));
    let mut ownership = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
    ownership.query.push(("ownershipControls".into(), None));
    ownership.headers.push(("Content-MD5".into(), md5));
    ownership
        .headers
        .push(("Content-Type".into(), "application/xml".into()));
    ownership.body = body.as_bytes().to_vec();
    let mut unblock = S3Request::new("DELETE", Some(bucket), None, Auth::Signed);
    unblock.query.push(("publicAccessBlock".into(), None));
    [ownership, unblock]
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

/// The configuration a GetBucketCors response shows (`None`: none, or not readable).
fn configuration(resp: &S3Response) -> Option<CorsConfiguration> {
    (resp.status == 200)
        .then(|| CorsConfiguration::from_xml(&resp.body).ok())
        .flatten()
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
            notes: self.waits.note().into_iter().collect(),
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
                let before = self.get_cors(http, bucket).await.ok();
                let resp = http.send(req).await?;
                if resp.status == 200 {
                    let want = cors_leaves(&req.body);
                    let old = before.as_ref().and_then(configuration);
                    let new = CorsConfiguration::from_xml(&req.body).ok();
                    let before = before.as_ref().and_then(|r| cors_leaves(&r.body));
                    self.wait_visible(
                        http,
                        bucket,
                        "PutBucketCors",
                        old.as_ref(),
                        new.as_ref(),
                        |r| {
                            let now = (r.status == 200).then(|| cors_leaves(&r.body)).flatten();
                            now.is_some() && (now == want || now != before)
                        },
                    )
                    .await?;
                }
                return Ok(resp);
            }
            if is_cors_call(req, "DELETE") {
                let before = self.get_cors(http, bucket).await.ok();
                let resp = http.send(req).await?;
                if resp.status < 300 {
                    let old = before.as_ref().and_then(configuration);
                    self.wait_visible(http, bucket, "DeleteBucketCors", old.as_ref(), None, |r| {
                        r.status == 404
                    })
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
