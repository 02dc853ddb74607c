//! `s3cors sweep`.

/// Arguments of `s3cors sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `s3cors sweep`; returns the exit code.
pub fn main(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("s3cors sweep is not built yet")
}
