//! The S3 operations of the embedded server, each checked the way S3 checks it: the bucket
//! must exist (404 `NoSuchBucket`), then the caller must be allowed (403 `AccessDenied`, see
//! [`super::acl`]), then the operation's own validation.
//!
//! Implemented: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
//! ListObjects v1 and v2, DeleteObjects, PutObject, GetObject (single ranges, conditional
//! headers, `response-*` overrides), HeadObject, DeleteObject, Put/Get/DeleteBucketCors,
//! Put/GetBucketAcl and Put/GetObjectAcl (canned ACLs only), the multipart-upload calls
//! ([`super::multipart`]); `POST` form uploads are [`super::post_object`]'s. Every other
//! subresource, copies other than UploadPartCopy, grants, SSE-C, tagging and object lock get
//! S3's 501 `NotImplemented`. OPTIONS never reaches this module (see [`super::service`]).

use super::acl::{self, Action, CannedAcl, Principal};
use super::response::{Body, Reply};
use super::routing::Route;
use super::store::{Bucket, Object, Store};
use super::xml;
use crate::cors::CorsConfiguration;
use crate::s3::S3Error;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method};
use sha2::Digest;
use std::time::SystemTime;

/// Everything an operation may look at.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    /// The server's region.
    pub region: &'a str,
    pub principal: Principal,
    pub method: &'a Method,
    pub route: &'a Route,
    pub headers: &'a HeaderMap,
    /// Trailing headers of an `aws-chunked` body (flexible checksums).
    pub trailers: &'a [(String, String)],
    /// [`ServerConfig::max_upload_bytes`](super::ServerConfig::max_upload_bytes).
    pub max_upload_bytes: usize,
}

impl Ctx<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
    }

    pub(crate) fn is_owner(&self) -> bool {
        self.principal == Principal::Owner
    }
}

/// Headers that ask for functionality the server does not have.
const UNSUPPORTED_HEADERS: &[&str] = &[
    "x-amz-copy-source",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-tagging",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-bucket-object-lock-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-website-redirect-location",
];

/// S3's 501 for anything the server does not implement.
pub fn not_implemented() -> S3Error {
    S3Error::new(
        501,
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
    )
}

pub(crate) fn no_such_bucket(bucket: &str) -> S3Error {
    S3Error::new(404, "NoSuchBucket", "The specified bucket does not exist")
        .with_field("BucketName", bucket)
}

pub(crate) fn no_such_key(key: &str) -> S3Error {
    S3Error::new(404, "NoSuchKey", "The specified key does not exist.").with_field("Key", key)
}

pub(crate) fn method_not_allowed(method: &Method, resource: &str) -> S3Error {
    S3Error::new(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
    )
    .with_field("Method", method.as_str())
    .with_field("ResourceType", resource)
}

/// Runs the operation a request names.
pub fn dispatch(ctx: &Ctx<'_>, body: Bytes) -> Result<Reply, S3Error> {
    // UploadPartCopy is the one copy the server implements.
    let part_copy = ctx.route.has("uploadId") && ctx.route.has("partNumber");
    if let Some(h) = UNSUPPORTED_HEADERS
        .iter()
        .filter(|h| !(part_copy && **h == "x-amz-copy-source"))
        .find(|h| ctx.headers.contains_key(**h))
    {
        return Err(not_implemented().with_field("Header", *h));
    }
    let Some(bucket) = ctx.route.bucket.as_deref() else {
        return service(ctx);
    };
    let sub = ctx.route.subresource();
    match ctx.route.key.as_deref() {
        None => bucket_op(ctx, bucket, sub, body),
        Some(key) => object_op(ctx, bucket, key, sub, body),
    }
}

fn service(ctx: &Ctx<'_>) -> Result<Reply, S3Error> {
    if ctx.method != Method::GET {
        return Err(method_not_allowed(ctx.method, "SERVICE"));
    }
    if !ctx.is_owner() {
        return Err(acl::access_denied());
    }
    let buckets: Vec<(String, SystemTime)> = ctx
        .store
        .lock()
        .iter()
        .map(|(n, b)| (n.clone(), b.created))
        .collect();
    Ok(Reply::xml(200, xml::list_buckets(&buckets, ctx.region)))
}

fn bucket_op(
    ctx: &Ctx<'_>,
    bucket: &str,
    sub: Option<&str>,
    body: Bytes,
) -> Result<Reply, S3Error> {
    let m = ctx.method;
    if sub != Some("cors") {
        check_integrity(ctx, &body)?;
    }
    if let Some(r) = super::multipart::dispatch(ctx, bucket, None, &body) {
        return r;
    }
    match (m.as_str(), sub) {
        ("PUT", None) => create_bucket(ctx, bucket, &body),
        ("PUT", Some("cors")) => put_bucket_cors(ctx, bucket, &body),
        ("PUT", Some("acl")) => put_acl(ctx, bucket, None, &body),
        ("GET", None) => list_objects(ctx, bucket),
        ("GET", Some("cors")) => get_bucket_cors(ctx, bucket),
        ("GET", Some("acl")) => get_acl(ctx, bucket, None),
        ("GET", Some("location")) => with_bucket(ctx, bucket, Action::Admin, |_| {
            Ok(Reply::xml(200, xml::location(ctx.region)))
        }),
        ("HEAD", None) => with_bucket(ctx, bucket, Action::ListBucket, |_| {
            Ok(Reply::empty(200)
                .header("x-amz-bucket-region", ctx.region)
                .header("x-amz-access-point-alias", "false")
                .header("content-type", "application/xml"))
        }),
        ("DELETE", None) => delete_bucket(ctx, bucket),
        ("DELETE", Some("cors")) => delete_bucket_cors(ctx, bucket),
        ("POST", Some("delete")) => delete_objects(ctx, bucket, &body),
        ("GET" | "HEAD" | "PUT" | "POST" | "DELETE", _) => Err(not_implemented()),
        _ => Err(method_not_allowed(m, "BUCKET")),
    }
}

fn object_op(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    sub: Option<&str>,
    body: Bytes,
) -> Result<Reply, S3Error> {
    check_integrity(ctx, &body)?;
    if let Some(r) = super::multipart::dispatch(ctx, bucket, Some(key), &body) {
        return r;
    }
    match (ctx.method.as_str(), sub) {
        ("PUT", None) => put_object(ctx, bucket, key, body),
        // A form upload goes to the bucket URL; S3 refuses POST on an object (addendum U2.5).
        ("POST", None) => Err(method_not_allowed(ctx.method, "OBJECT")),
        ("PUT", Some("acl")) => put_acl(ctx, bucket, Some(key), &body),
        ("GET", None) => get_object(ctx, bucket, key, false),
        ("HEAD", None) => get_object(ctx, bucket, key, true),
        ("GET", Some("acl")) => get_acl(ctx, bucket, Some(key)),
        ("DELETE", None) => delete_object(ctx, bucket, key),
        ("GET" | "HEAD" | "PUT" | "POST" | "DELETE", _) => Err(not_implemented()),
        _ => Err(method_not_allowed(ctx.method, "OBJECT")),
    }
}

/// Runs `f` on an existing bucket the caller may act on.
pub(crate) fn with_bucket<T>(
    ctx: &Ctx<'_>,
    bucket: &str,
    action: Action,
    f: impl FnOnce(&mut Bucket) -> Result<T, S3Error>,
) -> Result<T, S3Error> {
    let mut store = ctx.store.lock();
    let b = store
        .get_mut(bucket)
        .ok_or_else(|| no_such_bucket(bucket))?;
    if !acl::allows(ctx.principal, action, b.acl, None) {
        return Err(acl::access_denied());
    }
    f(b)
}

/// Validates a bucket name as S3 does for CreateBucket.
pub fn validate_bucket_name(name: &str) -> Result<(), S3Error> {
    let invalid = || {
        S3Error::new(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        )
        .with_field("BucketName", name)
    };
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let ok = (3..=63).contains(&name.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.")
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| name.starts_with(p))
        && !["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| name.ends_with(s));
    if ok { Ok(()) } else { Err(invalid()) }
}

pub(crate) fn canned_acl(ctx: &Ctx<'_>) -> Result<Option<CannedAcl>, S3Error> {
    ctx.header("x-amz-acl")
        .map(|v| CannedAcl::parse(&v))
        .transpose()
}

fn create_bucket(ctx: &Ctx<'_>, bucket: &str, body: &[u8]) -> Result<Reply, S3Error> {
    if !ctx.is_owner() {
        return Err(acl::access_denied());
    }
    validate_bucket_name(bucket)?;
    let constraint = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        xml::texts_of(body, "CreateBucketConfiguration", "LocationConstraint")?
            .into_iter()
            .next()
    };
    match constraint.as_deref() {
        Some("") => {}
        Some(lc) if lc == ctx.region && lc == "us-east-1" => {
            return Err(S3Error::new(
                400,
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
            )
            .with_field("LocationConstraint", lc));
        }
        Some(lc) if lc != ctx.region => {
            return Err(S3Error::new(
                400,
                "IllegalLocationConstraintException",
                format!(
                    "The {lc} location constraint is incompatible for the region specific endpoint this request was sent to."
                ),
            ));
        }
        None if ctx.region != "us-east-1" => {
            return Err(S3Error::new(
                400,
                "IllegalLocationConstraintException",
                "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
            ));
        }
        _ => {}
    }
    let acl = canned_acl(ctx)?.unwrap_or_default();
    let mut store = ctx.store.lock();
    if store.contains_key(bucket) {
        return Err(S3Error::new(
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        )
        .with_field("BucketName", bucket));
    }
    store.insert(bucket.to_string(), Bucket::new(acl));
    Ok(Reply::empty(200).header("location", format!("/{bucket}")))
}

fn delete_bucket(ctx: &Ctx<'_>, bucket: &str) -> Result<Reply, S3Error> {
    let mut store = ctx.store.lock();
    let b = store.get(bucket).ok_or_else(|| no_such_bucket(bucket))?;
    if !ctx.is_owner() {
        return Err(acl::access_denied());
    }
    if !b.objects.is_empty() {
        return Err(S3Error::new(
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
        )
        .with_field("BucketName", bucket));
    }
    store.remove(bucket);
    Ok(Reply::empty(204))
}

fn put_bucket_cors(ctx: &Ctx<'_>, bucket: &str, body: &[u8]) -> Result<Reply, S3Error> {
    with_bucket(ctx, bucket, Action::Admin, |_| Ok(()))?;
    let md5 = ctx.header("content-md5");
    let flexible = has_flexible_checksum(ctx);
    if flexible {
        verify_flexible_checksums(ctx, body)?;
    }
    crate::cors::config::check_put_cors_integrity(md5.as_deref(), flexible, body)?;
    let config = CorsConfiguration::from_xml(body)?;
    with_bucket(ctx, bucket, Action::Admin, |b| {
        b.cors = Some(std::sync::Arc::new(config));
        Ok(Reply::empty(200))
    })
}

fn get_bucket_cors(ctx: &Ctx<'_>, bucket: &str) -> Result<Reply, S3Error> {
    let config = with_bucket(ctx, bucket, Action::Admin, |b| Ok(b.cors.clone()))?;
    match config {
        Some(c) => Ok(Reply::xml(200, c.to_xml())),
        None => Err(S3Error::new(
            404,
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
        )
        .with_field("BucketName", bucket)),
    }
}

fn delete_bucket_cors(ctx: &Ctx<'_>, bucket: &str) -> Result<Reply, S3Error> {
    with_bucket(ctx, bucket, Action::Admin, |b| {
        b.cors = None;
        Ok(Reply::empty(204))
    })
}

fn put_acl(ctx: &Ctx<'_>, bucket: &str, key: Option<&str>, body: &[u8]) -> Result<Reply, S3Error> {
    with_bucket(ctx, bucket, Action::Admin, |b| {
        if let Some(k) = key
            && !b.objects.contains_key(k)
        {
            return Err(no_such_key(k));
        }
        let Some(acl) = canned_acl(ctx)? else {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Err(S3Error::new(
                    400,
                    "MissingSecurityHeader",
                    "Your request was missing a required header",
                )
                .with_field("MissingHeaderName", "x-amz-acl"));
            }
            // Grant documents are not supported; only canned ACLs are.
            return Err(not_implemented());
        };
        match key {
            Some(k) => {
                if let Some(o) = b.objects.get_mut(k) {
                    o.acl = acl;
                }
            }
            None => b.acl = acl,
        }
        Ok(Reply::empty(200))
    })
}

fn get_acl(ctx: &Ctx<'_>, bucket: &str, key: Option<&str>) -> Result<Reply, S3Error> {
    with_bucket(ctx, bucket, Action::Admin, |b| {
        let acl = match key {
            Some(k) => b.objects.get(k).ok_or_else(|| no_such_key(k))?.acl,
            None => b.acl,
        };
        Ok(Reply::xml(200, xml::access_control_policy(acl)))
    })
}

fn list_objects(ctx: &Ctx<'_>, bucket: &str) -> Result<Reply, S3Error> {
    let r = ctx.route;
    let v2 = r.param("list-type") == Some("2");
    let invalid = |name: &str, value: &str, msg: &str| {
        S3Error::new(400, "InvalidArgument", msg)
            .with_field("ArgumentName", name)
            .with_field("ArgumentValue", value)
    };
    let max_keys = match r.param("max-keys") {
        None => 1000,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => (n as usize).min(1000),
            _ => {
                return Err(invalid(
                    "max-keys",
                    v,
                    "Provided max-keys not an integer or within integer range",
                ));
            }
        },
    };
    let url_encode = match r.param("encoding-type") {
        None => false,
        Some("url") => true,
        Some(v) => {
            return Err(invalid(
                "encoding-type",
                v,
                "Invalid Encoding Method specified in Request",
            ));
        }
    };
    let mut p = xml::ListParams {
        bucket: bucket.to_string(),
        prefix: r.param("prefix").unwrap_or("").to_string(),
        delimiter: r
            .param("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        max_keys,
        url_encode,
        ..Default::default()
    };
    let after = if v2 {
        p.start_after = r.param("start-after").map(str::to_string);
        p.fetch_owner = r.param("fetch-owner") == Some("true");
        p.continuation_token = r.param("continuation-token").map(str::to_string);
        match &p.continuation_token {
            Some(t) => Some(decode_token(t).ok_or_else(|| {
                invalid(
                    "continuation-token",
                    t,
                    "The continuation token provided is incorrect",
                )
            })?),
            None => p.start_after.clone(),
        }
    } else {
        p.marker = r.param("marker").map(str::to_string);
        p.marker.clone()
    };
    let listing = with_bucket(ctx, bucket, Action::ListBucket, |b| {
        Ok(compute_listing(
            b,
            &p.prefix,
            p.delimiter.as_deref(),
            after.as_deref(),
            max_keys,
        ))
    })?;
    let doc = if v2 {
        let token = listing
            .truncated
            .then(|| listing.last.as_deref().map(encode_token))
            .flatten();
        xml::list_objects_v2(&p, &listing, token.as_deref())
    } else {
        xml::list_objects_v1(&p, &listing)
    };
    Ok(Reply::xml(200, doc))
}

fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(last.as_bytes())
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// One page of a listing: keys after `after` under `prefix`, rolled up at `delimiter`.
pub fn compute_listing(
    b: &Bucket,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> xml::Listing {
    use std::ops::Bound;
    let mut l = xml::Listing::default();
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut count = 0usize;
    for (key, obj) in b.objects.range::<str, _>((lower, Bound::Unbounded)) {
        let Some(rest) = key.strip_prefix(prefix) else {
            if key.as_str() > prefix {
                break;
            }
            continue;
        };
        if let Some(d) = delimiter
            && let Some(idx) = rest.find(d)
        {
            let cp = &key[..prefix.len() + idx + d.len()];
            if l.common_prefixes.last().map(String::as_str) == Some(cp)
                || after.is_some_and(|a| cp <= a)
            {
                continue;
            }
            if count == max {
                l.truncated = true;
                break;
            }
            l.common_prefixes.push(cp.to_string());
            l.last = Some(cp.to_string());
            count += 1;
            continue;
        }
        if count == max {
            l.truncated = true;
            break;
        }
        l.entries.push(xml::Entry {
            key: key.clone(),
            last_modified: obj.last_modified,
            etag: obj.etag.clone(),
            size: obj.data.len(),
        });
        l.last = Some(key.clone());
        count += 1;
    }
    l
}

fn delete_objects(ctx: &Ctx<'_>, bucket: &str, body: &[u8]) -> Result<Reply, S3Error> {
    if ctx.header("content-md5").is_none() && !has_flexible_checksum(ctx) {
        return Err(S3Error::new(
            400,
            "InvalidRequest",
            "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
        ));
    }
    let keys = xml::texts_of(body, "Delete", "Key")?;
    let quiet = xml::texts_of(body, "Delete", "Quiet")?
        .first()
        .is_some_and(|q| q.trim() == "true");
    if keys.len() > 1000 {
        return Err(xml::malformed_xml());
    }
    with_bucket(ctx, bucket, Action::DeleteObject, |b| {
        for k in &keys {
            b.objects.remove(k);
        }
        Ok(Reply::xml(200, xml::delete_result(&keys, quiet)))
    })
}

/// Object headers that are stored on PUT and returned on GET/HEAD.
const STORED_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

fn put_object(ctx: &Ctx<'_>, bucket: &str, key: &str, body: Bytes) -> Result<Reply, S3Error> {
    let acl = canned_acl(ctx)?.unwrap_or_default();
    if has_flexible_checksum(ctx) {
        verify_flexible_checksums(ctx, &body)?;
    }
    let etag = format!("\"{}\"", hex::encode(md5::Md5::digest(&body)));
    let headers = stored_headers(ctx);
    let object = Object {
        data: body,
        etag: etag.clone(),
        content_type: ctx
            .header("content-type")
            .unwrap_or_else(|| "binary/octet-stream".to_string()),
        last_modified: SystemTime::now(),
        acl,
        headers,
    };
    with_bucket(ctx, bucket, Action::WriteObject, |b| {
        b.objects.insert(key.to_string(), object);
        Ok(Reply::empty(200)
            .header("etag", &etag)
            .header("x-amz-server-side-encryption", "AES256"))
    })
}

/// The request headers PutObject (and CreateMultipartUpload) store with the object.
pub(crate) fn stored_headers(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for (name, value) in ctx.headers {
        let n = name.as_str();
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if n == "content-encoding" {
            let rest: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty() && *e != "aws-chunked")
                .collect();
            if !rest.is_empty() {
                headers.push((n.to_string(), rest.join(",")));
            }
        } else if STORED_HEADERS.contains(&n) || n.starts_with("x-amz-meta-") {
            headers.push((n.to_string(), v));
        }
    }
    headers
}

fn delete_object(ctx: &Ctx<'_>, bucket: &str, key: &str) -> Result<Reply, S3Error> {
    with_bucket(ctx, bucket, Action::DeleteObject, |b| {
        b.objects.remove(key);
        Ok(Reply::empty(204))
    })
}

const RESPONSE_OVERRIDES: &[(&str, &str)] = &[
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
    ("response-content-language", "content-language"),
    ("response-content-type", "content-type"),
    ("response-expires", "expires"),
];

fn get_object(ctx: &Ctx<'_>, bucket: &str, key: &str, head: bool) -> Result<Reply, S3Error> {
    let object = {
        let store = ctx.store.lock();
        let b = store.get(bucket).ok_or_else(|| no_such_bucket(bucket))?;
        match b.objects.get(key) {
            Some(o) => {
                if !acl::allows(ctx.principal, Action::ReadObject, b.acl, Some(o.acl)) {
                    return Err(acl::access_denied());
                }
                o.clone()
            }
            // Without list permission S3 does not reveal whether the key exists.
            None if acl::allows(ctx.principal, Action::ListBucket, b.acl, None) => {
                return Err(no_such_key(key));
            }
            None => return Err(acl::access_denied()),
        }
    };
    let overrides: Vec<(&str, &str)> = RESPONSE_OVERRIDES
        .iter()
        .filter_map(|(q, h)| ctx.route.param(q).map(|v| (*h, v)))
        .collect();
    if !overrides.is_empty() && !ctx.is_owner() {
        return Err(S3Error::new(
            400,
            "InvalidRequest",
            "Request specific response headers cannot be used for anonymous GET requests.",
        ));
    }
    let last_modified = httpdate::fmt_http_date(object.last_modified);
    if let Some(status) = preconditions(ctx, &object)? {
        return Ok(Reply::empty(status)
            .header("last-modified", &last_modified)
            .header("etag", &object.etag)
            .header("x-amz-server-side-encryption", "AES256"));
    }
    let size = object.data.len();
    let range = if head {
        None
    } else {
        ctx.header("range")
            .and_then(|r| parse_range(&r, size).transpose())
            .transpose()
            .map_err(|()| {
                S3Error::new(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                )
                .with_field("RangeRequested", ctx.header("range").unwrap_or_default())
                .with_field("ActualObjectSize", size.to_string())
            })?
    };
    let mut reply = Reply::empty(if range.is_some() { 206 } else { 200 })
        .header("last-modified", &last_modified)
        .header("etag", &object.etag)
        .header("x-amz-server-side-encryption", "AES256");
    let overridden = |h: &str| overrides.iter().find(|(n, _)| *n == h).map(|(_, v)| *v);
    for (n, v) in &object.headers {
        if overridden(n).is_none() {
            reply = reply.header(n, v);
        }
    }
    for (n, v) in &overrides {
        if *n != "content-type" {
            reply = reply.header(n, v);
        }
    }
    reply = reply.header("accept-ranges", "bytes");
    if let Some((start, end)) = range {
        reply = reply.header("content-range", format!("bytes {start}-{end}/{size}"));
    }
    reply = reply.header(
        "content-type",
        overridden("content-type").unwrap_or(&object.content_type),
    );
    let data = match range {
        Some((start, end)) => object.data.slice(start..=end),
        None => object.data,
    };
    Ok(reply.with_body(Body::Full(data)))
}

/// `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`: `Ok(Some(304))`
/// for "not modified", `Err(PreconditionFailed)`, or `Ok(None)` to proceed.
fn preconditions(ctx: &Ctx<'_>, o: &Object) -> Result<Option<u16>, S3Error> {
    let failed = |cond: &str| {
        S3Error::new(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with_field("Condition", cond)
    };
    let etag_matches = |list: &str| {
        list.split(',')
            .map(str::trim)
            .any(|e| e == "*" || e == o.etag || format!("\"{e}\"") == o.etag)
    };
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    };
    let date = |name: &str| {
        ctx.header(name)
            .and_then(|v| httpdate::parse_http_date(&v).ok())
            .map(secs)
    };
    let modified = secs(o.last_modified);
    let if_match = ctx.header("if-match");
    if let Some(m) = &if_match {
        if !etag_matches(m) {
            return Err(failed("If-Match"));
        }
    } else if date("if-unmodified-since").is_some_and(|t| modified > t) {
        return Err(failed("If-Unmodified-Since"));
    }
    if let Some(m) = ctx.header("if-none-match") {
        if etag_matches(&m) {
            return Ok(Some(304));
        }
    } else if date("if-modified-since").is_some_and(|t| modified <= t) {
        return Ok(Some(304));
    }
    Ok(None)
}

/// A single `bytes=` range: `Ok(None)` to ignore it (S3 ignores what it cannot parse),
/// `Err(())` when it cannot be satisfied.
pub(crate) fn parse_range(value: &str, size: usize) -> Result<Option<(usize, usize)>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let parse = |s: &str| s.parse::<usize>().ok();
    let range = match (a.is_empty(), b.is_empty()) {
        (true, false) => {
            let Some(n) = parse(b) else { return Ok(None) };
            if n == 0 || size == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size - 1)
        }
        (false, _) => {
            let Some(start) = parse(a) else {
                return Ok(None);
            };
            let end = if b.is_empty() {
                Some(usize::MAX)
            } else {
                parse(b)
            };
            let Some(end) = end else { return Ok(None) };
            if end < start {
                return Ok(None);
            }
            if start >= size {
                return Err(());
            }
            (start, end.min(size - 1))
        }
        (true, true) => return Ok(None),
    };
    Ok(Some(range))
}

pub(crate) fn has_flexible_checksum(ctx: &Ctx<'_>) -> bool {
    ctx.headers
        .keys()
        .any(|n| n.as_str().starts_with("x-amz-checksum-") && n.as_str() != "x-amz-checksum-type")
        || ctx
            .trailers
            .iter()
            .any(|(n, _)| n.starts_with("x-amz-checksum-"))
}

/// Verifies the flexible checksums the server can compute (CRC32, SHA-256); others are
/// accepted as sent.
pub(crate) fn verify_flexible_checksums(ctx: &Ctx<'_>, body: &[u8]) -> Result<(), S3Error> {
    let from_headers = ctx.headers.iter().map(|(n, v)| {
        (
            n.as_str().to_string(),
            String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
        )
    });
    let all: Vec<(String, String)> = from_headers.chain(ctx.trailers.iter().cloned()).collect();
    for (name, value) in &all {
        let (label, computed) = match name.as_str() {
            "x-amz-checksum-crc32" => ("CRC32", crc32fast::hash(body).to_be_bytes().to_vec()),
            "x-amz-checksum-sha256" => ("SHA256", sha2::Sha256::digest(body).to_vec()),
            _ => continue,
        };
        let given = base64::engine::general_purpose::STANDARD
            .decode(value.as_bytes())
            .map_err(|_| {
                S3Error::new(
                    400,
                    "InvalidRequest",
                    format!("Value for {name} header is invalid."),
                )
            })?;
        if given != computed {
            return Err(S3Error::new(
                400,
                "BadDigest",
                format!("The {label} you specified did not match the calculated checksum."),
            ));
        }
    }
    Ok(())
}

/// `Content-MD5` (and flexible checksums) on any request but PutBucketCors, whose checks
/// belong to the CORS model (§1.4).
fn check_integrity(ctx: &Ctx<'_>, body: &[u8]) -> Result<(), S3Error> {
    if let Some(md5) = ctx.header("content-md5") {
        let given = base64::engine::general_purpose::STANDARD
            .decode(md5.as_bytes())
            .ok()
            .filter(|d| d.len() == 16)
            .ok_or_else(|| {
                S3Error::new(
                    400,
                    "InvalidDigest",
                    "The Content-MD5 you specified was invalid.",
                )
                .with_field("Content-MD5", &md5)
            })?;
        let computed = md5::Md5::digest(body);
        if given[..] != computed[..] {
            return Err(S3Error::new(
                400,
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
            )
            .with_field("ExpectedDigest", &md5)
            .with_field(
                "CalculatedDigest",
                base64::engine::general_purpose::STANDARD.encode(computed),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["abc", "my-bucket", "my.bucket.1", "a1b", &"a".repeat(63)] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Upper",
            "under_score",
            "-start",
            "end-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "sthree-x",
            "x-s3alias",
            "sp ace",
            "",
        ] {
            let e = validate_bucket_name(bad).unwrap_err();
            assert_eq!(
                (e.status, e.code.as_str()),
                (400, "InvalidBucketName"),
                "{bad}"
            );
            assert_eq!(e.field("BucketName"), Some(bad));
        }
    }

    fn bucket_with(keys: &[&str]) -> Bucket {
        let mut b = Bucket::new(CannedAcl::Private);
        for k in keys {
            b.objects.insert(
                k.to_string(),
                Object {
                    data: Bytes::from_static(b"x"),
                    etag: "\"e\"".into(),
                    content_type: "t".into(),
                    last_modified: SystemTime::UNIX_EPOCH,
                    acl: CannedAcl::Private,
                    headers: vec![],
                },
            );
        }
        b
    }

    #[test]
    fn listing_rolls_up_prefixes_and_pages() {
        let b = bucket_with(&["a/1", "a/2", "b", "c/1", "d"]);
        let l = compute_listing(&b, "", Some("/"), None, 1000);
        assert_eq!(l.common_prefixes, ["a/", "c/"]);
        let keys: Vec<_> = l.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["b", "d"]);
        assert!(!l.truncated);
        let l = compute_listing(&b, "", Some("/"), None, 2);
        assert!(l.truncated);
        assert_eq!(l.last.as_deref(), Some("b"));
        let l = compute_listing(&b, "", Some("/"), Some("a/"), 1000);
        assert_eq!(l.common_prefixes, ["c/"]);
        let l = compute_listing(&b, "a/", None, None, 1000);
        assert_eq!(l.entries.len(), 2);
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=0-1000", 100), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=5-1", 100), Ok(None));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
        assert_eq!(parse_range("bytes=0-1,3-4", 100), Ok(None));
    }
}
