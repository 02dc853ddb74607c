//! Buckets a run creates, and making sure they go away: run ids and bucket names, a run-scoped
//! registry, a [`Tracked`] target wrapper that fills it ([`BucketTracker`] in [`Decorated`]), full bucket removal, the Ctrl-C hook,
//! and the bounded set-up retry.
//!
//! Why this exists: leftover buckets are the most common operational complaint about S3 test
//! suites (they cost money on AWS and hit the 100-bucket quota). So cleanup is layered:
//!
//! 1. the runner deletes each trial's bucket when the trial ends (its job);
//! 2. [`Tracked`] records every bucket created through a target, so whatever the runner did
//!    not remove (a panic, an early return) is removed by [`Tracked::teardown`] at the end;
//! 3. [`spawn_interrupt_cleanup`] removes the registry's buckets on Ctrl-C / SIGTERM before
//!    the process exits;
//! 4. for what survives even that (SIGKILL, a power cut), bucket names have a fixed shape
//!    ([`BucketName`]) and AWS buckets carry a tag, so `s3cors sweep` ([`super::sweep`])
//!    can find and remove exactly s3cors's own leftovers and nothing else.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Auth, Decorated, Hook, S3Request, S3Response, Target, TransportError};

/// Every bucket s3cors creates starts with this.
pub const BUCKET_PREFIX: &str = "s3cors-";

/// Tag key put on buckets created on AWS (value: [`RunId::tag_value`]).
pub const TAG_KEY: &str = "s3cors";

/// Identifies one run: `YYYYMMDD-HHMMSS-xxxx` (UTC start time and four random base-36
/// characters). It is part of every bucket name, so it only uses what bucket names allow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(String);

impl RunId {
    /// A fresh id for a run starting now.
    pub fn generate() -> RunId {
        use rand::Rng;
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year][month][day]-[hour][minute][second]"
            ))
            .unwrap_or_else(|_| "19700101-000000".to_string());
        let mut rng = rand::rng();
        let suffix: String = (0..4)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        RunId(format!("{stamp}-{suffix}"))
    }

    /// Parses an id of the shape [`RunId::generate`] produces.
    pub fn parse(s: &str) -> Option<RunId> {
        let mut parts = s.split('-');
        let (date, time, rand) = (parts.next()?, parts.next()?, parts.next()?);
        let ok = parts.next().is_none()
            && date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && time.len() == 6
            && time.bytes().all(|b| b.is_ascii_digit())
            && rand.len() == 4
            && rand
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        ok.then(|| RunId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `n`th bucket of this run: `s3cors-<run>-<n>`.
    pub fn bucket_name(&self, n: u64) -> String {
        format!("{BUCKET_PREFIX}{}-{n}", self.0)
    }

    /// The value of the [`TAG_KEY`] tag on this run's AWS buckets: `run-<run>`.
    pub fn tag_value(&self) -> String {
        format!("run-{}", self.0)
    }

    /// When the run started (from the id itself).
    pub fn started_at(&self) -> Option<time::OffsetDateTime> {
        let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
        let stamp = self.0.get(..15)?;
        time::PrimitiveDateTime::parse(stamp, &fmt)
            .ok()
            .map(|t| t.assume_utc())
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bucket name of s3cors's own shape, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketName {
    pub run: RunId,
    pub n: u64,
}

impl BucketName {
    /// `Some` only for names exactly of the shape `s3cors-YYYYMMDD-HHMMSS-xxxx-N`.
    /// Anything else (including `s3cors-something-else`) is not ours.
    pub fn parse(name: &str) -> Option<BucketName> {
        let rest = name.strip_prefix(BUCKET_PREFIX)?;
        let (run, n) = rest.rsplit_once('-')?;
        if n.is_empty() || n.len() > 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(BucketName {
            run: RunId::parse(run)?,
            n: n.parse().ok()?,
        })
    }
}

/// The buckets one run created through one target and has not removed yet.
///
/// Cheap to clone (shared). Lock poisoning is ignored on purpose: a panicking trial must not
/// stop the cleanup of everyone else's buckets.
#[derive(Debug, Clone, Default)]
pub struct BucketRegistry {
    inner: Arc<Mutex<BTreeSet<String>>>,
}

impl BucketRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&self, bucket: &str) {
        self.lock().insert(bucket.to_string());
    }

    pub fn forget(&self, bucket: &str) {
        self.lock().remove(bucket);
    }

    /// The buckets still registered, sorted.
    pub fn buckets(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a bookkeeping call (list, delete, tag) failed.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("{op} {bucket} answered {status}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Status {
        op: &'static str,
        bucket: String,
        status: u16,
        code: Option<String>,
    },
    #[error("{op} {bucket}: unreadable response body")]
    Body { op: &'static str, bucket: String },
}

impl CleanupError {
    fn status(op: &'static str, bucket: &str, resp: &S3Response) -> CleanupError {
        CleanupError::Status {
            op,
            bucket: bucket.to_string(),
            status: resp.status,
            code: error_code(resp),
        }
    }
}

/// The S3 error `Code` of a response, when its body is an error document.
pub fn error_code(resp: &S3Response) -> Option<String> {
    crate::s3::parse_error_body(&resp.body).and_then(|e| e.get("Code").map(str::to_string))
}

/// What an error answer says, for people: `409 BucketAlreadyExists: The requested bucket
/// name is not available. …`, with the region S3 names for a bucket addressed in the wrong
/// region (`x-amz-bucket-region`) and a hint for the usual fixes.
pub fn error_summary(resp: &S3Response) -> String {
    let doc = crate::s3::parse_error_body(&resp.body);
    let field = |name: &str| doc.as_ref().and_then(|d| d.get(name).map(str::to_string));
    let mut out = resp.status.to_string();
    if let Some(code) = field("Code") {
        out.push(' ');
        out.push_str(&code);
    }
    if let Some(message) = field("Message") {
        out.push_str(": ");
        out.push_str(&message);
    }
    if let Some(region) = resp.header("x-amz-bucket-region") {
        out.push_str(&format!(
            " (the bucket is in region {region}: set AWS_REGION={region})"
        ));
    } else if field("Code").as_deref() == Some("AuthorizationHeaderMalformed")
        && let Some(region) = field("Region")
    {
        out.push_str(&format!(
            " (set AWS_REGION={region}, or point the endpoint at the region you sign for)"
        ));
    }
    if resp.status == 503 && field("Code").as_deref() == Some("SlowDown") {
        out.push_str(" (still throttled after every retry with back-off)");
    }
    out
}

/// The [`Hook`] behind [`Tracked`]: records every bucket created through the wrapped target
/// in a [`BucketRegistry`] and forgets it again once it is deleted.
///
/// The bucket is recorded *before* CreateBucket is sent: a request that times out may still
/// have created it, and deleting a bucket that does not exist is harmless.
#[derive(Debug, Clone, Default)]
pub struct BucketTracker {
    registry: BucketRegistry,
}

impl Hook for BucketTracker {
    fn before_send(&self, req: &S3Request) {
        if let Some(b) = is_bucket_call(req, "PUT") {
            self.registry.record(&b);
        }
    }

    fn after_send(&self, req: &S3Request, result: &Result<S3Response, TransportError>) {
        let Ok(resp) = result else { return };
        if let Some(b) = is_bucket_call(req, "PUT") {
            // A definite refusal created nothing (BucketAlreadyOwnedByYou: it is ours).
            let ours =
                resp.status < 300 || error_code(resp).as_deref() == Some("BucketAlreadyOwnedByYou");
            if !ours && resp.status < 500 {
                self.registry.forget(&b);
            }
        }
        if let Some(b) = is_bucket_call(req, "DELETE") {
            let gone = resp.status < 300 || error_code(resp).as_deref() == Some("NoSuchBucket");
            if gone {
                self.registry.forget(&b);
            }
        }
    }
}

/// A target that tracks the buckets created through it (see [`BucketTracker`]); everything
/// else passes through untouched ([`Decorated`] forwards it).
pub type Tracked = Decorated<BucketTracker>;

impl Decorated<BucketTracker> {
    /// Wraps `inner` with a fresh, empty registry.
    pub fn new(inner: Arc<dyn Target>) -> Tracked {
        Decorated::wrap(inner, BucketTracker::default())
    }

    /// The registry of buckets created through this target and not deleted yet.
    pub fn registry(&self) -> &BucketRegistry {
        &self.hook().registry
    }

    /// Removes every bucket still registered (objects first). Buckets that cannot be removed
    /// stay registered and are reported; `s3cors sweep` can finish the job later.
    pub async fn teardown(&self) -> Vec<(String, Result<usize, CleanupError>)> {
        let mut out = Vec::new();
        for bucket in self.registry().buckets() {
            let result = delete_bucket_fully(self.inner().as_ref(), &bucket).await;
            if result.is_ok() {
                self.registry().forget(&bucket);
            }
            out.push((bucket, result));
        }
        out
    }
}

fn is_bucket_call(req: &S3Request, method: &str) -> Option<String> {
    (req.method.eq_ignore_ascii_case(method) && req.key.is_none() && req.query.is_empty())
        .then(|| req.bucket.clone())
        .flatten()
}

/// A bounded retry with exponential backoff, for set-up and clean-up calls only (never for a
/// request being judged: retrying it would hide exactly what the harness measures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first.
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each further failure.
    pub first_backoff: Duration,
    /// Upper bound for one wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `n` (1-based).
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// Whether a set-up call's outcome is worth another try: connection failures, timeouts and
/// 5xx answers (including S3's 503 SlowDown). A request that could not even be built is not.
pub fn is_transient(result: &Result<S3Response, TransportError>) -> bool {
    match result {
        Ok(resp) => resp.status >= 500,
        Err(TransportError::Build(_)) => false,
        Err(_) => true,
    }
}

/// Sends a set-up or clean-up request, retrying transient failures ([`is_transient`]) as
/// `policy` allows. Returns the last outcome.
pub async fn retry_setup(
    target: &dyn Target,
    req: &S3Request,
    policy: &RetryPolicy,
) -> Result<S3Response, TransportError> {
    let mut attempt = 1;
    loop {
        let result = target.send(req).await;
        if attempt >= policy.attempts.max(1) || !is_transient(&result) {
            return result;
        }
        tokio::time::sleep(policy.backoff(attempt)).await;
        attempt += 1;
    }
}

fn keys_page(body: &[u8]) -> Option<(Vec<String>, Option<String>, bool)> {
    let root = super::s3xml::parse(body)?;
    if root.name != "ListBucketResult" {
        return None;
    }
    let keys: Vec<String> = root
        .children_named("Contents")
        .filter_map(|c| c.child("Key").map(|k| k.text.clone()))
        .collect();
    let truncated = root.child_text("IsTruncated") == Some("true");
    let token = root.child_text("NextContinuationToken").map(str::to_string);
    Some((keys, token, truncated))
}

/// Every object key in a bucket (ListObjectsV2, following continuation tokens; falls back to
/// V1 markers for servers that ignore `list-type=2`).
pub async fn list_keys(target: &dyn Target, bucket: &str) -> Result<Vec<String>, CleanupError> {
    let policy = RetryPolicy::default();
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    let mut marker: Option<String> = None;
    // Bounded: 10 000 pages of 1 000 keys is far beyond anything the harness creates.
    for _ in 0..10_000 {
        let mut req = S3Request::new("GET", Some(bucket), None, Auth::Signed);
        req.query.push(("list-type".into(), Some("2".into())));
        if let Some(t) = &token {
            req.query
                .push(("continuation-token".into(), Some(t.clone())));
        }
        if let Some(m) = &marker {
            req.query.push(("marker".into(), Some(m.clone())));
        }
        let resp = retry_setup(target, &req, &policy).await?;
        if resp.status != 200 {
            return Err(CleanupError::status("ListObjects", bucket, &resp));
        }
        let (page, next, truncated) = keys_page(&resp.body).ok_or(CleanupError::Body {
            op: "ListObjects",
            bucket: bucket.to_string(),
        })?;
        let last = page.last().cloned();
        keys.extend(page);
        if !truncated {
            break;
        }
        match (next, last) {
            (Some(t), _) => token = Some(t),
            (None, Some(l)) => marker = Some(l),
            (None, None) => break,
        }
    }
    Ok(keys)
}

/// Deletes a bucket with everything in it: objects first, then the bucket. A bucket that is
/// already gone counts as removed. Returns how many objects were deleted.
///
/// DeleteBucket is tried first: most case buckets hold nothing, and listing them cost a
/// request per case (about a fifth of a corpus run's requests). Only `BucketNotEmpty` leads
/// to listing and deleting the objects. `BucketNotEmpty` after deleting every listed object
/// (a listing that lags behind on an eventually consistent store) leads to another round, a
/// bounded number of times.
pub async fn delete_bucket_fully(target: &dyn Target, bucket: &str) -> Result<usize, CleanupError> {
    let policy = RetryPolicy::default();
    let mut deleted = 0;
    let req = S3Request::new("DELETE", Some(bucket), None, Auth::Signed);
    let resp = retry_setup(target, &req, &policy).await?;
    let code = error_code(&resp);
    if resp.status < 300 || code.as_deref() == Some("NoSuchBucket") {
        return Ok(0);
    }
    if code.as_deref() != Some("BucketNotEmpty") {
        return Err(CleanupError::status("DeleteBucket", bucket, &resp));
    }
    for round in 0..5 {
        let keys = match list_keys(target, bucket).await {
            Ok(k) => k,
            Err(CleanupError::Status { code, .. }) if code.as_deref() == Some("NoSuchBucket") => {
                return Ok(deleted);
            }
            Err(e) => return Err(e),
        };
        for key in keys {
            let req = S3Request::new("DELETE", Some(bucket), Some(&key), Auth::Signed);
            let resp = retry_setup(target, &req, &policy).await?;
            if resp.status >= 300 && resp.status != 404 {
                return Err(CleanupError::status("DeleteObject", bucket, &resp));
            }
            deleted += 1;
        }
        let req = S3Request::new("DELETE", Some(bucket), None, Auth::Signed);
        let resp = retry_setup(target, &req, &policy).await?;
        let code = error_code(&resp);
        if resp.status < 300 || code.as_deref() == Some("NoSuchBucket") {
            return Ok(deleted);
        }
        if code.as_deref() != Some("BucketNotEmpty") || round == 4 {
            return Err(CleanupError::status("DeleteBucket", bucket, &resp));
        }
        tokio::time::sleep(policy.backoff(round + 1)).await;
    }
    Ok(deleted)
}

/// Installs the Ctrl-C / SIGTERM hook: on the first signal, every bucket still registered in
/// `targets` is removed (objects first) and the process exits with status 130; a second
/// signal during that clean-up exits at once, naming `s3cors sweep` for what is left.
///
/// Call it from the run command once the targets are wrapped in [`Tracked`], on a tokio
/// runtime that keeps running while the trials do (a multi-thread runtime the trials do not
/// block). Dropping or aborting the returned handle uninstalls nothing by itself: abort it
/// after the normal teardown to stop listening.
pub fn spawn_interrupt_cleanup(targets: Vec<Arc<Tracked>>) -> tokio::task::JoinHandle<()> {
    let signals = Signals::listen();
    tokio::spawn(async move {
        let Ok(mut signals) = signals else { return };
        if signals.recv().await.is_err() {
            return;
        }
        let pending: usize = targets.iter().map(|t| t.registry().buckets().len()).sum();
        eprintln!(
            "\ninterrupted: removing {pending} bucket(s) this run created (press Ctrl-C again to skip)"
        );
        let cleanup = async {
            let mut failed = 0;
            for t in &targets {
                for (bucket, result) in t.teardown().await {
                    match result {
                        Ok(n) => eprintln!("  removed {bucket} ({n} object(s))"),
                        Err(e) => {
                            failed += 1;
                            eprintln!("  could not remove {bucket}: {e}");
                        }
                    }
                }
            }
            failed
        };
        tokio::select! {
            failed = cleanup => {
                if failed > 0 {
                    eprintln!("{failed} bucket(s) left behind; `s3cors sweep` removes them");
                }
            }
            _ = signals.recv() => {
                eprintln!("clean-up skipped; `s3cors sweep` removes what this run left behind");
            }
        }
        // The containers go last: the buckets above live in them. Not skippable: removing a
        // container is one quick call per container.
        super::container::report_removal(super::container::remove_this_process().await);
        std::process::exit(130);
    })
}

/// Signal handlers registered when this is made, not when first polled: a hook spawned on a
/// busy runtime must not miss a signal that arrives before its task first runs (the signal
/// would then take the default action and kill the process without clean-up).
pub(crate) struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers for SIGINT and SIGTERM now (needs a tokio runtime).
    pub(crate) fn listen() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Resolves on the next SIGINT or SIGTERM.
    pub(crate) async fn recv(&mut self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => Ok(()),
                _ = self.term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_round_trip_through_bucket_names() {
        let run = RunId::generate();
        assert!(RunId::parse(run.as_str()).is_some(), "{run}");
        let name = run.bucket_name(17);
        assert!(name.len() <= 63, "{name}");
        assert_eq!(BucketName::parse(&name), Some(BucketName { run, n: 17 }));
    }

    #[test]
    fn only_the_exact_shape_is_ours() {
        assert!(BucketName::parse("s3cors-20261128-101530-k3f9-0").is_some());
        for name in [
            "s3cors-",
            "s3cors-prod",
            "s3cors-backup-2026",
            "s3cors-20261128-101530-k3f9",
            "s3cors-20261128-101530-k3f9-",
            "s3cors-20261128-101530-K3F9-1",
            "s3cors-20261128-101530-k3f9-x-1",
            "s3cors-2026112-101530-k3f9-1",
            "my-s3cors-20261128-101530-k3f9-1",
            "s3cors-20261128-101530-k3f9-1234567",
        ] {
            assert_eq!(BucketName::parse(name), None, "{name}");
        }
    }

    #[test]
    fn run_id_time_is_read_back() {
        let run = RunId::parse("20261128-101530-abcd").expect("valid");
        let t = run.started_at().expect("time");
        assert_eq!((t.year(), t.hour(), t.second()), (2026, 10, 30));
        assert_eq!(run.tag_value(), "run-20261128-101530-abcd");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(400));
        assert_eq!(p.backoff(5), Duration::from_secs(2));
        assert_eq!(p.backoff(64), Duration::from_secs(2));
    }

    #[test]
    fn transient_means_connection_or_5xx() {
        let ok = |status| {
            Ok(S3Response {
                status,
                ..S3Response::default()
            })
        };
        assert!(is_transient(&ok(503)));
        assert!(!is_transient(&ok(404)));
        assert!(!is_transient(&ok(200)));
        assert!(is_transient(&Err(TransportError::Connect {
            url: "u".into(),
            reason: "refused".into()
        })));
        assert!(!is_transient(&Err(TransportError::Build("bad".into()))));
    }

    #[test]
    fn registry_records_and_forgets() {
        let r = BucketRegistry::new();
        r.record("b");
        r.record("a");
        r.record("a");
        assert_eq!(r.buckets(), ["a", "b"]);
        r.forget("a");
        assert_eq!(r.buckets(), ["b"]);
    }

    #[test]
    fn list_pages_parse() {
        let body = br#"<ListBucketResult><Contents><Key>a b</Key></Contents><Contents><Key>c</Key></Contents><IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken></ListBucketResult>"#;
        let (keys, token, truncated) = keys_page(body).expect("parses");
        assert_eq!(keys, ["a b", "c"]);
        assert_eq!(token.as_deref(), Some("tok"));
        assert!(truncated);
    }
}
