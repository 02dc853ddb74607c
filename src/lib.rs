//! s3cors: a conformance harness for Amazon S3 bucket CORS.
//!
//! The crate is split the way data flows (see `docs/architecture.md`):
//!
//! - [`s3`]: S3 wire vocabulary shared by the server and the harness (error documents).
//! - [`cors`]: the pure, I/O-free CORS model: configuration XML, validation, rule matching,
//!   preflight and actual-request evaluation. This *is* the reference semantics.
//! - [`server`]: the embedded reference S3 server (tokio + hyper) built on [`cors`].
//! - [`case`]: the YAML case model, loading with file:line errors, the JSON Schema.
//! - [`target`]: where cases run: the `Target` trait, the S3 HTTP client, and one
//!   implementation per kind (embedded, endpoint, minio, aws).
//! - [`runner`]: trials, step execution, comparison, diff rendering.
//! - [`results`]: the one results model every report is rendered from.
//! - [`report`]: Markdown, HTML, JUnit and JSON renderers.
//! - [`record`]: recording expectations: a target's answers written into case files.
//! - [`browser`]: what a browser makes of a response (WHATWG Fetch CORS checks).
//! - [`difffuzz`]: differential fuzzing against the reference (`s3cors fuzz`).
//! - [`mutation`]: the origin-mutation pack (CORS-scanner origins as generated cases).
//! - [`explain`]: what S3 and a browser make of one request, in plain words (`s3cors explain`).
//! - [`cli`]: the command-line front end (`s3cors serve|run|report|explain|sweep|diff`).

// Lets code shared with the integration tests (the report fixtures in
// `tests/it/util/sample.rs`) name the library `s3cors::…` from inside it too.
extern crate self as s3cors;

pub mod bench;
pub mod browser;
pub mod case;
pub mod cli;
pub mod cors;
pub mod difffuzz;
pub mod explain;
pub mod mutation;
pub mod record;
pub mod report;
pub mod results;
pub mod runner;
pub mod s3;
pub mod server;
pub mod target;
