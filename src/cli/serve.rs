//! `s3cors serve`: the embedded reference S3 server in the foreground.
//!
//! Builds its own tokio runtime, starts [`crate::server`], prints how to reach it (endpoint,
//! credentials, region, ready-to-paste `export AWS_…` lines and an `aws --endpoint-url`
//! example), and stops cleanly (in-flight requests finish) on SIGINT or SIGTERM, exiting 0.
//! The flag names are part of the CLI contract in `docs/` and must not change.
//!
//! `--aws` and the flags after it switch on the AWS-like mode ([`crate::server::awslike`],
//! `docs/aws.md`): what `--target aws` is proved against without an AWS account.

use crate::server::awslike::AwsLikeConfig;
use crate::server::{self, ServerConfig};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// AWS-like mode: answer `s3.REGION.amazonaws.com` names (path-style and virtual-hosted),
    /// redirect requests for a bucket sent to another region's endpoint, keep one bucket
    /// namespace across accounts, support bucket tagging. See docs/aws.md.
    #[arg(long)]
    pub aws: bool,
    /// AWS-like mode: serve HTTPS with a CA generated at start-up, and write the CA
    /// certificate (PEM) to this file for clients to trust.
    #[arg(long, value_name = "PATH", requires = "aws")]
    pub ca_file: Option<PathBuf>,
    /// AWS-like mode: another account, `ACCESS_KEY:SECRET_KEY` (repeatable). Each key pair is
    /// its own account; bucket names are shared by all.
    #[arg(long, value_name = "AK:SK", requires = "aws", value_parser = parse_account)]
    pub account: Vec<(String, String)>,
    /// AWS-like mode: how long a CORS configuration change takes to show in GetBucketCors
    /// (`2s`, `500ms`; plain numbers are seconds).
    #[arg(long, value_name = "DURATION", default_value = "0s", requires = "aws", value_parser = parse_duration)]
    pub get_cors_delay: Duration,
    /// AWS-like mode: how long it takes to apply to preflights and actual requests.
    #[arg(long, value_name = "DURATION", default_value = "0s", requires = "aws", value_parser = parse_duration)]
    pub cors_delay: Duration,
    /// AWS-like mode: fraction of requests answered `503 SlowDown` (0 to 1, e.g. 0.05).
    #[arg(long, value_name = "RATE", default_value_t = 0.0, requires = "aws", value_parser = parse_rate)]
    pub throttle: f64,
    /// AWS-like mode: seed of the throttling random source (same seed, same draws).
    #[arg(long, default_value_t = 1, requires = "aws")]
    pub seed: u64,
}

/// `AK:SK` → the pair.
fn parse_account(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((ak, sk)) if !ak.is_empty() && !sk.is_empty() => Ok((ak.to_string(), sk.to_string())),
        _ => Err("expected ACCESS_KEY:SECRET_KEY, both non-empty".to_string()),
    }
}

/// `2s`, `1500ms`, `0.5s`, `3` (seconds) → a duration.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale <= 3600.0 => {
            Ok(Duration::from_secs_f64(v * scale))
        }
        _ => Err(format!(
            "`{s}` is not a duration between 0 and 1 h (e.g. 2s, 500ms)"
        )),
    }
}

/// A probability in 0..=1.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a rate between 0 and 1 (e.g. 0.05)")),
    }
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
    let aws = args.aws.then(|| AwsLikeConfig {
        accounts: args.account.clone(),
        get_delay: args.get_cors_delay,
        cors_delay: args.cors_delay,
        throttle: args.throttle,
        seed: args.seed,
        ca_file: args.ca_file.clone(),
    });
    let cfg = ServerConfig {
        listen: args.listen,
        access_key: args.access_key,
        secret_key: args.secret_key,
        region: args.region,
        max_body_bytes: args.max_body_bytes,
        max_upload_bytes: args.max_upload_bytes,
        aws,
        ..ServerConfig::default()
    };
    let running = server::start(cfg.clone())
        .await
        .with_context(|| format!("cannot start the server on {}", cfg.listen))?;
    let text = match &cfg.aws {
        Some(aws) => aws_banner(&cfg, aws, running.addr().port()),
        None => banner(&cfg, &running.endpoint(), running.addr().port()),
    };
    println!("{text}");
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

/// What `serve --aws` prints once it listens: how to reach it under AWS names.
fn aws_banner(cfg: &ServerConfig, aws: &AwsLikeConfig, port: u16) -> String {
    let (ak, sk, region) = (&cfg.access_key, &cfg.secret_key, &cfg.region);
    let scheme = if aws.ca_file.is_some() {
        "https"
    } else {
        "http"
    };
    let host = format!("s3.{region}.amazonaws.com");
    let endpoint = format!("{scheme}://{host}:{port}");
    let ip = cfg.listen.ip();
    let ca = aws
        .ca_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let curl_ca = if ca.is_empty() {
        String::new()
    } else {
        format!("--cacert {ca} ")
    };
    let accounts: Vec<&str> = aws.accounts.iter().map(|(k, _)| k.as_str()).collect();
    format!(
        "s3cors embedded S3 server, AWS-like mode (CORS answered as Amazon S3 does)\n\
         \x20 endpoint:    {endpoint} (map *.amazonaws.com to {ip}; names are not in DNS)\n\
         \x20 CA file:     {}\n\
         \x20 access key:  {ak} (secret {sk}){}\n\
         \x20 region:      {region} (requests for its buckets sent to other regions are redirected)\n\
         \x20 delays:      GetBucketCors {:?}, preflights and actual requests {:?}\n\
         \x20 throttling:  {:.1} % of requests answered 503 SlowDown (seed {})\n\
         \n\
         Try it:\n\
         \x20 curl {curl_ca}--resolve my-bucket.{host}:{port}:{ip} -i -X OPTIONS {scheme}://my-bucket.{host}:{port}/key \\\n\
         \x20     -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: GET'\n\
         \x20 S3CORS_AWS_ENDPOINT={endpoint} S3CORS_AWS_CONNECT_TO={ip}{} \\\n\
         \x20     AWS_ACCESS_KEY_ID={ak} AWS_SECRET_ACCESS_KEY={sk} AWS_REGION={region} \\\n\
         \x20     s3cors run --target aws --aws-confirm\n\
         \n\
         Press Ctrl-C to stop.",
        if ca.is_empty() {
            "none (plain HTTP; add --ca-file PATH for HTTPS)".to_string()
        } else {
            ca.clone()
        },
        if accounts.is_empty() {
            String::new()
        } else {
            format!("; other accounts: {}", accounts.join(", "))
        },
        aws.get_delay,
        aws.cors_delay,
        aws.throttle * 100.0,
        aws.seed,
        if ca.is_empty() {
            String::new()
        } else {
            format!(" S3CORS_AWS_CA_FILE={ca}")
        },
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
