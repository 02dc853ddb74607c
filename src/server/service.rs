//! One request, end to end: fresh ids, a bounded body, routing, then either the preflight
//! path (OPTIONS: no auth, no body, spec §3.3) or authentication, the operation, and the
//! CORS headers of an actual request (spec §4), which are added whatever the status (§4.5).
//!
//! The synchronous part runs under `catch_unwind`: a bug that panics on some request answers
//! that request with S3's 500 `InternalError` instead of dropping the connection. The bucket's
//! CORS configuration is read *before* the operation runs, so a DeleteBucket or
//! PutBucketCors response carries the CORS headers of the configuration the request found.

use super::Shared;
use super::acl::Principal;
use super::auth::{self, Credentials, SignedRequest};
use super::awslike::{self, View};
use super::ops::{self, Ctx};
use super::response::{self, Ids, Reply, RespBody};
use super::routing::{self, Route};
use crate::cors::CorsConfiguration;
use crate::cors::evaluate::{self, BucketCors, CorsHeaders, CorsRequest, Preflight, ResourceType};
use crate::s3::S3Error;
use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::SystemTime;

/// How reading the request body went.
#[derive(Debug)]
enum BodyRead {
    Complete(Bytes),
    /// Over `max_body_bytes`; the declared length when there was one.
    TooLarge(Option<u64>),
    TimedOut,
    Broken,
    /// Not read: the request is refused whatever its body says (see [`refused_from_head`]).
    Skipped,
}

/// Answers one request. Never fails and never panics outward.
pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<RespBody> {
    let ids = Ids::fresh();
    let (parts, body) = req.into_parts();
    let head = parts.method == Method::HEAD;
    // AWS-like throttling is decided before the body is read, and the body is still read
    // (within the usual bounds) when throttled: a 503 sent over an unread upload makes the
    // client's write fail with a broken pipe, and it never sees the SlowDown that would tell it
    // to try again (issue 13: a throttled POST form was reported as a transport error).
    let throttled = shared.aws.as_ref().is_some_and(|aws| aws.throttled());
    let body = if parts.method == Method::OPTIONS {
        // A preflight's body is ignored (§3.3); hyper discards it.
        BodyRead::Complete(Bytes::new())
    } else if declared_length(&parts).is_some_and(|n| n > shared.cfg.max_body_bytes as u64) {
        // Over the bound by its own account: refused before anything else, unread.
        BodyRead::TooLarge(declared_length(&parts))
    } else if !throttled && refused_from_head(&shared, &parts) {
        // Never buffer what will be refused anyway: otherwise any anonymous client could
        // make the server hold `max_body_bytes` per connection. The body is left unread and
        // the connection is closed after the answer.
        BodyRead::Skipped
    } else {
        read_body(&parts, body, &shared).await
    };
    if throttled {
        let reply = Reply::error(&awslike::slow_down(), &ids.request_id, &ids.host_id);
        return response::render(reply, &ids, None, head, shared.header_case.as_ref());
    }
    let outcome =
        std::panic::catch_unwind(AssertUnwindSafe(|| process(&shared, &parts, body, &ids)));
    let (reply, cors) = outcome.unwrap_or_else(|_| {
        let err = S3Error::new(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        );
        (Reply::error(&err, &ids.request_id, &ids.host_id), None)
    });
    response::render(
        reply,
        &ids,
        cors.as_ref(),
        head,
        shared.header_case.as_ref(),
    )
}

/// True when the request carries a body and its head alone already decides a refusal: the
/// signature (header or presigned) does not verify, or it is anonymous and the bucket is
/// missing or does not grant anonymous writes (`public-read-write`), the only case where an
/// anonymous request's body matters. The operation then answers exactly as it would have
/// with the body (the decision does not depend on it), without the server reading it.
fn refused_from_head(shared: &Shared, parts: &Parts) -> bool {
    let has_body = parts.headers.contains_key(http::header::TRANSFER_ENCODING)
        || declared_length(parts).is_some_and(|n| n > 0);
    if !has_body {
        return false;
    }
    let host = header_lossy(parts, "host").or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let region = request_region(shared, host.as_deref());
    let creds = credentials(shared, parts, &region);
    let signed = SignedRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    match auth::authenticate(creds, signed, SystemTime::now()) {
        Err(_) => true,
        Ok(v) if v.principal == Principal::Anonymous => {
            let Ok(route) = routing::route(
                host.as_deref(),
                parts.uri.path(),
                parts.uri.query(),
                &domains(shared, host.as_deref()),
            ) else {
                return true;
            };
            match route.bucket.as_deref() {
                None => true,
                // A form upload authenticates in its body (addendum U2).
                Some(b) if super::post_object::is_form_post(&parts.method, &route) => {
                    !shared.store.lock().contains_key(b)
                }
                Some(b) => !shared
                    .store
                    .lock()
                    .get(b)
                    .is_some_and(|bucket| bucket.acl.public_write()),
            }
        }
        Ok(_) => false,
    }
}

/// The region a request is sent to: the server's, or in the AWS-like mode the one its
/// `Host` names.
fn request_region(shared: &Shared, host: Option<&str>) -> String {
    match &shared.aws {
        Some(aws) => aws.region_for(host),
        None => shared.cfg.region.clone(),
    }
}

/// Virtual-hosting domains for this request: the configured ones, plus in the AWS-like mode
/// the regional S3 name its `Host` is under.
fn domains<'a>(shared: &'a Shared, host: Option<&str>) -> Cow<'a, [String]> {
    match (&shared.aws, host.and_then(awslike::region_of_host)) {
        (Some(_), Some((_, domain))) => {
            let mut all = shared.cfg.domains.clone();
            all.push(domain);
            Cow::Owned(all)
        }
        _ => Cow::Borrowed(&shared.cfg.domains),
    }
}

/// The key pair a request is checked against: the server's own, or in the AWS-like mode the
/// account whose access key the request names.
fn credentials<'a>(shared: &'a Shared, parts: &Parts, region: &'a str) -> Credentials<'a> {
    let own = Credentials {
        access_key: &shared.cfg.access_key,
        secret_key: &shared.cfg.secret_key,
        region,
    };
    let Some(aws) = &shared.aws else {
        return own;
    };
    let Some(key) = awslike::access_key_of(&parts.headers, parts.uri.query()) else {
        return own;
    };
    match aws.cfg.accounts.iter().find(|(k, _)| *k == key) {
        Some((k, s)) => Credentials {
            access_key: k,
            secret_key: s,
            region,
        },
        None => own,
    }
}

/// The request's `Content-Length`, when it has a valid one.
fn declared_length(parts: &Parts) -> Option<u64> {
    parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

async fn read_body(parts: &Parts, body: Incoming, shared: &Shared) -> BodyRead {
    let max = shared.cfg.max_body_bytes;
    let declared = declared_length(parts);
    if declared.is_some_and(|n| n > max as u64) {
        return BodyRead::TooLarge(declared);
    }
    let collect = Limited::new(body, max).collect();
    match tokio::time::timeout(shared.cfg.body_read_timeout, collect).await {
        Err(_) => BodyRead::TimedOut,
        Ok(Ok(c)) => BodyRead::Complete(c.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => BodyRead::TooLarge(None),
        Ok(Err(_)) => BodyRead::Broken,
    }
}

fn header_lossy(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The CORS view of a bucket: missing, unconfigured or configured.
fn bucket_cors(snapshot: &Option<Option<Arc<CorsConfiguration>>>) -> BucketCors<'_> {
    match snapshot {
        None => BucketCors::Missing,
        Some(None) => BucketCors::NotConfigured,
        Some(Some(c)) => BucketCors::Configured(c),
    }
}

fn process(
    shared: &Shared,
    parts: &Parts,
    body: BodyRead,
    ids: &Ids,
) -> (Reply, Option<CorsHeaders>) {
    let error = |e: &S3Error| Reply::error(e, &ids.request_id, &ids.host_id);
    let host = header_lossy(parts, "host").or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let region = request_region(shared, host.as_deref());
    let route = match routing::route(
        host.as_deref(),
        parts.uri.path(),
        parts.uri.query(),
        &domains(shared, host.as_deref()),
    ) {
        Ok(r) => r,
        Err(e) => return (error(&e), None),
    };
    if let Some(aws) = &shared.aws {
        let exists = route
            .bucket
            .as_deref()
            .is_some_and(|b| shared.store.lock().contains_key(b));
        if let Some(redirect) = aws.redirect(&route, exists, &parts.method, &region, ids) {
            return (redirect, None);
        }
    }
    let origin = header_lossy(parts, "origin");
    let acrm = header_lossy(parts, "access-control-request-method");
    let acrh = header_lossy(parts, "access-control-request-headers");
    let cors_req = CorsRequest {
        method: parts.method.as_str(),
        origin: origin.as_deref(),
        request_method: acrm.as_deref(),
        request_headers: acrh.as_deref(),
        resource: if route.key.is_some() {
            ResourceType::Object
        } else {
            ResourceType::Bucket
        },
    };
    // `None` for the service endpoint; otherwise the bucket's CORS state before the operation.
    let snapshot = route.bucket.as_deref().map(|b| {
        let state = shared.store.cors_of(b);
        match (&shared.aws, state) {
            (Some(aws), Some(current)) => Some(aws.view(b, current, View::Evaluation)),
            (_, state) => state,
        }
    });

    if parts.method == Method::OPTIONS {
        // The service endpoint has no bucket: answered like a missing bucket (400 without
        // Origin, else 403 "CORSResponse: Bucket not found"), never with CORS headers (§3.5).
        let state = snapshot.as_ref().map_or(BucketCors::Missing, bucket_cors);
        return match evaluate::preflight(state, &cors_req) {
            Preflight::Allowed(h) => (Reply::empty(200), Some(h)),
            Preflight::Refused(e) => {
                let mut r = error(&e);
                r.refusal_order = e.status == 403;
                (r, None)
            }
        };
    }

    let skipped = matches!(body, BodyRead::Skipped);
    let mut reply = match run(shared, parts, &route, body, &region) {
        Ok(r) => r,
        Err(e) => error(&e),
    };
    if route.bucket.is_none() && reply.status == 405 {
        // The service endpoint only answers GET, and says so (addendum U2.5).
        reply = reply.header("allow", "GET");
    }
    // The unread body is still on the connection: close it after the answer.
    reply.connection_close |= skipped;
    let cors = snapshot
        .as_ref()
        .and_then(|s| evaluate::actual(bucket_cors(s), &cors_req));
    (reply, cors)
}

fn run(
    shared: &Shared,
    parts: &Parts,
    route: &Route,
    body: BodyRead,
    region: &str,
) -> Result<Reply, S3Error> {
    let cfg = &shared.cfg;
    let body = match body {
        BodyRead::Complete(b) => b,
        BodyRead::Skipped => Bytes::new(),
        BodyRead::TooLarge(declared) => {
            return Err(too_large(parts, route, declared, cfg.max_body_bytes));
        }
        BodyRead::TimedOut => {
            return Err(S3Error::new(
                400,
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
            )
            .with_connection_close());
        }
        BodyRead::Broken => {
            return Err(S3Error::new(
                400,
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            )
            .with_connection_close());
        }
    };
    if super::post_object::is_form_post(&parts.method, route) {
        return super::post_object::handle(shared, &parts.headers, route, body);
    }
    let creds = credentials(shared, parts, region);
    let signed = SignedRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    let verified = auth::authenticate(creds, signed, SystemTime::now())?;
    let (body, trailers) = auth::check_payload(&verified.payload, body)?;
    let mut principal = verified.principal;
    let aws = shared
        .aws
        .as_ref()
        .filter(|_| principal == Principal::Owner);
    if let Some(aws) = aws {
        if let Some(answer) = aws.intercept(
            &shared.store,
            route,
            &parts.method,
            &parts.headers,
            creds.access_key,
            &body,
        ) {
            return answer;
        }
        // Another account's bucket: only what its ACL grants everyone.
        if let Some(b) = route.bucket.as_deref()
            && shared.store.lock().contains_key(b)
            && !aws.owns(b, creds.access_key)
        {
            principal = Principal::Anonymous;
        }
    }
    let ctx = Ctx {
        store: &shared.store,
        region,
        principal,
        method: &parts.method,
        route,
        headers: &parts.headers,
        trailers: &trailers,
        max_upload_bytes: cfg.max_upload_bytes,
    };
    let result = ops::dispatch(&ctx, body);
    if let (Some(aws), Ok(reply)) = (aws, &result)
        && principal == Principal::Owner
    {
        let current = route
            .bucket
            .as_deref()
            .and_then(|b| shared.store.cors_of(b))
            .flatten();
        aws.after(
            route,
            &parts.method,
            reply.status,
            creds.access_key,
            region,
            current,
        );
    }
    result
}

/// S3's answer to a body over the bound: `EntityTooLarge` for object uploads,
/// `MaxMessageLengthExceeded` for everything else (both 400). The body was not read, so the
/// connection is closed after the response.
fn too_large(parts: &Parts, route: &Route, declared: Option<u64>, max: usize) -> S3Error {
    let upload =
        (parts.method == Method::PUT && route.key.is_some() && route.subresource().is_none())
            || super::post_object::is_form_post(&parts.method, route);
    let e = if upload {
        let e = S3Error::new(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        );
        let e = match declared {
            Some(n) => e.with_field("ProposedSize", n.to_string()),
            None => e,
        };
        e.with_field("MaxSizeAllowed", max.to_string())
    } else {
        S3Error::new(400, "MaxMessageLengthExceeded", "Your request was too big.")
            .with_field("MaxMessageLengthBytes", max.to_string())
    };
    e.with_connection_close()
}
