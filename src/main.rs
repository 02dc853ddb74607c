//! The `s3cors` binary: argument parsing only; everything else lives in the library.

use clap::{Parser, Subcommand};
use s3cors::cli;
use std::process::ExitCode;

/// Conformance harness for Amazon S3 bucket CORS.
#[derive(Debug, Parser)]
#[command(name = "s3cors", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the embedded reference S3 server in the foreground.
    Serve(cli::serve::Args),
    /// Run cases against one or more targets and write results and reports.
    Run(cli::run::Args),
    /// Record expectations: run case files against one target and write its answers into
    /// them (prints the diff; `--check` changes nothing and exits 1 on a difference).
    Record(cli::record::Args),
    /// Render reports (Markdown, HTML, JUnit) from a results file.
    Report(cli::report::Args),
    /// Compare two targets' responses directly, case by case.
    Diff(cli::diff::Args),
    /// Explain which CORS rule matches a request and what a browser makes of it.
    Explain(cli::explain::Args),
    /// Differential fuzzing: generated scenarios on the reference and a target, differences
    /// shrunk and written as case files.
    Fuzz(cli::fuzz::Args),
    /// Remove buckets left behind by earlier runs (only s3cors's own).
    Sweep(cli::sweep::Args),
    /// Measure the harness against a bare-client floor, scaling, and server load.
    Bench(s3cors::cli::bench::Args),
    /// The corpus built into this binary: export it for editing, or list it.
    Cases(cli::cases::Args),
    /// Print the JSON Schema of case files (docs/case.schema.json).
    #[command(hide = true)]
    Schema,
}

fn main() -> ExitCode {
    let parsed = Cli::parse();
    let result = match parsed.command {
        Command::Serve(a) => cli::serve::main(a),
        Command::Run(a) => cli::run::main(a),
        Command::Record(a) => cli::record::main(a),
        Command::Report(a) => cli::report::main(a),
        Command::Diff(a) => cli::diff::main(a),
        Command::Explain(a) => cli::explain::main(a),
        Command::Sweep(a) => cli::sweep::main(a),
        Command::Fuzz(a) => cli::fuzz::main(a),
        Command::Bench(a) => s3cors::cli::bench::main(a),
        Command::Cases(a) => cli::cases::main(a),
        Command::Schema => {
            print!("{}", s3cors::case::schema_json());
            Ok(cli::EXIT_OK)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::EXIT_HARNESS)
        }
    }
}
