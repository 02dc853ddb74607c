//! `s3cors serve`: the embedded reference S3 server in the foreground.
//!
//! Builds its own tokio runtime, starts [`crate::server`], prints how to reach it (endpoint,
//! credentials, region, ready-to-paste `export AWS_…` lines and an `aws --endpoint-url`
//! example), and stops cleanly (in-flight requests finish) on SIGINT or SIGTERM, exiting 0.
//! The flag names are part of the CLI contract in `docs/` and must not change.

use crate::server::{self, ServerConfig};
use anyhow::Context;
use std::net::SocketAddr;

/// Arguments of `s3cors serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
    /// Access key id clients must sign with.
    #[arg(long, default_value = "test")]
    pub access_key: String,
    /// Secret access key clients must sign with.
    #[arg(long, default_value = "test")]
    pub secret_key: String,
    /// Region the server answers as (SigV4 credential scope).
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Largest request body in bytes (a PutObject, an UploadPart, a form upload).
    #[arg(long, default_value_t = ServerConfig::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Largest multipart upload in bytes, all parts together (parts are kept in memory).
    #[arg(long, default_value_t = ServerConfig::default().max_upload_bytes)]
    pub max_upload_bytes: usize,
}

/// Runs `s3cors serve`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<u8> {
    let cfg = ServerConfig {
        listen: args.listen,
        access_key: args.access_key,
        secret_key: args.secret_key,
        region: args.region,
        max_body_bytes: args.max_body_bytes,
        max_upload_bytes: args.max_upload_bytes,
        ..ServerConfig::default()
    };
    let running = server::start(cfg.clone())
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    println!(
        "{}",
        banner(&cfg, &running.endpoint(), running.addr().port())
    );
    wait_for_signal().await?;
    eprintln!("s3cors serve: shutting down");
    running.shutdown().await;
    Ok(crate::cli::EXIT_OK)
}

/// What `serve` prints once it listens.
fn banner(cfg: &ServerConfig, endpoint: &str, port: u16) -> String {
    let (ak, sk, region) = (&cfg.access_key, &cfg.secret_key, &cfg.region);
    format!(
        "s3cors embedded S3 server (CORS answered as Amazon S3 does)\n\
         \x20 endpoint:    {endpoint}\n\
         \x20 access key:  {ak}\n\
         \x20 secret key:  {sk}\n\
         \x20 region:      {region}\n\
         \x20 addressing:  path-style ({endpoint}/BUCKET/KEY) or virtual-hosted (http://BUCKET.localhost:{port}/KEY)\n\
         \n\
         Try it:\n\
         \x20 export AWS_ACCESS_KEY_ID={ak} AWS_SECRET_ACCESS_KEY={sk} AWS_DEFAULT_REGION={region} AWS_ENDPOINT_URL={endpoint}\n\
         \x20 aws --endpoint-url {endpoint} s3 mb s3://my-bucket\n\
         \x20 aws --endpoint-url {endpoint} s3api put-bucket-cors --bucket my-bucket \\\n\
         \x20     --cors-configuration '{{\"CORSRules\":[{{\"AllowedOrigins\":[\"*\"],\"AllowedMethods\":[\"GET\"]}}]}}'\n\
         \x20 curl -i -X OPTIONS {endpoint}/my-bucket/key -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: GET'\n\
         \n\
         Press Ctrl-C to stop."
    )
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot listen for SIGINT")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_names_endpoint_credentials_and_examples() {
        let cfg = ServerConfig {
            access_key: "AK".into(),
            secret_key: "SK".into(),
            region: "eu-west-1".into(),
            ..ServerConfig::default()
        };
        let text = banner(&cfg, "http://127.0.0.1:9000", 9000);
        assert!(text.contains("endpoint:    http://127.0.0.1:9000"));
        assert!(text.contains(
            "export AWS_ACCESS_KEY_ID=AK AWS_SECRET_ACCESS_KEY=SK AWS_DEFAULT_REGION=eu-west-1"
        ));
        assert!(text.contains("aws --endpoint-url http://127.0.0.1:9000 s3 mb s3://my-bucket"));
    }
}
