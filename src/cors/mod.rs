//! The CORS model: pure and I/O-free, the reference semantics of Amazon S3 bucket CORS.
//!
//! Everything s3cors judges is measured against this module; the embedded server is a thin
//! shell around it. Rule numbers (§x.y) refer to `spec/aws-s3-cors.md`.
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

pub mod config;
pub mod evaluate;
pub mod matching;

pub use config::{CorsConfiguration, CorsRule};
pub use evaluate::{BucketCors, CorsHeaders, CorsRequest, Preflight, ResourceType};
