//! `s3cors report`: re-render reports from a `results.json`.
//!
//! Useful when the run happened elsewhere (a CI artifact), to produce only some formats, or
//! after upgrading s3cors's renderers. Under GitHub Actions it also writes the step summary
//! and the annotations, exactly as `s3cors run` does.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::EXIT_OK;
use crate::report::{self, Format};

/// Arguments of `s3cors report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The results file written by `s3cors run` (`<report-dir>/results.json`).
    pub results: PathBuf,

    /// Directory to write the reports into (default: the results file's directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Formats to write, comma-separated: md, html, junit, json (default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub format: Vec<String>,

    /// Exit with the run's own exit code (1 on failures or stale expectations, 4 on harness
    /// errors) instead of 0, so a CI job that only renders can still gate on the results.
    #[arg(long)]
    pub exit_status: bool,
}

/// Runs `s3cors report`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let formats = parse_formats(&args.format)?;
    let results = report::read_results(&args.results)?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => args
            .results
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let written = report::write_formats(&results, &out, &formats)
        .with_context(|| format!("writing reports to {}", out.display()))?;
    for path in &written {
        eprintln!("wrote {}", path.display());
    }
    report::github::emit_from_env(&results).context("writing the GitHub step summary")?;
    Ok(if args.exit_status {
        report::exit_code(&results)
    } else {
        EXIT_OK
    })
}

fn parse_formats(names: &[String]) -> anyhow::Result<Vec<Format>> {
    if names.is_empty() {
        return Ok(Format::ALL.to_vec());
    }
    let mut formats = Vec::new();
    for name in names.iter().filter(|n| !n.trim().is_empty()) {
        let f = Format::parse(name).with_context(|| {
            format!("unknown report format `{name}` (expected md, html, junit or json)")
        })?;
        if !formats.contains(&f) {
            formats.push(f);
        }
    }
    anyhow::ensure!(!formats.is_empty(), "--format names no format");
    Ok(formats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_default_dedupe_and_reject() {
        assert_eq!(parse_formats(&[]).ok(), Some(Format::ALL.to_vec()));
        let got = parse_formats(&["md".into(), "junit".into(), "md".into()]).ok();
        assert_eq!(got, Some(vec![Format::Markdown, Format::Junit]));
        let err = parse_formats(&["pdf".into()]).expect_err("unknown");
        assert!(err.to_string().contains("`pdf`"));
    }
}
