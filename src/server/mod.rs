//! The embedded reference S3 server: an in-memory S3 on tokio + hyper that answers bucket
//! CORS exactly as Amazon S3 does.
//!
//! It is the default target of the runner, the oracle other targets are compared with, and a
//! handy local S3 for web developers (`s3cors serve`). Every CORS decision is delegated to the
//! pure model in [`crate::cors`]; this module is only the HTTP shell around it.
//!
//! Layers, outermost first (mini-redis style, one job per module):
//!
//! - [`listener`]: accept loop, per-connection tasks, header-read timeout, graceful shutdown.
//! - [`service`]: one request end to end: ids, bounded body, routing, auth, operation, CORS.
//! - [`routing`]: path-style and virtual-hosted addressing, query parsing, subresources.
//! - [`auth`]: AWS Signature V4 verification (Authorization header and presigned URLs).
//! - [`acl`]: canned ACLs and what they grant anonymous callers.
//! - [`store`]: the in-memory buckets, objects, ACLs and CORS configurations.
//! - [`ops`]: the S3 operations.
//! - [`multipart`]: multipart uploads (Create, UploadPart, Complete, Abort, List…).
//! - [`post_object`] and [`formdata`]: browser form uploads (POST Object with a policy).
//! - [`xml`]: response documents (ListAllMyBuckets, ListBucketResult, AccessControlPolicy, …).
//! - [`response`]: turning a [`response::Reply`] into an HTTP response with AWS's header
//!   order and spelling.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use s3cors::server::{self, ServerConfig};
//! let cfg = ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
//! let server = server::start(cfg).await?;
//! println!("S3 at {}", server.endpoint());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod acl;
pub mod auth;
pub mod awslike;
pub mod formdata;
mod listener;
pub mod multipart;
pub mod ops;
pub mod post_object;
pub mod response;
pub mod routing;
mod service;
pub mod store;
pub mod tls;
pub mod xml;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Configuration of one embedded server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port (see [`RunningServer::addr`]).
    pub listen: SocketAddr,
    /// The one access key id the server accepts.
    pub access_key: String,
    /// Its secret key.
    pub secret_key: String,
    /// The region the server pretends to be (credential scope, `x-amz-bucket-region`).
    pub region: String,
    /// Largest request body accepted, in bytes. Larger bodies get `EntityTooLarge`
    /// (PutObject) or `MaxMessageLengthExceeded` (everything else), both 400 as on S3.
    pub max_body_bytes: usize,
    /// Largest multipart upload, all parts together, in bytes (the server keeps parts in
    /// memory): the part that would cross it gets 400 `EntityTooLarge`. A form upload's file
    /// is bounded by `max_body_bytes`.
    pub max_upload_bytes: usize,
    /// Host names under which virtual-hosted addressing is recognised: a `Host` of
    /// `<bucket>.<domain>[:port]` addresses `<bucket>`. See [`routing`] for the full rule.
    pub domains: Vec<String>,
    /// How long a client may take to send the request head before the connection is closed.
    pub header_read_timeout: Duration,
    /// How long a client may take to send the request body (S3's 400 `RequestTimeout`).
    pub body_read_timeout: Duration,
    /// The AWS-like mode (regional names, accounts, delays, throttling, TLS); `None` for the
    /// plain reference server. See [`awslike`].
    pub aws: Option<awslike::AwsLikeConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9000)),
            access_key: "test".to_string(),
            secret_key: "test".to_string(),
            region: "us-east-1".to_string(),
            max_body_bytes: 64 * 1024 * 1024,
            max_upload_bytes: 256 * 1024 * 1024,
            domains: vec!["localhost".to_string(), "s3.localhost".to_string()],
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            aws: None,
        }
    }
}

/// State shared by every connection of one server.
pub(crate) struct Shared {
    pub(crate) cfg: ServerConfig,
    pub(crate) store: store::Store,
    /// Response extensions that make hyper write AWS's header-name spelling
    /// (see [`response::header_case_template`]); `None` if it could not be built.
    pub(crate) header_case: Option<http::Extensions>,
    /// The AWS-like mode's state, when it is on.
    pub(crate) aws: Option<awslike::AwsLike>,
    /// The TLS acceptor, when the server speaks HTTPS.
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Binds `cfg.listen` and starts serving in the background on the current tokio runtime.
pub async fn start(cfg: ServerConfig) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    let addr = listener.local_addr()?;
    let header_case = response::header_case_template().await;
    let mut tls = None;
    let mut ca_pem = None;
    if let Some(a) = cfg.aws.as_ref().filter(|a| a.ca_file.is_some()) {
        let t = tls::generate(&cfg.region).map_err(std::io::Error::other)?;
        if let Some(path) = &a.ca_file {
            tls::write_ca(path, &t.ca_pem).map_err(std::io::Error::other)?;
        }
        ca_pem = Some(t.ca_pem);
        tls = Some(t.acceptor);
    }
    let aws = cfg
        .aws
        .clone()
        .map(|a| awslike::AwsLike::new(a, &cfg.access_key, &cfg.region));
    let scheme = if tls.is_some() { "https" } else { "http" };
    let shared = Arc::new(Shared {
        cfg,
        store: store::Store::default(),
        header_case,
        aws,
        tls,
    });
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(listener::serve(listener, shared, rx));
    Ok(RunningServer {
        addr,
        scheme,
        ca_pem,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// A server started by [`start`]. Dropping it stops the server (without waiting).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    scheme: &'static str,
    ca_pem: Option<String>,
    shutdown: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address (the real port when `listen` had port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT` (`https://` with TLS), ready for an SDK's endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The generated CA certificate (PEM) when the server speaks HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds), then returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
    }
}
