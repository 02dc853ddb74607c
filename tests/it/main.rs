//! The integration tests: one test binary, one module per area, shared helpers in [`util`].
//!
//! Why one binary: each integration-test file used to be its own binary (25 of them), each
//! linking the whole crate, and each carrying its own copy of the temp-dir and binary-runner
//! helpers. New tests go into the module of their area (or a new `tests/it/<area>.rs`
//! declared below). `tests/conformance.rs` (the case corpus, `harness = false`) stays a
//! separate binary.

mod util;

mod anywhere;
mod aws;
mod bucket_hook;
mod bucket_reuse;
mod cli_exit;
mod containers;
mod cors_props;
mod crosscheck;
mod diff_cli;
mod explain_bucket;
mod explain_seed;
mod hostile_memory;
mod hostile_mutation;
mod hostile_server;
mod layers;
mod record;

mod report_html_chromium;
mod report_junit;
mod run_expectations;
mod runner_browser;
mod runner_failure;
mod runner_loading;
mod server_auth;
mod server_cors;
mod server_ops;
mod signing;
mod spec_coverage;
mod target_wrappers;
mod targets_minio;
mod targets_robustness;
mod targets_sweep;
