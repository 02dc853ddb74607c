//! SigV4's `UriEncode` (what S3 expects in paths and canonical queries), on the
//! `percent-encoding` crate: RFC 3986's unreserved characters `A-Z a-z 0-9 - _ . ~` stay,
//! everything else becomes `%XX` with upper-case hex. One definition for the client, its fast
//! signer and the server's verifier.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

/// Characters S3 (SigV4 `UriEncode`) leaves alone: `A-Z a-z 0-9 - _ . ~`.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The same plus `/`, for object keys in paths.
pub const UNRESERVED_PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// S3's URI encoding of raw bytes: [`UNRESERVED`] stay, `/` stays when `keep_slash`,
/// everything else becomes `%XX` (upper-case hex).
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let set = if keep_slash {
        UNRESERVED_PATH
    } else {
        UNRESERVED
    };
    percent_encode(bytes, set).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written loop this replaced, kept as the reference.
    fn by_hand(bytes: &[u8], keep_slash: bool) -> String {
        let mut out = String::new();
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

    #[test]
    fn every_byte_encodes_as_sigv4_says() {
        let all: Vec<u8> = (0..=255).collect();
        for keep in [false, true] {
            assert_eq!(uri_encode(&all, keep), by_hand(&all, keep));
        }
        assert_eq!(uri_encode(b"a b/c~$", true), "a%20b/c~%24");
        assert_eq!(uri_encode(b"a b/c~$", false), "a%20b%2Fc~%24");
    }
}
