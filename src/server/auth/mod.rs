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
//!
//! The module is cut by concern: [`parse`] reads the header / query, [`canonical`] builds the
//! canonical request and checks signatures, [`chunked`] checks and decodes the payload; this
//! file holds the decision (anonymous, header-signed, presigned) and the time checks.

mod canonical;
mod chunked;
mod parse;

pub use canonical::{
    canonical_headers, canonical_query, canonical_uri, sign, signing_key, string_to_sign,
    uri_encode,
};
pub use chunked::check_payload;
pub use parse::{iso8601, parse_amz_date};

use super::acl::Principal;
use crate::s3::S3Error;
use canonical::{SignatureCheck, check_signature};
use http::HeaderMap;
use parse::{parse_authorization, parse_presigned, parse_scope};
use std::time::{Duration, SystemTime};

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

fn verify_header(
    creds: Credentials<'_>,
    req: SignedRequest<'_>,
    authorization: &str,
    now: SystemTime,
) -> Result<Verified, S3Error> {
    let parse::HeaderAuth {
        credential,
        signed_headers: signed,
        signature,
    } = parse_authorization(authorization)?;
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
        &SignatureCheck {
            scope: &scope,
            amz_date: &amz_date,
            signed_headers: signed,
            payload_hash: &content_sha,
            provided: signature,
            key: &key,
            presigned: false,
        },
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
    let parse::PresignedParams {
        algorithm,
        credential,
        amz_date,
        expires,
        signed_headers: signed,
        signature,
    } = parse_presigned(query)?;
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
        &SignatureCheck {
            scope: &scope,
            amz_date,
            signed_headers: signed,
            payload_hash: &content_sha,
            provided: signature,
            key: &key,
            presigned: true,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderValue;
    use sha2::{Digest, Sha256};

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
