//! S3 wire vocabulary shared by the embedded server and the harness: the bottom layer.
//!
//! - error documents: the CORS model ([`crate::cors`]) returns [`S3Error`] values, the server
//!   renders them, and the runner parses them back;
//! - the HTTP exchange ([`S3Request`], [`S3Response`], [`WireRequest`], [`TransportError`]);
//! - facts about a target for reports ([`TargetInfo`], [`Capabilities`]);
//! - SigV4's URI encoding ([`uri`]).
//!
//! It imports nothing from the rest of the crate (see `docs/architecture.md`).

mod error;
mod facts;
pub mod post_form;
pub mod uri;
mod wire;

pub use error::{ParsedError, S3Error, escape_xml, parse_error_body};
pub use facts::{Capabilities, TargetInfo};
pub use wire::{Addressing, Auth, S3Request, S3Response, TransportError, WireRequest};
