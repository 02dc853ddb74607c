//! Multipart uploads, as browser uploaders (Uppy's S3 multipart plugin, the AWS SDK's
//! `Upload`) drive them: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads.
//!
//! Kept apart from [`super::ops`] because it has its own state (uploads in progress, in
//! [`super::store::Bucket::uploads`]) and its own errors (`NoSuchUpload`, `InvalidPart`,
//! `InvalidPartOrder`, `EntityTooSmall`). Error codes, messages and extra elements are AWS's.
//! CORS is not this module's business: the service decorates every answer, errors included
//! (addendum §U3.4).
//!
//! Memory: every part is held in memory (this is an in-memory server). Each request body is
//! bounded by `max_body_bytes`, and the parts of one upload together by
//! [`ServerConfig::max_upload_bytes`](super::ServerConfig::max_upload_bytes) (400
//! `EntityTooLarge` on the part that would cross it).

use super::acl::Action;
use super::ops::{self, Ctx};
use super::response::Reply;
use super::routing::Style;
use super::store::{Object, Part, Upload};
use super::xml::{self, DECL, NS};
use crate::s3::{S3Error, escape_xml};
use bytes::Bytes;
use md5::Digest;
use std::fmt::Write;
use std::time::SystemTime;

/// S3's smallest part size for every part but the last (5 MiB).
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;
/// S3's highest part number.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// The multipart operation a request names, if it names one. Called first by the bucket and
/// object dispatchers; `None` lets them carry on.
pub fn dispatch(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: Option<&str>,
    body: &Bytes,
) -> Option<Result<Reply, S3Error>> {
    let r = ctx.route;
    let m = ctx.method.as_str();
    match key {
        None => (m == "GET" && r.has("uploads")).then(|| list_uploads(ctx, bucket)),
        Some(key) => {
            if let Some(id) = r.param("uploadId") {
                return match m {
                    "PUT" if r.has("partNumber") => Some(upload_part(ctx, bucket, key, id, body)),
                    "POST" => Some(complete(ctx, bucket, key, id, body)),
                    "DELETE" => Some(abort(ctx, bucket, key, id)),
                    "GET" => Some(list_parts(ctx, bucket, key, id)),
                    _ => None,
                };
            }
            (m == "POST" && r.has("uploads")).then(|| create(ctx, bucket, key))
        }
    }
}

/// 404 `NoSuchUpload`.
pub fn no_such_upload(id: &str) -> S3Error {
    S3Error::new(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with_field("UploadId", id)
}

fn new_upload_id() -> String {
    use base64::Engine;
    use rand::Rng;
    let raw: [u8; 48] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn create(ctx: &Ctx<'_>, bucket: &str, key: &str) -> Result<Reply, S3Error> {
    let acl = ops::canned_acl(ctx)?.unwrap_or_default();
    let upload = Upload {
        key: key.to_string(),
        initiated: SystemTime::now(),
        content_type: ctx
            .header("content-type")
            .unwrap_or_else(|| "binary/octet-stream".to_string()),
        acl,
        headers: ops::stored_headers(ctx),
        parts: Default::default(),
    };
    let id = new_upload_id();
    ops::with_bucket(ctx, bucket, Action::WriteObject, |b| {
        b.uploads.insert(id.clone(), upload);
        Ok(())
    })?;
    let doc = format!(
        "{DECL}<InitiateMultipartUploadResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId></InitiateMultipartUploadResult>",
        escape_xml(bucket),
        escape_xml(key),
        escape_xml(&id)
    );
    Ok(Reply::xml(200, doc).header("x-amz-server-side-encryption", "AES256"))
}

fn part_number(ctx: &Ctx<'_>) -> Result<u32, S3Error> {
    let raw = ctx.route.param("partNumber").unwrap_or("");
    raw.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            S3Error::new(
                400,
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .with_field("ArgumentName", "partNumber")
            .with_field("ArgumentValue", raw)
        })
}

fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(md5::Md5::digest(data)))
}

fn upload_part(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    id: &str,
    body: &Bytes,
) -> Result<Reply, S3Error> {
    // Bucket and permission first, then the part number, then the upload.
    ops::with_bucket(ctx, bucket, Action::WriteObject, |_| Ok(()))?;
    let n = part_number(ctx)?;
    let copy = ctx.header("x-amz-copy-source");
    let data = match &copy {
        Some(src) => copy_source(ctx, src)?,
        None => {
            if ops::has_flexible_checksum(ctx) {
                ops::verify_flexible_checksums(ctx, body)?;
            }
            body.clone()
        }
    };
    let etag = quoted_md5(&data);
    let now = SystemTime::now();
    let max = ctx.max_upload_bytes;
    ops::with_bucket(ctx, bucket, Action::WriteObject, |b| {
        let up = b
            .uploads
            .get_mut(id)
            .filter(|u| u.key == key)
            .ok_or_else(|| no_such_upload(id))?;
        let others: usize = up
            .parts
            .iter()
            .filter(|(p, _)| **p != n)
            .map(|(_, p)| p.data.len())
            .sum();
        if others + data.len() > max {
            return Err(S3Error::new(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
            )
            .with_field("ProposedSize", (others + data.len()).to_string())
            .with_field("MaxSizeAllowed", max.to_string()));
        }
        up.parts.insert(
            n,
            Part {
                data: data.clone(),
                etag: etag.clone(),
                last_modified: now,
            },
        );
        Ok(())
    })?;
    if copy.is_some() {
        let doc = format!(
            "{DECL}<CopyPartResult xmlns=\"{NS}\"><LastModified>{}</LastModified><ETag>{}</ETag></CopyPartResult>",
            xml::timestamp(now),
            escape_xml(&etag)
        );
        return Ok(Reply::xml(200, doc).header("x-amz-server-side-encryption", "AES256"));
    }
    let mut reply = Reply::empty(200)
        .header("etag", &etag)
        .header("x-amz-server-side-encryption", "AES256");
    // Echo the flexible checksums that were verified, as S3 does.
    for name in ["x-amz-checksum-crc32", "x-amz-checksum-sha256"] {
        if let Some(v) = ctx.header(name) {
            reply = reply.header(name, v);
        }
    }
    Ok(reply)
}

/// The bytes an UploadPartCopy copies: `x-amz-copy-source` (`bucket/key` or `/bucket/key`,
/// percent-encoded) and the optional `x-amz-copy-source-range: bytes=a-b`.
fn copy_source(ctx: &Ctx<'_>, src: &str) -> Result<Bytes, S3Error> {
    let invalid = || {
        S3Error::new(400, "InvalidArgument", "Invalid copy source object key")
            .with_field("ArgumentName", "x-amz-copy-source")
            .with_field("ArgumentValue", src)
    };
    let raw = src.split('?').next().unwrap_or("");
    let raw = raw.strip_prefix('/').unwrap_or(raw);
    let (b, k) = raw.split_once('/').ok_or_else(invalid)?;
    let b = super::routing::decode(b, false).ok_or_else(invalid)?;
    let k = super::routing::decode(k, false).ok_or_else(invalid)?;
    if k.is_empty() {
        return Err(invalid());
    }
    let data = {
        let store = ctx.store.lock();
        let sb = store.get(&b).ok_or_else(|| ops::no_such_bucket(&b))?;
        let o = sb.objects.get(&k).ok_or_else(|| ops::no_such_key(&k))?;
        if !super::acl::allows(ctx.principal, Action::ReadObject, sb.acl, Some(o.acl)) {
            return Err(super::acl::access_denied());
        }
        o.data.clone()
    };
    match ctx.header("x-amz-copy-source-range") {
        None => Ok(data),
        Some(range) => match ops::parse_range(&range, data.len()) {
            Ok(Some((a, z))) if range.trim().starts_with("bytes=") && !range.contains("=-") => {
                Ok(data.slice(a..=z))
            }
            _ => Err(S3Error::new(
                400,
                "InvalidArgument",
                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
            )
            .with_field("ArgumentName", "x-amz-copy-source-range")
            .with_field("ArgumentValue", range)),
        },
    }
}

/// `(part number, ETag)` pairs of a CompleteMultipartUpload body.
fn completed_parts(body: &[u8]) -> Result<Vec<(u32, String)>, S3Error> {
    let parts = xml::texts_of(body, "CompleteMultipartUpload", "Part")?;
    let numbers = xml::texts_of(body, "CompleteMultipartUpload", "PartNumber")?;
    let etags = xml::texts_of(body, "CompleteMultipartUpload", "ETag")?;
    if parts.is_empty() || numbers.len() != parts.len() || etags.len() != parts.len() {
        return Err(xml::malformed_xml());
    }
    numbers
        .iter()
        .zip(etags)
        .map(|(n, e)| {
            let n = n.trim().parse::<u32>().map_err(|_| xml::malformed_xml())?;
            Ok((n, e.trim().to_string()))
        })
        .collect()
}

fn unquote(etag: &str) -> &str {
    etag.trim_matches('"')
}

/// Where an object lives, as S3's `Location` elements give it.
pub fn location(ctx: &Ctx<'_>, bucket: &str, key: &str) -> String {
    let host = ctx
        .header("host")
        .unwrap_or_else(|| "localhost".to_string());
    let key = super::auth::uri_encode(key.as_bytes(), true);
    match ctx.route.style {
        Style::Path => format!("http://{host}/{bucket}/{key}"),
        Style::Virtual => format!("http://{host}/{key}"),
    }
}

fn complete(
    ctx: &Ctx<'_>,
    bucket: &str,
    key: &str,
    id: &str,
    body: &Bytes,
) -> Result<Reply, S3Error> {
    ops::with_bucket(ctx, bucket, Action::WriteObject, |b| {
        b.uploads
            .get(id)
            .filter(|u| u.key == key)
            .map(|_| ())
            .ok_or_else(|| no_such_upload(id))
    })?;
    let wanted = completed_parts(body)?;
    if wanted.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(S3Error::new(
            400,
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        )
        .with_field("UploadId", id));
    }
    let object = ops::with_bucket(ctx, bucket, Action::WriteObject, |b| {
        let up = b
            .uploads
            .get(id)
            .filter(|u| u.key == key)
            .ok_or_else(|| no_such_upload(id))?;
        let mut chosen: Vec<&Part> = Vec::with_capacity(wanted.len());
        for (n, etag) in &wanted {
            match up.parts.get(n) {
                Some(p) if unquote(&p.etag) == unquote(etag) => chosen.push(p),
                _ => {
                    return Err(S3Error::new(
                        400,
                        "InvalidPart",
                        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                    )
                    .with_field("UploadId", id)
                    .with_field("PartNumber", n.to_string())
                    .with_field("ETag", unquote(etag)));
                }
            }
        }
        let last = chosen.len() - 1;
        for (i, (p, (n, _))) in chosen.iter().zip(&wanted).enumerate() {
            if i < last && p.data.len() < MIN_PART_BYTES {
                return Err(S3Error::new(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                )
                .with_field("ProposedSize", p.data.len().to_string())
                .with_field("MinSizeAllowed", MIN_PART_BYTES.to_string())
                .with_field("PartNumber", n.to_string())
                .with_field("ETag", unquote(&p.etag)));
            }
        }
        let mut digests = md5::Md5::new();
        let total: usize = chosen.iter().map(|p| p.data.len()).sum();
        let mut data = Vec::with_capacity(total);
        for p in &chosen {
            digests.update(md5::Md5::digest(&p.data));
            data.extend_from_slice(&p.data);
        }
        let etag = format!("\"{}-{}\"", hex::encode(digests.finalize()), chosen.len());
        let Some(up) = b.uploads.remove(id) else {
            return Err(no_such_upload(id));
        };
        let object = Object {
            data: Bytes::from(data),
            etag: etag.clone(),
            content_type: up.content_type,
            last_modified: SystemTime::now(),
            acl: up.acl,
            headers: up.headers,
        };
        b.objects.insert(key.to_string(), object);
        Ok(etag)
    })?;
    let doc = format!(
        "{DECL}<CompleteMultipartUploadResult xmlns=\"{NS}\"><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag></CompleteMultipartUploadResult>",
        escape_xml(&location(ctx, bucket, key)),
        escape_xml(bucket),
        escape_xml(key),
        escape_xml(&object)
    );
    Ok(Reply::xml(200, doc).header("x-amz-server-side-encryption", "AES256"))
}

fn abort(ctx: &Ctx<'_>, bucket: &str, key: &str, id: &str) -> Result<Reply, S3Error> {
    ops::with_bucket(ctx, bucket, Action::WriteObject, |b| {
        match b.uploads.get(id) {
            Some(u) if u.key == key => {
                b.uploads.remove(id);
                Ok(Reply::empty(204))
            }
            _ => Err(no_such_upload(id)),
        }
    })
}

fn owner_xml(tag: &str) -> String {
    format!(
        "<{tag}><ID>{}</ID><DisplayName>{}</DisplayName></{tag}>",
        xml::OWNER_ID,
        xml::OWNER_NAME
    )
}

fn list_parts(ctx: &Ctx<'_>, bucket: &str, key: &str, id: &str) -> Result<Reply, S3Error> {
    let r = ctx.route;
    let max = match r.param("max-parts") {
        None => 1000,
        Some(v) => v.parse::<usize>().map(|n| n.min(1000)).map_err(|_| {
            S3Error::new(
                400,
                "InvalidArgument",
                "Provided max-parts not an integer or within integer range",
            )
            .with_field("ArgumentName", "max-parts")
            .with_field("ArgumentValue", v)
        })?,
    };
    let marker = r
        .param("part-number-marker")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let parts: Vec<(u32, Part)> = ops::with_bucket(ctx, bucket, Action::WriteObject, |b| {
        let up = b
            .uploads
            .get(id)
            .filter(|u| u.key == key)
            .ok_or_else(|| no_such_upload(id))?;
        Ok(up
            .parts
            .range(marker.saturating_add(1)..)
            .map(|(n, p)| (*n, p.clone()))
            .collect())
    })?;
    let truncated = parts.len() > max;
    let shown = &parts[..parts.len().min(max)];
    let next = shown.last().map_or(marker, |(n, _)| *n);
    let mut doc = format!(
        "{DECL}<ListPartsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId>{}{}<StorageClass>STANDARD</StorageClass><PartNumberMarker>{marker}</PartNumberMarker><NextPartNumberMarker>{next}</NextPartNumberMarker><MaxParts>{max}</MaxParts><IsTruncated>{truncated}</IsTruncated>",
        escape_xml(bucket),
        escape_xml(key),
        escape_xml(id),
        owner_xml("Initiator"),
        owner_xml("Owner"),
    );
    for (n, p) in shown {
        let _ = write!(
            doc,
            "<Part><PartNumber>{n}</PartNumber><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size></Part>",
            xml::timestamp(p.last_modified),
            escape_xml(&p.etag),
            p.data.len()
        );
    }
    doc.push_str("</ListPartsResult>");
    Ok(Reply::xml(200, doc))
}

fn list_uploads(ctx: &Ctx<'_>, bucket: &str) -> Result<Reply, S3Error> {
    let prefix = ctx.route.param("prefix").unwrap_or("").to_string();
    let mut uploads: Vec<(String, String, SystemTime)> =
        ops::with_bucket(ctx, bucket, Action::ListBucket, |b| {
            Ok(b.uploads
                .iter()
                .filter(|(_, u)| u.key.starts_with(&prefix))
                .map(|(id, u)| (u.key.clone(), id.clone(), u.initiated))
                .collect())
        })?;
    uploads.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    let mut doc = format!(
        "{DECL}<ListMultipartUploadsResult xmlns=\"{NS}\"><Bucket>{}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>{}</NextKeyMarker><NextUploadIdMarker>{}</NextUploadIdMarker><Prefix>{}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>",
        escape_xml(bucket),
        escape_xml(uploads.last().map_or("", |u| u.0.as_str())),
        escape_xml(uploads.last().map_or("", |u| u.1.as_str())),
        escape_xml(&prefix),
    );
    for (key, id, initiated) in &uploads {
        let _ = write!(
            doc,
            "<Upload><Key>{}</Key><UploadId>{}</UploadId>{}{}<StorageClass>STANDARD</StorageClass><Initiated>{}</Initiated></Upload>",
            escape_xml(key),
            escape_xml(id),
            owner_xml("Initiator"),
            owner_xml("Owner"),
            xml::timestamp(*initiated)
        );
    }
    doc.push_str("</ListMultipartUploadsResult>");
    Ok(Reply::xml(200, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_body_pairs_numbers_and_etags() {
        let body = br#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part><Part><ETag>b</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#;
        assert_eq!(
            completed_parts(body).unwrap(),
            vec![(1, "\"a\"".to_string()), (2, "b".to_string())]
        );
        let e = completed_parts(b"<CompleteMultipartUpload/>").unwrap_err();
        assert_eq!(e.code, "MalformedXML");
        let e = completed_parts(b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>").unwrap_err();
        assert_eq!(e.code, "MalformedXML");
    }
}
