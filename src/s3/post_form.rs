//! Browser form uploads on the client side: the `multipart/form-data` body of a POST
//! Object, with a presigned POST policy signed as the AWS SDKs' `createPresignedPost` and
//! boto3's `generate_presigned_post` sign it (SigV4 over the base64 policy).
//!
//! The policy needs the target's credentials and the time of sending, so the runner hands
//! the form over as data ([`PostForm`]) and the HTTP target renders it when it builds
//! the wire request. It lives in the wire layer because [`super::S3Request`] carries it. Secrets in a rendered form (`x-amz-credential`'s key id, the policy,
//! the signature, a session token) are replaced by [`redact_form`] before anything is shown
//! or stored.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::{Duration, SystemTime};

/// What secrets are replaced by (the same placeholder as the target's redaction).
pub const REDACTED: &str = "REDACTED";

/// The boundary of every form s3cors sends (Chromium-style).
pub const BOUNDARY: &str = "----s3corsFormBoundary7MA4YWxkTrZu0gW";

/// A form upload to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PostForm {
    /// Fields before the policy fields, in order.
    pub fields: Vec<(String, String)>,
    /// The policy to sign, if any.
    pub policy: Option<PostPolicy>,
    /// The file part (name, content type, bytes), last.
    pub file: Option<PostFile>,
}

/// A presigned POST policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostPolicy {
    /// Seconds from the time of sending; negative means already expired.
    pub expires_in: i64,
    /// Conditions as written by the case.
    pub conditions: Vec<serde_json::Value>,
    /// Add `{"bucket": …}` and the signature fields' conditions, as SDKs do.
    pub sdk_conditions: bool,
    /// Corrupt the signature.
    pub bad_signature: bool,
}

/// The file part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostFile {
    pub filename: String,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// What signing needs.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC-SHA256 accepts keys of any length; the error branch cannot happen.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn format_time(t: SystemTime, fmt: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from(t)
        .format(fmt)
        .unwrap_or_default()
}

/// The SigV4 signature of a base64 policy.
pub fn sign_policy(secret: &str, date: &str, region: &str, policy_b64: &str) -> String {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, b"s3");
    let k = hmac(&k, b"aws4_request");
    hex::encode(hmac(&k, policy_b64.as_bytes()))
}

/// The form's fields in wire order (policy fields included), for `bucket`, signed at `now`.
pub fn fields(
    form: &PostForm,
    bucket: &str,
    signer: Option<Signer<'_>>,
    now: SystemTime,
) -> Vec<(String, String)> {
    let mut out = form.fields.clone();
    let (Some(policy), Some(s)) = (&form.policy, signer) else {
        return out;
    };
    let amz_date = format_time(
        now,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    );
    let date = amz_date.get(..8).unwrap_or_default().to_string();
    let credential = format!("{}/{date}/{}/s3/aws4_request", s.access_key, s.region);
    let expires = if policy.expires_in >= 0 {
        now + Duration::from_secs(policy.expires_in.unsigned_abs())
    } else {
        now - Duration::from_secs(policy.expires_in.unsigned_abs())
    };
    let expiration = format_time(
        expires,
        time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ),
    );
    let mut conditions = policy.conditions.clone();
    let mut amz = vec![
        (
            "x-amz-algorithm".to_string(),
            "AWS4-HMAC-SHA256".to_string(),
        ),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz_date),
    ];
    if let Some(t) = s.session_token {
        amz.push(("x-amz-security-token".to_string(), t.to_string()));
    }
    if policy.sdk_conditions {
        conditions.push(serde_json::json!({ "bucket": bucket }));
        for (n, v) in &amz {
            conditions.push(serde_json::json!({ n.as_str(): v }));
        }
    }
    let doc = serde_json::json!({ "expiration": expiration, "conditions": conditions });
    let policy_b64 = base64::engine::general_purpose::STANDARD.encode(doc.to_string());
    let mut signature = sign_policy(s.secret_key, &date, s.region, &policy_b64);
    if policy.bad_signature {
        // Flip the last hex digit: well-formed, but wrong.
        let last = if signature.ends_with('0') { '1' } else { '0' };
        signature.pop();
        signature.push(last);
    }
    out.extend(amz);
    out.push(("policy".to_string(), policy_b64));
    out.push(("x-amz-signature".to_string(), signature));
    out
}

/// `(Content-Type, body)` of the form.
pub fn render(
    form: &PostForm,
    bucket: &str,
    signer: Option<Signer<'_>>,
    now: SystemTime,
) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (n, v) in fields(form, bucket, signer, now) {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{v}\r\n",
                n.replace('"', "%22")
            )
            .as_bytes(),
        );
    }
    if let Some(f) = &form.file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n",
                f.filename.replace('"', "%22")
            )
            .as_bytes(),
        );
        if let Some(ct) = &f.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&f.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// Replaces the secrets of a form rendered by [`render`]: the key id in `x-amz-credential`,
/// the whole `policy` (it quotes the credential), `x-amz-signature` and
/// `x-amz-security-token`. Bodies that are not such forms come back unchanged.
pub fn redact_form(body: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return body.to_vec();
    };
    if !text.starts_with(&format!("--{BOUNDARY}\r\n")) {
        return body.to_vec();
    }
    let mut out = String::with_capacity(text.len());
    let sep = format!("--{BOUNDARY}");
    for (i, part) in text.split(&sep).enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        let field = |name: &str| {
            part.starts_with(&format!(
                "\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            ))
        };
        let redacted =
            if field("x-amz-signature") || field("policy") || field("x-amz-security-token") {
                part.split_once("\r\n\r\n")
                    .map(|(head, _)| format!("{head}\r\n\r\n{}\r\n", REDACTED))
            } else if field("x-amz-credential") {
                part.split_once("\r\n\r\n").map(|(head, v)| {
                    let scope = v.split_once('/').map(|(_, s)| s).unwrap_or("\r\n");
                    format!("{head}\r\n\r\n{}/{scope}", REDACTED)
                })
            } else {
                None
            };
        out.push_str(redacted.as_deref().unwrap_or(part));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> PostForm {
        PostForm {
            fields: vec![("key".into(), "uploads/${filename}".into())],
            policy: Some(PostPolicy {
                expires_in: 3600,
                conditions: vec![serde_json::json!(["starts-with", "$key", "uploads/"])],
                sdk_conditions: true,
                bad_signature: false,
            }),
            file: Some(PostFile {
                filename: "a.txt".into(),
                content_type: Some("text/plain".into()),
                data: b"hello".to_vec(),
            }),
        }
    }

    const SIGNER: Signer<'static> = Signer {
        access_key: "AKIDEXAMPLE",
        secret_key: "secret",
        session_token: None,
        region: "us-east-1",
    };

    #[test]
    fn policy_fields_follow_the_sdk_and_sign_the_base64_policy() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let f = fields(&form(), "b", Some(SIGNER), now);
        let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "x-amz-algorithm",
                "x-amz-credential",
                "x-amz-date",
                "policy",
                "x-amz-signature"
            ]
        );
        assert_eq!(f[2].1, "AKIDEXAMPLE/20231114/us-east-1/s3/aws4_request");
        let policy = base64::engine::general_purpose::STANDARD
            .decode(&f[4].1)
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&policy).unwrap();
        assert_eq!(doc["expiration"], "2023-11-14T23:13:20.000Z");
        assert_eq!(doc["conditions"][1], serde_json::json!({"bucket": "b"}));
        assert_eq!(
            f[5].1,
            sign_policy("secret", "20231114", "us-east-1", &f[4].1)
        );
    }

    #[test]
    fn redaction_removes_every_secret() {
        let (_, body) = render(&form(), "b", Some(SIGNER), SystemTime::now());
        let text = String::from_utf8(redact_form(&body)).unwrap();
        assert!(!text.contains("AKIDEXAMPLE"), "{text}");
        assert!(text.contains("REDACTED/"), "{text}");
        assert!(text.contains("name=\"file\"; filename=\"a.txt\""), "{text}");
        assert!(text.ends_with(&format!("--{BOUNDARY}--\r\n")), "{text}");
        let sig = fields(&form(), "b", Some(SIGNER), SystemTime::now());
        assert!(!text.contains(&sig[5].1));
    }
}
