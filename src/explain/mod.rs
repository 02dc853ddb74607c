//! The explanation behind `s3cors explain`: which CORS rule a request hits, what S3 answers, and
//! what the browser makes of it — as data ([`Explanation`]) and in plain words ([`render`]).
//!
//! This chains the two pure models: [`crate::cors`] decides what Amazon S3 sends (rule
//! matching, preflight and actual-request headers), [`crate::browser`] decides what a browser
//! does with it (Fetch's preflight and CORS checks). Nothing here re-implements either; this
//! module only runs them in the order a browser would and words the result.
//!
//! - [`config`]: a configuration file (CORSConfiguration XML, YAML/JSON rules) → the model.
//! - [`core`]: the explanation itself ([`explain`]) and its data types.
//! - [`fixes`]: one-line fixes for the common mistakes, decided from typed facts (rule
//!   verdicts, the browser's [`crate::browser::CorsError`]), never from wording.
//! - [`render`]: the human-readable report.
//!
//! Pure and I/O-free: the CLI (`cli::explain`) reads files, fetches a live bucket's
//! configuration and picks colours; everything here is testable without a terminal.

pub mod config;
pub mod core;
pub mod fixes;
pub mod render;

pub use self::config::{ConfigError, parse_config};
pub use self::core::{
    ActualOut, BucketState, ErrorOut, Explanation, PreflightOut, RequestOut, ResponseOut, RuleOut,
    Source, explain,
};
pub use self::render::{Style, render};
