//! POST Object: the browser form upload (`<form method=post enctype=multipart/form-data>`
//! to the bucket URL), authorised by a presigned POST policy signed with SigV4, as AWS does
//! it (addendum §U2 of `docs/spec/aws-s3-cors-uploads.md`).
//!
//! The form carries its own authentication (`policy`, `x-amz-algorithm`, `x-amz-credential`,
//! `x-amz-date`, `x-amz-signature`) instead of an `Authorization` header, so the service hands
//! such requests here before header authentication. Order of checks: bucket exists, the body
//! is a form with `key` and one `file`, then the signature over the base64 policy, the
//! policy's expiration, each condition in policy order (`eq`, `starts-with`, the object form
//! `{"field": "value"}`), fields the policy does not cover ("Extra input fields"), and last
//! `content-length-range` against the file's size. A form without a policy is anonymous and
//! needs a `public-read-write` bucket. Success: 204 (default), 200 or 201 with a
//! `PostResponse` document (`success_action_status`), or 303 to `success_action_redirect`
//! when that is an absolute http(s) URL (otherwise it is ignored). `${filename}` in the key
//! becomes the uploaded file's name. CORS headers are added by the service like on any
//! actual request (a form POST is never preflighted).

use super::Shared;
use super::acl::{self, Action, CannedAcl};
use super::auth;
use super::formdata::{self, FormError, FormPart};
use super::response::{Body, Reply};
use super::routing::{Route, Style};
use super::store::Object;
use super::xml::DECL;
use crate::s3::{S3Error, escape_xml};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method};
use md5::Digest;
use serde_json::Value;
use std::time::SystemTime;

/// Whether a request is a form upload: `POST` to a bucket URL with no subresource.
pub fn is_form_post(method: &Method, route: &Route) -> bool {
    method == Method::POST
        && route.bucket.is_some()
        && route.key.is_none()
        && route.subresource().is_none()
}

/// A form field: name as sent (matching is case-insensitive), value as text.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    value: String,
}

/// The parsed form: fields in order, and the file.
#[derive(Debug)]
struct Form {
    fields: Vec<Field>,
    file: FormPart,
}

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }
}

fn missing_field(name: &str) -> S3Error {
    S3Error::new(
        400,
        "InvalidArgument",
        format!(
            "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
        ),
    )
    .with_field("ArgumentName", name)
    .with_field("ArgumentValue", "")
}

fn policy_denied(why: &str) -> S3Error {
    S3Error::new(
        403,
        "AccessDenied",
        format!("Invalid according to Policy: {why}"),
    )
}

fn invalid_policy(why: &str) -> S3Error {
    S3Error::new(
        400,
        "InvalidPolicyDocument",
        format!("Invalid Policy: {why}"),
    )
}

fn parse_form(headers: &HeaderMap, body: &Bytes) -> Result<Form, S3Error> {
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let parts = formdata::parse(&ct, body).map_err(|e| match e {
        FormError::NotFormData => S3Error::new(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with_field(
            "Condition",
            "Bucket POST must be of the enclosure-type multipart/form-data",
        ),
        _ => S3Error::new(
            400,
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
        ),
    })?;
    let mut fields = Vec::new();
    let mut file = None;
    for p in parts {
        if p.name.eq_ignore_ascii_case("file") {
            file = Some(p);
        } else {
            fields.push(Field {
                name: p.name,
                value: String::from_utf8_lossy(&p.data).into_owned(),
            });
        }
    }
    if !fields.iter().any(|f| f.name.eq_ignore_ascii_case("key")) {
        return Err(missing_field("key"));
    }
    let file = file.ok_or_else(|| {
        S3Error::new(
            400,
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
        )
        .with_field("ArgumentName", "file")
        .with_field("ArgumentValue", "0")
    })?;
    Ok(Form { fields, file })
}

/// Fields a policy never has to mention (AWS's documentation).
fn exempt(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "x-amz-signature" | "file" | "policy") || n.starts_with("x-ignore-")
}

/// Checks the signature and the policy; `Ok(true)` when the form is authorised by a policy,
/// `Ok(false)` when it has none (anonymous).
fn authorise(shared: &Shared, bucket: &str, form: &Form) -> Result<bool, S3Error> {
    let Some(policy_b64) = form.get("policy") else {
        return Ok(false);
    };
    if form.get("AWSAccessKeyId").is_some() || form.get("signature").is_some() {
        return Err(S3Error::new(
            400,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        ));
    }
    let cfg = &shared.cfg;
    let algorithm = form
        .get("x-amz-algorithm")
        .ok_or_else(|| missing_field("x-amz-algorithm"))?;
    let credential = form
        .get("x-amz-credential")
        .ok_or_else(|| missing_field("x-amz-credential"))?;
    form.get("x-amz-date")
        .ok_or_else(|| missing_field("x-amz-date"))?;
    let signature = form
        .get("x-amz-signature")
        .ok_or_else(|| missing_field("x-amz-signature"))?;
    if algorithm != auth::ALGORITHM {
        return Err(
            S3Error::new(400, "InvalidArgument", "Only AWS4-HMAC-SHA256 is supported")
                .with_field("ArgumentName", "x-amz-algorithm")
                .with_field("ArgumentValue", algorithm),
        );
    }
    let scope: Vec<&str> = credential.split('/').collect();
    let [ak, date, region, service, terminal] = scope[..] else {
        return Err(S3Error::new(400, "InvalidArgument", "Invalid argument.")
            .with_field("ArgumentName", "x-amz-credential")
            .with_field("ArgumentValue", credential));
    };
    if ak != cfg.access_key {
        return Err(S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with_field("AWSAccessKeyId", ak));
    }
    let key = auth::signing_key(&cfg.secret_key, date, region, service);
    let expected = auth::sign(&key, policy_b64);
    if region != cfg.region
        || service != "s3"
        || terminal != "aws4_request"
        || expected != signature
    {
        return Err(S3Error::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with_field("AWSAccessKeyId", ak)
        .with_field("StringToSign", policy_b64)
        .with_field("SignatureProvided", signature));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(policy_b64.trim().as_bytes())
        .map_err(|_| invalid_policy("Invalid JSON."))?;
    let policy: Value =
        serde_json::from_slice(&raw).map_err(|_| invalid_policy("Invalid JSON."))?;
    check_policy(&policy, bucket, form, SystemTime::now())?;
    Ok(true)
}

/// Renders a condition as AWS quotes it in "Policy Condition failed: [...]".
fn quote_condition(op: &str, field: &str, value: &str) -> String {
    let j = |s: &str| Value::String(s.to_string()).to_string();
    format!("[{}, {}, {}]", j(op), j(field), j(value))
}

/// The expiration, each condition, extra fields and the content length, in that order.
pub(crate) fn check_policy_value(
    policy: &Value,
    bucket: &str,
    fields: &[(String, String)],
    file_size: usize,
    now: SystemTime,
) -> Result<(), S3Error> {
    let field = |name: &str| -> Option<&str> {
        if name.eq_ignore_ascii_case("bucket") {
            return Some(bucket);
        }
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let expiration = policy
        .get("expiration")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_policy("Policy missing expiration."))?;
    let expires =
        time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
            .map_err(|_| invalid_policy(&format!("Invalid 'expiration' value: '{expiration}'")))?;
    let now_t = time::OffsetDateTime::from(now);
    if expires < now_t {
        return Err(policy_denied("Policy expired."));
    }
    let conditions = policy
        .get("conditions")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid_policy("Policy missing conditions."))?;
    let mut covered: Vec<String> = Vec::new();
    let mut length_range: Option<(u64, u64)> = None;
    for c in conditions {
        match c {
            Value::Object(map) if map.len() == 1 => {
                let Some((name, v)) = map.iter().next() else {
                    continue;
                };
                let want = v.as_str().unwrap_or_default();
                covered.push(name.to_ascii_lowercase());
                if field(name) != Some(want) {
                    return Err(policy_denied(&format!(
                        "Policy Condition failed: {}",
                        quote_condition("eq", &format!("${name}"), want)
                    )));
                }
            }
            Value::Array(items) => {
                let op = items.first().and_then(Value::as_str).unwrap_or_default();
                match op.to_ascii_lowercase().as_str() {
                    "content-length-range" => {
                        let n = |i: usize| items.get(i).and_then(Value::as_u64);
                        let (Some(min), Some(max)) = (n(1), n(2)) else {
                            return Err(invalid_policy("Invalid content-length-range condition."));
                        };
                        length_range = Some((min, max));
                    }
                    "eq" | "starts-with" => {
                        let (Some(name), Some(want)) = (
                            items.get(1).and_then(Value::as_str),
                            items.get(2).and_then(Value::as_str),
                        ) else {
                            return Err(invalid_policy("Invalid condition."));
                        };
                        let bare = name.strip_prefix('$').unwrap_or(name);
                        covered.push(bare.to_ascii_lowercase());
                        let ok = match field(bare) {
                            None => false,
                            Some(v) if op.eq_ignore_ascii_case("eq") => v == want,
                            Some(v) => v.starts_with(want),
                        };
                        if !ok {
                            return Err(policy_denied(&format!(
                                "Policy Condition failed: {}",
                                quote_condition(&op.to_ascii_lowercase(), name, want)
                            )));
                        }
                    }
                    _ => {
                        return Err(invalid_policy(&format!(
                            "Invalid Condition: unknown operation '{op}'"
                        )));
                    }
                }
            }
            _ => return Err(invalid_policy("Invalid Condition.")),
        }
    }
    let extra: Vec<&str> = fields
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !exempt(n) && !covered.contains(&n.to_ascii_lowercase()))
        .collect();
    if !extra.is_empty() {
        return Err(policy_denied(&format!(
            "Extra input fields: {}",
            extra.join(", ")
        )));
    }
    if let Some((min, max)) = length_range {
        let size = file_size as u64;
        if size > max {
            return Err(S3Error::new(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
            )
            .with_field("ProposedSize", size.to_string())
            .with_field("MaxSizeAllowed", max.to_string()));
        }
        if size < min {
            return Err(S3Error::new(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
            )
            .with_field("ProposedSize", size.to_string())
            .with_field("MinSizeAllowed", min.to_string()));
        }
    }
    Ok(())
}

fn check_policy(policy: &Value, bucket: &str, form: &Form, now: SystemTime) -> Result<(), S3Error> {
    let fields: Vec<(String, String)> = form
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    check_policy_value(policy, bucket, &fields, form.file.data.len(), now)
}

/// An absolute http(s) URL S3 would redirect to, or `None` (S3 ignores the rest).
fn redirect_target(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let ok = (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
        && !host.is_empty()
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| value.to_string())
}

fn form_encode(s: &str) -> String {
    auth::uri_encode(s.as_bytes(), false)
}

/// Answers a form upload.
pub(crate) fn handle(
    shared: &Shared,
    headers: &HeaderMap,
    route: &Route,
    body: Bytes,
) -> Result<Reply, S3Error> {
    let Some(bucket) = route.bucket.as_deref() else {
        return Err(super::ops::no_such_bucket(""));
    };
    let bucket_acl = shared
        .store
        .lock()
        .get(bucket)
        .map(|b| b.acl)
        .ok_or_else(|| super::ops::no_such_bucket(bucket))?;
    let form = parse_form(headers, &body)?;
    let signed = authorise(shared, bucket, &form)?;
    let principal = if signed {
        acl::Principal::Owner
    } else {
        acl::Principal::Anonymous
    };
    if !acl::allows(principal, Action::WriteObject, bucket_acl, None) {
        return Err(acl::access_denied());
    }
    let filename = form.file.filename.clone().unwrap_or_default();
    let key = form
        .get("key")
        .unwrap_or_default()
        .replace("${filename}", &filename);
    if key.is_empty() {
        return Err(S3Error::new(
            400,
            "InvalidArgument",
            "User key must have a length greater than 0.",
        )
        .with_field("ArgumentName", "key")
        .with_field("ArgumentValue", ""));
    }
    if key.len() > super::routing::MAX_KEY_BYTES {
        return Err(S3Error::new(400, "KeyTooLongError", "Your key is too long")
            .with_field("MaxSizeAllowed", super::routing::MAX_KEY_BYTES.to_string())
            .with_field("Size", key.len().to_string()));
    }
    let object_acl = form
        .get("acl")
        .map(CannedAcl::parse)
        .transpose()?
        .unwrap_or_default();
    let mut stored = Vec::new();
    for f in &form.fields {
        let n = f.name.to_ascii_lowercase();
        if matches!(
            n.as_str(),
            "cache-control" | "content-disposition" | "content-encoding" | "expires"
        ) || n.starts_with("x-amz-meta-")
        {
            stored.push((n, f.value.clone()));
        }
    }
    let data = form.file.data.clone();
    let etag = format!("\"{}\"", hex::encode(md5::Md5::digest(&data)));
    let object = Object {
        data,
        etag: etag.clone(),
        content_type: form
            .get("Content-Type")
            .map(str::to_string)
            .unwrap_or_else(|| "binary/octet-stream".to_string()),
        last_modified: SystemTime::now(),
        acl: object_acl,
        headers: stored,
    };
    {
        let mut store = shared.store.lock();
        let b = store
            .get_mut(bucket)
            .ok_or_else(|| super::ops::no_such_bucket(bucket))?;
        b.objects.insert(key.clone(), object);
    }
    let host = headers
        .get(http::header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_else(|| "localhost".to_string());
    let encoded_key = auth::uri_encode(key.as_bytes(), true);
    let location = match route.style {
        Style::Path => format!("http://{host}/{bucket}/{encoded_key}"),
        Style::Virtual => format!("http://{host}/{encoded_key}"),
    };
    let redirect = form
        .get("success_action_redirect")
        .or_else(|| form.get("redirect"))
        .and_then(redirect_target);
    if let Some(url) = redirect {
        let sep = if url.contains('?') { '&' } else { '?' };
        let to = format!(
            "{url}{sep}bucket={}&key={}&etag={}",
            form_encode(bucket),
            form_encode(&key),
            form_encode(&etag)
        );
        return Ok(Reply::empty(303).header("location", to));
    }
    let status = match form.get("success_action_status") {
        Some("200") => 200,
        Some("201") => 201,
        _ => 204,
    };
    let reply = Reply::empty(status)
        .header("etag", &etag)
        .header("location", &location);
    if status == 201 {
        let doc = format!(
            "{DECL}<PostResponse><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></PostResponse>",
            escape_xml(&location),
            escape_xml(bucket),
            escape_xml(&key),
            escape_xml(&etag)
        );
        return Ok(reply
            .header("content-type", "application/xml")
            .with_body(Body::Chunked(Bytes::from(doc))));
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn policy(conditions: Value) -> Value {
        serde_json::json!({"expiration": "2099-01-01T00:00:00Z", "conditions": conditions})
    }

    #[test]
    fn conditions_are_checked_in_order_then_extra_fields_then_size() {
        let p = policy(serde_json::json!([
            {"bucket": "b"},
            ["starts-with", "$key", "uploads/"],
            ["content-length-range", 1, 10]
        ]));
        let now = SystemTime::now();
        assert!(check_policy_value(&p, "b", &fields(&[("key", "uploads/x")]), 5, now).is_ok());
        let e =
            check_policy_value(&p, "other", &fields(&[("key", "uploads/x")]), 5, now).unwrap_err();
        assert_eq!(
            e.message,
            r#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "b"]"#
        );
        let e = check_policy_value(&p, "b", &fields(&[("key", "x")]), 5, now).unwrap_err();
        assert_eq!(
            e.message,
            r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]"#
        );
        let e = check_policy_value(
            &p,
            "b",
            &fields(&[("key", "uploads/x"), ("x-amz-meta-a", "1")]),
            5,
            now,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid according to Policy: Extra input fields: x-amz-meta-a"
        );
        let e = check_policy_value(&p, "b", &fields(&[("key", "uploads/x")]), 11, now).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.field("MaxSizeAllowed")),
            ("EntityTooLarge", Some("10"))
        );
        let e = check_policy_value(&p, "b", &fields(&[("key", "uploads/x")]), 0, now).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.field("MinSizeAllowed")),
            ("EntityTooSmall", Some("1"))
        );
    }

    #[test]
    fn expired_and_broken_policies() {
        let p = serde_json::json!({"expiration": "2000-01-01T00:00:00Z", "conditions": []});
        let e = check_policy_value(&p, "b", &[], 1, SystemTime::now()).unwrap_err();
        assert_eq!(e.message, "Invalid according to Policy: Policy expired.");
        let p = serde_json::json!({"conditions": []});
        let e = check_policy_value(&p, "b", &[], 1, SystemTime::now()).unwrap_err();
        assert_eq!(e.code, "InvalidPolicyDocument");
        let p = policy(serde_json::json!([["nope", "$key", "x"]]));
        let later = SystemTime::now() + Duration::from_secs(1);
        assert!(check_policy_value(&p, "b", &[], 1, later).is_err());
    }

    #[test]
    fn only_absolute_http_urls_redirect() {
        assert!(redirect_target("https://example.com/done").is_some());
        assert!(redirect_target("http://localhost:8000/?a=1").is_some());
        assert!(redirect_target("/relative").is_none());
        assert!(redirect_target("ftp://x/").is_none());
        assert!(redirect_target("http:///nohost").is_none());
    }
}
