//! The command-line front end. `src/main.rs` parses arguments with clap and calls the
//! `main` of one of these modules; each returns the process exit code.
//!
//! Exit codes (stable, documented in the README):
//! - [`EXIT_OK`] 0: nothing failed.
//! - [`EXIT_FAILURES`] 1: conformance failures (a case failed, or a known-deviation entry is stale).
//! - [`EXIT_USAGE`] 2: bad command line (clap's own code).
//! - [`EXIT_CASE_ERRORS`] 3: case files (or an expectations file) could not be loaded.
//! - [`EXIT_HARNESS`] 4: the harness or a target broke (errors, not differences).

pub mod cases;
pub mod diff;
pub mod explain;
pub mod report;
pub mod run;
pub mod serve;
pub mod sweep;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILURES: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_CASE_ERRORS: u8 = 3;
pub const EXIT_HARNESS: u8 = 4;
