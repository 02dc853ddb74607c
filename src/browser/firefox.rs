//! A real Firefox, driven through its built-in Marionette remote agent, to check the computed
//! [`Verdict`](super::Verdict)s in a second browser engine (issue 17).
//!
//! Why Marionette and a client of our own: geckodriver is not packaged for Debian and nothing
//! may be downloaded at run time, but Firefox ESR (Debian's `firefox-esr`) carries Marionette,
//! the protocol geckodriver itself speaks to Firefox: JSON arrays over one TCP connection, each
//! message prefixed with its byte length (`37:[0,1,"WebDriver:NewSession",{}]`). That is a
//! few dozen lines on top of tokio and `serde_json`; the maintained WebDriver crates
//! (`fantoccini`, `thirtyfour`) all expect a geckodriver in front of Firefox.
//!
//! The browser runs headless with a fresh profile (removed on drop) whose prefs switch off
//! everything that talks to the network on its own (updates, telemetry, remote settings,
//! safe browsing, captive-portal checks). `marionette.port` is `0`, so Firefox picks a free
//! port and writes it to `MarionetteActivePort` in the profile: no port races with parallel
//! runs. An optional HTTP proxy (every request, loopback included, goes through it) and an
//! optional CA certificate to trust for the run (imported into the throwaway profile's NSS
//! database through Marionette's privileged "chrome" context) let a test serve pages from any
//! origin, https included.

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where Debian's `firefox-esr` package puts the browser (overridden by `S3CORS_FIREFOX`).
pub const DEFAULT_FIREFOX: &str = "/usr/bin/firefox-esr";

/// The largest Marionette message accepted (a script result is small; this bounds memory if
/// the peer misbehaves).
const MAX_MESSAGE: usize = 64 << 20;

/// Why Firefox could not be found, started or driven.
#[derive(Debug, thiserror::Error)]
pub enum FirefoxError {
    #[error(
        "Firefox not found at {path} (install Debian's `firefox-esr` package, or set S3CORS_FIREFOX)",
        path = .0.display()
    )]
    Missing(PathBuf),
    #[error("cannot start Firefox: {0}")]
    Spawn(std::io::Error),
    #[error("Firefox's Marionette agent did not come up within {0:?}; its log:\n{1}")]
    NotReady(Duration, String),
    #[error("Marionette {call}: {reason}")]
    Protocol { call: String, reason: String },
    #[error("Marionette {call} failed: {error}: {message}")]
    Command {
        call: String,
        error: String,
        message: String,
    },
}

/// Finds Firefox (`S3CORS_FIREFOX`, else Debian's `/usr/bin/firefox-esr`).
pub fn find_firefox() -> Result<PathBuf, FirefoxError> {
    let path = std::env::var_os("S3CORS_FIREFOX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_FIREFOX));
    if path.exists() {
        Ok(path)
    } else {
        Err(FirefoxError::Missing(path))
    }
}

/// How to start Firefox.
#[derive(Debug, Clone, Default)]
pub struct FirefoxOptions {
    /// Send every request (loopback included, http and https) through this HTTP proxy.
    pub proxy: Option<SocketAddr>,
    /// DER certificates to trust as CAs for the run (imported into the fresh profile).
    pub trusted_ca_der: Vec<Vec<u8>>,
    /// Bound on every [`Firefox::execute_async`] call.
    pub script_timeout: Duration,
}

/// The prefs of the fresh profile: quiet (no updates, telemetry, remote settings, safe
/// browsing, captive-portal or connectivity checks, prefetching) and plain http stays plain
/// (no HTTPS-First upgrade, no HTTP/3).
const QUIET_PREFS: &[(&str, &str)] = &[
    ("marionette.port", "0"),
    ("app.update.auto", "false"),
    ("app.update.enabled", "false"),
    ("app.update.disabledForTesting", "true"),
    ("app.normandy.enabled", "false"),
    ("browser.shell.checkDefaultBrowser", "false"),
    ("browser.startup.page", "0"),
    ("browser.newtabpage.enabled", "false"),
    ("browser.search.update", "false"),
    ("browser.safebrowsing.malware.enabled", "false"),
    ("browser.safebrowsing.phishing.enabled", "false"),
    ("browser.safebrowsing.downloads.enabled", "false"),
    ("browser.safebrowsing.blockedURIs.enabled", "false"),
    ("datareporting.healthreport.uploadEnabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("toolkit.telemetry.enabled", "false"),
    ("toolkit.telemetry.server", "\"\""),
    ("extensions.update.enabled", "false"),
    ("extensions.getAddons.cache.enabled", "false"),
    ("messaging-system.rsexperimentloader.enabled", "false"),
    ("services.settings.server", "\"http://127.0.0.1:9/\""),
    ("network.captive-portal-service.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    ("network.dns.disablePrefetch", "true"),
    ("network.prefetch-next", "false"),
    ("network.http.speculative-parallel-limit", "0"),
    ("network.http.http3.enable", "false"),
    ("dom.security.https_first", "false"),
    ("dom.security.https_only_mode", "false"),
];

/// The `user.js` of a fresh profile for `opts`.
fn user_js(opts: &FirefoxOptions) -> String {
    let mut prefs: Vec<(String, String)> = QUIET_PREFS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(p) = opts.proxy {
        let host = format!("\"{}\"", p.ip());
        let port = p.port().to_string();
        for (k, v) in [
            ("network.proxy.type", "1".to_string()),
            ("network.proxy.http", host.clone()),
            ("network.proxy.http_port", port.clone()),
            ("network.proxy.ssl", host),
            ("network.proxy.ssl_port", port),
            ("network.proxy.share_proxy_settings", "false".into()),
            ("network.proxy.no_proxies_on", "\"\"".into()),
            ("network.proxy.allow_hijacking_localhost", "true".into()),
        ] {
            prefs.push((k.to_string(), v));
        }
    }
    prefs
        .iter()
        .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
        .collect()
}

/// One headless Firefox with one Marionette session.
pub struct Firefox {
    child: Child,
    stream: BufReader<TcpStream>,
    next_id: u64,
    profile: PathBuf,
    log: PathBuf,
    timeout: Duration,
    open: bool,
}

impl Firefox {
    /// Starts Firefox with a fresh profile under `scratch` (created if needed) and opens a
    /// session.
    pub async fn launch(
        binary: &Path,
        scratch: &Path,
        opts: &FirefoxOptions,
    ) -> Result<Firefox, FirefoxError> {
        let profile = scratch.join("firefox-profile");
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).map_err(FirefoxError::Spawn)?;
        std::fs::write(profile.join("user.js"), user_js(opts)).map_err(FirefoxError::Spawn)?;
        let log = scratch.join("firefox.log");
        let log_file = std::fs::File::create(&log).map_err(FirefoxError::Spawn)?;
        let log_err = log_file.try_clone().map_err(FirefoxError::Spawn)?;
        let child = Command::new(binary)
            .args(["--headless", "--marionette", "-remote-allow-system-access"])
            .args(["--no-remote", "--new-instance", "--profile"])
            .arg(&profile)
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .map_err(FirefoxError::Spawn)?;
        let mut pending = Pending {
            child: Some(child),
            profile: profile.clone(),
        };
        let within = Duration::from_secs(30);
        let stream = connect(&mut pending, &log, within).await?;
        let Some(child) = pending.child.take() else {
            return Err(FirefoxError::NotReady(within, "lost the child".into()));
        };
        let mut ff = Firefox {
            child,
            stream: BufReader::new(stream),
            next_id: 0,
            profile,
            log,
            timeout: opts.script_timeout + Duration::from_secs(30),
            open: false,
        };
        let hello = ff.read_message("handshake").await?;
        if hello.get("marionetteProtocol").and_then(Value::as_u64) != Some(3) {
            return Err(FirefoxError::Protocol {
                call: "handshake".into(),
                reason: format!("unexpected greeting {hello}"),
            });
        }
        ff.command(
            "WebDriver:NewSession",
            json!({
                "pageLoadStrategy": "normal",
                "timeouts": {
                    "script": opts.script_timeout.as_millis() as u64,
                    "pageLoad": 15_000,
                },
            }),
        )
        .await?;
        ff.open = true;
        if !opts.trusted_ca_der.is_empty() {
            ff.command("Marionette:SetContext", json!({ "value": "chrome" }))
                .await?;
            for der in &opts.trusted_ca_der {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD.encode(der);
                ff.command(
                    "WebDriver:ExecuteScript",
                    json!({
                        "script": "const db = Cc['@mozilla.org/security/x509certdb;1']\
                                   .getService(Ci.nsIX509CertDB);\
                                   db.addCertFromBase64(arguments[0], 'C,,'); return true;",
                        "args": [b64],
                    }),
                )
                .await?;
            }
            ff.command("Marionette:SetContext", json!({ "value": "content" }))
                .await?;
        }
        Ok(ff)
    }

    /// Firefox's output so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The browser's version, as `Firefox 153.8.0esr` would say it (from the session).
    pub async fn user_agent(&mut self) -> Result<String, FirefoxError> {
        let v = self
            .execute_async(
                "arguments[arguments.length - 1](navigator.userAgent)",
                Vec::new(),
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Navigates the tab to `url` and waits for the load.
    pub async fn navigate(&mut self, url: &str) -> Result<(), FirefoxError> {
        self.command("WebDriver:Navigate", json!({ "url": url }))
            .await
            .map(|_| ())
    }

    /// Runs `script` as a WebDriver asynchronous script (arguments, then the callback as the
    /// last argument); returns what the script passed to the callback.
    pub async fn execute_async(
        &mut self,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Value, FirefoxError> {
        let r = self
            .command(
                "WebDriver:ExecuteAsyncScript",
                json!({ "script": script, "args": args }),
            )
            .await?;
        Ok(r.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Ends the session and lets Firefox exit (killed if it lingers); the profile goes on drop.
    pub async fn quit(mut self) {
        if self.open {
            self.open = false;
            let _ = tokio::time::timeout(
                Duration::from_secs(10),
                self.command("Marionette:Quit", json!({ "flags": ["eForceQuit"] })),
            )
            .await;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// One command; returns its result or the error Marionette reported.
    async fn command(&mut self, name: &str, params: Value) -> Result<Value, FirefoxError> {
        self.next_id += 1;
        let id = self.next_id;
        let body = json!([0, id, name, params]).to_string();
        let frame = format!("{}:{body}", body.len());
        let proto = |reason: String| FirefoxError::Protocol {
            call: name.to_string(),
            reason,
        };
        let timeout = self.timeout;
        let exchange = async {
            self.stream
                .get_mut()
                .write_all(frame.as_bytes())
                .await
                .map_err(|e| proto(format!("write: {e}")))?;
            loop {
                let msg = self.read_message(name).await?;
                // [1, id, error, result]; anything else (an event) is skipped.
                let Some(arr) = msg.as_array() else {
                    return Err(proto(format!("unexpected message {msg}")));
                };
                if arr.len() != 4 || arr[0].as_u64() != Some(1) || arr[1].as_u64() != Some(id) {
                    continue;
                }
                if !arr[2].is_null() {
                    let field = |k: &str| {
                        arr[2]
                            .get(k)
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string()
                    };
                    return Err(FirefoxError::Command {
                        call: name.to_string(),
                        error: field("error"),
                        message: field("message"),
                    });
                }
                return Ok(arr[3].clone());
            }
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(proto(format!("no answer within {timeout:?}"))),
        }
    }

    /// Reads one `<length>:<json>` message.
    async fn read_message(&mut self, call: &str) -> Result<Value, FirefoxError> {
        let proto = |reason: String| FirefoxError::Protocol {
            call: call.to_string(),
            reason,
        };
        let mut len: usize = 0;
        let mut digits = 0;
        loop {
            let b = self
                .stream
                .read_u8()
                .await
                .map_err(|e| proto(format!("read: {e}")))?;
            match b {
                b':' if digits > 0 => break,
                b'0'..=b'9' if digits < 12 => {
                    len = len * 10 + usize::from(b - b'0');
                    digits += 1;
                }
                other => {
                    return Err(proto(format!(
                        "bad length prefix (byte {other:#04x} after {digits} digits)"
                    )));
                }
            }
        }
        if len > MAX_MESSAGE {
            return Err(proto(format!("message of {len} bytes is too large")));
        }
        let mut buf = vec![0; len];
        self.stream
            .read_exact(&mut buf)
            .await
            .map_err(|e| proto(format!("read: {e}")))?;
        serde_json::from_slice(&buf).map_err(|e| proto(format!("unparsable message: {e}")))
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A Firefox still starting: killed (and its profile removed) if the start fails.
struct Pending {
    child: Option<Child>,
    profile: PathBuf,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            let _ = std::fs::remove_dir_all(&self.profile);
        }
    }
}

/// Waits for `MarionetteActivePort` in the profile and connects to it.
async fn connect(
    pending: &mut Pending,
    log: &Path,
    within: Duration,
) -> Result<TcpStream, FirefoxError> {
    let deadline = Instant::now() + within;
    let port_file = pending.profile.join("MarionetteActivePort");
    let log_text = || std::fs::read_to_string(log).unwrap_or_default();
    loop {
        if let Some(child) = pending.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            return Err(FirefoxError::NotReady(
                within,
                format!("Firefox exited ({status})\n{}", log_text()),
            ));
        }
        let port = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok())
            .filter(|p| *p != 0);
        if let Some(port) = port
            && let Ok(s) = TcpStream::connect(("127.0.0.1", port)).await
        {
            return Ok(s);
        }
        if Instant::now() > deadline {
            return Err(FirefoxError::NotReady(within, log_text()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_prefs_route_everything_through_the_proxy() {
        let js = user_js(&FirefoxOptions {
            proxy: Some(SocketAddr::from(([127, 0, 0, 1], 4321))),
            ..FirefoxOptions::default()
        });
        assert!(js.contains("user_pref(\"marionette.port\", 0);\n"), "{js}");
        assert!(
            js.contains("user_pref(\"network.proxy.type\", 1);\n"),
            "{js}"
        );
        assert!(js.contains("user_pref(\"network.proxy.ssl\", \"127.0.0.1\");\n"));
        assert!(js.contains("user_pref(\"network.proxy.http_port\", 4321);\n"));
        assert!(js.contains("user_pref(\"network.proxy.no_proxies_on\", \"\");\n"));
        assert!(js.contains("user_pref(\"network.proxy.allow_hijacking_localhost\", true);\n"));
        // No proxy asked: no proxy prefs at all.
        let plain = user_js(&FirefoxOptions::default());
        assert!(!plain.contains("network.proxy"), "{plain}");
        assert!(plain.contains("user_pref(\"app.update.enabled\", false);\n"));
    }

    #[test]
    fn missing_firefox_names_the_debian_package() {
        let e = FirefoxError::Missing(PathBuf::from("/nope/firefox-esr"));
        assert_eq!(
            e.to_string(),
            "Firefox not found at /nope/firefox-esr (install Debian's `firefox-esr` package, \
             or set S3CORS_FIREFOX)"
        );
    }
}
