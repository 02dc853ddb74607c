//! The `embedded` target: the reference server started in this process on `127.0.0.1:0`,
//! reached over real HTTP through an [`HttpTarget`].
//!
//! Going through the network stack (instead of calling the server's service directly) keeps
//! the embedded target honest: the same client, signing and header handling as every other
//! target, so a pass here means the wire format is right too.

use super::client::{ClientError, HttpConfig, HttpTarget};
use super::{S3Request, S3Response, Target, TargetPolicy, TransportError, WireRequest};
use crate::server::{self, RunningServer, ServerConfig};
use std::future::Future;
use std::pin::Pin;

/// Credentials and region the embedded server is started with.
pub const ACCESS_KEY: &str = "s3cors-embedded";
pub const SECRET_KEY: &str = "s3cors-embedded-secret";
pub const REGION: &str = "us-east-1";

/// Why the embedded server could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("cannot start the embedded server: {0}")]
    Start(#[from] std::io::Error),
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// The embedded reference server plus a client for it.
pub struct EmbeddedTarget {
    http: HttpTarget,
    server: std::sync::Mutex<Option<RunningServer>>,
}

impl EmbeddedTarget {
    /// Starts the server on the current tokio runtime (it serves for as long as that runtime
    /// runs and this value lives). `name` is the target's name in trial names.
    pub async fn start(name: &str) -> Result<EmbeddedTarget, EmbeddedError> {
        let cfg = ServerConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            access_key: ACCESS_KEY.to_string(),
            secret_key: SECRET_KEY.to_string(),
            region: REGION.to_string(),
            ..ServerConfig::default()
        };
        let running = server::start(cfg).await?;
        let mut http_cfg = HttpConfig::new(
            name,
            "embedded",
            &running.endpoint(),
            ACCESS_KEY,
            SECRET_KEY,
            REGION,
        );
        // The server recognises `<bucket>.localhost` as virtual-hosted.
        http_cfg.virtual_domain = Some("localhost".to_string());
        let http = HttpTarget::new(http_cfg)?;
        Ok(EmbeddedTarget {
            http,
            server: std::sync::Mutex::new(Some(running)),
        })
    }

    /// The server's endpoint URL.
    pub fn endpoint(&self) -> String {
        self.http.config().endpoint.clone()
    }

    /// Stops the server (idempotent).
    pub async fn shutdown(&self) {
        let running = self.server.lock().ok().and_then(|mut s| s.take());
        if let Some(r) = running {
            r.shutdown().await;
        }
    }
}

impl Target for EmbeddedTarget {
    fn policy(&self) -> TargetPolicy {
        let mut policy = self.http.policy();
        policy.info.version = Some(format!("s3cors {}", env!("CARGO_PKG_VERSION")));
        policy
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        self.http.send(req)
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.http.wire(req)
    }
}
