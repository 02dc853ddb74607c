//! `s3cors report`: re-render reports from a `results.json`.
//!
//! Useful when the run happened elsewhere (a CI artifact), to produce only some formats, or
//! after upgrading s3cors's renderers. Under GitHub Actions it also writes the step summary
//! and the annotations, exactly as `s3cors run` does.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{EXIT_OK, EXIT_USAGE};
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
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_format)]
    pub format: Vec<Format>,

    /// Exit with the run's own exit code (1 on failures or stale expectations, 4 on harness
    /// errors) instead of 0, so a CI job that only renders can still gate on the results.
    #[arg(long)]
    pub exit_status: bool,
}

/// Runs `s3cors report`; returns the exit code: 0, or with `--exit-status` the run's own;
/// 2 when the results file cannot be read (a bad argument, like clap's usage errors).
pub fn main(args: Args) -> anyhow::Result<u8> {
    let formats = dedupe(&args.format);
    let results = match report::read_results(&args.results) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(EXIT_USAGE);
        }
    };
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
        super::exit_code(&results)
    } else {
        EXIT_OK
    })
}

/// `--format` values (clap reports unknown names as usage errors, exit code 2).
fn parse_format(name: &str) -> Result<Format, String> {
    Format::parse(name)
        .ok_or_else(|| format!("unknown report format `{name}` (expected md, html, junit or json)"))
}

/// The formats in the order given, each once; all of them when none is given.
fn dedupe(given: &[Format]) -> Vec<Format> {
    if given.is_empty() {
        return Format::ALL.to_vec();
    }
    let mut formats = Vec::new();
    for f in given {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    formats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_default_dedupe_and_reject() {
        assert_eq!(dedupe(&[]), Format::ALL.to_vec());
        let given = [Format::Markdown, Format::Junit, Format::Markdown];
        assert_eq!(dedupe(&given), vec![Format::Markdown, Format::Junit]);
        assert_eq!(parse_format("html"), Ok(Format::Html));
        let err = parse_format("pdf").expect_err("unknown");
        assert!(err.contains("`pdf`"));
    }

    #[test]
    fn clap_parses_the_command_line() {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        let cli = Cli::try_parse_from(["report", "r.json", "--format", "md,html", "--out", "o"])
            .expect("parses");
        assert_eq!(cli.args.format, vec![Format::Markdown, Format::Html]);
        assert_eq!(cli.args.out, Some(PathBuf::from("o")));
        let err = Cli::try_parse_from(["report", "r.json", "--format", "pdf"]).expect_err("bad");
        assert_eq!(err.exit_code(), 2);
    }
}
