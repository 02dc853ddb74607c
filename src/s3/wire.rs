//! The HTTP exchange as the harness sees it: one S3 request independent of any target's URL
//! layout ([`S3Request`]), what came back ([`S3Response`]), the request as it went on the wire
//! ([`WireRequest`]), and a transport failure ([`TransportError`]).
//!
//! Why here and not in `target`: cases, results and reports all speak this vocabulary, and
//! they sit below the targets in the layering (`docs/architecture.md`). Keeping the types in
//! the bottom layer means none of them has to import `target` to name a request.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// SigV4 in the `Authorization` header.
    Signed,
    /// No authentication at all (what a browser sends).
    Anonymous,
    /// SigV4 in the query string (a presigned URL).
    Presigned,
}

/// Path-style (`/bucket/key`) or virtual-hosted (`Host: bucket.endpoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    Path,
    Virtual,
}

/// One request, independent of the target's URL layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Request {
    /// HTTP method, verbatim.
    pub method: String,
    /// Bucket name; `None` addresses the service endpoint (`/`).
    pub bucket: Option<String>,
    /// Object key (unencoded); `None` addresses the bucket.
    pub key: Option<String>,
    /// Query parameters in order; `None` value renders as a bare name (`?cors`).
    pub query: Vec<(String, Option<String>)>,
    /// Headers in order, names as given.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    #[serde(with = "body_text", default)]
    pub body: Vec<u8>,
    /// Authentication mode.
    pub auth: Auth,
    /// Addressing; `None` means the target's default.
    pub addressing: Option<Addressing>,
}

impl S3Request {
    /// A request with no query, headers or body.
    pub fn new(method: &str, bucket: Option<&str>, key: Option<&str>, auth: Auth) -> Self {
        S3Request {
            method: method.to_string(),
            bucket: bucket.map(str::to_string),
            key: key.map(str::to_string),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            auth,
            addressing: None,
        }
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct S3Response {
    pub status: u16,
    /// Headers in wire order (names lower-cased by the HTTP client).
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text", default)]
    pub body: Vec<u8>,
}

impl S3Response {
    /// All values of a header (case-insensitive name), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }
}

/// A request the runner can replay by hand: the final URL and headers after signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WireRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text", default)]
    pub body: Vec<u8>,
}

/// Transport-level failure (the target broke, not the conformance).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("request to {url} timed out after {after:?}")]
    Timeout { url: String, after: Duration },
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("request to {url} failed: {reason}")]
    Other { url: String, reason: String },
    #[error("cannot build request: {0}")]
    Build(String),
}

/// Bodies in results files: a JSON string when the bytes are UTF-8 (the usual case: XML,
/// text), else `{"base64": "…"}`. A plain array of numbers (the serde default) is still read.
/// Why: an array of byte values costs a line per byte in pretty JSON and makes published
/// results files tens of megabytes for no reader's benefit.
mod body_text {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                #[derive(Serialize)]
                struct B64 {
                    base64: String,
                }
                B64 {
                    base64: base64::engine::general_purpose::STANDARD.encode(body),
                }
                .serialize(s)
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Base64 { base64: String },
            Bytes(Vec<u8>),
        }
        match Repr::deserialize(d)? {
            Repr::Text(t) => Ok(t.into_bytes()),
            Repr::Bytes(b) => Ok(b),
            Repr::Base64 { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(serde::de::Error::custom),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::super::S3Response;

        #[test]
        fn bodies_round_trip_as_text_or_base64_and_old_arrays_still_load() {
            for body in [b"<Error/>".to_vec(), vec![0xff, 0x00, 0x80], Vec::new()] {
                let r = S3Response {
                    status: 200,
                    headers: vec![],
                    body: body.clone(),
                };
                let json = serde_json::to_string(&r).unwrap();
                let back: S3Response = serde_json::from_str(&json).unwrap();
                assert_eq!(back.body, body, "{json}");
            }
            let text = serde_json::to_string(&S3Response {
                status: 200,
                headers: vec![],
                body: b"abc".to_vec(),
            })
            .unwrap();
            assert!(text.contains(r#""body":"abc""#), "{text}");
            let old: S3Response =
                serde_json::from_str(r#"{"status":200,"headers":[],"body":[97,98]}"#).unwrap();
            assert_eq!(old.body, b"ab");
        }
    }
}
