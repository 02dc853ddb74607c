//! `multipart/form-data` parsing for browser form uploads (POST Object).
//!
//! Zero-copy over the already bounded request body: every field and the file are
//! [`Bytes`] slices of it, so a form never costs more memory than its body (which
//! `max_body_bytes` bounds), and the number of parts is capped by [`MAX_PARTS`] so a hostile
//! form of a million empty parts cannot make the server allocate per part without bound.
//! As on S3, everything after the `file` part is ignored.

use bytes::Bytes;

/// Most parts a form may have (S3's forms carry a dozen fields; 1000 is generous).
pub const MAX_PARTS: usize = 1000;

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename`, for file parts.
    pub filename: Option<String>,
    /// Its own `Content-Type`, if it has one.
    pub content_type: Option<String>,
    pub data: Bytes,
}

/// Why a body is not a form S3 would read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the Content-Type is not multipart/form-data")]
    NotFormData,
    #[error("the Content-Type has no boundary")]
    NoBoundary,
    #[error("the body is not well-formed multipart/form-data: {0}")]
    Malformed(&'static str),
    #[error("the form has more than {MAX_PARTS} parts")]
    TooManyParts,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Result<String, FormError> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(FormError::NotFormData);
    }
    for p in params {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("boundary")
        {
            let v = v.trim().trim_matches('"');
            if v.is_empty() || v.len() > 200 {
                return Err(FormError::NoBoundary);
            }
            return Ok(v.to_string());
        }
    }
    Err(FormError::NoBoundary)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A `name="value"` parameter of a `Content-Disposition` header (quotes removed, `\"`
/// unescaped).
fn disposition_param(header: &str, param: &str) -> Option<String> {
    let mut rest = header;
    while let Some(pos) = rest.find(';') {
        rest = rest[pos + 1..].trim_start();
        let (k, v) = rest.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(param) {
            let v = v.trim_start();
            if let Some(q) = v.strip_prefix('"') {
                let mut out = String::new();
                let mut chars = q.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => return Some(out),
                        c => out.push(c),
                    }
                }
                return Some(out);
            }
            return Some(v.split(';').next().unwrap_or("").trim().to_string());
        }
    }
    None
}

/// Parses a form body. Stops after the part named `file` (S3 ignores what follows).
pub fn parse(content_type: &str, body: &Bytes) -> Result<Vec<FormPart>, FormError> {
    let b = boundary(content_type)?;
    let delim = format!("--{b}");
    let next_delim = format!("\r\n--{b}");
    let start = find(body, delim.as_bytes(), 0).ok_or(FormError::Malformed("no boundary"))?;
    let mut pos = start + delim.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then CRLF.
        while body.get(pos).is_some_and(|c| *c == b' ' || *c == b'\t') {
            pos += 1;
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err(FormError::Malformed("a boundary is not followed by CRLF"));
        }
        pos += 2;
        let head_end =
            find(body, b"\r\n\r\n", pos).ok_or(FormError::Malformed("a part has no header end"))?;
        let head = std::str::from_utf8(&body[pos..head_end])
            .map_err(|_| FormError::Malformed("part headers are not UTF-8"))?;
        let data_start = head_end + 4;
        let data_end = find(body, next_delim.as_bytes(), data_start).ok_or(
            FormError::Malformed("a part is not terminated by the boundary"),
        )?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                return Err(FormError::Malformed("a part header has no colon"));
            };
            let k = k.trim();
            if k.eq_ignore_ascii_case("content-disposition") {
                if !v.trim_start().to_ascii_lowercase().starts_with("form-data") {
                    return Err(FormError::Malformed("a part is not form-data"));
                }
                name = disposition_param(v, "name");
                filename = disposition_param(v, "filename");
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        let name = name.ok_or(FormError::Malformed("a part has no name"))?;
        if parts.len() == MAX_PARTS {
            return Err(FormError::TooManyParts);
        }
        let is_file = name.eq_ignore_ascii_case("file");
        parts.push(FormPart {
            name,
            filename,
            content_type,
            data: body.slice(data_start..data_end),
        });
        if is_file {
            return Ok(parts);
        }
        pos = data_end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(s: &str) -> Bytes {
        Bytes::from(s.replace('\n', "\r\n"))
    }

    #[test]
    fn fields_and_file_are_slices_and_what_follows_file_is_ignored() {
        let b = body(
            "--XyZ\nContent-Disposition: form-data; name=\"key\"\n\nuploads/${filename}\n--XyZ\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\nContent-Type: text/plain\n\nline1\nline2\n--XyZ\nContent-Disposition: form-data; name=\"after\"\n\nx\n--XyZ--\n",
        );
        let parts = parse(CT, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "key");
        assert_eq!(&parts[0].data[..], b"uploads/${filename}");
        assert_eq!(parts[1].filename.as_deref(), Some("a \"b\".txt"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(&parts[1].data[..], b"line1\r\nline2");
    }

    #[test]
    fn boundary_parsing() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").unwrap(),
            "a b"
        );
        assert_eq!(boundary("text/plain").unwrap_err(), FormError::NotFormData);
        assert_eq!(
            boundary("multipart/form-data").unwrap_err(),
            FormError::NoBoundary
        );
    }

    #[test]
    fn broken_forms_are_errors_not_panics() {
        for bad in [
            "",
            "--XyZ",
            "--XyZ\nContent-Disposition: form-data; name=\"a\"\n\nno end",
            "--XyZ\nno colon\n\nx\n--XyZ--",
            "--XyZ\nContent-Disposition: form-data\n\nx\n--XyZ--",
            "--XyZ\nContent-Disposition: attachment; name=a\n\nx\n--XyZ--",
        ] {
            assert!(parse(CT, &body(bad)).is_err(), "{bad:?}");
        }
        let many = "--XyZ\nContent-Disposition: form-data; name=\"a\"\n\nx\n".repeat(MAX_PARTS + 1)
            + "--XyZ--";
        assert_eq!(
            parse(CT, &body(&many)).unwrap_err(),
            FormError::TooManyParts
        );
    }
}
