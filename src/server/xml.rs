//! S3 XML documents: the success bodies the server renders and the two small request bodies
//! it parses (CreateBucketConfiguration, Delete). Error documents live in [`crate::s3`];
//! CORS configurations in [`crate::cors`].
//!
//! Rendering is plain string building with [`escape_xml`]: the documents are small, flat and
//! fixed in shape, and byte-for-byte control over element order matters more here than
//! generality.

use super::acl::CannedAcl;
use crate::s3::{S3Error, escape_xml};
use std::fmt::Write;
use std::time::SystemTime;

/// The S3 document namespace.
pub const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// The XML declaration S3 puts before every document.
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
/// The canonical user id of the server's one account (AWS's documentation example id).
pub const OWNER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
/// Its display name.
pub const OWNER_NAME: &str = "s3cors";

/// `2009-10-12T17:50:30.000Z`, the timestamp format of S3 listings.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(d.as_nanos() as i128)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

fn owner() -> String {
    format!("<Owner><ID>{OWNER_ID}</ID><DisplayName>{OWNER_NAME}</DisplayName></Owner>")
}

/// ListBuckets.
pub fn list_buckets(buckets: &[(String, SystemTime)], region: &str) -> String {
    let with_region: Vec<(String, SystemTime, String)> = buckets
        .iter()
        .map(|(n, t)| (n.clone(), *t, region.to_string()))
        .collect();
    list_buckets_in(&with_region)
}

/// ListBuckets where each bucket names its own region (the AWS-like mode).
pub fn list_buckets_in(buckets: &[(String, SystemTime, String)]) -> String {
    let mut s = format!(
        "{DECL}<ListAllMyBucketsResult xmlns=\"{NS}\">{}<Buckets>",
        owner()
    );
    for (name, created, region) in buckets {
        let _ = write!(
            s,
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate><BucketRegion>{}</BucketRegion></Bucket>",
            escape_xml(name),
            timestamp(*created),
            escape_xml(region)
        );
    }
    s.push_str("</Buckets></ListAllMyBucketsResult>");
    s
}

/// GetBucketLocation (`us-east-1` is the empty constraint).
pub fn location(region: &str) -> String {
    if region == "us-east-1" {
        format!("{DECL}<LocationConstraint xmlns=\"{NS}\"/>")
    } else {
        format!(
            "{DECL}<LocationConstraint xmlns=\"{NS}\">{}</LocationConstraint>",
            escape_xml(region)
        )
    }
}

/// One entry of a listing.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub last_modified: SystemTime,
    pub etag: String,
    pub size: usize,
}

/// The computed page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or prefix returned (v1 NextMarker / v2 token source).
    pub last: Option<String>,
}

/// ListObjects parameters as they are echoed in the result.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub bucket: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: usize,
    pub url_encode: bool,
    /// v1 `Marker`.
    pub marker: Option<String>,
    /// v2 `ContinuationToken`, `StartAfter`, `FetchOwner`.
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    pub fetch_owner: bool,
}

fn enc(p: &ListParams, s: &str) -> String {
    if p.url_encode {
        super::auth::uri_encode(s.as_bytes(), true)
    } else {
        escape_xml(s)
    }
}

fn contents(p: &ListParams, l: &Listing, with_owner: bool, s: &mut String) {
    for e in &l.entries {
        let _ = write!(
            s,
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size>{}<StorageClass>STANDARD</StorageClass></Contents>",
            enc(p, &e.key),
            timestamp(e.last_modified),
            escape_xml(&e.etag),
            e.size,
            if with_owner { owner() } else { String::new() }
        );
    }
    for cp in &l.common_prefixes {
        let _ = write!(
            s,
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            enc(p, cp)
        );
    }
}

/// ListObjects (v1).
pub fn list_objects_v1(p: &ListParams, l: &Listing) -> String {
    let mut s = format!(
        "{DECL}<ListBucketResult xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix><Marker>{}</Marker><MaxKeys>{}</MaxKeys>",
        escape_xml(&p.bucket),
        enc(p, &p.prefix),
        enc(p, p.marker.as_deref().unwrap_or("")),
        p.max_keys
    );
    if let Some(d) = &p.delimiter {
        let _ = write!(s, "<Delimiter>{}</Delimiter>", enc(p, d));
    }
    if p.url_encode {
        s.push_str("<EncodingType>url</EncodingType>");
    }
    let _ = write!(s, "<IsTruncated>{}</IsTruncated>", l.truncated);
    if l.truncated
        && p.delimiter.is_some()
        && let Some(last) = &l.last
    {
        let _ = write!(s, "<NextMarker>{}</NextMarker>", enc(p, last));
    }
    contents(p, l, true, &mut s);
    s.push_str("</ListBucketResult>");
    s
}

/// ListObjectsV2. `next_token` is the continuation token to hand out when truncated.
pub fn list_objects_v2(p: &ListParams, l: &Listing, next_token: Option<&str>) -> String {
    let mut s = format!(
        "{DECL}<ListBucketResult xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix>",
        escape_xml(&p.bucket),
        enc(p, &p.prefix)
    );
    if let Some(t) = &p.continuation_token {
        let _ = write!(
            s,
            "<ContinuationToken>{}</ContinuationToken>",
            escape_xml(t)
        );
    }
    if let Some(t) = next_token {
        let _ = write!(
            s,
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape_xml(t)
        );
    }
    if let Some(a) = &p.start_after {
        let _ = write!(s, "<StartAfter>{}</StartAfter>", enc(p, a));
    }
    let _ = write!(
        s,
        "<KeyCount>{}</KeyCount><MaxKeys>{}</MaxKeys>",
        l.entries.len() + l.common_prefixes.len(),
        p.max_keys
    );
    if let Some(d) = &p.delimiter {
        let _ = write!(s, "<Delimiter>{}</Delimiter>", enc(p, d));
    }
    if p.url_encode {
        s.push_str("<EncodingType>url</EncodingType>");
    }
    let _ = write!(s, "<IsTruncated>{}</IsTruncated>", l.truncated);
    contents(p, l, p.fetch_owner, &mut s);
    s.push_str("</ListBucketResult>");
    s
}

/// Get{Bucket,Object}Acl for a canned ACL.
pub fn access_control_policy(acl: CannedAcl) -> String {
    let grant_owner = format!(
        "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>{OWNER_ID}</ID><DisplayName>{OWNER_NAME}</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
    );
    let group = |uri: &str, perm: &str| {
        format!(
            "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/{uri}</URI></Grantee><Permission>{perm}</Permission></Grant>"
        )
    };
    let mut grants = grant_owner;
    match acl {
        CannedAcl::PublicRead => grants.push_str(&group("global/AllUsers", "READ")),
        CannedAcl::PublicReadWrite => {
            grants.push_str(&group("global/AllUsers", "READ"));
            grants.push_str(&group("global/AllUsers", "WRITE"));
        }
        CannedAcl::AuthenticatedRead => {
            grants.push_str(&group("global/AuthenticatedUsers", "READ"))
        }
        CannedAcl::LogDeliveryWrite => {
            grants.push_str(&group("s3/LogDelivery", "WRITE"));
            grants.push_str(&group("s3/LogDelivery", "READ_ACP"));
        }
        _ => {}
    }
    format!(
        "{DECL}<AccessControlPolicy xmlns=\"{NS}\">{}<AccessControlList>{grants}</AccessControlList></AccessControlPolicy>",
        owner()
    )
}

/// The result of DeleteObjects.
pub fn delete_result(deleted: &[String], quiet: bool) -> String {
    let mut s = format!("{DECL}<DeleteResult xmlns=\"{NS}\">");
    if !quiet {
        for k in deleted {
            let _ = write!(s, "<Deleted><Key>{}</Key></Deleted>", escape_xml(k));
        }
    }
    s.push_str("</DeleteResult>");
    s
}

/// The `MalformedXML` error S3 sends for bodies that do not parse or validate.
pub fn malformed_xml() -> S3Error {
    S3Error::new(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// Collects the text of every element named `name` (at any depth), in document order.
/// `Err(MalformedXML)` when the body is not well-formed XML with a `root` root element.
pub fn texts_of(body: &[u8], root: &str, name: &str) -> Result<Vec<String>, S3Error> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut saw_root = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let n = AsRef::<str>::as_ref(&e.local_name()).to_string();
                if stack.is_empty() {
                    if n != root || saw_root {
                        return Err(malformed_xml());
                    }
                    saw_root = true;
                }
                stack.push(n);
                text.clear();
            }
            Ok(Event::Empty(e)) => {
                let n = AsRef::<str>::as_ref(&e.local_name()).to_string();
                if stack.is_empty() {
                    if n != root || saw_root {
                        return Err(malformed_xml());
                    }
                    saw_root = true;
                } else if n == name {
                    out.push(String::new());
                }
            }
            Ok(Event::Text(t)) => {
                let raw = t.to_string();
                text.push_str(&raw);
            }
            Ok(Event::GeneralRef(r)) => {
                let entity = r.to_string();
                match entity.as_str() {
                    "lt" => text.push('<'),
                    "gt" => text.push('>'),
                    "amp" => text.push('&'),
                    "quot" => text.push('"'),
                    "apos" => text.push('\''),
                    _ => return Err(malformed_xml()),
                }
            }
            Ok(Event::CData(t)) => text.push_str(&t),
            Ok(Event::End(_)) => {
                let n = stack.pop().ok_or_else(malformed_xml)?;
                if n == name {
                    out.push(std::mem::take(&mut text));
                }
                text.clear();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return Err(malformed_xml()),
        }
    }
    if !saw_root || !stack.is_empty() {
        return Err(malformed_xml());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_finds_nested_elements() {
        let body = b"<Delete xmlns=\"x\"><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object><Quiet>true</Quiet></Delete>";
        assert_eq!(texts_of(body, "Delete", "Key").unwrap(), ["a&b", "c"]);
        assert_eq!(texts_of(body, "Delete", "Quiet").unwrap(), ["true"]);
    }

    #[test]
    fn texts_of_rejects_malformed_and_wrong_root() {
        assert_eq!(
            texts_of(b"<Delete><Key>a</Delete>", "Delete", "Key")
                .unwrap_err()
                .code,
            "MalformedXML"
        );
        assert_eq!(
            texts_of(b"<Other/>", "Delete", "Key").unwrap_err().code,
            "MalformedXML"
        );
        assert_eq!(
            texts_of(b"", "Delete", "Key").unwrap_err().code,
            "MalformedXML"
        );
        assert_eq!(
            texts_of(b"\xff\xfe<", "Delete", "Key").unwrap_err().code,
            "MalformedXML"
        );
    }

    #[test]
    fn acl_documents_list_the_right_grants() {
        let private = access_control_policy(CannedAcl::Private);
        assert!(private.contains("FULL_CONTROL") && !private.contains("AllUsers"));
        let public = access_control_policy(CannedAcl::PublicRead);
        assert!(public.contains("<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission>"));
        assert!(!public.contains("WRITE"));
    }

    #[test]
    fn timestamps_have_milliseconds() {
        assert_eq!(
            timestamp(SystemTime::UNIX_EPOCH),
            "1970-01-01T00:00:00.000Z"
        );
    }
}
