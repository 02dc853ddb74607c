//! `s3cors serve`.

/// Arguments of `s3cors serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `s3cors serve`; returns the exit code.
pub fn main(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("s3cors serve is not built yet")
}
