//! Running one case against one target: set-up, steps, teardown.
//!
//! Set-up calls are retried on connection errors and 5xx (a flaky target should not turn
//! into a conformance failure), the steps being judged never are, and teardown always runs,
//! whatever happened before, because a leftover bucket is the one failure that outlives the
//! run.
//!
//! A judged step answered `503 SlowDown` (the target throttled us) is a harness error, not a
//! CORS difference, on every target: the answer says nothing about CORS. The step is not
//! retried in place (the case's state may have moved on); the runner may instead re-run the
//! whole case from a fresh bucket (see [`throttled`] and `Session::run_one`).

use super::compare;
use super::pool::{self, BucketPool, BucketState, PooledBucket};
use super::render::{self, Failure};
use super::{Decision, StepFailure};
use crate::case::model::{ApiCallSpec, Checksum, PutBucketCorsSpec};
use crate::case::{Action, Case, CaseStep};
use crate::cors::CorsRule;
use crate::results::{ExpectedResponse, StepResult};
use crate::s3::{Auth, S3Request, S3Response};
use crate::target::cleanup::{self, RetryPolicy};
use crate::target::client::redact;
use crate::target::{Target, TargetExt};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};

/// What running a case produced before classification.
pub struct CaseRun {
    pub decision: Decision,
    pub steps: Vec<StepResult>,
    /// Teardown problem, if any (reported, but does not change the verdict).
    pub teardown: Option<String>,
}

/// Whether a response is S3's throttling answer (`503 SlowDown`).
pub fn is_slow_down(resp: &S3Response) -> bool {
    // An answer to HEAD has no body to name the code: a bodiless 503 is S3's throttling too.
    resp.status == 503
        && (resp.body.is_empty() || cleanup::error_code(resp).as_deref() == Some("SlowDown"))
}

/// Whether a case run ended because a judged step was throttled (and nothing else went
/// wrong first): the one error a fresh re-run of the case can cure.
pub fn throttled(run: &CaseRun) -> bool {
    matches!(run.decision, Decision::Errored { step: Some(_), .. })
        && run
            .steps
            .last()
            .and_then(|s| s.response.as_ref())
            .is_some_and(is_slow_down)
}

/// Renders rules as a `CORSConfiguration` body.
pub fn rules_xml(rules: &[CorsRule]) -> String {
    use crate::s3::escape_xml as esc;
    let mut s = String::from("<CORSConfiguration>");
    for r in rules {
        s.push_str("<CORSRule>");
        if let Some(id) = &r.id {
            s.push_str(&format!("<ID>{}</ID>", esc(id)));
        }
        for o in &r.allowed_origins {
            s.push_str(&format!("<AllowedOrigin>{}</AllowedOrigin>", esc(o)));
        }
        for m in &r.allowed_methods {
            s.push_str(&format!("<AllowedMethod>{}</AllowedMethod>", esc(m)));
        }
        for h in &r.allowed_headers {
            s.push_str(&format!("<AllowedHeader>{}</AllowedHeader>", esc(h)));
        }
        for h in &r.expose_headers {
            s.push_str(&format!("<ExposeHeader>{}</ExposeHeader>", esc(h)));
        }
        if let Some(m) = r.max_age_seconds {
            s.push_str(&format!("<MaxAgeSeconds>{m}</MaxAgeSeconds>"));
        }
        s.push_str("</CORSRule>");
    }
    s.push_str("</CORSConfiguration>");
    s
}

fn md5_b64(body: &[u8]) -> String {
    B64.encode(Md5::digest(body))
}

/// A PutBucketCors request with the chosen integrity header.
pub fn put_cors_request(bucket: &str, body: Vec<u8>, checksum: Checksum) -> S3Request {
    let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
    req.query.push(("cors".into(), None));
    match checksum {
        Checksum::Md5 => req.headers.push(("Content-MD5".into(), md5_b64(&body))),
        Checksum::BadMd5 => {
            let mut other = body.clone();
            other.push(b'x');
            req.headers.push(("Content-MD5".into(), md5_b64(&other)));
        }
        Checksum::Crc32 => {
            let crc = crc32fast::hash(&body);
            req.headers
                .push(("x-amz-checksum-crc32".into(), B64.encode(crc.to_be_bytes())));
        }
        Checksum::None => {}
    }
    req.body = body;
    req
}

/// CreateBucket, with a `CreateBucketConfiguration` outside `us-east-1`.
pub fn create_bucket_request(bucket: &str, region: Option<&str>) -> S3Request {
    let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
    if let Some(r) = region.filter(|r| *r != "us-east-1" && !r.is_empty()) {
        req.body = format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
            crate::s3::escape_xml(r)
        )
        .into_bytes();
    }
    req
}

/// The S3 request a step sends, with `${bucket}` substituted.
pub fn step_request(step: &CaseStep, bucket: &str) -> S3Request {
    let s = |v: &str| compare::subst(v, bucket);
    let headers = |h: &crate::case::OrderedMap<String>| -> Vec<(String, String)> {
        h.iter().map(|(n, v)| (n.to_string(), s(v))).collect()
    };
    let api = |method: &str, spec: &ApiCallSpec| {
        let mut req = S3Request::new(
            method,
            Some(bucket),
            None,
            spec.auth.unwrap_or(Auth::Signed),
        );
        req.query.push(("cors".into(), None));
        req.headers = headers(&spec.headers);
        req.addressing = spec.addressing;
        req
    };
    match &step.action {
        Action::Request(r) => {
            let auth = r
                .auth
                .unwrap_or(if r.method.eq_ignore_ascii_case("OPTIONS") {
                    Auth::Anonymous
                } else {
                    Auth::Signed
                });
            let key = r.key.as_deref().filter(|k| !k.is_empty()).map(s);
            let mut req = S3Request::new(
                &r.method,
                (!r.service).then_some(bucket),
                if r.service { None } else { key.as_deref() },
                auth,
            );
            req.query = r
                .query
                .iter()
                .map(|(n, v)| (s(n), v.as_deref().map(s)))
                .collect();
            req.headers = headers(&r.headers);
            req.body = r.body.as_deref().map(s).unwrap_or_default().into_bytes();
            if let Some(n) = r.body_size {
                req.body = repeat_to(&req.body, n);
            }
            if let Some(f) = &r.form {
                req.form = Some(post_form(f, &s));
                if r.auth.is_none() {
                    // A browser's form POST carries no Authorization header.
                    req.auth = Auth::Anonymous;
                }
            }
            req.addressing = r.addressing;
            req
        }
        Action::PutBucketCors(PutBucketCorsSpec {
            rules,
            xml,
            checksum,
            auth,
            addressing,
            headers: extra,
        }) => {
            let body = match (rules, xml) {
                (_, Some(x)) => s(x),
                (Some(rules), None) => rules_xml(rules),
                (None, None) => String::new(),
            };
            let mut req = put_cors_request(bucket, body.into_bytes(), *checksum);
            req.auth = auth.unwrap_or(Auth::Signed);
            req.addressing = *addressing;
            req.headers.extend(headers(extra));
            req
        }
        Action::GetBucketCors(spec) => api("GET", spec),
        Action::DeleteBucketCors(spec) => api("DELETE", spec),
    }
}

/// `n` bytes of `pattern` (default `x`) repeated.
fn repeat_to(pattern: &[u8], n: usize) -> Vec<u8> {
    let pattern: &[u8] = if pattern.is_empty() { b"x" } else { pattern };
    pattern.iter().copied().cycle().take(n).collect()
}

/// The form of a step, `${bucket}` substituted (`${filename}` is S3's and stays).
fn post_form(
    f: &crate::case::model::FormSpec,
    s: &dyn Fn(&str) -> String,
) -> crate::s3::post_form::PostForm {
    use crate::s3::post_form::{PostFile, PostForm, PostPolicy};
    fn subst_json(v: &serde_json::Value, s: &dyn Fn(&str) -> String) -> serde_json::Value {
        match v {
            serde_json::Value::String(x) => serde_json::Value::String(s(x)),
            serde_json::Value::Array(a) => a.iter().map(|x| subst_json(x, s)).collect(),
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, x)| (k.clone(), subst_json(x, s)))
                .collect(),
            other => other.clone(),
        }
    }
    PostForm {
        fields: f
            .fields
            .iter()
            .map(|(n, v)| (n.to_string(), s(v)))
            .collect(),
        policy: f.policy.as_ref().map(|p| PostPolicy {
            expires_in: p.expires_in.unwrap_or(3600),
            conditions: p.conditions.iter().map(|c| subst_json(c, s)).collect(),
            sdk_conditions: p.sdk_conditions,
            bad_signature: p.bad_signature,
        }),
        file: f.file.as_ref().map(|file| {
            let body = s(&file.body).into_bytes();
            PostFile {
                filename: file.filename.clone(),
                content_type: file.content_type.clone(),
                data: match file.size {
                    Some(n) => repeat_to(&body, n),
                    None => body,
                },
            }
        }),
    }
}

/// Request bodies above this size are cut in results (multipart parts are 5 MiB).
const STORED_BODY_MAX: usize = 64 * 1024;

/// The request as results keep it: large bodies cut to their first bytes plus a note.
fn stored_request(wire: &crate::target::WireRequest) -> crate::target::WireRequest {
    let mut w = wire.clone();
    if w.body.len() > STORED_BODY_MAX {
        let total = w.body.len();
        w.body.truncate(1024);
        w.body
            .extend_from_slice(format!("… ({total} bytes in all; cut in results)").as_bytes());
    }
    w
}

/// Why set-up stopped.
enum SetupStop {
    Unsupported(String),
    Error(String),
}

fn describe(op: &str, resp: &S3Response) -> String {
    format!("{op} answered {}", cleanup::error_summary(resp))
}

async fn setup_call(target: &dyn Target, op: &str, req: &S3Request) -> Result<(), SetupStop> {
    let resp = cleanup::retry_setup(target, req, &RetryPolicy::default())
        .await
        .map_err(|e| SetupStop::Error(format!("set-up {op}: {e}")))?;
    if resp.status < 300 {
        return Ok(());
    }
    let code = cleanup::error_code(&resp);
    if resp.status == 501 || code.as_deref() == Some("NotImplemented") {
        return Err(SetupStop::Unsupported(format!(
            "set-up: {}",
            describe(op, &resp)
        )));
    }
    Err(SetupStop::Error(format!("set-up: {}", describe(op, &resp))))
}

/// CreateBucket (or the target's create command) and the bucket ACL: the part of set-up
/// only a fresh bucket gets.
async fn create(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    bucket: &str,
) -> Result<(), SetupStop> {
    let b = &case.bucket;
    match BucketCommands::for_target(&target.info().name, &process_env) {
        Some(BucketCommands {
            create: Some(cmd), ..
        }) => run_bucket_command("create-bucket command", &cmd, bucket)
            .await
            .map_err(SetupStop::Error)?,
        _ => {
            setup_call(
                target,
                "CreateBucket",
                &create_bucket_request(bucket, region),
            )
            .await?
        }
    }
    if let Some(acl) = b.acl {
        let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
        req.query.push(("acl".into(), None));
        req.headers
            .push(("x-amz-acl".into(), acl.header_value().to_string()));
        // No body: say so, as the AWS SDKs do (Ceph RGW answers 411 MissingContentLength
        // to a bodiless PUT without it).
        req.headers.push(("Content-Length".into(), "0".into()));
        setup_call(target, "PutBucketAcl", &req).await?;
    }
    Ok(())
}

/// Brings a bucket holding `have` to `want`: the configuration (replaced when it differs or
/// is unknown; deleted when `want` has none), then stale objects removed, then the wanted
/// objects put in the case's order (skipping ones already there exactly as wanted).
async fn fill(
    target: &dyn Target,
    bucket: &str,
    have: &BucketState,
    want: &BucketState,
) -> Result<(), SetupStop> {
    if have.cors_differs(want) {
        match &want.cors {
            Some(body) => {
                let req = put_cors_request(bucket, body.clone(), Checksum::Md5);
                setup_call(target, "PutBucketCors", &req).await?;
            }
            None => {
                let mut req = S3Request::new("DELETE", Some(bucket), None, Auth::Signed);
                req.query.push(("cors".into(), None));
                setup_call(target, "DeleteBucketCors", &req).await?;
            }
        }
    }
    for old in &have.objects {
        if !want.objects.iter().any(|w| w.key == old.key) {
            let req = S3Request::new("DELETE", Some(bucket), Some(&old.key), Auth::Signed);
            setup_call(target, &format!("DeleteObject {}", old.key), &req).await?;
        }
    }
    for obj in &want.objects {
        if have.objects.contains(obj) {
            continue;
        }
        let mut req = S3Request::new("PUT", Some(bucket), Some(&obj.key), Auth::Signed);
        req.body = obj.body.clone();
        if let Some(ct) = &obj.content_type {
            req.headers.push(("Content-Type".into(), ct.clone()));
        }
        if let Some(acl) = obj.acl {
            req.headers
                .push(("x-amz-acl".into(), acl.header_value().to_string()));
        }
        setup_call(target, &format!("PutObject {}", obj.key), &req).await?;
    }
    Ok(())
}

/// The whole set-up in a fresh bucket.
async fn setup(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    bucket: &str,
) -> Result<(), SetupStop> {
    if !case.bucket.exists {
        return Ok(());
    }
    create(target, region, case, bucket).await?;
    fill(
        target,
        bucket,
        &BucketState::default(),
        &BucketState::wanted(case, bucket),
    )
    .await
}

/// Per-target shell commands that replace S3 CreateBucket / DeleteBucket for the case buckets
/// (not the capability probe's scratch bucket), for stores whose S3-made buckets behave
/// differently from "real" ones: Garage applies bucket CORS to preflights only for buckets
/// made with its own CLI (`scripts/peers/garage/NOTES.md`).
///
/// Set by the environment, per target name (upper-cased, `-` → `_`):
/// `S3CORS_<NAME>_CREATE_BUCKET_CMD` and `S3CORS_<NAME>_DELETE_BUCKET_CMD`, e.g.
/// `S3CORS_GARAGE_CREATE_BUCKET_CMD='scripts/peers/garage/bucket.sh 3900 {bucket}'`.
/// `{bucket}` is replaced by the bucket name (always `[a-z0-9-]`, so safe in a shell word);
/// the command runs with `sh -c`, must exit 0, and gets [`BUCKET_COMMAND_TIMEOUT`]. Before the
/// delete command the runner empties the bucket through S3; without a delete command the
/// bucket is removed with S3 DeleteBucket as usual.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketCommands {
    pub create: Option<String>,
    pub delete: Option<String>,
}

/// How long a bucket command may run before it is killed and the case ends as an error.
pub const BUCKET_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl BucketCommands {
    /// The environment variable prefix for a target name: `S3CORS_<NAME>_`.
    pub fn env_prefix(target: &str) -> String {
        let name: String = target
            .chars()
            .map(|c| match c {
                '-' => '_',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        format!("S3CORS_{name}_")
    }

    /// The commands configured for `target` in `env`, if any.
    pub fn for_target(target: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        let prefix = Self::env_prefix(target);
        let cmds = BucketCommands {
            create: env(&format!("{prefix}CREATE_BUCKET_CMD")),
            delete: env(&format!("{prefix}DELETE_BUCKET_CMD")),
        };
        (cmds != BucketCommands::default()).then_some(cmds)
    }
}

/// Runs one bucket command (`sh -c`, `{bucket}` substituted); `Err` carries the exit status
/// and the tail of stderr.
pub async fn run_bucket_command(what: &str, cmd: &str, bucket: &str) -> Result<(), String> {
    let line = cmd.replace("{bucket}", bucket);
    let shown = line.clone();
    let what = what.to_string();
    let joined = tokio::task::spawn_blocking(move || {
        use std::process::{Command, Stdio};
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&line)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start: {e}"))?;
        let deadline = std::time::Instant::now() + BUCKET_COMMAND_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if std::time::Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("timed out after {BUCKET_COMMAND_TIMEOUT:?}"));
                }
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(e) => return Err(format!("cannot wait: {e}")),
            }
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("cannot wait: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!("{} ({})", out.status, tail.join(" / ")))
    })
    .await
    .map_err(|e| format!("{what} `{shown}`: {e}"))?;
    joined.map_err(|e| format!("{what} `{shown}` failed: {e}"))
}

/// Empties the bucket through S3, then removes it with the delete command.
async fn delete_with_command(target: &dyn Target, cmd: &str, bucket: &str) -> Option<String> {
    let policy = RetryPolicy::default();
    match cleanup::list_keys(target, bucket).await {
        Ok(keys) => {
            for key in keys {
                let req = S3Request::new("DELETE", Some(bucket), Some(&key), Auth::Signed);
                if let Err(e) = cleanup::retry_setup(target, &req, &policy).await {
                    return Some(format!("teardown of bucket {bucket} failed: {e}"));
                }
            }
        }
        Err(e) => return Some(format!("teardown of bucket {bucket} failed: {e}")),
    }
    run_bucket_command("delete-bucket command", cmd, bucket)
        .await
        .err()
        .map(|e| format!("teardown of bucket {bucket} failed: {e}"))
}

/// Runs a case's set-up and steps in a fresh `bucket`, then tears the bucket down.
pub async fn run_case(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    bucket: &str,
) -> CaseRun {
    let mut steps = Vec::new();
    let decision = match setup(target, region, case, bucket).await {
        Err(stop) => stop.into(),
        Ok(()) => run_steps(target, case, bucket, &mut steps).await,
    };
    let teardown = teardown(target, case, bucket).await;
    CaseRun {
        decision,
        steps,
        teardown,
    }
}

impl From<SetupStop> for Decision {
    fn from(stop: SetupStop) -> Decision {
        match stop {
            SetupStop::Unsupported(r) => Decision::Unsupported(r),
            SetupStop::Error(r) => Decision::Errored {
                reason: r,
                step: None,
            },
        }
    }
}

async fn teardown(target: &dyn Target, case: &Case, bucket: &str) -> Option<String> {
    match BucketCommands::for_target(&target.info().name, &process_env) {
        Some(BucketCommands {
            delete: Some(cmd), ..
        }) if case.bucket.exists => delete_with_command(target, &cmd, bucket).await,
        _ => {
            // The objects set-up put are known: removing them first spares the DeleteBucket
            // that would fail with BucketNotEmpty and the ListObjects that would find them.
            // Whatever the steps added (or a failed delete here) is still found by
            // `delete_bucket_fully`, which lists only when DeleteBucket says BucketNotEmpty.
            if case.bucket.exists {
                let policy = RetryPolicy::default();
                let mut keys: Vec<String> = BucketState::wanted(case, bucket)
                    .objects
                    .into_iter()
                    .map(|o| o.key)
                    .collect();
                // Keys the steps PUT to (a key that was never written costs one 204).
                for step in &case.steps {
                    if let Action::Request(r) = &step.action
                        && r.method == "PUT"
                        && r.query.iter().next().is_none()
                        && let Some(key) = &r.key
                    {
                        let key = compare::subst(key, bucket);
                        if !keys.contains(&key) {
                            keys.push(key);
                        }
                    }
                }
                for key in keys {
                    let req = S3Request::new("DELETE", Some(bucket), Some(&key), Auth::Signed);
                    let _ = cleanup::retry_setup(target, &req, &policy).await;
                }
            }
            match cleanup::delete_bucket_fully(target, bucket).await {
                Ok(_) => None,
                Err(e) => Some(format!("teardown of bucket {bucket} failed: {e}")),
            }
        }
    }
}

/// Runs a case with bucket reuse ([`super::pool`] has the rule): in a pooled bucket reset to
/// the case's starting state when the rule allows and one is free, else in a fresh bucket
/// named by `fresh_name`. Afterwards the bucket goes back to the pool when its contents are
/// still known, and is removed otherwise.
pub async fn run_case_pooled(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    pool: &BucketPool,
    fresh_name: impl FnOnce() -> String,
) -> CaseRun {
    let commands = BucketCommands::for_target(&target.info().name, &process_env).is_some();
    let reuse = pool.enabled() && !commands;
    let pooled = if reuse { pool.take(case) } else { None };
    let mut steps = Vec::new();
    let mut reset = None;
    if let Some(b) = pooled {
        let want = BucketState::wanted(case, &b.name);
        match fill(target, &b.name, &b.state, &want).await {
            Ok(()) => {
                let state = BucketState {
                    ever_configured: b.state.ever_configured || want.ever_configured,
                    ..want
                };
                reset = Some((b.name, state));
            }
            // A reset that fails is never the case's outcome: the bucket (in an unknown
            // state now) is removed and the case runs in a fresh one, as without reuse.
            Err(_) => {
                let _ = teardown(target, case, &b.name).await;
            }
        }
    }
    pool.count(reset.is_some());
    let (bucket, set_up) = match reset {
        Some((name, state)) => (name, Ok(state)),
        None => {
            let name = fresh_name();
            let done = setup(target, region, case, &name).await;
            let state = BucketState::wanted(case, &name);
            (name, done.map(|()| state))
        }
    };
    let (decision, state) = match set_up {
        Err(stop) => (stop.into(), None),
        Ok(state) => (
            run_steps(target, case, &bucket, &mut steps).await,
            Some(state),
        ),
    };
    let keep = reuse
        && pool::may_reuse(case)
        && pool::objects_untouched(case)
        && !matches!(decision, Decision::Errored { .. });
    let teardown = match state {
        Some(state) if keep => {
            pool.put_back(PooledBucket {
                name: bucket,
                state: pool::after(case, state),
            });
            None
        }
        // Never created, and no step could have created it.
        _ if reuse && !case.bucket.exists && pool::all_read_only(case) => None,
        _ => teardown(target, case, &bucket).await,
    };
    CaseRun {
        decision,
        steps,
        teardown,
    }
}

/// The step being run, for the one way a step ends a case as an error.
struct StepAt<'a> {
    case: &'a Case,
    /// 0-based.
    index: usize,
    step: &'a CaseStep,
    label: &'a str,
}

impl StepAt<'_> {
    /// `Errored` with `step N (label) at file:line: what`.
    fn errored(&self, what: impl std::fmt::Display) -> Decision {
        self.decision(format!(
            "step {} ({}) at {}:{}: {what}",
            self.index + 1,
            self.label,
            self.case.file,
            self.step.line
        ))
    }

    /// `Errored` with `step N (label): what`, for a request that got no answer at all.
    fn errored_unlocated(&self, what: impl std::fmt::Display) -> Decision {
        self.decision(format!("step {} ({}): {what}", self.index + 1, self.label))
    }

    fn decision(&self, reason: String) -> Decision {
        Decision::Errored {
            reason,
            step: Some((self.index, self.step.line)),
        }
    }
}

async fn run_steps(
    target: &dyn Target,
    case: &Case,
    bucket: &str,
    out: &mut Vec<StepResult>,
) -> Decision {
    let mut vars = super::capture::Vars::default();
    for (i, step) in case.steps.iter().enumerate() {
        let step = &super::capture::apply(step, &vars);
        let label = step.label();
        let at = StepAt {
            case,
            index: i,
            step,
            label: &label,
        };
        let req = step_request(step, bucket);
        // Signed once: the request sent is the one kept (redacted) in the results.
        let exchanged = match target.exchange(&req).await {
            Ok(x) => x,
            Err(e) => return at.errored_unlocated(e),
        };
        let wire = stored_request(&redact(&exchanged.wire));
        let mut result = StepResult {
            label: label.clone(),
            line: step.line,
            request: wire,
            ..StepResult::default()
        };
        let resp = match exchanged.response {
            Ok(r) => r,
            Err(e) => {
                // The curl replay is rendered only where a reader needs it: failing steps.
                result.curl = render::curl(&result.request);
                out.push(result);
                return at.errored(e);
            }
        };
        if is_slow_down(&resp) && step.expect.status != 503 {
            result.response = Some(resp);
            out.push(result);
            return at.errored(
                "the target answered 503 SlowDown (it throttled the request). That says nothing about CORS, so it is a harness error, not a difference; a judged request is never retried",
            );
        }
        let rendered = compare::render(&step.expect, &resp, bucket);
        result.expected = Some(ExpectedResponse {
            status: step.expect.status,
            headers: step
                .expect
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), compare::subst(v, bucket)))
                .collect(),
        });
        (result.browser, result.expected_browser) = super::browser::step_verdicts(
            step,
            &req.method,
            &result.request.headers,
            &resp,
            bucket,
        );
        let captured = vars.collect(&step.capture, &resp);
        result.response = Some(resp);
        result.passed = rendered.matches();
        if let (true, Err(e)) = (rendered.matches(), captured) {
            out.push(result);
            return at.errored(e);
        }
        if !rendered.matches() {
            let diff = render::diff(&rendered.expected, &rendered.actual);
            let curl = render::curl(&result.request);
            result.diff = Some(diff.clone());
            result.curl = curl.clone();
            let request = result.request.clone();
            out.push(result);
            return Decision::Failed(Box::new(StepFailure {
                step: i,
                line: step.line,
                label,
                request,
                diff,
                curl,
            }));
        }
        out.push(result);
    }
    Decision::Passed
}

/// One step's answer as `s3cors record` sees it.
#[derive(Debug, Clone)]
pub struct ObservedStep {
    pub response: S3Response,
    /// The values captured by earlier steps (what this step's expectation may name as
    /// `${name}`).
    pub vars: Vec<(String, String)>,
}

/// What running a case without judging it produced: the answers of the steps that ran.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The bucket the case ran in (recorded values name it `${bucket}`).
    pub bucket: String,
    pub steps: Vec<ObservedStep>,
    /// Why the case stopped before its last step (set-up failed, a transport error, a
    /// missing capture, throttling), naming the step.
    pub stopped: Option<String>,
    /// Whether the stop was a `503 SlowDown` (a fresh re-run may cure it).
    pub throttled: bool,
    /// Teardown problem, if any.
    pub teardown: Option<String>,
}

/// Runs a case's set-up and *every* step in a fresh `bucket` without judging any answer
/// (for `s3cors record`), then tears the bucket down. Captures are applied as in a run;
/// a judged step is never retried.
pub async fn observe_case(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    bucket: &str,
) -> Observation {
    let mut obs = Observation {
        bucket: bucket.to_string(),
        ..Observation::default()
    };
    match setup(target, region, case, bucket).await {
        Err(SetupStop::Unsupported(r)) => obs.stopped = Some(format!("unsupported: {r}")),
        Err(SetupStop::Error(r)) => obs.stopped = Some(format!("set-up: {r}")),
        Ok(()) => {
            let mut vars = super::capture::Vars::default();
            for (i, step) in case.steps.iter().enumerate() {
                let applied = super::capture::apply(step, &vars);
                let req = step_request(&applied, bucket);
                let at = format!(
                    "step {} ({}) at {}:{}",
                    i + 1,
                    step.label(),
                    case.file,
                    step.line
                );
                let resp = match target.send(&req).await {
                    Ok(r) => r,
                    Err(e) => {
                        obs.stopped = Some(format!("{at}: {e}"));
                        break;
                    }
                };
                if is_slow_down(&resp) && !(step.recorded && step.expect.status == 503) {
                    obs.stopped = Some(format!("{at}: the target answered 503 SlowDown"));
                    obs.throttled = true;
                    break;
                }
                let before = vars.pairs().to_vec();
                let captured = vars.collect(&step.capture, &resp);
                obs.steps.push(ObservedStep {
                    response: resp,
                    vars: before,
                });
                if let Err(e) = captured {
                    obs.stopped = Some(format!("{at}: {e}"));
                    break;
                }
            }
        }
    }
    obs.teardown = teardown(target, case, bucket).await;
    obs
}

impl StepFailure {
    /// The trial's failure message (plain or coloured).
    pub fn message(&self, file: &str, colour: bool) -> String {
        Failure {
            file,
            line: self.line,
            step: self.step + 1,
            label: &self.label,
            request: &self.request,
            diff: &self.diff,
            curl: &self.curl,
        }
        .render(colour)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_render_as_cors_configuration() {
        let r = CorsRule {
            allowed_origins: vec!["http://a&b".into()],
            allowed_methods: vec!["GET".into()],
            max_age_seconds: Some(5),
            ..CorsRule::default()
        };
        assert_eq!(
            rules_xml(&[r]),
            "<CORSConfiguration><CORSRule><AllowedOrigin>http://a&amp;b</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule></CORSConfiguration>"
        );
    }

    #[test]
    fn bucket_commands_come_from_the_target_env() {
        assert_eq!(BucketCommands::env_prefix("my-garage"), "S3CORS_MY_GARAGE_");
        let env = |k: &str| {
            (k == "S3CORS_MY_GARAGE_CREATE_BUCKET_CMD").then(|| "mk {bucket}".to_string())
        };
        let c = BucketCommands::for_target("my-garage", &env).unwrap();
        assert_eq!(c.create.as_deref(), Some("mk {bucket}"));
        assert_eq!(c.delete, None);
        assert_eq!(BucketCommands::for_target("other", &env), None);
    }

    #[test]
    fn bucket_command_failures_say_why() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(
            rt.block_on(run_bucket_command("create", "test {bucket} = b1", "b1")),
            Ok(())
        );
        let e = rt
            .block_on(run_bucket_command(
                "create",
                "echo no {bucket} >&2; exit 3",
                "b2",
            ))
            .unwrap_err();
        assert!(e.contains("`echo no b2 >&2; exit 3` failed"), "{e}");
        assert!(e.contains("no b2"), "{e}");
    }

    #[test]
    fn put_cors_carries_content_md5() {
        let r = put_cors_request("b", b"abc".to_vec(), Checksum::Md5);
        assert_eq!(
            r.headers[0],
            (
                "Content-MD5".to_string(),
                "kAFQmDzST7DWlj99KOF/cg==".to_string()
            )
        );
    }
}
