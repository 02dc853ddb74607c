//! `s3cors explain`.

/// Arguments of `s3cors explain`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `s3cors explain`; returns the exit code.
pub fn main(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("s3cors explain is not built yet")
}
