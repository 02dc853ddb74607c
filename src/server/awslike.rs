//! The AWS-like mode of the server: the ways real Amazon S3 differs from a loopback server,
//! reproduced so the `aws` target can be proved without an AWS account (`s3cors serve --aws`).
//!
//! What it adds on top of the reference behaviour (CORS answers are untouched: they still
//! come from [`crate::cors`] only):
//!
//! - **Regional names.** `s3.REGION.amazonaws.com`, `s3.amazonaws.com` (= `us-east-1`) and
//!   `s3-REGION.amazonaws.com`, path-style or virtual-hosted (`BUCKET.s3.REGION.amazonaws.com`).
//!   The region a request is *sent to* is the one its `Host` names (the server's `--region`
//!   for IP addresses and `localhost`); SigV4 scopes are checked against it, so a wrong scope
//!   gets AWS's `AuthorizationHeaderMalformed` "the region 'x' is wrong; expecting 'y'".
//! - **Buckets live in one region.** A bucket is created in the region its CreateBucket was
//!   sent to; any later request for it sent to another region's endpoint is answered
//!   `301 PermanentRedirect` with `x-amz-bucket-region` (preflights included, without CORS
//!   headers, spec §3.4).
//! - **One global namespace, several accounts.** Each key pair is its own account. Creating a
//!   bucket another account owns is `409 BucketAlreadyExists`; its own, as before,
//!   `BucketAlreadyOwnedByYou`. A signed request from another account is judged like an
//!   anonymous one by the bucket's ACL (AWS's `AllUsers` grants cover it, nothing else does).
//!   ListBuckets lists the caller's buckets only.
//! - **Bucket tagging** (Put/Get/DeleteBucketTagging), which the `aws` target and `sweep` use
//!   to mark and recognise their buckets.
//! - **Today's bucket defaults.** A new bucket has ACLs disabled (Object Ownership
//!   `BucketOwnerEnforced`) and Block Public Access on: a public canned ACL is refused
//!   (`AccessControlListNotSupported`, then `AccessDenied`) until PutBucketOwnershipControls
//!   (`ObjectWriter`) and DeletePublicAccessBlock — what the `aws` target does for its buckets.
//! - **Delayed visibility.** A CORS configuration change reaches GetBucketCors after
//!   `get_delay` and CORS evaluation (preflights and actual requests) after `cors_delay`,
//!   independently: real S3 front ends pick changes up at different times, which is why
//!   ceph/s3-tests sleeps after every PutBucketCors.
//! - **Throttling.** Each request is answered `503 SlowDown` with probability `throttle`,
//!   drawn from a seeded random source (`seed`), before anything else is looked at.
//! - `Server: AmazonS3` is sent by every response of the server anyway.

use super::response::{Ids, Reply};
use super::routing::Route;
use crate::cors::CorsConfiguration;
use crate::s3::S3Error;
use bytes::Bytes;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Settings of the AWS-like mode.
#[derive(Debug, Clone, Default)]
pub struct AwsLikeConfig {
    /// Further accounts besides the server's own key pair: `(access key, secret key)`.
    pub accounts: Vec<(String, String)>,
    /// How long a CORS configuration change takes to show in GetBucketCors.
    pub get_delay: Duration,
    /// How long it takes to apply to preflights and actual requests.
    pub cors_delay: Duration,
    /// Probability (0..=1) that a request is answered `503 SlowDown`.
    pub throttle: f64,
    /// Seed of the throttling random source (same seed, same sequence of draws).
    pub seed: u64,
    /// Serve HTTPS with a generated CA; the CA certificate (PEM) is written to this file.
    pub ca_file: Option<PathBuf>,
}

/// What the mode knows about one bucket beyond the store.
#[derive(Debug, Clone)]
struct Meta {
    owner: String,
    region: String,
    tagging: Option<Bytes>,
    /// ACLs enabled (Object Ownership `ObjectWriter` / `BucketOwnerPreferred`); new buckets
    /// start with `BucketOwnerEnforced`, ACLs disabled, as on S3 since April 2023.
    acls: bool,
    /// The bucket's Block Public Access (on for new buckets).
    block_public: bool,
    /// CORS configuration changes, oldest first: when, and the configuration from then on.
    history: Vec<(Instant, Option<Arc<CorsConfiguration>>)>,
}

/// Which view of a delayed configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// What GetBucketCors shows.
    Api,
    /// What preflights and actual requests are evaluated against.
    Evaluation,
}

/// The mode's state, shared by every connection.
#[derive(Debug)]
pub struct AwsLike {
    pub cfg: AwsLikeConfig,
    /// The server's own key pair (the first account) and default region.
    main_key: String,
    main_region: String,
    buckets: Mutex<HashMap<String, Meta>>,
    rng: Mutex<rand::rngs::StdRng>,
}

/// The 503 AWS answers when a request rate is too high.
pub fn slow_down() -> S3Error {
    S3Error::new(503, "SlowDown", "Please reduce your request rate.").with_connection_close()
}

/// The region an `*.amazonaws.com` host name addresses, and the domain under which bucket
/// names are virtual-hosted (`s3.eu-west-1.amazonaws.com`). `None` for other names.
pub fn region_of_host(host: &str) -> Option<(String, String)> {
    let host = host.trim().to_ascii_lowercase();
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n.to_string(),
        _ => host,
    };
    let labels: Vec<&str> = name.strip_suffix(".amazonaws.com")?.split('.').collect();
    // Find the service label from the right: `s3`, `s3.REGION`, `s3-REGION`.
    let n = labels.len();
    if n >= 2 && labels[n - 2] == "s3" && valid_region(labels[n - 1]) {
        let region = labels[n - 1].to_string();
        return Some((region.clone(), format!("s3.{region}.amazonaws.com")));
    }
    let last = labels[n - 1];
    if last == "s3" {
        return Some(("us-east-1".into(), "s3.amazonaws.com".into()));
    }
    if let Some(region) = last.strip_prefix("s3-")
        && valid_region(region)
    {
        return Some((region.to_string(), format!("{last}.amazonaws.com")));
    }
    None
}

/// `eu-west-1`, `us-gov-east-1`: lower-case letters, digits and dashes, with a dash.
fn valid_region(s: &str) -> bool {
    (3..=30).contains(&s.len())
        && s.contains('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The access key a signed request names (header or presigned), if any.
pub fn access_key_of(headers: &http::HeaderMap, raw_query: Option<&str>) -> Option<String> {
    let credential = if let Some(v) = headers.get(http::header::AUTHORIZATION) {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        let at = v.find("Credential=")? + "Credential=".len();
        v[at..].split(['/', ',']).next()?.trim().to_string()
    } else {
        let query = super::routing::parse_query(raw_query.unwrap_or(""))?;
        let (_, v) = query.into_iter().find(|(n, _)| n == "X-Amz-Credential")?;
        v.split('/').next()?.to_string()
    };
    (!credential.is_empty()).then_some(credential)
}

impl AwsLike {
    pub fn new(cfg: AwsLikeConfig, main_key: &str, main_region: &str) -> AwsLike {
        let rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
        AwsLike {
            cfg,
            main_key: main_key.to_string(),
            main_region: main_region.to_string(),
            buckets: Mutex::new(HashMap::new()),
            rng: Mutex::new(rng),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Meta>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One draw of the throttling random source.
    pub fn throttled(&self) -> bool {
        if self.cfg.throttle <= 0.0 {
            return false;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        rng.random::<f64>() < self.cfg.throttle
    }

    /// The secret of an extra account (the server's own key is checked by the caller).
    pub fn secret_of(&self, access_key: &str) -> Option<&str> {
        self.cfg
            .accounts
            .iter()
            .find(|(k, _)| k == access_key)
            .map(|(_, s)| s.as_str())
    }

    /// The region a request is sent to, from its `Host`.
    pub fn region_for(&self, host: Option<&str>) -> String {
        host.and_then(region_of_host)
            .map(|(r, _)| r)
            .unwrap_or_else(|| self.main_region.clone())
    }

    fn owner_of(&self, bucket: &str) -> String {
        self.lock()
            .get(bucket)
            .map(|m| m.owner.clone())
            .unwrap_or_else(|| self.main_key.clone())
    }

    fn region_of_bucket(&self, bucket: &str) -> String {
        self.lock()
            .get(bucket)
            .map(|m| m.region.clone())
            .unwrap_or_else(|| self.main_region.clone())
    }

    /// `301 PermanentRedirect` when the request went to another region's endpoint than the
    /// existing bucket's. CreateBucket is exempt (it answers for the global namespace).
    pub fn redirect(
        &self,
        route: &Route,
        exists: bool,
        method: &http::Method,
        region: &str,
        ids: &Ids,
    ) -> Option<Reply> {
        let bucket = route.bucket.as_deref()?;
        if !exists || is_create_bucket(route, method) {
            return None;
        }
        let home = self.region_of_bucket(bucket);
        if home == region {
            return None;
        }
        let endpoint = match route.style {
            super::routing::Style::Virtual => format!("{bucket}.s3.{home}.amazonaws.com"),
            super::routing::Style::Path => format!("s3.{home}.amazonaws.com"),
        };
        let err = S3Error::new(
            301,
            "PermanentRedirect",
            "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
        )
        .with_field("Endpoint", endpoint)
        .with_field("Bucket", bucket);
        Some(Reply::error(&err, &ids.request_id, &ids.host_id).header("x-amz-bucket-region", home))
    }

    /// Whether `access_key` owns the existing `bucket` (the server's own key owns buckets
    /// made before the mode knew of them).
    pub fn owns(&self, bucket: &str, access_key: &str) -> bool {
        self.owner_of(bucket) == access_key
    }

    /// Operations the mode answers itself, before the ordinary dispatch (the caller has
    /// authenticated the request as `access_key`): ListBuckets, CreateBucket of a name
    /// another account holds, bucket tagging, Object Ownership and Block Public Access, the
    /// refusal of ACLs where they are disabled or blocked, and GetBucketCors through the
    /// delayed view. Nothing for another account's bucket (the caller judges those by ACL).
    pub fn intercept(
        &self,
        store: &super::store::Store,
        route: &Route,
        method: &http::Method,
        headers: &http::HeaderMap,
        access_key: &str,
        body: &[u8],
    ) -> Option<Result<Reply, S3Error>> {
        let Some(bucket) = route.bucket.as_deref() else {
            if method == http::Method::GET {
                return Some(Ok(self.list_buckets(store, access_key)));
            }
            return None;
        };
        let exists = store.lock().contains_key(bucket);
        if is_create_bucket(route, method) {
            if exists && !self.owns(bucket, access_key) {
                return Some(Err(S3Error::new(
                    409,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                )
                .with_field("BucketName", bucket)));
            }
            if public_acl(headers) {
                return Some(Err(S3Error::new(
                    400,
                    "InvalidBucketAclWithObjectOwnership",
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                )));
            }
            return None;
        }
        if !exists || !self.owns(bucket, access_key) {
            return None;
        }
        let sub = route.subresource();
        let sets_acl = method == http::Method::PUT && matches!(sub, None | Some("acl"));
        if sets_acl && public_acl(headers) {
            let (acls, block_public) = self
                .lock()
                .get(bucket)
                .map_or((true, false), |m| (m.acls, m.block_public));
            if !acls {
                return Some(Err(S3Error::new(
                    400,
                    "AccessControlListNotSupported",
                    "The bucket does not allow ACLs",
                )));
            }
            if block_public {
                return Some(Err(S3Error::new(403, "AccessDenied", "Access Denied")));
            }
        }
        if route.key.is_some() {
            return None;
        }
        match (method.as_str(), sub) {
            ("PUT", Some("ownershipControls")) => Some(self.put_ownership(bucket, body)),
            ("PUT", Some("publicAccessBlock")) => {
                let flags =
                    super::xml::texts_of(body, "PublicAccessBlockConfiguration", "BlockPublicAcls")
                        .map(|v| v.iter().any(|t| t.trim() == "true"));
                Some(flags.map(|block| {
                    if let Some(m) = self.lock().get_mut(bucket) {
                        m.block_public = block;
                    }
                    Reply::empty(200)
                }))
            }
            ("DELETE", Some("publicAccessBlock")) => {
                if let Some(m) = self.lock().get_mut(bucket) {
                    m.block_public = false;
                }
                Some(Ok(Reply::empty(204)))
            }
            ("PUT", Some("tagging")) => Some(self.put_tagging(bucket, body)),
            ("GET", Some("tagging")) => Some(self.get_tagging(bucket)),
            ("DELETE", Some("tagging")) => {
                if let Some(m) = self.lock().get_mut(bucket) {
                    m.tagging = None;
                }
                Some(Ok(Reply::empty(204)))
            }
            ("GET", Some("cors")) => {
                let current = store.cors_of(bucket).flatten();
                Some(match self.view(bucket, current, View::Api) {
                    Some(c) => Ok(Reply::xml(200, c.to_xml())),
                    None => Err(S3Error::new(
                        404,
                        "NoSuchCORSConfiguration",
                        "The CORS configuration does not exist",
                    )
                    .with_field("BucketName", bucket)),
                })
            }
            _ => None,
        }
    }

    fn list_buckets(&self, store: &super::store::Store, access_key: &str) -> Reply {
        let meta = self.lock();
        let buckets: Vec<(String, SystemTime, String)> = store
            .lock()
            .iter()
            .filter_map(|(name, b)| {
                let (owner, region) = meta
                    .get(name)
                    .map(|m| (m.owner.as_str(), m.region.as_str()))
                    .unwrap_or((self.main_key.as_str(), self.main_region.as_str()));
                (owner == access_key).then(|| (name.clone(), b.created, region.to_string()))
            })
            .collect();
        Reply::xml(200, super::xml::list_buckets_in(&buckets))
    }

    fn put_ownership(&self, bucket: &str, body: &[u8]) -> Result<Reply, S3Error> {
        let values = super::xml::texts_of(body, "OwnershipControls", "ObjectOwnership")?;
        let acls = match values.first().map(|v| v.trim()) {
            Some("BucketOwnerEnforced") => false,
            Some("ObjectWriter" | "BucketOwnerPreferred") => true,
            _ => {
                return Err(S3Error::new(
                    400,
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                ));
            }
        };
        if let Some(m) = self.lock().get_mut(bucket) {
            m.acls = acls;
        }
        Ok(Reply::empty(200))
    }

    fn put_tagging(&self, bucket: &str, body: &[u8]) -> Result<Reply, S3Error> {
        super::xml::texts_of(body, "Tagging", "Key")?;
        if let Some(m) = self.lock().get_mut(bucket) {
            m.tagging = Some(Bytes::copy_from_slice(body));
        }
        Ok(Reply::empty(204))
    }

    fn get_tagging(&self, bucket: &str) -> Result<Reply, S3Error> {
        let tagging = self.lock().get(bucket).and_then(|m| m.tagging.clone());
        match tagging {
            Some(doc) => Ok(Reply::xml(200, String::from_utf8_lossy(&doc).into_owned())),
            None => Err(
                S3Error::new(404, "NoSuchTagSet", "The TagSet does not exist")
                    .with_field("BucketName", bucket),
            ),
        }
    }

    /// Records what a successful operation changed: a new bucket (owner, region), a removed
    /// one, or a new CORS configuration (`current`: the store's after the operation).
    pub fn after(
        &self,
        route: &Route,
        method: &http::Method,
        status: u16,
        access_key: &str,
        region: &str,
        current: Option<Arc<CorsConfiguration>>,
    ) {
        let Some(bucket) = route.bucket.as_deref() else {
            return;
        };
        if status >= 300 || route.key.is_some() {
            return;
        }
        let now = Instant::now();
        let mut meta = self.lock();
        match (method.as_str(), route.subresource()) {
            ("PUT", None) => {
                meta.entry(bucket.to_string()).or_insert_with(|| Meta {
                    owner: access_key.to_string(),
                    region: region.to_string(),
                    tagging: None,
                    acls: false,
                    block_public: true,
                    history: vec![(now, None)],
                });
            }
            ("DELETE", None) => {
                meta.remove(bucket);
            }
            ("PUT" | "DELETE", Some("cors")) => {
                let m = meta.entry(bucket.to_string()).or_insert_with(|| Meta {
                    owner: access_key.to_string(),
                    region: region.to_string(),
                    tagging: None,
                    acls: true,
                    block_public: false,
                    history: Vec::new(),
                });
                m.history.push((now, current));
                prune(
                    &mut m.history,
                    self.cfg.get_delay.max(self.cfg.cors_delay),
                    now,
                );
            }
            _ => {}
        }
    }

    /// The configuration a reader sees under the delay of `view`: the newest change at least
    /// that old (`current` when nothing is pending).
    pub fn view(
        &self,
        bucket: &str,
        current: Option<Arc<CorsConfiguration>>,
        view: View,
    ) -> Option<Arc<CorsConfiguration>> {
        let delay = match view {
            View::Api => self.cfg.get_delay,
            View::Evaluation => self.cfg.cors_delay,
        };
        if delay.is_zero() {
            return current;
        }
        let meta = self.lock();
        let Some(m) = meta.get(bucket) else {
            return current;
        };
        let now = Instant::now();
        match m
            .history
            .iter()
            .rev()
            .find(|(at, _)| now.saturating_duration_since(*at) >= delay)
        {
            Some((_, c)) => c.clone(),
            // Every change is newer than the delay: what the bucket had before them, which
            // for a bucket this mode saw created is "no configuration".
            None => None,
        }
    }
}

/// Drops changes no view can see any more (keeps the newest one older than `delay`).
fn prune(
    history: &mut Vec<(Instant, Option<Arc<CorsConfiguration>>)>,
    delay: Duration,
    now: Instant,
) {
    let settled = history
        .iter()
        .rposition(|(at, _)| now.saturating_duration_since(*at) >= delay);
    if let Some(i) = settled {
        history.drain(..i);
    }
}

/// Whether the request sets a canned ACL that grants more than the owner.
fn public_acl(headers: &http::HeaderMap) -> bool {
    headers
        .get("x-amz-acl")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !matches!(v.trim(), "private" | "bucket-owner-full-control"))
}

/// `PUT /bucket` with no subresource.
fn is_create_bucket(route: &Route, method: &http::Method) -> bool {
    method == http::Method::PUT
        && route.bucket.is_some()
        && route.key.is_none()
        && route.subresource().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_aws_host_names() {
        let r = |h: &str| region_of_host(h).map(|(r, d)| format!("{r} {d}"));
        assert_eq!(
            r("s3.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1 s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            r("My-Bucket.s3.eu-west-1.amazonaws.com:8443").as_deref(),
            Some("eu-west-1 s3.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            r("b.s3.amazonaws.com").as_deref(),
            Some("us-east-1 s3.amazonaws.com")
        );
        assert_eq!(
            r("s3-us-west-2.amazonaws.com").as_deref(),
            Some("us-west-2 s3-us-west-2.amazonaws.com")
        );
        assert_eq!(r("localhost:9000"), None);
        assert_eq!(r("127.0.0.1"), None);
        assert_eq!(r("ec2.eu-west-1.amazonaws.com"), None);
        assert_eq!(r("amazonaws.com"), None);
    }

    #[test]
    fn access_keys_from_header_or_query() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDB/20261202/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert_eq!(access_key_of(&h, None).as_deref(), Some("AKIDB"));
        let q = "X-Amz-Credential=AKIDC%2F20261202%2Fus-east-1%2Fs3%2Faws4_request";
        assert_eq!(
            access_key_of(&http::HeaderMap::new(), Some(q)).as_deref(),
            Some("AKIDC")
        );
        assert_eq!(access_key_of(&http::HeaderMap::new(), None), None);
    }

    #[test]
    fn throttling_follows_the_seed_and_the_rate() {
        let draws = |seed, rate| {
            let a = AwsLike::new(
                AwsLikeConfig {
                    throttle: rate,
                    seed,
                    ..Default::default()
                },
                "k",
                "us-east-1",
            );
            (0..2000).map(|_| a.throttled()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7, 0.05), draws(7, 0.05));
        assert_ne!(draws(7, 0.05), draws(8, 0.05));
        let hits = draws(7, 0.05).iter().filter(|t| **t).count();
        assert!((50..=150).contains(&hits), "{hits} of 2000 at 5 %");
        assert!(!draws(7, 0.0).iter().any(|t| *t));
    }

    #[test]
    fn views_lag_by_their_own_delay() {
        let a = AwsLike::new(
            AwsLikeConfig {
                get_delay: Duration::from_millis(40),
                cors_delay: Duration::from_millis(120),
                ..Default::default()
            },
            "k",
            "us-east-1",
        );
        let route = Route {
            bucket: Some("b".into()),
            key: None,
            style: super::super::routing::Style::Path,
            query: vec![],
        };
        a.after(&route, &http::Method::PUT, 200, "k", "us-east-1", None);
        let cfg = Arc::new(
            CorsConfiguration::from_xml(
                b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
            )
            .expect("valid"),
        );
        let cors_route = Route {
            query: vec![("cors".into(), String::new())],
            ..route
        };
        a.after(
            &cors_route,
            &http::Method::PUT,
            200,
            "k",
            "us-east-1",
            Some(cfg.clone()),
        );
        assert!(a.view("b", Some(cfg.clone()), View::Api).is_none());
        assert!(a.view("b", Some(cfg.clone()), View::Evaluation).is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(a.view("b", Some(cfg.clone()), View::Api).is_some());
        assert!(a.view("b", Some(cfg.clone()), View::Evaluation).is_none());
        std::thread::sleep(Duration::from_millis(80));
        assert!(a.view("b", Some(cfg.clone()), View::Evaluation).is_some());
    }
}
