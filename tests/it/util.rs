//! Helpers every integration-test module shares, so none keeps its own copy:
//!
//! - [`scratch`]: a temporary directory (tempfile) that is removed when the test ends, also
//!   when it panics, with [`write_files`] to fill it;
//! - [`s3cors`]: a builder for running the real `s3cors` binary, with exit-code assertions
//!   that show stdout and stderr when they fail;
//! - [`server`]: the one embedded-server fixture (port 0, SigV4 signing with AWS's signer);
//! - [`sample`]: a synthetic run for report tests (also the library's unit-test fixture);
//! - [`rule`]: a CORS rule from string slices;
//! - [`embedded_session`]: a runner session against a fresh embedded target;
//! - [`isolated`]: re-runs one test alone in a child process (per-process measurements);
//! - [`rust_files`]: every `.rs` file below a directory (for checks that read the source);
//! - [`embedded_server`]: a runtime and an embedded server, for tests that drive the binary;
//! - [`case`]: one case parsed from YAML text.

#![allow(dead_code)]

pub mod sample;
pub mod server;

use s3cors::cors::CorsRule;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (where `cases/` and `expectations/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory under Cargo's per-target scratch area, removed on drop
/// (including when the test panics). `tag` names it, for whoever looks while a test runs.
pub fn scratch(tag: &str) -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if let Err(e) = std::fs::create_dir_all(&base) {
        panic!("cannot create {}: {e}", base.display());
    }
    match tempfile::Builder::new()
        .prefix(&format!("s3cors-{tag}-"))
        .tempdir_in(&base)
    {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a scratch dir in {}: {e}", base.display()),
    }
}

/// Writes `files` (paths relative to `dir`, parents created) and returns `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    dir.to_path_buf()
}

/// A command line for the `s3cors` binary built with these tests, run from the repository
/// root, with `NO_COLOR` removed (tests see what a pipe sees: no colour without a terminal).
pub fn s3cors() -> S3cors {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3cors"));
    cmd.current_dir(repo()).env_remove("NO_COLOR");
    S3cors { cmd }
}

/// Builder returned by [`s3cors`].
pub struct S3cors {
    cmd: Command,
}

impl S3cors {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Runs the command to completion.
    pub fn run(mut self) -> Run {
        let shown = format!("{:?}", self.cmd);
        let out = self
            .cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
        Run {
            command: shown,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the command and asserts its exit code.
    pub fn expect_code(self, code: i32) -> Run {
        self.run().code(code)
    }
}

/// A finished `s3cors` run.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    /// `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the command and its output when it differs.
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "{}", self.context());
        self
    }

    /// The command, its exit code and both streams, for assertion messages.
    pub fn context(&self) -> String {
        format!(
            "{} (exit {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    /// stdout followed by stderr, for assertions that do not care which stream.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A CORS rule allowing `origins`, `methods` and request `headers` (nothing else set).
pub fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
    CorsRule::allowing(origins, methods, headers)
}

/// The environment variable that tells a child process of [`isolated`] which test it runs.
const ISOLATED_ENV: &str = "S3CORS_IT_ISOLATED";

/// For measurements that are per process (resident memory): runs the test named `test`
/// (its full path, e.g. `hostile_memory::rss_stays_bounded`) alone in a child process of this
/// test binary. Returns `true` in that child, where the test does its work, and `false` in the
/// parent once the child passed (a failing child fails the parent with the child's output).
pub fn isolated(test: &str) -> bool {
    if std::env::var(ISOLATED_ENV).is_ok_and(|v| v == test) {
        return true;
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no current exe: {e}"));
    let out = Command::new(&exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ISOLATED_ENV, test)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "isolated run of {test} failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "isolated run of {test} did not run exactly that test\n{stdout}"
    );
    eprint!("{stderr}");
    false
}

/// A runner session (no colour) with one fresh embedded target built the way `s3cors run`
/// builds it, and the built target (shut it down with `rt.block_on(built.shutdown())`).
pub fn embedded_session(
    rt: &tokio::runtime::Runtime,
    name: &str,
) -> (s3cors::runner::Session, s3cors::target::select::BuiltTarget) {
    use s3cors::target::select::{self, TargetSpec};
    let built = rt
        .block_on(select::build(
            &TargetSpec::Embedded,
            name,
            &Default::default(),
        ))
        .unwrap_or_else(|e| panic!("embedded target: {e}"));
    let mut session = s3cors::runner::Session::new(s3cors::runner::RunMeta::default());
    session.set_colour(false);
    rt.block_on(session.add_target(built.target.clone()));
    (session, built)
}

/// Every `.rs` file below `dir` (recursively), sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

/// A two-worker runtime and an embedded server started in it (keys
/// `s3cors::target::embedded::ACCESS_KEY` / `SECRET_KEY`); shut it down with
/// `rt.block_on(server.shutdown())`.
pub fn embedded_server() -> (
    tokio::runtime::Runtime,
    s3cors::target::embedded::EmbeddedTarget,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let server = rt
        .block_on(s3cors::target::embedded::EmbeddedTarget::start("embedded"))
        .unwrap_or_else(|e| panic!("embedded server: {e}"));
    (rt, server)
}

/// One case parsed from `yaml`, as `cases/<id>.yaml`; panics with the load errors.
pub fn case(id: &str, yaml: &str) -> s3cors::case::Case {
    s3cors::case::parse_case(id, &format!("cases/{id}.yaml"), yaml)
        .unwrap_or_else(|errors| panic!("case {id} does not load: {errors:#?}"))
}
