//! `s3cors sweep`: remove the buckets earlier runs left behind (a run killed with SIGKILL, a
//! CI job cancelled mid-run), and only those.
//!
//! The decisions live in [`crate::target::sweep`]; this module parses arguments, builds the
//! target, and prints one line per listed bucket: what was removed, what was kept and why.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::{EXIT_HARNESS, EXIT_OK};
use crate::target::aws::AwsTarget;
use crate::target::endpoint::{self, EndpointOptions};
use crate::target::select::{self, TargetSpec};
use crate::target::sweep::{Decision, SweepOptions, sweep};
use crate::target::{Target, TargetExt};

/// Arguments of `s3cors sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to sweep: `endpoint=URL` (credentials from AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY), `aws` (real S3 in AWS_REGION; only buckets tagged by s3cors),
    /// or `container` (containers on the Docker engine labelled `s3cors=1` whose run is no
    /// longer alive).
    #[arg(long)]
    pub target: String,
    /// With `--target container`: only the containers of this run id.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// List what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep buckets younger than this (`90s`, `30m`, `1h`, `2d`), e.g. to spare a run in
    /// progress. Default: no age limit.
    #[arg(long, value_parser = parse_duration)]
    pub older_than: Option<Duration>,
    /// Also on `endpoint=URL`: remove only buckets carrying the `s3cors` tag (always on for
    /// `aws`).
    #[arg(long)]
    pub require_tag: bool,
}

/// Parses `0`, `90s`, `30m`, `1h`, `2d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 90s, 30m, 1h or 2d"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use s, m, h or d)")),
    };
    n.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{s}` is too long"))
}

/// Runs `s3cors sweep`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let containers = matches!(args.target.as_str(), "container" | "containers" | "docker");
    let spec = if containers {
        None
    } else {
        Some(select::parse(&args.target)?)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match spec {
        None => runtime.block_on(run_containers(args)),
        Some(spec) => runtime.block_on(run(spec, args)),
    }
}

/// `--target container`: the containers earlier runs left on the Docker engine.
async fn run_containers(args: Args) -> anyhow::Result<u8> {
    use crate::target::sweep_containers::{
        ContainerDecision, ContainerSweepOptions, sweep_containers,
    };
    let opts = ContainerSweepOptions {
        dry_run: args.dry_run,
        older_than: args.older_than,
        run: args.run.clone(),
        docker_host: None,
    };
    let entries = sweep_containers(&opts)
        .await
        .context("cannot sweep containers")?;
    let (mut removed, mut kept, mut failed) = (0, 0, 0);
    for e in &entries {
        let what = format!(
            "{} {} (image {}, target {}, run {})",
            e.id, e.name, e.image, e.target, e.run
        );
        match &e.decision {
            ContainerDecision::Removed => {
                removed += 1;
                println!("removed       {what}");
            }
            ContainerDecision::WouldRemove => {
                removed += 1;
                println!("would remove  {what}");
            }
            ContainerDecision::Kept { reason } => {
                kept += 1;
                println!("kept          {what}: {reason}");
            }
            ContainerDecision::Failed { reason } => {
                failed += 1;
                println!("FAILED        {what}: {reason}");
            }
        }
    }
    let verb = if opts.dry_run {
        "would remove"
    } else {
        "removed"
    };
    println!(
        "sweep of s3cors containers on {}: {verb} {removed}, kept {kept}, failed {failed}",
        crate::target::docker::docker_host()
    );
    Ok(if failed > 0 { EXIT_HARNESS } else { EXIT_OK })
}

async fn run(spec: TargetSpec, args: Args) -> anyhow::Result<u8> {
    let (target, opts): (Box<dyn Target>, SweepOptions) = match &spec {
        TargetSpec::Endpoint(url) => {
            let t = endpoint::build(
                "endpoint",
                url.as_deref(),
                &EndpointOptions::default(),
                &endpoint::process_env,
            )?;
            let opts = SweepOptions {
                dry_run: args.dry_run,
                older_than: args.older_than,
                require_tag: args.require_tag,
                region: None,
            };
            (Box::new(t), opts)
        }
        TargetSpec::Aws => {
            let t = AwsTarget::for_sweep(&endpoint::process_env)
                .map_err(|reason| anyhow::anyhow!("cannot sweep aws: {reason}"))?;
            let opts = SweepOptions {
                dry_run: args.dry_run,
                older_than: args.older_than,
                require_tag: true,
                region: Some(t.region_name().to_string()),
            };
            (Box::new(t), opts)
        }
        other => bail!(
            "sweep works on `endpoint=URL`, `aws` or `container`, not `{}`",
            other.name()
        ),
    };
    let where_ = target.info().endpoint.unwrap_or_default();
    let entries = sweep(target.as_ref(), &opts)
        .await
        .with_context(|| format!("cannot list the buckets at {where_}"))?;
    let (mut removed, mut kept, mut failed) = (0, 0, 0);
    for e in &entries {
        match &e.decision {
            Decision::Removed { objects } => {
                removed += 1;
                println!("removed       {} ({objects} object(s))", e.bucket);
            }
            Decision::WouldRemove => {
                removed += 1;
                println!("would remove  {}", e.bucket);
            }
            Decision::Kept { reason } => {
                kept += 1;
                println!("kept          {}: {reason}", e.bucket);
            }
            Decision::Failed { reason } => {
                failed += 1;
                println!("FAILED        {}: {reason}", e.bucket);
            }
        }
    }
    let verb = if opts.dry_run {
        "would remove"
    } else {
        "removed"
    };
    println!("sweep of {where_}: {verb} {removed}, kept {kept}, failed {failed}");
    Ok(if failed > 0 { EXIT_HARNESS } else { EXIT_OK })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("").is_err());
    }
}
