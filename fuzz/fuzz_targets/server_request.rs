//! Fuzzes the embedded server's request handling with arbitrary bytes sent as an HTTP/1.1
//! request over a real loopback socket.
//!
//! The server exposes no pure request function (its handler takes hyper's streaming body),
//! so the target goes through the socket: one server is started once per fuzzing process on
//! `127.0.0.1:0` with a bucket that has a CORS configuration, each input is written on a
//! fresh connection, and after each input a normal preflight must still get its 200 with the
//! right `Access-Control-Allow-Origin`. libFuzzer's panic hook aborts on a panic in *any*
//! thread, so a panic inside a server task is reported as a crash even though tokio (and the
//! server's own `catch_unwind`) would otherwise swallow it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3cors::case::model::Checksum;
use s3cors::cors::CorsRule;
use s3cors::runner::exec::{create_bucket_request, put_cors_request, rules_xml};
use s3cors::server::{self, RunningServer, ServerConfig};
use s3cors::target::{HttpConfig, HttpTarget, Target};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

const BUCKET: &str = "fuzz-bucket";
const ORIGIN: &str = "https://app.example";

struct Harness {
    addr: SocketAddr,
    _server: RunningServer,
    _rt: tokio::runtime::Runtime,
}

static HARNESS: OnceLock<Harness> = OnceLock::new();

fn harness() -> &'static Harness {
    HARNESS.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let server = rt.block_on(async {
            let cfg = ServerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                access_key: "fuzz".into(),
                secret_key: "fuzz-secret".into(),
                max_body_bytes: 256 * 1024,
                header_read_timeout: Duration::from_secs(2),
                body_read_timeout: Duration::from_secs(2),
                ..ServerConfig::default()
            };
            let running = server::start(cfg).await.expect("server start");
            let client = HttpTarget::new(HttpConfig::new(
                "fuzz",
                "embedded",
                &running.endpoint(),
                "fuzz",
                "fuzz-secret",
                "us-east-1",
            ))
            .expect("client");
            let created = client
                .send(&create_bucket_request(BUCKET, None))
                .await
                .expect("CreateBucket");
            assert_eq!(created.status, 200, "CreateBucket");
            let rules = vec![CorsRule {
                allowed_origins: vec![ORIGIN.into(), "http://*.example.net".into()],
                allowed_methods: vec!["GET".into(), "PUT".into()],
                allowed_headers: vec!["*".into()],
                expose_headers: vec!["ETag".into()],
                max_age_seconds: Some(600),
                ..CorsRule::default()
            }];
            let put = put_cors_request(BUCKET, rules_xml(&rules).into_bytes(), Checksum::Md5);
            let answered = client.send(&put).await.expect("PutBucketCors");
            assert_eq!(answered.status, 200, "PutBucketCors");
            running
        });
        Harness {
            addr: server.addr(),
            _server: server,
            _rt: rt,
        }
    })
}

/// Writes `bytes` and reads whatever comes back (bounded by a timeout).
///
/// With `half_close`, the write side is shut after the bytes so that an incomplete request
/// ends at once instead of at the server's header timeout: that keeps the fuzzer fast, but
/// hyper (without its `half_close` option) may then drop the response, so the answer is only
/// read for coverage. The liveness check never half-closes: it says `Connection: close`.
fn exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let Ok(mut s) = TcpStream::connect(addr) else {
        return out;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(3)));
    // The server may answer and close before reading everything: write errors are fine.
    let _ = s.write_all(bytes);
    if half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    let _ = s.take(1 << 20).read_to_end(&mut out);
    out
}

fn assert_alive(addr: SocketAddr) {
    let preflight = format!(
        "OPTIONS /{BUCKET}/key HTTP/1.1\r\nHost: {addr}\r\nOrigin: {ORIGIN}\r\n\
         Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n"
    );
    let resp = exchange(addr, preflight.as_bytes(), false);
    let text = String::from_utf8_lossy(&resp).to_ascii_lowercase();
    assert!(
        text.starts_with("http/1.1 200"),
        "server no longer answers a normal preflight: {text:?}"
    );
    assert!(
        text.contains(&format!("access-control-allow-origin: {ORIGIN}")),
        "preflight lost its CORS headers: {text:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let _ = exchange(h.addr, data, true);
    assert_alive(h.addr);
});
