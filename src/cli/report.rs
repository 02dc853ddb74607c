//! `s3cors report`.

/// Arguments of `s3cors report`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `s3cors report`; returns the exit code.
pub fn main(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("s3cors report is not built yet")
}
