//! The CORS model: pure and I/O-free, the reference semantics of Amazon S3 bucket CORS.
//!
//! Everything s3cors judges is measured against this module; the embedded server is a thin
//! shell around it. Rule numbers (§x.y) refer to `docs/spec/aws-s3-cors.md`.
//!
//! - [`config`]: `CORSConfiguration` XML in and out, and AWS's validation (§1).
//! - [`matching`]: origin, method and header matching, first match wins (§2).
//! - [`evaluate`]: preflight (§3) and actual-request (§4) decisions and headers (§5).
//!
//! CONTRACT (other modules code against these names; the cors helper owns the bodies):
//! - `CorsConfiguration::from_xml(&[u8]) -> Result<CorsConfiguration, S3Error>` parses and validates.
//! - `CorsConfiguration::to_xml(&self) -> String` renders the GetBucketCors 200 body.
//! - `config::check_put_cors_integrity(content_md5, has_flexible_checksum, body) -> Result<(), S3Error>` (§1.4).
//! - `evaluate::preflight(BucketCors, &CorsRequest) -> Preflight`.
//! - `evaluate::actual(BucketCors, &CorsRequest) -> Option<CorsHeaders>`.
//! - `matching::explain(&CorsConfiguration, &CorsRequest) -> Vec<RuleVerdict>` for `s3cors explain`.
//!
//! Also public (added by the implementation, stable too):
//! - `CorsConfiguration::validate` / `CorsRule::validate`: S3's checks for configurations built
//!   in memory (case files), same codes and messages as `from_xml`.
//! - `matching::{origin_matches, header_matches, is_cors_method, request_header_names,
//!   split_request_headers, effective_method, rule_matches, find_rule}`: allocation-free matchers.
//! - `evaluate::{cors_headers, allow_headers_value}`, `CorsHeaders::{get, iter}`,
//!   `ResourceType::as_str`, and the header-name / message constants (`ALLOW_ORIGIN`, `VARY_VALUE`,
//!   `MSG_NOT_ALLOWED`, `config::MSG_MALFORMED_XML`, …).
//!
//! Decisions on the spec's open points are listed in the module docs of [`config`] (§1.3 n,
//! whitespace, namespace, §1.4 wording) and [`evaluate`] (§3.1.4–5, empty/duplicate ACRH,
//! empty Origin, `Connection: close`).

pub mod config;
pub mod evaluate;
pub mod matching;

pub use config::{CorsConfiguration, CorsRule};
pub use evaluate::{BucketCors, CorsHeaders, CorsRequest, Preflight, ResourceType};
