//! The side-by-side row of `s3cors bench --s3-tests DIR`: ceph/s3-tests' CORS subset run
//! against the same peer as our corpus, in the same sitting.
//!
//! s3-tests is not vendored (and cannot be fetched by the bench: it is on GitHub only, not on
//! PyPI). The user points `--s3-tests` at a checkout and `--s3-tests-python` at a Python
//! with its requirements (`pip install -r requirements.txt` in a venv). The bench writes an
//! `S3TEST_CONF` for the peer (every account section gets the peer's keys; the CORS tests
//! only use the main one) and runs, in the checkout,
//! `python -m pytest -q -k cors s3tests_boto3/functional/test_s3.py`, timing the whole
//! process — what a user of s3-tests waits for.
//!
//! "Checked values" of s3-tests are counted statically and are approximate: in every
//! top-level `def test_…cors…` function (the ones `-k cors` selects: `test_set_cors` too),
//! each `assert` and each nose-style `eq(` (older checkouts) counts one and each
//! `_cors_request_and_check(` call three (the status and, typically, two headers).

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The file holding the CORS tests, relative to the checkout.
pub const TEST_FILE: &str = "s3tests_boto3/functional/test_s3.py";

/// What one s3-tests run reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct S3TestsRun {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub wall: Duration,
}

fn test_file(dir: &Path) -> anyhow::Result<PathBuf> {
    let file = dir.join(TEST_FILE);
    anyhow::ensure!(
        file.is_file(),
        "--s3-tests {}: no {TEST_FILE} there (is it a ceph/s3-tests checkout?)",
        dir.display()
    );
    Ok(file)
}

/// Approximate number of values the CORS tests check (see the module doc).
pub fn checked_values(dir: &Path) -> anyhow::Result<usize> {
    let file = test_file(dir)?;
    let src = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    Ok(count_checks(&src))
}

fn count_checks(src: &str) -> usize {
    let mut in_cors = false;
    let mut n = 0;
    for line in src.lines() {
        let trimmed = line.trim_start();
        let top_level = !line.starts_with([' ', '\t']) && !line.is_empty();
        if top_level {
            in_cors = trimmed
                .strip_prefix("def test_")
                .and_then(|rest| rest.split('(').next())
                .is_some_and(|name| name.contains("cors"));
        }
        if !in_cors {
            continue;
        }
        if trimmed.starts_with("assert ")
            || trimmed.starts_with("assert(")
            || trimmed.starts_with("eq(")
        {
            n += 1;
        }
        n += 3 * trimmed.matches("_cors_request_and_check(").count();
    }
    n
}

/// The `S3TEST_CONF` for a peer.
fn config(endpoint: &str, access: &str, secret: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(endpoint).with_context(|| format!("peer URL `{endpoint}`"))?;
    let host = url.host_str().context("peer URL has no host")?;
    let port = url
        .port_or_known_default()
        .context("peer URL has no port")?;
    let secure = if url.scheme() == "https" {
        "True"
    } else {
        "False"
    };
    let mut conf = format!(
        "[DEFAULT]\nhost = {host}\nport = {port}\nis_secure = {secure}\nssl_verify = False\n\n\
         [fixtures]\nbucket prefix = s3tests-{{random}}-\niam name prefix = s3-tests-\n\
         iam path prefix = /s3-tests/\n\n"
    );
    for (section, user) in [
        ("s3 main", "main"),
        ("s3 alt", "alt"),
        ("s3 tenant", "tenant"),
        ("iam", "iam"),
        ("iam root", "root"),
        ("iam alt root", "altroot"),
    ] {
        conf.push_str(&format!(
            "[{section}]\ndisplay_name = {user}\nuser_id = {user}\nemail = {user}@example.com\n\
             api_name = default\naccess_key = {access}\nsecret_key = {secret}\n\n"
        ));
    }
    Ok(conf)
}

/// `N passed, M failed, K skipped` counts from pytest's last summary line.
fn summary(out: &str) -> (usize, usize, usize) {
    let line = out
        .lines()
        .rev()
        .find(|l| l.contains(" passed") || l.contains(" failed") || l.contains(" skipped"))
        .unwrap_or("");
    let count = |word: &str| {
        let words: Vec<&str> = line
            .split(|c: char| c == ',' || c.is_whitespace() || c == '=')
            .filter(|w| !w.is_empty())
            .collect();
        words
            .windows(2)
            .filter(|w| w[1].starts_with(word))
            .filter_map(|w| w[0].parse::<usize>().ok())
            .sum()
    };
    (
        count("passed"),
        count("failed") + count("error"),
        count("skipped"),
    )
}

/// Runs the CORS subset against `endpoint`; errors when pytest could not run at all.
pub fn run(
    dir: &Path,
    python: &Path,
    endpoint: &str,
    access: &str,
    secret: &str,
) -> anyhow::Result<S3TestsRun> {
    test_file(dir)?;
    let conf_path =
        std::env::temp_dir().join(format!("s3cors-s3tests-{}.conf", std::process::id()));
    std::fs::write(&conf_path, config(endpoint, access, secret)?)
        .with_context(|| format!("cannot write {}", conf_path.display()))?;
    let started = Instant::now();
    let out = std::process::Command::new(python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "cors",
            TEST_FILE,
        ])
        .current_dir(dir)
        .env("S3TEST_CONF", &conf_path)
        .stdin(std::process::Stdio::null())
        .output();
    let wall = started.elapsed();
    let _ = std::fs::remove_file(&conf_path);
    let out = out.with_context(|| format!("cannot start {}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (passed, failed, skipped) = summary(&text);
    anyhow::ensure!(
        passed + failed + skipped > 0,
        "s3-tests did not run (exit {}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .chain(text.lines())
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join(" / ")
    );
    Ok(S3TestsRun {
        passed,
        failed,
        skipped,
        wall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_summaries_are_read() {
        assert_eq!(
            summary("....F\n2 failed, 12 passed, 3 deselected in 14.70s\n"),
            (12, 2, 0)
        );
        assert_eq!(summary("1 passed, 1 skipped, 1 error in 1s"), (1, 1, 1));
        assert_eq!(summary("no tests ran"), (0, 0, 0));
    }

    #[test]
    fn cors_checks_are_counted_in_cors_tests_only() {
        let src = "def test_other():\n    assert x\n\ndef test_cors_origin():\n    assert a == b\n    _cors_request_and_check('GET', u, {}, 200, {})\n\n@pytest.mark.x\ndef helper():\n    assert y\n";
        assert_eq!(count_checks(src), 4);
        // Nose-era checkouts: `eq(...)`, and `test_set_cors` is selected by `-k cors` too.
        let nose = "def test_set_cors():\n    eq(status, 404)\n    eq(a, b)\n\ndef test_setup():\n    eq(x, y)\n";
        assert_eq!(count_checks(nose), 2);
    }

    #[test]
    fn the_config_names_the_peer() {
        let c = config("http://127.0.0.1:4566", "test", "secret").unwrap();
        assert!(
            c.contains("host = 127.0.0.1\nport = 4566\nis_secure = False"),
            "{c}"
        );
        assert!(c.contains("[s3 main]") && c.contains("[s3 alt]"), "{c}");
        assert!(config("not a url", "a", "b").is_err());
    }
}
