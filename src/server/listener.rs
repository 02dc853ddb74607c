//! The accept loop: one tokio task per connection, a header-read timeout for slow clients,
//! and graceful shutdown.
//!
//! Each connection runs in its own task, so a panic anywhere in a connection (the request
//! handler also catches its own, see [`super::service`]) ends that connection only; the
//! accept loop never sees it. Accept errors (e.g. out of file descriptors) are retried after a
//! short pause instead of ending the server. With TLS (the AWS-like mode) each connection's
//! handshake runs in its own task too, bounded by the header-read timeout.

use super::Shared;
use super::service;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long shutdown waits for in-flight connections before dropping them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves until `shutdown` becomes `true`, then drains connections.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let for_connections = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let (shared, stop) = (shared.clone(), for_connections.clone());
                    match shared.tls.clone() {
                        None => connections.spawn(connection(stream, shared, stop)),
                        Some(tls) => connections.spawn(async move {
                            // The handshake gets the same bound as a request head.
                            let limit = shared.cfg.header_read_timeout;
                            if let Ok(Ok(stream)) =
                                tokio::time::timeout(limit, tls.accept(stream)).await
                            {
                                connection(stream, shared, stop).await;
                            }
                        }),
                    };
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stopped(&mut shutdown) => break,
        }
        // Reap finished connections (a panicked one is just a finished one here).
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
    connections.abort_all();
}

/// Serves one connection until it closes or shutdown is requested.
async fn connection<S>(stream: S, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.cfg.header_read_timeout)
        .keep_alive(true);
    if shared.header_case.is_none() {
        // Fallback when the spelling template is unavailable: closer to AWS than lower case.
        builder.title_case_headers(true);
    }
    let svc_shared = shared.clone();
    let svc = service_fn(move |req| {
        let shared = svc_shared.clone();
        async move { Ok::<_, Infallible>(service::handle(shared, req).await) }
    });
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Resolves once shutdown has been requested (or the server handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
