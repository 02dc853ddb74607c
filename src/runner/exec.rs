//! Running one case against one target: set-up, steps, teardown.
//!
//! Set-up calls are retried on connection errors and 5xx (a flaky target should not turn
//! into a conformance failure), the steps being judged never are, and teardown always runs,
//! whatever happened before, because a leftover bucket is the one failure that outlives the
//! run.

use super::compare;
use super::render::{self, Failure};
use super::{Decision, StepFailure};
use crate::case::model::{ApiCallSpec, Checksum, ObjectSpec, PutBucketCorsSpec};
use crate::case::{Action, Case, CaseStep};
use crate::cors::CorsRule;
use crate::results::StepResult;
use crate::target::cleanup::{self, RetryPolicy};
use crate::target::client::redact;
use crate::target::{Auth, S3Request, S3Response, Target};
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

/// Why set-up stopped.
enum SetupStop {
    Unsupported(String),
    Error(String),
}

fn describe(op: &str, resp: &S3Response) -> String {
    match cleanup::error_code(resp) {
        Some(code) => format!("{op} answered {} {code}", resp.status),
        None => format!("{op} answered {}", resp.status),
    }
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

async fn setup(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    bucket: &str,
) -> Result<(), SetupStop> {
    let b = &case.bucket;
    if !b.exists {
        return Ok(());
    }
    setup_call(
        target,
        "CreateBucket",
        &create_bucket_request(bucket, region),
    )
    .await?;
    if let Some(acl) = b.acl {
        let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
        req.query.push(("acl".into(), None));
        req.headers
            .push(("x-amz-acl".into(), acl.header_value().to_string()));
        setup_call(target, "PutBucketAcl", &req).await?;
    }
    let cors_body = match (&b.cors, &b.cors_xml) {
        (_, Some(x)) => Some(compare::subst(x, bucket)),
        (Some(rules), None) => Some(rules_xml(rules)),
        (None, None) => None,
    };
    if let Some(body) = cors_body {
        let req = put_cors_request(bucket, body.into_bytes(), Checksum::Md5);
        setup_call(target, "PutBucketCors", &req).await?;
    }
    for (key, obj) in b.objects.iter() {
        let key = compare::subst(key, bucket);
        let mut req = S3Request::new("PUT", Some(bucket), Some(&key), Auth::Signed);
        let (body, content_type, acl) = match obj {
            ObjectSpec::Body(text) => (text.clone(), None, None),
            ObjectSpec::Full(f) => (f.body.clone(), f.content_type.clone(), f.acl),
        };
        req.body = compare::subst(&body, bucket).into_bytes();
        if let Some(ct) = content_type {
            req.headers.push(("Content-Type".into(), ct));
        }
        if let Some(acl) = acl {
            req.headers
                .push(("x-amz-acl".into(), acl.header_value().to_string()));
        }
        setup_call(target, &format!("PutObject {key}"), &req).await?;
    }
    Ok(())
}

/// Runs a case's set-up and steps in `bucket`, then tears the bucket down.
pub async fn run_case(
    target: &dyn Target,
    region: Option<&str>,
    case: &Case,
    bucket: &str,
) -> CaseRun {
    let mut steps = Vec::new();
    let decision = match setup(target, region, case, bucket).await {
        Err(SetupStop::Unsupported(r)) => Decision::Unsupported(r),
        Err(SetupStop::Error(r)) => Decision::Errored {
            reason: r,
            step: None,
        },
        Ok(()) => run_steps(target, case, bucket, &mut steps).await,
    };
    let teardown = match cleanup::delete_bucket_fully(target, bucket).await {
        Ok(_) => None,
        Err(e) => Some(format!("teardown of bucket {bucket} failed: {e}")),
    };
    CaseRun {
        decision,
        steps,
        teardown,
    }
}

async fn run_steps(
    target: &dyn Target,
    case: &Case,
    bucket: &str,
    out: &mut Vec<StepResult>,
) -> Decision {
    for (i, step) in case.steps.iter().enumerate() {
        let label = step.label();
        let req = step_request(step, bucket);
        let wire = match target.wire(&req) {
            Ok(w) => redact(&w),
            Err(e) => {
                return Decision::Errored {
                    reason: format!("step {} ({label}): {e}", i + 1),
                    step: Some((i, step.line)),
                };
            }
        };
        let curl = render::curl(&wire);
        let mut result = StepResult {
            label: label.clone(),
            line: step.line,
            request: wire.clone(),
            curl: curl.clone(),
            ..StepResult::default()
        };
        let resp = match target.send(&req).await {
            Ok(r) => r,
            Err(e) => {
                out.push(result);
                return Decision::Errored {
                    reason: format!(
                        "step {} ({label}) at {}:{}: {e}",
                        i + 1,
                        case.file,
                        step.line
                    ),
                    step: Some((i, step.line)),
                };
            }
        };
        let rendered = compare::render(&step.expect, &resp, bucket);
        result.response = Some(resp);
        result.passed = rendered.matches();
        if !rendered.matches() {
            let diff = render::diff(&rendered.expected, &rendered.actual);
            result.diff = Some(diff.clone());
            out.push(result);
            return Decision::Failed(Box::new(StepFailure {
                step: i,
                line: step.line,
                label,
                request: wire,
                diff,
                curl,
            }));
        }
        out.push(result);
    }
    Decision::Passed
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
