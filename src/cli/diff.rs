//! `s3cors diff`.

/// Arguments of `s3cors diff`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `s3cors diff`; returns the exit code.
pub fn main(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("s3cors diff is not built yet")
}
