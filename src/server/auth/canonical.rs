//! Canonicalisation and signing (SigV4): the canonical request, the string to sign, the
//! signing key, and the signature check that accepts S3's re-encoded path or the raw one.

use super::SignedRequest;
use super::parse::Scope;
use crate::s3::S3Error;
use crate::server::routing::decode_bytes;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::ALGORITHM;

type HmacSha256 = Hmac<Sha256>;

/// One signature to check: what the request says it signed, and with which key.
pub(super) struct SignatureCheck<'a> {
    pub scope: &'a Scope<'a>,
    /// The request's `X-Amz-Date`.
    pub amz_date: &'a str,
    /// `SignedHeaders` (`host;x-amz-date;…`).
    pub signed_headers: &'a str,
    /// The payload hash the canonical request ends with (`UNSIGNED-PAYLOAD`, a hex digest, …).
    pub payload_hash: &'a str,
    /// The signature the client sent.
    pub provided: &'a str,
    pub key: &'a [u8; 32],
    /// Presigned: the canonical query leaves out `X-Amz-Signature`.
    pub presigned: bool,
}

pub use crate::s3::uri::uri_encode;

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

/// Checks `check` against `req`: first over S3's canonical (re-encoded) path, then, when it
/// differs, over the raw wire path (some clients sign the path exactly as sent).
pub(super) fn check_signature(
    req: SignedRequest<'_>,
    check: &SignatureCheck<'_>,
) -> Result<(), S3Error> {
    let SignatureCheck {
        scope,
        amz_date,
        signed_headers: signed,
        payload_hash,
        provided,
        key,
        presigned,
    } = *check;
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

pub(super) fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
