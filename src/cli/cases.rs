//! `s3cors cases`: the corpus built into the binary, for people without a checkout.
//!
//! `s3cors cases export DIR` writes the built-in case files below `DIR` (the layout of the
//! repository's `cases/`), so a user can copy one, edit it and run it with `--cases`;
//! `--expectations DIR2` also writes the known-deviation files. `s3cors cases list` prints
//! the built-in ids with their titles and the corpus revision, so a report's revision can be
//! checked against an installed binary.

use crate::case::corpus::{self, ExportSet};
use crate::cli::{EXIT_CASE_ERRORS, EXIT_HARNESS, EXIT_OK};
use std::path::PathBuf;

/// Arguments of `s3cors cases`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do with the built-in corpus.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the built-in case files below DIR (created if missing) for editing.
    Export {
        /// Where the case files go (`DIR/preflight/allowed-origin.yaml`, …).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Also write the known-deviation files (`expectations/<target>.yaml`) into this folder.
        #[arg(long, value_name = "DIR2")]
        expectations: Option<PathBuf>,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
    /// List the built-in cases (id and title) and the corpus revision.
    List,
}

/// Runs `s3cors cases`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    match args.command {
        Command::Export {
            dir,
            expectations,
            force,
        } => {
            let mut jobs = vec![(dir, ExportSet::Cases)];
            if let Some(e) = expectations {
                jobs.push((e, ExportSet::Expectations));
            }
            for (dir, set) in jobs {
                match corpus::export(&dir, set, force) {
                    Ok(written) => {
                        let what = match set {
                            ExportSet::Cases => "case files",
                            ExportSet::Expectations => "expectations files",
                        };
                        eprintln!("wrote {} {what} below {}", written.len(), dir.display());
                    }
                    Err(e @ corpus::ExportError::Exists(_)) => {
                        eprintln!("error: {e}");
                        return Ok(EXIT_CASE_ERRORS);
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return Ok(EXIT_HARNESS);
                    }
                }
            }
            eprintln!("corpus revision {}", corpus::builtin_revision());
            Ok(EXIT_OK)
        }
        Command::List => {
            let loaded = corpus::load_builtin();
            for e in &loaded.errors {
                eprintln!("error: {e}");
            }
            for c in &loaded.cases {
                println!("{}\t{}", c.id, c.title);
            }
            eprintln!(
                "{} built-in cases, revision {}",
                loaded.cases.len(),
                corpus::builtin_revision()
            );
            Ok(if loaded.errors.is_empty() {
                EXIT_OK
            } else {
                EXIT_CASE_ERRORS
            })
        }
    }
}
