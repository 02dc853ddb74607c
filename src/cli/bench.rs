//! `s3cors bench`: the subcommand's entry point and exit code. The measurements live in
//! [`crate::bench`], which knows nothing of exit codes.
//!
//! Decision: the options struct ([`crate::bench::Args`]) stays next to the code it
//! configures; it derives `clap::Args` so the CLI can flatten it, which is a derive, not CLI
//! logic, and a copy of its fields here would drift.

pub use crate::bench::Args;

/// Runs `s3cors bench`; returns the exit code (0: the measurements ran; an error is reported
/// by `main` with the harness exit code, like every subcommand's).
pub fn main(args: Args) -> anyhow::Result<u8> {
    crate::bench::run(args)?;
    Ok(super::EXIT_OK)
}
