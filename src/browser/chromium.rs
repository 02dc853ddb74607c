//! A real Chromium, driven through chromedriver's W3C WebDriver HTTP API, to check the
//! computed [`Verdict`](super::Verdict)s against what a browser actually does.
//!
//! The Fetch-standard model in this module's siblings is only worth trusting if a real browser
//! agrees with it. `tests/it/crosscheck.rs` uses this driver to run cross-origin
//! `fetch()` calls and `<img>` loads from pages on every origin the corpus uses (through a
//! test proxy, see [`proxy_args`]) and compares the
//! outcome with the model (see `docs/browser.md`).
//!
//! Why chromedriver and plain HTTP: Debian ships `chromium-driver` built from the same tree as
//! `chromium`, so versions always match; WebDriver is a handful of JSON-over-HTTP calls that
//! `reqwest` and `serde_json` (already dependencies) cover, whereas the DevTools protocol
//! would need a WebSocket client. Nothing is downloaded at run time.
//!
//! Only what the cross-check needs is here: start chromedriver, open one headless session,
//! navigate, run an asynchronous script, quit. Everything is torn down on drop, so a failing
//! test leaves no browser behind.

use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `chromium` package puts the browser (overridden by `S3CORS_CHROMIUM`).
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `chromium-driver` package puts chromedriver (overridden by
/// `S3CORS_CHROMEDRIVER`).
pub const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The flags the browser runs with: headless, no sandbox (CI runs as root), and nothing that
/// talks to the network on its own (no QUIC, no component updates, no sync).
pub const CHROMIUM_ARGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// Flags that send every request, loopback included, through the HTTP proxy at `proxy`
/// (`<-loopback>` removes Chromium's implicit bypass of `localhost` and `127.0.0.1`), so a
/// test proxy can answer for any origin; and, when given, that trust certificates whose chain
/// holds a key with one of the `spki_sha256_base64` hashes (how a test trusts its own
/// throwaway CA: Chromium honours the flag only with a `--user-data-dir`, which
/// [`Browser::launch_with`] always sets).
pub fn proxy_args(proxy: std::net::SocketAddr, spki_sha256_base64: &[String]) -> Vec<String> {
    let mut args = vec![
        format!("--proxy-server=http://{proxy}"),
        "--proxy-bypass-list=<-loopback>".to_string(),
    ];
    if !spki_sha256_base64.is_empty() {
        args.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            spki_sha256_base64.join(",")
        ));
    }
    args
}

/// Why the browser could not be found, started or driven.
#[derive(Debug, thiserror::Error)]
pub enum ChromiumError {
    #[error(
        "{what} not found at {path} (install Debian's `{package}` package, or set {var})",
        path = .path.display()
    )]
    Missing {
        what: &'static str,
        path: PathBuf,
        package: &'static str,
        var: &'static str,
    },
    #[error("cannot start chromedriver: {0}")]
    Spawn(std::io::Error),
    #[error("chromedriver did not become ready within {0:?}; its log:\n{1}")]
    NotReady(Duration, String),
    #[error("WebDriver {call} failed: {reason}")]
    WebDriver { call: String, reason: String },
}

/// The two executables the cross-check needs.
#[derive(Debug, Clone)]
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Finds Chromium and chromedriver (`S3CORS_CHROMIUM` / `S3CORS_CHROMEDRIVER`, else the Debian
/// paths). Both must exist.
pub fn find_tools() -> Result<Tools, ChromiumError> {
    let pick = |var: &'static str, default: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    let chromium = pick("S3CORS_CHROMIUM", DEFAULT_CHROMIUM);
    if !chromium.exists() {
        return Err(ChromiumError::Missing {
            what: "Chromium",
            path: chromium,
            package: "chromium",
            var: "S3CORS_CHROMIUM",
        });
    }
    let chromedriver = pick("S3CORS_CHROMEDRIVER", DEFAULT_CHROMEDRIVER);
    if !chromedriver.exists() {
        return Err(ChromiumError::Missing {
            what: "chromedriver",
            path: chromedriver,
            package: "chromium-driver",
            var: "S3CORS_CHROMEDRIVER",
        });
    }
    Ok(Tools {
        chromium,
        chromedriver,
    })
}

/// One headless Chromium session behind its own chromedriver process.
pub struct Browser {
    driver: Child,
    client: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session_url: String,
    profile: PathBuf,
    log: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a session with a fresh profile
    /// under `scratch` (created if needed). `script_timeout` bounds every
    /// [`Browser::execute_async`] call.
    pub async fn launch(
        tools: &Tools,
        scratch: &Path,
        script_timeout: Duration,
    ) -> Result<Browser, ChromiumError> {
        Browser::launch_with(tools, scratch, script_timeout, &[]).await
    }

    /// [`Browser::launch`] with extra command-line flags for Chromium, after
    /// [`CHROMIUM_ARGS`] (e.g. `--proxy-server=…` and `--ignore-certificate-errors-spki-list=…`
    /// to serve pages from any origin, see [`proxy_args`]).
    pub async fn launch_with(
        tools: &Tools,
        scratch: &Path,
        script_timeout: Duration,
        extra_args: &[String],
    ) -> Result<Browser, ChromiumError> {
        std::fs::create_dir_all(scratch).map_err(ChromiumError::Spawn)?;
        let port = free_port().map_err(ChromiumError::Spawn)?;
        let log = scratch.join("chromedriver.log");
        let log_file = std::fs::File::create(&log).map_err(ChromiumError::Spawn)?;
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(ChromiumError::Spawn)?;
        // reqwest is built without a default TLS provider (see `target::client`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(script_timeout + Duration::from_secs(30))
            .build()
            .map_err(|e| ChromiumError::WebDriver {
                call: "client".into(),
                reason: e.to_string(),
            })?;
        let profile = scratch.join("profile");
        let mut browser = Browser {
            driver,
            client,
            session_url: String::new(),
            profile,
            log,
        };
        let base = format!("http://127.0.0.1:{port}");
        browser.wait_ready(&base, Duration::from_secs(15)).await?;

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", browser.profile.display()));
        args.extend(extra_args.iter().cloned());
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": tools.chromium.display().to_string(),
                        "args": args,
                    },
                    "timeouts": {
                        "script": script_timeout.as_millis() as u64,
                        "pageLoad": 15_000,
                    },
                }
            }
        });
        let created = browser
            .call(
                "POST",
                &format!("{base}/session"),
                "new session",
                Some(caps),
            )
            .await?;
        let id = created
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| ChromiumError::WebDriver {
                call: "new session".into(),
                reason: format!("no sessionId in {created}"),
            })?;
        browser.session_url = format!("{base}/session/{id}");
        Ok(browser)
    }

    async fn wait_ready(&mut self, base: &str, within: Duration) -> Result<(), ChromiumError> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                return Err(ChromiumError::NotReady(
                    within,
                    format!("chromedriver exited ({status})\n{}", self.log_text()),
                ));
            }
            let ready = self
                .call("GET", &format!("{base}/status"), "status", None)
                .await
                .ok()
                .and_then(|v| v.get("ready").and_then(Value::as_bool))
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ChromiumError::NotReady(within, self.log_text()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// chromedriver's log so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Navigates the session's tab to `url` and waits for the load.
    pub async fn navigate(&self, url: &str) -> Result<(), ChromiumError> {
        self.call(
            "POST",
            &format!("{}/url", self.session_url),
            "navigate",
            Some(json!({ "url": url })),
        )
        .await
        .map(|_| ())
    }

    /// Runs `script` as a WebDriver asynchronous script: it receives `args` as `arguments[0..]`
    /// and a callback as its last argument, and its result is what it passes to that callback.
    pub async fn execute_async(
        &self,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Value, ChromiumError> {
        self.call(
            "POST",
            &format!("{}/execute/async", self.session_url),
            "execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Ends the session (closing the browser) and stops chromedriver.
    pub async fn quit(mut self) {
        if !self.session_url.is_empty() {
            let url = std::mem::take(&mut self.session_url);
            let _ = self.call("DELETE", &url, "delete session", None).await;
        }
        // Drop kills chromedriver and removes the profile.
    }

    /// One WebDriver call; returns the response's `value`.
    async fn call(
        &self,
        method: &str,
        url: &str,
        what: &str,
        body: Option<Value>,
    ) -> Result<Value, ChromiumError> {
        let fail = |reason: String| ChromiumError::WebDriver {
            call: what.to_string(),
            reason,
        };
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| fail(e.to_string()))?;
        let mut req = self.client.request(method, url);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json; charset=utf-8")
                .body(body.to_string());
        }
        let resp = req.send().await.map_err(|e| fail(e.to_string()))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| fail(e.to_string()))?;
        let parsed: Value = serde_json::from_str(&text)
            .map_err(|e| fail(format!("HTTP {status}, unparsable body ({e}): {text}")))?;
        let value = parsed.get("value").cloned().unwrap_or(Value::Null);
        if !status.is_success() {
            let error = value.get("error").and_then(Value::as_str).unwrap_or("?");
            let message = value.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(fail(format!("HTTP {status}: {error}: {message}")));
        }
        Ok(value)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A session still open (a panic skipped `quit`) is closed first: killing chromedriver
        // alone would orphan the browser.
        if !self.session_url.is_empty() {
            blocking_delete(&self.session_url);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `DELETE url` over a plain socket with short timeouts, for [`Drop`] (no runtime there).
fn blocking_delete(url: &str) {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        return;
    };
    let Some((authority, path)) = rest.split_once('/') else {
        return;
    };
    let Ok(mut stream) = std::net::TcpStream::connect(authority) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let req = format!(
        "DELETE /{path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(req.as_bytes()).is_ok() {
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    }
}

/// A loopback port that was free a moment ago (chromedriver wants a number, not a socket).
fn free_port() -> std::io::Result<u16> {
    let l = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tool_names_the_debian_package() {
        let e = ChromiumError::Missing {
            what: "chromedriver",
            path: PathBuf::from("/nope/chromedriver"),
            package: "chromium-driver",
            var: "S3CORS_CHROMEDRIVER",
        };
        assert_eq!(
            e.to_string(),
            "chromedriver not found at /nope/chromedriver (install Debian's `chromium-driver` \
             package, or set S3CORS_CHROMEDRIVER)"
        );
    }

    #[test]
    fn proxy_args_cover_loopback_and_the_ca() {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 23501));
        assert_eq!(
            proxy_args(addr, &["abc=".to_string(), "def=".to_string()]),
            vec![
                "--proxy-server=http://127.0.0.1:23501".to_string(),
                "--proxy-bypass-list=<-loopback>".to_string(),
                "--ignore-certificate-errors-spki-list=abc=,def=".to_string(),
            ]
        );
        assert_eq!(proxy_args(addr, &[]).len(), 2);
    }

    #[test]
    fn free_port_is_not_zero() {
        assert_ne!(free_port().unwrap_or(0), 0);
    }
}
