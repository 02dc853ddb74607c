//! The payload after the signature: a hex `x-amz-content-sha256` checked against the body,
//! and the `aws-chunked` decoder (chunk signatures chained from the seed signature, trailers).

use super::canonical::{constant_time_eq, sign};
use super::{EMPTY_SHA256, Payload};
use crate::s3::S3Error;
use bytes::Bytes;
use sha2::{Digest, Sha256};

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
        } => decode_chunked(
            &body,
            Some(ChunkSigning {
                seed,
                key: signing_key,
                amz_date,
                scope,
            }),
        ),
    }
}

fn incomplete() -> S3Error {
    S3Error::new(
        400,
        "IncompleteBody",
        "The request body terminated unexpectedly",
    )
}

/// What the chunk signatures of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body chain from.
#[derive(Debug, Clone, Copy)]
struct ChunkSigning<'a> {
    /// The request's own signature: the first chunk's "previous signature".
    seed: &'a str,
    key: &'a [u8; 32],
    amz_date: &'a str,
    scope: &'a str,
}

fn decode_chunked(
    body: &[u8],
    signing: Option<ChunkSigning<'_>>,
) -> Result<(Bytes, Vec<(String, String)>), S3Error> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0usize;
    let mut previous = signing.map(|s| s.seed.to_string());
    loop {
        let line_end = find_crlf(body, pos).ok_or_else(incomplete)?;
        let line = std::str::from_utf8(&body[pos..line_end]).map_err(|_| incomplete())?;
        pos = line_end + 2;
        let (size_hex, ext) = line.split_once(';').unwrap_or((line, ""));
        let size = usize::from_str_radix(size_hex.trim(), 16).map_err(|_| incomplete())?;
        let end = pos.checked_add(size).ok_or_else(incomplete)?;
        let data = body.get(pos..end).ok_or_else(incomplete)?;
        if let (
            Some(ChunkSigning {
                key,
                amz_date,
                scope,
                ..
            }),
            Some(prev),
        ) = (signing, previous.as_mut())
        {
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
