//! Capability probing: what a target can do, found out once before the cases run.
//!
//! A missing capability must end the cases that need it as *unsupported*, never as
//! failures: a store that does not implement PutBucketCors is not "wrong" about CORS, it
//! simply cannot be measured. The probe works on its own scratch bucket and removes it.
//! Every probe request is set-up, so each is retried on throttling and 5xx like the others
//! (a single 503 SlowDown must not mark a capability missing for the whole run).

use super::exec::{create_bucket_request, put_cors_request};
use crate::case::model::Checksum;
use crate::s3::{Addressing, Auth, Capabilities, S3Request, S3Response};
use crate::target::Target;
use crate::target::cleanup::{self, RetryPolicy};

fn answered(op: &str, resp: &S3Response) -> String {
    match cleanup::error_code(resp) {
        Some(code) => format!("{op} answered {} {code}", resp.status),
        None => format!("{op} answered {}", resp.status),
    }
}

/// Probes `target` using `bucket` (created and removed here). `Err` means the target could
/// not even create a bucket: every case against it is then an error with that reason.
pub async fn probe(
    target: &dyn Target,
    region: Option<&str>,
    bucket: &str,
) -> Result<Capabilities, String> {
    let policy = RetryPolicy::default();
    let created = cleanup::retry_setup(target, &create_bucket_request(bucket, region), &policy)
        .await
        .map_err(|e| format!("capability probe: CreateBucket: {e}"))?;
    if created.status >= 300 {
        return Err(format!(
            "capability probe: CreateBucket answered {}",
            cleanup::error_summary(&created)
        ));
    }
    let caps = probe_in(target, bucket, &policy).await;
    // Best effort: the probe bucket is also in the tracked registry for the final sweep.
    let _ = cleanup::delete_bucket_fully(target, bucket).await;
    Ok(caps)
}

async fn probe_in(target: &dyn Target, bucket: &str, policy: &RetryPolicy) -> Capabilities {
    let mut caps = Capabilities::default();

    let body = b"<CORSConfiguration><CORSRule><AllowedOrigin>http://probe.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>".to_vec();
    let req = put_cors_request(bucket, body, Checksum::Md5);
    caps.bucket_cors = match cleanup::retry_setup(target, &req, policy).await {
        Ok(r) if r.status < 300 => None,
        Ok(r) => Some(answered("PutBucketCors", &r)),
        Err(e) => Some(format!("PutBucketCors failed: {e}")),
    };

    let key = "s3cors-probe.txt";
    let mut put = S3Request::new("PUT", Some(bucket), Some(key), Auth::Signed);
    put.headers.push(("x-amz-acl".into(), "public-read".into()));
    put.body = b"probe".to_vec();
    caps.public_acl = match cleanup::retry_setup(target, &put, policy).await {
        Ok(r) if r.status < 300 => {
            let get = S3Request::new("GET", Some(bucket), Some(key), Auth::Anonymous);
            match cleanup::retry_setup(target, &get, policy).await {
                Ok(r) if r.status == 200 => None,
                Ok(r) => Some(format!(
                    "an object put with x-amz-acl: public-read is not readable anonymously ({})",
                    answered("GetObject", &r)
                )),
                Err(e) => Some(format!("anonymous GetObject failed: {e}")),
            }
        }
        Ok(r) => Some(answered("PutObject with x-amz-acl: public-read", &r)),
        Err(e) => Some(format!("PutObject with x-amz-acl failed: {e}")),
    };

    let mut get = S3Request::new("HEAD", Some(bucket), Some(key), Auth::Signed);
    get.addressing = Some(Addressing::Virtual);
    caps.virtual_hosted = match cleanup::retry_setup(target, &get, policy).await {
        Ok(r) if r.status == 200 => None,
        Ok(r) => Some(format!(
            "virtual-hosted HeadObject answered {} (the object exists path-style)",
            r.status
        )),
        Err(e) => Some(format!("virtual-hosted request failed: {e}")),
    };
    // If the public-read PutObject failed, the HEAD above 404s for the wrong reason; retry
    // with a private object so virtual-hosting is judged on its own.
    if caps.public_acl.is_some() && caps.virtual_hosted.is_some() {
        let mut put = S3Request::new("PUT", Some(bucket), Some(key), Auth::Signed);
        put.body = b"probe".to_vec();
        if let Ok(r) = cleanup::retry_setup(target, &put, policy).await
            && r.status < 300
        {
            caps.virtual_hosted = match cleanup::retry_setup(target, &get, policy).await {
                Ok(r) if r.status == 200 => None,
                Ok(r) => Some(format!("virtual-hosted HeadObject answered {}", r.status)),
                Err(e) => Some(format!("virtual-hosted request failed: {e}")),
            };
        }
    }
    caps
}
