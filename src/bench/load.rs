//! A bounded loopback load generator for one endpoint: a fixed number of requests over `c`
//! keep-alive connections, stopping at the request count or the time limit, whichever comes
//! first.
//!
//! It speaks raw HTTP/1.1 over `TcpStream` (write the request, read the head, read
//! `Content-Length` bytes) instead of going through an HTTP client library, so the client
//! side costs as little as possible and the numbers describe the server. Latency is measured
//! per request from the first byte written to the last byte read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadRun {
    /// Requests answered (any status).
    pub completed: usize,
    /// Answers whose status was not the expected one.
    pub unexpected_status: usize,
    /// Connection-level failures (connect, reset, unparsable answer).
    pub errors: usize,
    pub wall: Duration,
    /// Sorted latencies in microseconds.
    pub latencies_us: Vec<u32>,
}

impl LoadRun {
    /// Requests per second over the wall time.
    pub fn throughput(&self) -> f64 {
        self.completed as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) of latency in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let last = self.latencies_us.len() - 1;
        let i = ((last as f64) * q).round() as usize;
        f64::from(self.latencies_us[i.min(last)]) / 1000.0
    }
}

/// Sends `total` copies of `request` (a complete HTTP/1.1 request, keep-alive) to `addr` over
/// `concurrency` connections, for at most `limit`.
pub async fn run(
    addr: SocketAddr,
    request: Arc<Vec<u8>>,
    expect_status: u16,
    total: usize,
    concurrency: usize,
    limit: Duration,
) -> LoadRun {
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let issued = issued.clone();
        let request = request.clone();
        workers.spawn(async move {
            let mut run = LoadRun::default();
            let mut conn: Option<TcpStream> = None;
            let mut buf = Vec::with_capacity(8192);
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < total {
                let t0 = Instant::now();
                if conn.is_none() {
                    match TcpStream::connect(addr).await {
                        Ok(s) => {
                            let _ = s.set_nodelay(true);
                            conn = Some(s);
                        }
                        Err(_) => {
                            run.errors += 1;
                            continue;
                        }
                    }
                }
                let Some(s) = conn.as_mut() else { continue };
                let left = deadline.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, exchange(s, &request, &mut buf)).await {
                    Ok(Ok((status, keep))) => {
                        run.completed += 1;
                        if status != expect_status {
                            run.unexpected_status += 1;
                        }
                        let us = t0.elapsed().as_micros();
                        run.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                        if !keep {
                            conn = None;
                        }
                    }
                    Ok(Err(_)) => {
                        run.errors += 1;
                        conn = None;
                    }
                    Err(_) => break,
                }
            }
            run
        });
    }
    let mut all = LoadRun::default();
    while let Some(r) = workers.join_next().await {
        if let Ok(r) = r {
            all.completed += r.completed;
            all.unexpected_status += r.unexpected_status;
            all.errors += r.errors;
            all.latencies_us.extend(r.latencies_us);
        }
    }
    all.wall = started.elapsed();
    all.latencies_us.sort_unstable();
    all
}

/// One request/response on a keep-alive connection: `(status, connection stays open)`.
async fn exchange(
    s: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
    s.write_all(request).await?;
    buf.clear();
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .get(9..12)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let keep = header("connection:").is_none_or(|v| v != "close");
    let head_request = request.starts_with(b"HEAD ");
    if head_request {
        return Ok((status, keep));
    }
    if let Some(len) = header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
        let mut have = buf.len() - head_end;
        while have < len {
            let mut chunk = [0u8; 8192];
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            have += n;
        }
    } else if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        while find(&buf[head_end..], b"0\r\n\r\n").is_none() {
            let mut chunk = [0u8; 8192];
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    } else if status >= 200 && status != 204 && status != 304 {
        // No length: the body runs to the end of the connection.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await?;
        return Ok((status, false));
    }
    Ok((status, keep))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
