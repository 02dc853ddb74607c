//! `s3cors run`.

/// Arguments of `s3cors run`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `s3cors run`; returns the exit code.
pub fn main(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("s3cors run is not built yet")
}
