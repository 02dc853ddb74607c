//! Rule matching (§2): origin, method and requested headers; first match wins.

use super::{CorsConfiguration, CorsRequest};

/// Why one rule did or did not match a request (for `s3cors explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVerdict {
    /// Index of the rule in the configuration (0-based).
    pub index: usize,
    /// The `AllowedOrigin` pattern that matched, if any.
    pub origin_match: Option<String>,
    /// Whether the method (ACRM, else the request's) is in `AllowedMethod`.
    pub method_matched: bool,
    /// Requested header names (lower-cased) that no `AllowedHeader` matched.
    pub unmatched_headers: Vec<String>,
    /// True when this rule is the one S3 uses (the first full match).
    pub chosen: bool,
}

/// Explains every rule against the request.
pub fn explain(_config: &CorsConfiguration, _req: &CorsRequest) -> Vec<RuleVerdict> {
    todo!("cors helper")
}
