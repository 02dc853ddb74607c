//! Preflight (§3) and actual-request (§4) evaluation, response headers (§5).

use super::CorsConfiguration;
use crate::s3::S3Error;

/// Whether the request URL names the bucket or an object (§3.1.6, `<ResourceType>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Bucket,
    Object,
}

/// The CORS-relevant parts of one HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct CorsRequest<'a> {
    /// The request's own HTTP method.
    pub method: &'a str,
    /// `Origin` header, verbatim.
    pub origin: Option<&'a str>,
    /// `Access-Control-Request-Method` header, verbatim.
    pub request_method: Option<&'a str>,
    /// `Access-Control-Request-Headers` header, verbatim.
    pub request_headers: Option<&'a str>,
    /// Bucket URL or object URL.
    pub resource: ResourceType,
}

/// The bucket's state as far as CORS is concerned.
#[derive(Debug, Clone, Copy)]
pub enum BucketCors<'a> {
    /// No such bucket.
    Missing,
    /// The bucket exists and has no CORS configuration.
    NotConfigured,
    /// The bucket exists with this configuration.
    Configured(&'a CorsConfiguration),
}

/// CORS response headers in AWS's emit order (ACAO, ACAM, ACAH, ACEH, ACMA, ACAC, Vary; §5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsHeaders(pub Vec<(&'static str, String)>);

/// The outcome of an `OPTIONS` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    /// 200 with these headers (§3.2).
    Allowed(CorsHeaders),
    /// Refused with this error (§3.1); no CORS headers.
    Refused(S3Error),
}

/// Evaluates a preflight (§3.1, §3.2).
pub fn preflight(_bucket: BucketCors<'_>, _req: &CorsRequest<'_>) -> Preflight {
    todo!("cors helper")
}

/// The CORS headers for a non-OPTIONS request, or `None` when none are sent (§4).
pub fn actual(_bucket: BucketCors<'_>, _req: &CorsRequest<'_>) -> Option<CorsHeaders> {
    todo!("cors helper")
}
