//! `CORSConfiguration` documents: parsing, validation (§1.2–§1.4) and rendering (§1.5).

use crate::s3::S3Error;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A bucket's CORS configuration: rules in stored order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CorsConfiguration {
    pub rules: Vec<CorsRule>,
}

/// One `CORSRule`, every list in stored order with case kept (§1.2, §1.5).
///
/// Also the shape of a rule in case files (`bucket.cors`), hence serde + schemars.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorsRule {
    /// `ID` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `AllowedOrigin` values.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// `AllowedMethod` values.
    #[serde(default)]
    pub allowed_methods: Vec<String>,
    /// `AllowedHeader` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i64>,
}

impl CorsConfiguration {
    /// Parses and validates a PutBucketCors body exactly as S3 does (§1.2, §1.3).
    pub fn from_xml(_body: &[u8]) -> Result<CorsConfiguration, S3Error> {
        todo!("cors helper")
    }

    /// Renders the GetBucketCors 200 body (§1.5).
    pub fn to_xml(&self) -> String {
        todo!("cors helper")
    }
}
