//! AWS Signature Version 4 verification, as Amazon S3 does it.
//!
//! Two forms: the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
//! Signature=…` header, and presigned URLs (`X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature` in the query).
//! Requests with neither are anonymous; what anonymous callers may do is [`super::acl`]'s job.
//!
//! Canonicalisation follows S3's rules: the path is percent-decoded once and re-encoded with
//! RFC 3986 unreserved characters kept and `/` kept (no double encoding, no dot-segment
//! normalisation); query names and values are decoded (`+` is a space) and re-encoded the same
//! way, then sorted; header values are trimmed with inner runs of spaces collapsed. Because
//! some clients sign the path exactly as they sent it, a signature over the raw wire path is
//! accepted too when it differs from the re-encoded one (both need the secret key).
//!
//! The payload is checked after the signature: a hex `x-amz-content-sha256` must equal the
//! body's SHA-256 (400 `XAmzContentSHA256Mismatch`), `UNSIGNED-PAYLOAD` is taken as is, and
//! `aws-chunked` bodies (`STREAMING-…`) are decoded, with chunk signatures verified for
//! `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`. Error codes and messages are AWS's.

use super::acl::Principal;
use super::routing::decode_bytes;
use crate::s3::S3Error;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Largest clock difference S3 tolerates (15 minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// Longest presigned URL validity (7 days).
pub const MAX_EXPIRES: u64 = 604_800;
/// SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The credentials and region the server checks signatures against.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
}

/// The parts of a request that signing covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent on the wire (still percent-encoded).
    pub raw_path: &'a str,
    /// The query as sent on the wire, without `?`.
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// What the body still has to satisfy once the signature is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Nothing to check (anonymous, presigned, `UNSIGNED-PAYLOAD`).
    Unchecked,
    /// The body's SHA-256 must be this (lower-case hex).
    Sha256(String),
    /// An `aws-chunked` body without chunk signatures.
    ChunkedUnsigned,
    /// An `aws-chunked` body whose chunk signatures chain from `seed`.
    ChunkedSigned {
        seed: String,
        signing_key: [u8; 32],
        amz_date: String,
        scope: String,
    },
}

/// The outcome of a successful authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: Principal,
    pub payload: Payload,
}

/// Authenticates a request: anonymous, header-signed or presigned.
pub fn authenticate(
    creds: Credentials<'_>,
    req: SignedRequest<'_>,
    now: SystemTime,
) -> Result<Verified, S3Error> {
    if let Some(value) = req.headers.get(http::header::AUTHORIZATION) {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        return verify_header(creds, req, &value, now);
    }
    let query = super::routing::parse_query(req.raw_query.unwrap_or("")).unwrap_or_default();
    if query.iter().any(|(n, _)| n == "X-Amz-Algorithm") {
        return verify_presigned(creds, req, &query, now);
    }
    if query
        .iter()
        .any(|(n, _)| n == "AWSAccessKeyId" || n == "Signature")
    {
        return Err(v2_not_supported());
    }
    Ok(Verified {
        principal: Principal::Anonymous,
        payload: Payload::Unchecked,
    })
}

fn v2_not_supported() -> S3Error {
    S3Error::new(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
}

fn malformed(detail: &str) -> S3Error {
    S3Error::new(
        400,
        "AuthorizationHeaderMalformed",
        format!("The authorization header is malformed; {detail}"),
    )
}

fn query_error(message: &str) -> S3Error {
    S3Error::new(400, "AuthorizationQueryParametersError", message)
}

/// A parsed credential scope `AKID/DATE/REGION/SERVICE/aws4_request`.
struct Scope<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
}

impl Scope<'_> {
    fn string(&self) -> String {
        format!("{}/{}/s3/aws4_request", self.date, self.region)
    }
}

fn parse_scope<'a>(
    credential: &'a str,
    creds: Credentials<'_>,
    err: fn(&str) -> S3Error,
) -> Result<Scope<'a>, S3Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminal] = parts[..] else {
        return Err(err(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        ));
    };
    if access_key != creds.access_key {
        return Err(S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with_field("AWSAccessKeyId", access_key));
    }
    if region != creds.region {
        return Err(err(&format!(
            "the region '{region}' is wrong; expecting '{}'",
            creds.region
        ))
        .with_field("Region", creds.region));
    }
    if service != "s3" {
        return Err(err(&format!(
            "incorrect service \"{service}\". This endpoint belongs to \"s3\"."
        )));
    }
    if terminal != "aws4_request" {
        return Err(err(&format!(
            "incorrect terminal \"{terminal}\". This endpoint uses \"aws4_request\"."
        )));
    }
    Ok(Scope {
        access_key,
        date,
        region,
    })
}

fn verify_header(
    creds: Credentials<'_>,
    req: SignedRequest<'_>,
    authorization: &str,
    now: SystemTime,
) -> Result<Verified, S3Error> {
    let Some(rest) = authorization.strip_prefix(ALGORITHM) else {
        if authorization.starts_with("AWS ") {
            return Err(v2_not_supported());
        }
        return Err(
            S3Error::new(400, "InvalidArgument", "Unsupported Authorization Type")
                .with_field("ArgumentName", "Authorization")
                .with_field("ArgumentValue", authorization),
        );
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(malformed(
            "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
        ));
    };
    let scope = parse_scope(credential, creds, malformed)?;
    let amz_date = header_str(req.headers, "x-amz-date").ok_or_else(|| {
        S3Error::new(
            403,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    })?;
    let request_time = parse_amz_date(&amz_date).ok_or_else(|| {
        S3Error::new(
            403,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        )
    })?;
    if !amz_date.starts_with(scope.date) || scope.date.len() != 8 {
        return Err(malformed(
            "Invalid credential date. Date is not the same as X-Amz-Date.",
        ));
    }
    check_skew(&amz_date, request_time, now)?;
    let content_sha = header_str(req.headers, "x-amz-content-sha256").ok_or_else(|| {
        S3Error::new(
            400,
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256",
        )
    })?;
    let payload = classify_payload(&content_sha)?;
    let signed_names: Vec<&str> = signed.split(';').collect();
    let unsigned: Vec<String> = req
        .headers
        .keys()
        .map(|n| n.as_str())
        .filter(|n| (*n == "host" || n.starts_with("x-amz-")) && !signed_names.contains(n))
        .map(str::to_string)
        .collect();
    if !unsigned.is_empty() {
        return Err(S3Error::new(
            403,
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with_field("HeadersNotSigned", unsigned.join(", ")));
    }
    let key = signing_key(creds.secret_key, scope.date, scope.region, "s3");
    check_signature(
        req,
        &scope,
        &amz_date,
        signed,
        &content_sha,
        signature,
        &key,
        false,
    )?;
    let payload = match payload {
        PayloadKind::Hash => Payload::Sha256(content_sha.to_ascii_lowercase()),
        PayloadKind::Unsigned => Payload::Unchecked,
        PayloadKind::ChunkedUnsigned => Payload::ChunkedUnsigned,
        PayloadKind::ChunkedSigned => Payload::ChunkedSigned {
            seed: signature.to_string(),
            signing_key: key,
            amz_date: amz_date.clone(),
            scope: scope.string(),
        },
    };
    Ok(Verified {
        principal: Principal::Owner,
        payload,
    })
}

fn verify_presigned(
    creds: Credentials<'_>,
    req: SignedRequest<'_>,
    query: &[(String, String)],
    now: SystemTime,
) -> Result<Verified, S3Error> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (
        Some(algorithm),
        Some(credential),
        Some(amz_date),
        Some(expires),
        Some(signed),
        Some(signature),
    ) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Date"),
        get("X-Amz-Expires"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Signature"),
    )
    else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let scope = parse_scope(credential, creds, |d| {
        S3Error::new(
            400,
            "AuthorizationQueryParametersError",
            format!("Error parsing the X-Amz-Credential parameter; {d}"),
        )
    })?;
    let request_time = parse_amz_date(amz_date).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    let expires: u64 = match expires.parse::<i64>() {
        Ok(n) if n < 0 => return Err(query_error("X-Amz-Expires must be non-negative")),
        Ok(n) if n as u64 > MAX_EXPIRES => {
            return Err(query_error(
                "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
            ));
        }
        Ok(n) => n as u64,
        Err(_) => return Err(query_error("X-Amz-Expires should be a number")),
    };
    if !amz_date.starts_with(scope.date) || scope.date.len() != 8 {
        return Err(query_error(
            "Invalid credential date. Date is not the same as X-Amz-Date.",
        ));
    }
    if request_time > now + MAX_SKEW {
        return Err(S3Error::new(
            403,
            "AccessDenied",
            "Request is not valid yet",
        ));
    }
    let expiry = request_time + Duration::from_secs(expires);
    if now > expiry {
        return Err(S3Error::new(403, "AccessDenied", "Request has expired")
            .with_field("X-Amz-Expires", expires.to_string())
            .with_field("Expires", iso8601(expiry))
            .with_field("ServerTime", iso8601(now)));
    }
    let signed_names: Vec<&str> = signed.split(';').collect();
    if !signed_names.contains(&"host") {
        return Err(query_error(
            "Query-string authentication version 4 requires the host header to be signed.",
        ));
    }
    let content_sha = header_str(req.headers, "x-amz-content-sha256")
        .filter(|_| signed_names.contains(&"x-amz-content-sha256"))
        .unwrap_or_else(|| "UNSIGNED-PAYLOAD".to_string());
    let key = signing_key(creds.secret_key, scope.date, scope.region, "s3");
    check_signature(
        req,
        &scope,
        amz_date,
        signed,
        &content_sha,
        signature,
        &key,
        true,
    )?;
    let payload = match classify_payload(&content_sha) {
        Ok(PayloadKind::Hash) => Payload::Sha256(content_sha.to_ascii_lowercase()),
        _ => Payload::Unchecked,
    };
    Ok(Verified {
        principal: Principal::Owner,
        payload,
    })
}

enum PayloadKind {
    Hash,
    Unsigned,
    ChunkedUnsigned,
    ChunkedSigned,
}

fn classify_payload(value: &str) -> Result<PayloadKind, S3Error> {
    match value {
        "UNSIGNED-PAYLOAD" => Ok(PayloadKind::Unsigned),
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Ok(PayloadKind::ChunkedUnsigned),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => {
            Ok(PayloadKind::ChunkedSigned)
        }
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
        | "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => Err(S3Error::new(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        )
        .with_field("Header", "x-amz-content-sha256")),
        v if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(PayloadKind::Hash),
        v => Err(S3Error::new(
            400,
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
        )
        .with_field("ArgumentName", "x-amz-content-sha256")
        .with_field("ArgumentValue", v)),
    }
}

#[allow(clippy::too_many_arguments)]
fn check_signature(
    req: SignedRequest<'_>,
    scope: &Scope<'_>,
    amz_date: &str,
    signed: &str,
    payload_hash: &str,
    provided: &str,
    key: &[u8; 32],
    presigned: bool,
) -> Result<(), S3Error> {
    let query = canonical_query(req.raw_query.unwrap_or(""), presigned);
    let headers = canonical_headers(req.headers, signed);
    let build = |uri: &str| {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method, uri, query, headers, signed, payload_hash
        )
    };
    let strict = build(&canonical_uri(req.raw_path));
    let sts = string_to_sign(amz_date, &scope.string(), &strict);
    if constant_time_eq(&sign(key, &sts), provided) {
        return Ok(());
    }
    let raw = build(req.raw_path);
    if raw != strict {
        let sts_raw = string_to_sign(amz_date, &scope.string(), &raw);
        if constant_time_eq(&sign(key, &sts_raw), provided) {
            return Ok(());
        }
    }
    Err(S3Error::new(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
    .with_field("AWSAccessKeyId", scope.access_key)
    .with_field("StringToSign", &sts)
    .with_field("SignatureProvided", provided)
    .with_field("StringToSignBytes", spaced_hex(sts.as_bytes()))
    .with_field("CanonicalRequest", &strict)
    .with_field("CanonicalRequestBytes", spaced_hex(strict.as_bytes())))
}

fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn check_skew(raw: &str, request_time: SystemTime, now: SystemTime) -> Result<(), S3Error> {
    let skew = match now.duration_since(request_time) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > MAX_SKEW {
        return Err(S3Error::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with_field("RequestTime", raw)
        .with_field("ServerTime", iso8601(now))
        .with_field("MaxAllowedSkewMilliseconds", "900000"));
    }
    Ok(())
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'`.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(s, &format)
        .ok()?
        .assume_utc();
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// `2024-05-24T00:00:00Z`.
pub fn iso8601(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// S3's URI encoding: RFC 3986 unreserved characters stay, `/` stays when `keep_slash`,
/// everything else becomes `%XX` (upper-case hex).
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical URI of a wire path: decoded once, re-encoded once.
pub fn canonical_uri(raw_path: &str) -> String {
    match decode_bytes(raw_path, false) {
        Some(bytes) if !bytes.is_empty() => uri_encode(&bytes, true),
        Some(_) => "/".to_string(),
        None => raw_path.to_string(),
    }
}

/// The canonical query string; `presigned` drops `X-Amz-Signature`.
pub fn canonical_query(raw_query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            let n = decode_bytes(n, true)?;
            let v = decode_bytes(v, true)?;
            Some((uri_encode(&n, false), uri_encode(&v, false)))
        })
        .filter(|(n, _)| !(presigned && n == "X-Amz-Signature"))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical headers block (each line ends with `\n`) for `signed` (`a;b;c`).
pub fn canonical_headers(headers: &HeaderMap, signed: &str) -> String {
    let mut out = String::new();
    for name in signed.split(';') {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of canonical request>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key for a day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// Lower-case hex HMAC-SHA256 of the string to sign.
pub fn sign(key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

/// Checks the body against what the signature promised; decodes `aws-chunked` bodies.
/// Returns the payload and any trailing headers of a chunked body.
pub fn check_payload(
    payload: &Payload,
    body: Bytes,
) -> Result<(Bytes, Vec<(String, String)>), S3Error> {
    match payload {
        Payload::Unchecked => Ok((body, Vec::new())),
        Payload::Sha256(expected) => {
            let actual = hex::encode(Sha256::digest(&body));
            if &actual == expected {
                Ok((body, Vec::new()))
            } else {
                Err(S3Error::new(
                    400,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                )
                .with_field("ClientComputedContentSHA256", expected.as_str())
                .with_field("S3ComputedContentSHA256", actual))
            }
        }
        Payload::ChunkedUnsigned => decode_chunked(&body, None),
        Payload::ChunkedSigned {
            seed,
            signing_key,
            amz_date,
            scope,
        } => decode_chunked(&body, Some((seed, signing_key, amz_date, scope))),
    }
}

fn incomplete() -> S3Error {
    S3Error::new(
        400,
        "IncompleteBody",
        "The request body terminated unexpectedly",
    )
}

type ChunkSigning<'a> = (&'a String, &'a [u8; 32], &'a String, &'a String);

fn decode_chunked(
    body: &[u8],
    signing: Option<ChunkSigning<'_>>,
) -> Result<(Bytes, Vec<(String, String)>), S3Error> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0usize;
    let mut previous = signing.map(|(seed, ..)| seed.clone());
    loop {
        let line_end = find_crlf(body, pos).ok_or_else(incomplete)?;
        let line = std::str::from_utf8(&body[pos..line_end]).map_err(|_| incomplete())?;
        pos = line_end + 2;
        let (size_hex, ext) = line.split_once(';').unwrap_or((line, ""));
        let size = usize::from_str_radix(size_hex.trim(), 16).map_err(|_| incomplete())?;
        let end = pos.checked_add(size).ok_or_else(incomplete)?;
        let data = body.get(pos..end).ok_or_else(incomplete)?;
        if let (Some((_, key, amz_date, scope)), Some(prev)) = (signing, previous.as_mut()) {
            let provided = ext.strip_prefix("chunk-signature=").unwrap_or("");
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{EMPTY_SHA256}\n{}",
                hex::encode(Sha256::digest(data))
            );
            let expected = sign(key, &sts);
            if !constant_time_eq(&expected, provided) {
                return Err(S3Error::new(
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                ));
            }
            *prev = expected;
        }
        out.extend_from_slice(data);
        pos = end;
        if size == 0 {
            break;
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return Err(incomplete());
        }
        pos += 2;
    }
    let mut trailers = Vec::new();
    while let Some(line_end) = find_crlf(body, pos) {
        let line = String::from_utf8_lossy(&body[pos..line_end]).into_owned();
        pos = line_end + 2;
        if line.is_empty() {
            continue;
        }
        if let Some((n, v)) = line.split_once(':') {
            trailers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((Bytes::from(out), trailers))
}

fn find_crlf(body: &[u8], from: usize) -> Option<usize> {
    body.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    // The worked examples of AWS's "Signature Calculations for the Authorization Header:
    // Transferring Payload in a Single Chunk" and "Authenticating Requests: Using Query
    // Parameters" pages.
    const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const CREDS: Credentials<'static> = Credentials {
        access_key: AKID,
        secret_key: SECRET,
        region: "us-east-1",
    };

    fn example_time() -> SystemTime {
        parse_amz_date("20130524T000000Z").unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn aws_example_get_object_canonical_request_and_signature() {
        let h = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ]);
        let signed = "host;range;x-amz-content-sha256;x-amz-date";
        let canonical = format!(
            "GET\n{}\n{}\n{}\n{signed}\n{EMPTY_SHA256}",
            canonical_uri("/test.txt"),
            canonical_query("", false),
            canonical_headers(&h, signed)
        );
        assert_eq!(
            canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &canonical,
        );
        assert!(sts.ends_with("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(
            sign(&key, &sts),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    fn authz(signed: &str, sig: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={sig}"
        )
    }

    #[test]
    fn aws_example_get_object_verifies_end_to_end() {
        let mut h = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ]);
        let good = authz(
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        );
        h.insert("authorization", HeaderValue::from_str(&good).unwrap());
        let req = SignedRequest {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: None,
            headers: &h,
        };
        let v = authenticate(CREDS, req, example_time()).unwrap();
        assert_eq!(v.principal, Principal::Owner);
        assert_eq!(v.payload, Payload::Sha256(EMPTY_SHA256.into()));

        let bad = authz(
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb40",
        );
        h.insert("authorization", HeaderValue::from_str(&bad).unwrap());
        let req = SignedRequest {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: None,
            headers: &h,
        };
        let e = authenticate(CREDS, req, example_time()).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"));
        assert_eq!(e.field("AWSAccessKeyId"), Some(AKID));
    }

    #[test]
    fn aws_example_put_object_encodes_dollar_in_path() {
        // PUT /test$file.text with a Date header and a storage class.
        let h = headers(&[
            ("date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("host", "examplebucket.s3.amazonaws.com"),
            (
                "x-amz-content-sha256",
                "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            ),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ]);
        assert_eq!(canonical_uri("/test$file.text"), "/test%24file.text");
        assert_eq!(canonical_uri("/test%24file.text"), "/test%24file.text");
        let signed = "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class";
        let canonical = format!(
            "PUT\n/test%24file.text\n\n{}\n{signed}\n44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            canonical_headers(&h, signed)
        );
        let sts = string_to_sign(
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            &canonical,
        );
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        assert_eq!(
            sign(&key, &sts),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn aws_example_subresource_and_list_queries() {
        assert_eq!(canonical_query("lifecycle", false), "lifecycle=");
        assert_eq!(
            canonical_query("prefix=J&max-keys=2", false),
            "max-keys=2&prefix=J"
        );
        let h = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ]);
        let signed = "host;x-amz-content-sha256;x-amz-date";
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let scope = "20130524/us-east-1/s3/aws4_request";
        for (query, expected) in [
            (
                "lifecycle",
                "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            ),
            (
                "max-keys=2&prefix=J",
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            ),
        ] {
            let canonical = format!(
                "GET\n/\n{}\n{}\n{signed}\n{EMPTY_SHA256}",
                canonical_query(query, false),
                canonical_headers(&h, signed)
            );
            assert_eq!(
                sign(&key, &string_to_sign("20130524T000000Z", scope, &canonical)),
                expected
            );
        }
    }

    #[test]
    fn aws_example_presigned_url_verifies() {
        let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        let req = SignedRequest {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: Some(query),
            headers: &h,
        };
        assert_eq!(
            canonical_query(query, true),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        );
        let v = authenticate(CREDS, req, example_time() + Duration::from_secs(3600)).unwrap();
        assert_eq!(v.principal, Principal::Owner);
        // A day and a second later it has expired.
        let e = authenticate(CREDS, req, example_time() + Duration::from_secs(86401)).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (403, "AccessDenied", "Request has expired")
        );
    }

    #[test]
    fn unknown_key_wrong_region_and_skew() {
        let mut h = headers(&[
            ("host", "h"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ]);
        let req = |h: &HeaderMap| -> Result<Verified, S3Error> {
            authenticate(
                CREDS,
                SignedRequest {
                    method: "GET",
                    raw_path: "/",
                    raw_query: None,
                    headers: h,
                },
                example_time(),
            )
        };
        h.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=NOPE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00"));
        let e = req(&h).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (403, "InvalidAccessKeyId"));
        h.insert("authorization", HeaderValue::from_str(&format!("AWS4-HMAC-SHA256 Credential={AKID}/20130524/eu-west-1/s3/aws4_request,SignedHeaders=host,Signature=00")).unwrap());
        let e = req(&h).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "AuthorizationHeaderMalformed")
        );
        assert_eq!(e.field("Region"), Some("us-east-1"));
        h.insert(
            "authorization",
            HeaderValue::from_str(&authz("host", "00")).unwrap(),
        );
        h.insert("x-amz-date", HeaderValue::from_static("20130524T010000Z"));
        let e = req(&h).unwrap_err();
        assert_eq!(e.code, "RequestTimeTooSkewed");
    }

    #[test]
    fn unsigned_amz_headers_are_refused() {
        let mut h = headers(&[
            ("host", "h"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-acl", "public-read"),
        ]);
        h.insert(
            "authorization",
            HeaderValue::from_str(&authz("host;x-amz-content-sha256;x-amz-date", "00")).unwrap(),
        );
        let e = authenticate(
            CREDS,
            SignedRequest {
                method: "PUT",
                raw_path: "/b/k",
                raw_query: None,
                headers: &h,
            },
            example_time(),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "There were headers present in the request which were not signed"
        );
        assert_eq!(e.field("HeadersNotSigned"), Some("x-amz-acl"));
    }

    #[test]
    fn anonymous_without_any_signature() {
        let h = headers(&[("host", "h")]);
        let v = authenticate(
            CREDS,
            SignedRequest {
                method: "GET",
                raw_path: "/b/k",
                raw_query: Some("x-id=GetObject"),
                headers: &h,
            },
            example_time(),
        )
        .unwrap();
        assert_eq!(v.principal, Principal::Anonymous);
    }

    #[test]
    fn payload_hash_is_verified() {
        let p = Payload::Sha256(EMPTY_SHA256.into());
        assert!(check_payload(&p, Bytes::new()).is_ok());
        let e = check_payload(&p, Bytes::from_static(b"x")).unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "XAmzContentSHA256Mismatch")
        );
    }

    #[test]
    fn aws_chunked_unsigned_with_trailer_decodes() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let (data, trailers) =
            check_payload(&Payload::ChunkedUnsigned, Bytes::from_static(body)).unwrap();
        assert_eq!(&data[..], b"hello world");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
        );
        let e =
            check_payload(&Payload::ChunkedUnsigned, Bytes::from_static(b"5\r\nhel")).unwrap_err();
        assert_eq!(e.code, "IncompleteBody");
    }

    #[test]
    fn aws_chunked_signed_chain_verifies() {
        let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
        let scope = "20130524/us-east-1/s3/aws4_request".to_string();
        let date = "20130524T000000Z".to_string();
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".to_string();
        let mut prev = seed.clone();
        let mut body = Vec::new();
        for chunk in [&b"abc"[..], &b""[..]] {
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{date}\n{scope}\n{prev}\n{EMPTY_SHA256}\n{}",
                hex::encode(Sha256::digest(chunk))
            );
            prev = sign(&key, &sts);
            body.extend_from_slice(
                format!("{:x};chunk-signature={prev}\r\n", chunk.len()).as_bytes(),
            );
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        let p = Payload::ChunkedSigned {
            seed,
            signing_key: key,
            amz_date: date,
            scope,
        };
        let (data, _) = check_payload(&p, Bytes::from(body.clone())).unwrap();
        assert_eq!(&data[..], b"abc");
        body[30] ^= 1; // corrupt a signature byte
        assert!(check_payload(&p, Bytes::from(body)).is_err());
    }
}
