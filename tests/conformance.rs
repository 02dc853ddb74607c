//! The corpus as a test: every case in `cases/` against the embedded reference server,
//! through the same runner as `s3cors run`, so `cargo test` checks the server and the cases
//! together. libtest flags work: `cargo test --test conformance -- --list`, a filter,
//! `--exact`, `--ignored`, `--test-threads N`. The origin-mutation pack generated from the
//! corpus (`mutation/…`, tagged `security`) runs with it, as `s3cors run` does.

use s3cors::runner::{self, RunMeta, RunPlan};
use s3cors::target::select::TargetSpec;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    // Relative paths make failure output point at `cases/…:line` (cargo runs integration
    // tests from the package root).
    let dir = if PathBuf::from("cases").is_dir() {
        PathBuf::from("cases")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")
    };
    let loaded = s3cors::case::load_dir(&dir);
    if !loaded.errors.is_empty() {
        for e in &loaded.errors {
            eprintln!("error: {e}");
        }
        eprintln!("{} case file error(s)", loaded.errors.len());
        return ExitCode::FAILURE;
    }
    if loaded.cases.is_empty() {
        eprintln!(
            "error: no case files (*.yaml) found under {}",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let mut cases = loaded.cases;
    let mutations = s3cors::mutation::generate(&cases);
    cases.extend(mutations);
    let plan = RunPlan {
        targets: vec![(TargetSpec::Embedded, "embedded".to_string())],
        cases: &cases,
        args: &args,
        meta: RunMeta {
            command: "cargo test --test conformance".to_string(),
            ..RunMeta::default()
        },
        endpoint: Default::default(),
        interrupt_cleanup: false,
        aws_confirmed: false,
        expectations: Vec::new(),
    };
    match runner::run(plan) {
        Ok((conclusion, _)) => conclusion.exit_code(),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
