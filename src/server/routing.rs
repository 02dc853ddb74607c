//! Addressing: which bucket and key a request names, and which subresource it asks for.
//!
//! # The addressing rule
//!
//! 1. The `Host` header is lower-cased and its port removed. If it ends with
//!    `.<domain>` for one of [`ServerConfig::domains`](super::ServerConfig::domains)
//!    (default `localhost` and `s3.localhost`; the longest matching domain wins), the part
//!    before it is the bucket: **virtual-hosted** style, and the whole path is the key
//!    (`Host: photos.localhost:9000`, `GET /a/b.jpg` → bucket `photos`, key `a/b.jpg`;
//!    `Host: photos.s3.localhost` works too).
//! 2. Otherwise (an IP address, a host equal to one of the domains, any other name) it is
//!    **path-style**: the first path segment is the bucket and the rest the key
//!    (`GET /photos/a/b.jpg`).
//! 3. `/` alone (or `/bucket/` with nothing after the slash) names the service or the bucket,
//!    not an object.
//!
//! The path is split on `/` *before* percent-decoding (so `%2F` inside a key stays inside the
//! key) and is never normalised: `..` and `.` are literal key characters, as on S3.
//! Percent-encoding must be well formed and decode to UTF-8, else 400 `InvalidURI`. Keys are
//! limited to 1024 bytes (400 `KeyTooLongError`). In the query, `+` means a space (form
//! decoding, as S3 and the SigV4 signers treat it).

use crate::s3::S3Error;

/// Largest key S3 accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Query parameters that select an S3 subresource or operation. Any of these that the
/// server does not implement is answered with `NotImplemented`.
pub const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "metadataConfiguration",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "renameObject",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "session",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// How the bucket was addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `/bucket/key`.
    Path,
    /// `Host: bucket.<domain>`, `/key`.
    Virtual,
}

/// What a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The bucket, `None` for the service endpoint.
    pub bucket: Option<String>,
    /// The object key (decoded), `None` for the bucket itself.
    pub key: Option<String>,
    /// Addressing style.
    pub style: Style,
    /// Decoded query parameters in request order; a bare `?cors` has value `""`.
    pub query: Vec<(String, String)>,
}

impl Route {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the query has this parameter.
    pub fn has(&self, name: &str) -> bool {
        self.query.iter().any(|(n, _)| n == name)
    }

    /// The first subresource parameter of the query (see [`SUBRESOURCES`]), if any.
    pub fn subresource(&self) -> Option<&str> {
        self.query
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| SUBRESOURCES.contains(n))
    }
}

/// Works out the bucket, key and query of a request.
pub fn route(
    host: Option<&str>,
    raw_path: &str,
    raw_query: Option<&str>,
    domains: &[String],
) -> Result<Route, S3Error> {
    let invalid_uri = || {
        let shown = match raw_query {
            Some(q) => format!("{raw_path}?{q}"),
            None => raw_path.to_string(),
        };
        S3Error::new(400, "InvalidURI", "Couldn't parse the specified URI.")
            .with_field("URI", shown)
    };
    let path = raw_path.strip_prefix('/').ok_or_else(invalid_uri)?;
    let query = parse_query(raw_query.unwrap_or("")).ok_or_else(invalid_uri)?;
    let virtual_bucket = host.and_then(|h| bucket_from_host(h, domains));
    let (bucket, raw_key, style) = match virtual_bucket {
        Some(b) => (Some(b), path, Style::Virtual),
        None if path.is_empty() => (None, "", Style::Path),
        None => {
            let (b, k) = path.split_once('/').unwrap_or((path, ""));
            let b = decode(b, false).ok_or_else(invalid_uri)?;
            (Some(b), k, Style::Path)
        }
    };
    let key = if raw_key.is_empty() {
        None
    } else {
        let k = decode(raw_key, false).ok_or_else(invalid_uri)?;
        if k.len() > MAX_KEY_BYTES {
            return Err(S3Error::new(400, "KeyTooLongError", "Your key is too long")
                .with_field("MaxSizeAllowed", MAX_KEY_BYTES.to_string())
                .with_field("Size", k.len().to_string()));
        }
        Some(k)
    };
    Ok(Route {
        bucket,
        key,
        style,
        query,
    })
}

/// The bucket named by a virtual-hosted `Host` header, if it is one.
pub fn bucket_from_host(host: &str, domains: &[String]) -> Option<String> {
    let host = strip_port(host).to_ascii_lowercase();
    let domains: Vec<String> = domains
        .iter()
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if domains.contains(&host) {
        return None;
    }
    let best = domains
        .iter()
        .filter(|d| {
            host.strip_suffix(d.as_str())
                .and_then(|p| p.strip_suffix('.'))
                .is_some_and(|b| !b.is_empty())
        })
        .max_by_key(|d| d.len())?;
    Some(host[..host.len() - best.len() - 1].to_string())
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // IPv6 literal: never a virtual host; keep it whole up to `]`.
        return host.split(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Parses a raw query string; `None` when its percent-encoding is broken.
pub fn parse_query(raw: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((decode(n, true)?, decode(v, true)?));
    }
    Some(out)
}

/// Strict percent-decoding to UTF-8; `plus_is_space` for query components.
pub fn decode(s: &str, plus_is_space: bool) -> Option<String> {
    String::from_utf8(decode_bytes(s, plus_is_space)?).ok()
}

/// Strict percent-decoding: `None` on a `%` not followed by two hex digits.
pub fn decode_bytes(s: &str, plus_is_space: bool) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex_val(*bytes.get(i + 1)?)?;
                let lo = hex_val(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        vec!["localhost".into(), "s3.localhost".into()]
    }

    fn r(host: &str, path: &str, query: Option<&str>) -> Route {
        route(Some(host), path, query, &domains()).unwrap()
    }

    #[test]
    fn path_style_bucket_and_key() {
        let x = r("127.0.0.1:9000", "/photos/a/b%20c.jpg", None);
        assert_eq!(x.bucket.as_deref(), Some("photos"));
        assert_eq!(x.key.as_deref(), Some("a/b c.jpg"));
        assert_eq!(x.style, Style::Path);
    }

    #[test]
    fn path_style_bucket_only_and_service() {
        let x = r("127.0.0.1:9000", "/photos/", None);
        assert_eq!((x.bucket.as_deref(), x.key), (Some("photos"), None));
        let x = r("127.0.0.1:9000", "/photos", None);
        assert_eq!((x.bucket.as_deref(), x.key), (Some("photos"), None));
        let x = r("127.0.0.1:9000", "/", None);
        assert_eq!((x.bucket, x.key), (None, None));
    }

    #[test]
    fn virtual_hosted_localhost_with_port() {
        let x = r("Photos.localhost:9000", "/a/b.jpg", None);
        assert_eq!(x.bucket.as_deref(), Some("photos"));
        assert_eq!(x.key.as_deref(), Some("a/b.jpg"));
        assert_eq!(x.style, Style::Virtual);
    }

    #[test]
    fn virtual_hosted_longest_domain_wins() {
        let x = r("photos.s3.localhost", "/", None);
        assert_eq!(x.bucket.as_deref(), Some("photos"));
        assert_eq!(x.key, None);
    }

    #[test]
    fn bare_domain_is_path_style() {
        let x = r("s3.localhost:9000", "/photos/k", None);
        assert_eq!(x.bucket.as_deref(), Some("photos"));
        assert_eq!(x.style, Style::Path);
        let x = r("localhost", "/photos", None);
        assert_eq!(x.bucket.as_deref(), Some("photos"));
    }

    #[test]
    fn configured_domains_are_case_insensitive() {
        let d = vec!["S3.Example.COM.".to_string()];
        assert_eq!(
            bucket_from_host("b.s3.example.com:443", &d).as_deref(),
            Some("b")
        );
        assert_eq!(bucket_from_host("s3.example.com", &d), None);
    }

    #[test]
    fn dotted_bucket_virtual_hosted() {
        let x = r("my.bucket.localhost:1", "/k", None);
        assert_eq!(x.bucket.as_deref(), Some("my.bucket"));
    }

    #[test]
    fn encoded_slash_stays_in_key_and_dots_are_literal() {
        let x = r("127.0.0.1", "/b/a%2Fb/../c", None);
        assert_eq!(x.key.as_deref(), Some("a/b/../c"));
    }

    #[test]
    fn bad_percent_encoding_is_invalid_uri() {
        let e = route(Some("127.0.0.1"), "/b/%zz", None, &domains()).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidURI"));
        let e = route(Some("127.0.0.1"), "/b/%4", None, &domains()).unwrap_err();
        assert_eq!(e.code, "InvalidURI");
        let e = route(Some("127.0.0.1"), "/b/%ff", None, &domains()).unwrap_err();
        assert_eq!(e.code, "InvalidURI", "not UTF-8");
        let e = route(Some("127.0.0.1"), "/b/k", Some("a=%"), &domains()).unwrap_err();
        assert_eq!(e.code, "InvalidURI");
    }

    #[test]
    fn long_key_is_refused() {
        let path = format!("/b/{}", "k".repeat(1025));
        let e = route(Some("127.0.0.1"), &path, None, &domains()).unwrap_err();
        assert_eq!(e.code, "KeyTooLongError");
        let path = format!("/b/{}", "k".repeat(1024));
        assert!(route(Some("127.0.0.1"), &path, None, &domains()).is_ok());
    }

    #[test]
    fn query_is_decoded_in_order_and_subresource_found() {
        let x = r(
            "127.0.0.1",
            "/b",
            Some("x-id=GetObject&cors&prefix=a+b%2Fc"),
        );
        assert_eq!(x.param("prefix"), Some("a b/c"));
        assert_eq!(x.param("cors"), Some(""));
        assert_eq!(x.subresource(), Some("cors"));
        let x = r("127.0.0.1", "/b", Some("X-Amz-Signature=abc&list-type=2"));
        assert_eq!(x.subresource(), None);
    }

    #[test]
    fn ipv6_host_is_path_style() {
        let x = r("[::1]:9000", "/b/k", None);
        assert_eq!(x.bucket.as_deref(), Some("b"));
        assert_eq!(x.style, Style::Path);
    }
}
