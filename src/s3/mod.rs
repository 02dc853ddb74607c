//! S3 wire vocabulary shared by the embedded server and the harness.
//!
//! Kept tiny and dependency-free on purpose: the CORS model ([`crate::cors`]) returns
//! [`S3Error`] values, the server renders them, and the runner parses them back.

mod error;

pub use error::{ParsedError, S3Error, escape_xml, parse_error_body};
