//! Memory stays bounded under hostile traffic: the embedded server's resident set after a
//! fixed number of hostile requests, compared with a warmed-up baseline.
//!
//! `VmRSS` is per process, so no other test may allocate beside it: each test here runs alone
//! in a child process of the test binary ([`util::isolated`]).
//! The bounds are generous (tens of MiB): they catch leaks and per-connection buffering that
//! grows with the traffic, not allocator noise.

use crate::util::{self, server::Fixture};
use s3cors::server::ServerConfig;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BUCKET: &str = "hostile";
const ORIGIN: &str = "https://app.example";
const MIB: u64 = 1024 * 1024;

/// Resident set size of this process in bytes (Linux `/proc/self/status`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line");
    kb * 1024
}

async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> Fixture {
    let server = Fixture::start_adjusted(|cfg| {
        cfg.header_read_timeout = Duration::from_millis(500);
        cfg.body_read_timeout = Duration::from_millis(500);
        adjust(cfg);
    })
    .await;
    server
        .bucket_with_cors(BUCKET, &[util::rule(&[ORIGIN], &["GET"], &[])])
        .await;
    server
}

async fn send(addr: SocketAddr, bytes: Vec<u8>) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    let _ = s.write_all(&bytes).await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut sink)).await;
}

/// One round of hostile traffic: 400 requests, 100 at a time.
async fn hostile_round(addr: SocketAddr) {
    let big_header = format!("X-Big: {}\r\n", "a".repeat(64 * 1024));
    let requests: Vec<Vec<u8>> = vec![
        format!("OPTIONS /{BUCKET}/k HTTP/1.1\r\nHost: {addr}\r\nOrigin: {ORIGIN}\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n").into_bytes(),
        format!("OPTIONS /{BUCKET}/k HTTP/1.1\r\nHost: {addr}\r\n{big_header}Connection: close\r\n\r\n").into_bytes(),
        format!("PUT /{BUCKET}/k HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{}", "x".repeat(50_000)).into_bytes(),
        format!("PUT /{BUCKET}?cors HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 20\r\nConnection: close\r\n\r\n<CORSConfiguration>").into_bytes(),
        format!("GET /{BUCKET}/%zz%ff HTTP/1.1\r\nHost: {addr}\r\nOrigin: \u{fffd}\r\nConnection: close\r\n\r\n").into_bytes(),
        format!("GET /{BUCKET}/k HTTP/1.1\r\nHost: {addr}\r\nOrigin: {ORIGIN}\r\n").into_bytes(),
        (0..=255u8).cycle().take(8192).collect(),
        format!("PUT /{BUCKET}/k HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000000000000\r\nConnection: close\r\n\r\n").into_bytes(),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..400 {
        let bytes = requests[i % requests.len()].clone();
        tasks.spawn(send(addr, bytes));
        if tasks.len() >= 100 {
            let _ = tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_bounded_under_repeated_hostile_rounds() {
    if !util::isolated("hostile_memory::rss_stays_bounded_under_repeated_hostile_rounds") {
        return;
    }
    let server = start(|cfg| cfg.max_body_bytes = MIB as usize).await;
    let addr = server.addr();
    // Warm-up: allocator arenas, hyper buffers, the runtime's worker stacks.
    hostile_round(addr).await;
    hostile_round(addr).await;
    let baseline = rss();
    for _ in 0..5 {
        hostile_round(addr).await;
    }
    let after = rss();
    let growth = after.saturating_sub(baseline);
    eprintln!(
        "VmRSS baseline {} MiB, after 2000 hostile requests {} MiB (+{} KiB)",
        baseline / MIB,
        after / MIB,
        growth / 1024
    );
    assert!(
        growth < 32 * MIB,
        "resident memory grew by {} MiB over 2000 hostile requests",
        growth / MIB
    );
    server.shutdown().await;
}

/// Unauthenticated uploads must not be buffered before authentication.
///
/// Regression test: the server used to read the whole request body (up to `max_body_bytes`,
/// 64 MiB by default) *before* authenticating, so any anonymous client could make it hold
/// `max_body_bytes` per open connection (32 connections streaming 8 MiB each pinned ~256 MiB).
/// Now a request refused from its head alone (bad signature; anonymous write to a bucket that
/// does not grant it) is answered without reading the body, and the connection is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_uploads_are_not_buffered_before_authentication() {
    if !util::isolated("hostile_memory::anonymous_uploads_are_not_buffered_before_authentication") {
        return;
    }
    let server = start(|_| {}).await;
    let addr = server.addr();
    let baseline = rss();
    let body = vec![b'x'; 8 * MIB as usize];
    let mut peak = baseline;
    let mut sockets = Vec::new();
    for _ in 0..32 {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "PUT /{BUCKET}/big HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            body.len() + 1
        );
        s.write_all(head.as_bytes()).await.expect("head");
        // All but the last byte: the server keeps waiting for it, holding what it has read.
        let _ = s.write_all(&body).await;
        sockets.push(s);
        peak = peak.max(rss());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    peak = peak.max(rss());
    drop(sockets);
    let growth = peak.saturating_sub(baseline);
    eprintln!(
        "VmRSS grew by {} MiB while 32 anonymous 8 MiB uploads were open",
        growth / MIB
    );
    assert!(
        growth < 64 * MIB,
        "32 anonymous uploads to a private bucket pinned {} MiB",
        growth / MIB
    );
    server.shutdown().await;
}
