//! `s3cors explain`: which CORS rule a request hits, what S3 answers, and what the browser
//! makes of it — in plain words.
//!
//! This is the tool for the moment the console says "No 'Access-Control-Allow-Origin' header is
//! present". The explanation itself lives in [`crate::explain`] (pure, unit-tested); this
//! module is the command: arguments, reading the file or fetching a live bucket's
//! configuration, colour, and the exit code.
//!
//! The configuration comes from a file (CORSConfiguration XML; or YAML/JSON rules in the
//! case-file shape, or the AWS CLI / console shape with `AllowedOrigins` etc.) or from a live
//! bucket (GetBucketCors, SigV4-signed with the usual `AWS_*` settings).
//!
//! Exit code: 0 when the browser lets the request through, 1 when it blocks it, 2 for bad
//! input (unreadable or unparsable configuration, bad `--header`).

use crate::browser::{BrowserRequest, Credentials, Mode};
use crate::cli::{EXIT_FAILURES, EXIT_OK, EXIT_USAGE};
use crate::cors::{CorsConfiguration, ResourceType};
use crate::explain::{BucketState, Source, Style, explain, parse_config, render};
use crate::s3::{Auth, S3Request};
use crate::target::{Target, endpoint};
use anyhow::Context as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `s3cors explain`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["config", "bucket"])))]
pub struct Args {
    /// CORS configuration file: CORSConfiguration XML, or YAML/JSON rules (case-file shape
    /// `allowed_origins:` …, or the AWS CLI/console shape `AllowedOrigins` …).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the configuration from this bucket (GetBucketCors with AWS_* credentials).
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,
    /// S3 endpoint for `--bucket` (default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The page's origin, as the browser sends it (`http://localhost:8000`).
    #[arg(long)]
    pub origin: String,
    /// The request method the page uses.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A request header the script sets; repeatable.
    #[arg(long = "header", value_name = "NAME[:VALUE]")]
    pub headers: Vec<String>,
    /// The request's credentials mode (`fetch()` defaults to same-origin).
    #[arg(long, default_value = "same-origin", value_parser = parse_credentials)]
    pub credentials: Credentials,
    /// `no-cors` models an `<img>` without `crossorigin`.
    #[arg(long, default_value = "cors", value_parser = parse_mode)]
    pub mode: Mode,
    /// Object key the request addresses; without it, the bucket URL.
    #[arg(long, value_name = "KEY")]
    pub object: Option<String>,
    /// A response header the script needs to read; repeatable (ETag is always checked).
    #[arg(long = "read", value_name = "HEADER")]
    pub read: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

fn parse_credentials(s: &str) -> Result<Credentials, String> {
    s.parse()
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    match s {
        "cors" => Ok(Mode::Cors),
        "no-cors" => Ok(Mode::NoCors),
        other => Err(format!("unknown mode {other:?} (expected cors or no-cors)")),
    }
}

/// Runs `s3cors explain`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let mut req = BrowserRequest::fetch(&args.origin, &args.method, args.credentials);
    req.mode = args.mode;
    for h in &args.headers {
        let (name, value) = h.split_once(':').unwrap_or((h.as_str(), ""));
        let name = name.trim();
        if !crate::browser::request::is_token(name) {
            eprintln!("error: --header {h:?}: {name:?} is not a valid header name");
            return Ok(EXIT_USAGE);
        }
        req.headers
            .push((name.to_string(), value.trim().to_string()));
    }

    let (source, url) = match (&args.config, &args.bucket) {
        (Some(path), _) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    return Ok(EXIT_USAGE);
                }
            };
            match parse_config(&text) {
                Ok(config) => (
                    Source::File(config),
                    example_url(args.bucket.as_deref(), args.object.as_deref()),
                ),
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return Ok(EXIT_USAGE);
                }
            }
        }
        (None, Some(bucket)) => fetch_bucket(bucket, args.endpoint.as_deref(), &args)?,
        (None, None) => {
            eprintln!("error: give --config FILE or --bucket NAME");
            return Ok(EXIT_USAGE);
        }
    };

    let resource = if args.object.is_some() {
        ResourceType::Object
    } else {
        ResourceType::Bucket
    };
    let explanation = explain(&source, &req, resource, &url, &args.read);

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &explanation)?;
        writeln!(out)?;
    } else {
        let style = Style {
            on: crate::runner::render::colour_on(&std::io::stdout()),
        };
        out.write_all(render(&explanation, &style).as_bytes())?;
    }
    Ok(if explanation.verdict.allowed {
        EXIT_OK
    } else {
        EXIT_FAILURES
    })
}

fn example_url(bucket: Option<&str>, key: Option<&str>) -> String {
    format!(
        "https://{}.s3.amazonaws.com/{}",
        bucket.unwrap_or("my-bucket"),
        key.unwrap_or("")
    )
}

/// GetBucketCors on a live bucket (signed), and the URL the page would fetch.
fn fetch_bucket(
    bucket: &str,
    endpoint_url: Option<&str>,
    args: &Args,
) -> anyhow::Result<(Source, String)> {
    let target = endpoint::build(
        "explain",
        endpoint_url,
        &endpoint::EndpointOptions::default(),
        &endpoint::process_env,
    )?;
    let mut get_cors = S3Request::new("GET", Some(bucket), None, Auth::Signed);
    get_cors.query.push(("cors".to_string(), None));
    let page_req = S3Request::new("GET", Some(bucket), args.object.as_deref(), Auth::Anonymous);
    let url = target.wire(&page_req)?.url;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let resp = runtime
        .block_on(target.send(&get_cors))
        .with_context(|| format!("GetBucketCors on {bucket}"))?;
    let parsed = crate::s3::parse_error_body(&resp.body);
    let code = parsed.as_ref().and_then(|p| p.get("Code")).unwrap_or("");
    let state = match (resp.status, code) {
        (200, _) => BucketState::Configured(
            CorsConfiguration::from_xml(&resp.body)
                .map_err(|e| anyhow::anyhow!("GetBucketCors answer: {}: {}", e.code, e.message))?,
        ),
        (404, "NoSuchCORSConfiguration") => BucketState::NotConfigured,
        (404, "NoSuchBucket") => BucketState::Missing,
        (status, code) => anyhow::bail!(
            "GetBucketCors on {bucket} answered {status} {code}: {}",
            parsed
                .as_ref()
                .and_then(|p| p.get("Message"))
                .unwrap_or("(no message)")
        ),
    };
    Ok((Source::Bucket(state), url))
}
