//! The Docker engine, as far as s3cors needs it beside testcontainers: is there one
//! ([`probe_docker`]), which image id does a name resolve to, what did a container print, and
//! the labels that mark a container as s3cors's so that clean-up ([`remove_labelled`]) and
//! `s3cors sweep` only ever touch containers s3cors started.
//!
//! testcontainers starts and removes containers; it cannot list them by label or tell a
//! missing image from a broken one. Those few calls go through the `bollard` client that
//! testcontainers itself re-exports (same version, same engine resolution), with short
//! timeouts so that nothing here can hang a run.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers::bollard::{self, Docker};

/// The fixed label on every container s3cors starts (`s3cors=1`). `sweep` never lists
/// anything without it.
pub const LABEL_OURS: &str = "s3cors";
/// The run id (`s3cors.run=<run id>`): the interrupt hook removes exactly the run's containers.
pub const LABEL_RUN: &str = "s3cors.run";
/// The process that started the container (`s3cors.pid=<pid>`), with [`LABEL_HOST`]: `sweep`
/// keeps containers whose process is still alive on this host.
pub const LABEL_PID: &str = "s3cors.pid";
/// The host name of the machine whose process started the container.
pub const LABEL_HOST: &str = "s3cors.host";
/// The target name (`moto`, `container`, …), for people reading `docker ps`.
pub const LABEL_TARGET: &str = "s3cors.target";

/// How long one engine call may take before we give up on it.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// A failure talking to the engine (never a panic).
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot reach the Docker engine at {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("Docker {op} failed: {reason}")]
    Call { op: &'static str, reason: String },
    #[error("Docker {op} gave no answer within {after:?}")]
    Timeout { op: &'static str, after: Duration },
}

/// The Docker endpoint testcontainers would use: `DOCKER_HOST` when set, else the first
/// socket that exists among the usual places, else `unix:///var/run/docker.sock`.
/// (`~/.testcontainers.properties` is not read; set `DOCKER_HOST` instead.)
pub fn docker_host() -> String {
    if let Ok(h) = std::env::var("DOCKER_HOST")
        && !h.is_empty()
    {
        return h;
    }
    let mut candidates = vec!["/var/run/docker.sock".to_string()];
    for (var, rel) in [
        ("XDG_RUNTIME_DIR", ".docker/run/docker.sock"),
        ("HOME", ".docker/run/docker.sock"),
        ("HOME", ".docker/desktop/docker.sock"),
    ] {
        if let Ok(dir) = std::env::var(var) {
            candidates.push(format!("{dir}/{rel}"));
        }
    }
    candidates
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map_or_else(
            || "unix:///var/run/docker.sock".to_string(),
            |p| format!("unix://{p}"),
        )
}

/// Asks the engine at `host` for `/_ping`. `Err` is the reason a user reads:
/// `no Docker engine answers at unix:///var/run/docker.sock: No such file or directory …`.
pub async fn probe_docker(host: &str, timeout: Duration) -> Result<(), String> {
    let fail = |why: String| format!("no Docker engine answers at {host}: {why}");
    let ping = async {
        if let Some(path) = host.strip_prefix("unix://") {
            #[cfg(unix)]
            {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| e.to_string())?;
                return ping_over(stream).await;
            }
            #[cfg(not(unix))]
            {
                let _ = path;
                return Err("unix sockets are not available on this platform".to_string());
            }
        }
        if let Some(addr) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            let stream = tokio::net::TcpStream::connect(addr.trim_end_matches('/'))
                .await
                .map_err(|e| e.to_string())?;
            if std::env::var_os("DOCKER_TLS_VERIFY").is_some() {
                // TLS engine: a TCP connection is as far as a plain probe can go; testcontainers
                // reports anything further.
                return Ok(());
            }
            return ping_over(stream).await;
        }
        if host.starts_with("npipe://") || host.starts_with("https://") {
            // Named pipes and TLS endpoints: leave the verdict to testcontainers itself.
            return Ok(());
        }
        Err("unsupported DOCKER_HOST scheme".to_string())
    };
    match tokio::time::timeout(timeout, ping).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(why)) => Err(fail(why)),
        Err(_) => Err(fail(format!("no answer within {timeout:?}"))),
    }
}

async fn ping_over<S>(mut stream: S) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 512];
    let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
    let head = String::from_utf8_lossy(&buf[..n]);
    let status_line = head.lines().next().unwrap_or("").to_string();
    if status_line.starts_with("HTTP/1.") && status_line.contains(" 200") {
        Ok(())
    } else if status_line.is_empty() {
        Err("the socket closed without an answer".to_string())
    } else {
        Err(format!("/_ping answered `{status_line}`"))
    }
}

/// A client for the engine at `host` (as [`docker_host`] resolves it).
pub fn connect(host: &str) -> Result<Docker, DockerError> {
    Docker::connect_with_host(host)
        .map(|d| d.with_timeout(CALL_TIMEOUT))
        .map_err(|e| DockerError::Connect {
            host: host.to_string(),
            reason: e.to_string(),
        })
}

async fn timed<T>(
    op: &'static str,
    fut: impl std::future::Future<Output = Result<T, bollard::errors::Error>>,
) -> Result<T, DockerError> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(DockerError::Call {
            op,
            reason: e.to_string(),
        }),
        Err(_) => Err(DockerError::Timeout {
            op,
            after: CALL_TIMEOUT,
        }),
    }
}

/// The id (`sha256:…`) of a local image, `Ok(None)` when the engine does not have it.
pub async fn image_id(docker: &Docker, image: &str) -> Result<Option<String>, DockerError> {
    match tokio::time::timeout(CALL_TIMEOUT, docker.inspect_image(image)).await {
        Ok(Ok(i)) => Ok(i.id),
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        })) => Ok(None),
        Ok(Err(e)) => Err(DockerError::Call {
            op: "image inspect",
            reason: e.to_string(),
        }),
        Err(_) => Err(DockerError::Timeout {
            op: "image inspect",
            after: CALL_TIMEOUT,
        }),
    }
}

/// The last `n` lines a container wrote (stdout and stderr interleaved as the engine keeps
/// them). Empty when there are none or they cannot be read.
pub async fn last_log_lines(docker: &Docker, id: &str, n: usize) -> Vec<String> {
    use futures_util::StreamExt;
    let opts = bollard::query_parameters::LogsOptions {
        stdout: true,
        stderr: true,
        tail: n.to_string(),
        ..Default::default()
    };
    let collect = async {
        let mut out = Vec::new();
        let mut stream = docker.logs(id, Some(opts));
        while let Some(Ok(chunk)) = stream.next().await {
            out.extend_from_slice(&chunk.into_bytes());
        }
        out
    };
    let bytes = tokio::time::timeout(Duration::from_secs(5), collect)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<String> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let skip = lines.len().saturating_sub(n);
    lines.into_iter().skip(skip).collect()
}

/// Whether the container is still running, with its exit code when it is not.
pub async fn container_state(
    docker: &Docker,
    id: &str,
) -> Result<(bool, Option<i64>), DockerError> {
    let info = timed("container inspect", docker.inspect_container(id, None)).await?;
    let state = info.state.unwrap_or_default();
    Ok((state.running.unwrap_or(false), state.exit_code))
}

/// A container s3cors labelled, as the engine lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub id: String,
    pub name: String,
    pub image: String,
    /// Creation time, seconds since the epoch.
    pub created: Option<i64>,
    pub labels: HashMap<String, String>,
}

/// Every container (running or not) carrying `s3cors=1` and, when given, every extra
/// `key=value` label in `also`.
pub async fn list_labelled(
    docker: &Docker,
    also: &[(&str, &str)],
) -> Result<Vec<Labelled>, DockerError> {
    let mut label_filters = vec![format!("{LABEL_OURS}=1")];
    label_filters.extend(also.iter().map(|(k, v)| format!("{k}={v}")));
    let opts = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([("label".to_string(), label_filters)])),
        ..Default::default()
    };
    let list = timed("container list", docker.list_containers(Some(opts))).await?;
    Ok(list
        .into_iter()
        .filter_map(|c| {
            let labels = c.labels.unwrap_or_default();
            // The engine filtered already; checking again costs nothing and keeps the promise
            // even against an engine that ignored the filter.
            if labels.get(LABEL_OURS).map(String::as_str) != Some("1") {
                return None;
            }
            Some(Labelled {
                id: c.id?,
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                image: c.image.unwrap_or_default(),
                created: c.created,
                labels,
            })
        })
        .collect())
}

/// Removes one container (stopping it first, with its anonymous volumes). A container that
/// is already gone counts as removed.
pub async fn remove(docker: &Docker, id: &str) -> Result<(), DockerError> {
    let opts = bollard::query_parameters::RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    match tokio::time::timeout(CALL_TIMEOUT, docker.remove_container(id, Some(opts))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        })) => Ok(()),
        // 409: removal already in progress (another clean-up path got there first).
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        })) => Ok(()),
        Ok(Err(e)) => Err(DockerError::Call {
            op: "container remove",
            reason: e.to_string(),
        }),
        Err(_) => Err(DockerError::Timeout {
            op: "container remove",
            after: CALL_TIMEOUT,
        }),
    }
}

/// Removes every container labelled with all of `labels` (plus `s3cors=1`); returns the ids
/// removed and the failures.
pub async fn remove_labelled(
    docker: &Docker,
    labels: &[(&str, &str)],
) -> Result<(Vec<String>, Vec<(String, DockerError)>), DockerError> {
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    for c in list_labelled(docker, labels).await? {
        match remove(docker, &c.id).await {
            Ok(()) => removed.push(c.id),
            Err(e) => failed.push((c.id, e)),
        }
    }
    Ok((removed, failed))
}

/// This machine's host name (for [`LABEL_HOST`]); empty when unknown.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Whether process `pid` is alive on this machine (Linux `/proc`; elsewhere: unknown, so
/// `false` and `sweep` relies on `--older-than`).
pub fn process_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // A zombie (`Z`) or dead (`X`) process is not running anything any more.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, Some("Z") | Some("X"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_socket_is_a_reason() {
        let host = "unix:///nonexistent/s3cors/docker.sock";
        let err = probe_docker(host, Duration::from_secs(1))
            .await
            .expect_err("no engine");
        assert!(
            err.starts_with("no Docker engine answers at unix:///nonexistent"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_a_reason() {
        let err = probe_docker("ftp://x", Duration::from_secs(1))
            .await
            .expect_err("bad scheme");
        assert!(err.contains("unsupported DOCKER_HOST scheme"), "{err}");
    }

    #[test]
    fn this_process_is_alive_and_a_huge_pid_is_not() {
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(process_alive(std::process::id()));
        }
        assert!(!process_alive(u32::MAX - 1));
    }
}
