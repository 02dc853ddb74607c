//! The upload and download flows web apps run against S3 (issue 14) and what goes wrong in
//! them, in the words a developer searches for.
//!
//! A verdict says "allowed, readable headers: …" or "blocked: <console message>"; that is
//! exact but does not say that an allowed UploadPart whose `ETag` is unreadable breaks every
//! multipart uploader, or that a blocked form POST has probably stored the file anyway. This
//! module recognises the flow a request belongs to (from its method, query and headers) and
//! turns a verdict into those one-line notes. Pure: no I/O.

use super::check::get_header;
use super::{Verdict, VerdictKind};

/// A step of a browser upload or download flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// POST Object: a `multipart/form-data` form to the bucket URL.
    FormUpload,
    /// CreateMultipartUpload (`POST ?uploads`).
    CreateMultipart,
    /// UploadPart (`PUT ?partNumber&uploadId`).
    UploadPart,
    /// CompleteMultipartUpload (`POST ?uploadId`).
    CompleteMultipart,
    /// A `Range` GET (video players, resumable downloads).
    RangeRead,
}

/// The flow of a request: `method` as sent (for a preflight, the ACRM counts), the names of
/// its query parameters, whether its body is a form, and its headers.
pub fn classify(
    method: &str,
    query: &[&str],
    is_form: bool,
    headers: &[(String, String)],
) -> Option<Flow> {
    let acrm = get_header(headers, "access-control-request-method");
    let preflight = method.eq_ignore_ascii_case("OPTIONS");
    let m = match (&acrm, preflight) {
        (Some(a), true) => a.to_ascii_uppercase(),
        _ => method.to_ascii_uppercase(),
    };
    let has = |n: &str| query.iter().any(|q| q.eq_ignore_ascii_case(n));
    let asks_range = if preflight {
        get_header(headers, "access-control-request-headers")
            .is_some_and(|h| h.split(',').any(|x| x.trim().eq_ignore_ascii_case("range")))
    } else {
        get_header(headers, "range").is_some()
    };
    match m.as_str() {
        "POST" if has("uploads") => Some(Flow::CreateMultipart),
        "POST" if has("uploadId") => Some(Flow::CompleteMultipart),
        "POST" if is_form => Some(Flow::FormUpload),
        "PUT" if has("partNumber") && has("uploadId") => Some(Flow::UploadPart),
        "GET" if asks_range => Some(Flow::RangeRead),
        _ => None,
    }
}

fn readable(v: &Verdict, name: &str) -> bool {
    v.readable_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

fn has(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// What the verdict means for the flow, as one-line notes (empty when nothing is wrong).
pub fn notes(
    flow: Flow,
    verdict: &Verdict,
    request_headers: &[(String, String)],
    response_headers: &[(String, String)],
) -> Vec<String> {
    let preflight = verdict.kind == VerdictKind::Preflight;
    let asked = get_header(request_headers, "access-control-request-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut out = Vec::new();
    match (flow, verdict.allowed, preflight) {
        (Flow::UploadPart, true, false)
            if has(response_headers, "etag") && !readable(verdict, "etag") =>
        {
            out.push(
                "multipart upload: ETag is not readable by your script — add ETag to ExposeHeaders"
                    .to_string(),
            );
        }
        (Flow::UploadPart, false, true) if asked.contains("x-amz-checksum-") => out.push(
            "multipart upload: current AWS SDKs send x-amz-checksum-crc32 and \
             x-amz-sdk-checksum-algorithm with every part — add them to AllowedHeaders (or \
             AllowedHeader *)"
                .to_string(),
        ),
        (Flow::UploadPart, false, _) => out.push(
            "multipart upload: the part upload is blocked — the rule must allow PUT and the \
             headers the uploader sends for this origin"
                .to_string(),
        ),
        (Flow::CreateMultipart, false, _) => out.push(
            "multipart upload cannot start: CreateMultipartUpload is a POST — add POST to \
             AllowedMethods"
                .to_string(),
        ),
        (Flow::CompleteMultipart, false, _) => out.push(
            "multipart upload cannot finish: CompleteMultipartUpload is a POST — add POST to \
             AllowedMethods"
                .to_string(),
        ),
        (Flow::FormUpload, false, false) => out.push(
            "form upload: S3 may have stored the file, but the page cannot read the answer — add \
             POST to AllowedMethods for this origin"
                .to_string(),
        ),
        (Flow::RangeRead, true, false)
            if has(response_headers, "content-range") && !readable(verdict, "content-range") =>
        {
            out.push(
                "range request: Content-Range is not readable by your script — add \
                 Content-Range to ExposeHeaders (players read the total length from it)"
                    .to_string(),
            );
        }
        (Flow::RangeRead, false, true) if asked.contains("range") => out.push(
            "range request: only a single `bytes=a-b` Range is safelisted; other ranges are \
             preflighted — add Range to AllowedHeaders"
                .to_string(),
        ),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::CorsError;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn flows_are_recognised_from_method_query_and_headers() {
        let none = h(&[]);
        assert_eq!(
            classify("POST", &["uploads"], false, &none),
            Some(Flow::CreateMultipart)
        );
        assert_eq!(
            classify("PUT", &["partNumber", "uploadId"], false, &none),
            Some(Flow::UploadPart)
        );
        assert_eq!(
            classify("POST", &["uploadId"], false, &none),
            Some(Flow::CompleteMultipart)
        );
        assert_eq!(classify("POST", &[], true, &none), Some(Flow::FormUpload));
        assert_eq!(
            classify("GET", &[], false, &h(&[("Range", "bytes=0-")])),
            Some(Flow::RangeRead)
        );
        let pre = h(&[("Access-Control-Request-Method", "PUT")]);
        assert_eq!(
            classify("OPTIONS", &["partNumber", "uploadId"], false, &pre),
            Some(Flow::UploadPart)
        );
        assert_eq!(classify("GET", &[], false, &none), None);
        assert_eq!(classify("PUT", &[], false, &none), None);
    }

    #[test]
    fn unreadable_etag_on_a_part_is_named() {
        let v = Verdict {
            allowed: true,
            readable_headers: vec!["content-length".into()],
            ..Verdict::default()
        };
        let resp = h(&[("ETag", "\"x\"")]);
        let n = notes(Flow::UploadPart, &v, &[], &resp);
        assert_eq!(
            n,
            ["multipart upload: ETag is not readable by your script — add ETag to ExposeHeaders"]
        );
        let v = Verdict {
            readable_headers: vec!["etag".into()],
            ..v
        };
        assert!(notes(Flow::UploadPart, &v, &[], &resp).is_empty());
    }

    #[test]
    fn blocked_flows_say_what_to_add() {
        let blocked = Verdict::blocked(VerdictKind::Actual, CorsError::MissingAllowOriginHeader);
        assert!(notes(Flow::FormUpload, &blocked, &[], &[])[0].contains("add POST"));
        let pre = Verdict::blocked(VerdictKind::Preflight, CorsError::MissingAllowOriginHeader);
        let asked = h(&[(
            "Access-Control-Request-Headers",
            "authorization,x-amz-checksum-crc32",
        )]);
        assert!(notes(Flow::UploadPart, &pre, &asked, &[])[0].contains("x-amz-checksum-crc32"));
        let asked = h(&[("Access-Control-Request-Headers", "range")]);
        assert!(notes(Flow::RangeRead, &pre, &asked, &[])[0].contains("add Range"));
    }
}
