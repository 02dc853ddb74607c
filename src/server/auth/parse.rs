//! Reading what a request claims: the `Authorization` header's components, the presigned
//! query's `X-Amz-*` parameters, the credential scope and the `X-Amz-Date` stamp. Nothing here
//! computes a signature; the errors are AWS's, with its codes and wording.

use super::{ALGORITHM, Credentials, malformed, query_error, v2_not_supported};
use crate::s3::S3Error;
use std::time::{Duration, SystemTime};

/// The three components of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
/// Signature=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HeaderAuth<'a> {
    pub credential: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Parses an `Authorization` header value (SigV4 only; SigV2 and other schemes are refused
/// with S3's errors).
pub(super) fn parse_authorization(authorization: &str) -> Result<HeaderAuth<'_>, S3Error> {
    let Some(rest) = authorization.strip_prefix(ALGORITHM) else {
        if authorization.starts_with("AWS ") {
            return Err(v2_not_supported());
        }
        return Err(
            S3Error::new(400, "InvalidArgument", "Unsupported Authorization Type")
                .with_field("ArgumentName", "Authorization")
                .with_field("ArgumentValue", authorization),
        );
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed, signature)
    else {
        return Err(malformed(
            "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
        ));
    };
    Ok(HeaderAuth {
        credential,
        signed_headers,
        signature,
    })
}

/// The six `X-Amz-*` parameters of a presigned URL, as sent (not yet validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PresignedParams<'a> {
    pub algorithm: &'a str,
    pub credential: &'a str,
    pub amz_date: &'a str,
    pub expires: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Finds the presigned parameters in a decoded query; all six are required.
pub(super) fn parse_presigned(query: &[(String, String)]) -> Result<PresignedParams<'_>, S3Error> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (
        Some(algorithm),
        Some(credential),
        Some(amz_date),
        Some(expires),
        Some(signed_headers),
        Some(signature),
    ) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Date"),
        get("X-Amz-Expires"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Signature"),
    )
    else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    Ok(PresignedParams {
        algorithm,
        credential,
        amz_date,
        expires,
        signed_headers,
        signature,
    })
}

/// A parsed credential scope `AKID/DATE/REGION/SERVICE/aws4_request`.
pub(super) struct Scope<'a> {
    pub access_key: &'a str,
    pub date: &'a str,
    pub region: &'a str,
}

impl Scope<'_> {
    /// `DATE/REGION/s3/aws4_request`, as the string to sign names it.
    pub fn string(&self) -> String {
        format!("{}/{}/s3/aws4_request", self.date, self.region)
    }
}

/// Checks a credential `AKID/DATE/REGION/SERVICE/aws4_request` against the server's;
/// `err` words a malformed one (header and query forms differ).
pub(super) fn parse_scope<'a>(
    credential: &'a str,
    creds: Credentials<'_>,
    err: fn(&str) -> S3Error,
) -> Result<Scope<'a>, S3Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminal] = parts[..] else {
        return Err(err(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        ));
    };
    if access_key != creds.access_key {
        return Err(S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with_field("AWSAccessKeyId", access_key));
    }
    if region != creds.region {
        return Err(err(&format!(
            "the region '{region}' is wrong; expecting '{}'",
            creds.region
        ))
        .with_field("Region", creds.region));
    }
    if service != "s3" {
        return Err(err(&format!(
            "incorrect service \"{service}\". This endpoint belongs to \"s3\"."
        )));
    }
    if terminal != "aws4_request" {
        return Err(err(&format!(
            "incorrect terminal \"{terminal}\". This endpoint uses \"aws4_request\"."
        )));
    }
    Ok(Scope {
        access_key,
        date,
        region,
    })
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'`.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(s, &format)
        .ok()?
        .assume_utc();
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// `2024-05-24T00:00:00Z`.
pub fn iso8601(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
