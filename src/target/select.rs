//! The one place `--target` strings become targets.
//!
//! Parsing is separate from building: a typo in `--target` is a usage error found before
//! anything starts, while building may start a server or a container and is async.

use super::embedded::{EmbeddedError, EmbeddedTarget};
use super::endpoint::{self, EndpointError, EndpointOptions};
use super::{S3Request, S3Response, Target, TargetInfo, TransportError, WireRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A parsed `--target` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// The in-process reference server.
    Embedded,
    /// Any S3 endpoint; `None` takes the URL from `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`.
    Endpoint(Option<String>),
    /// MinIO in a container.
    Minio,
    /// Real Amazon S3.
    Aws,
}

impl TargetSpec {
    /// The name trials and reports use.
    pub fn name(&self) -> &'static str {
        match self {
            TargetSpec::Embedded => "embedded",
            TargetSpec::Endpoint(_) => "endpoint",
            TargetSpec::Minio => "minio",
            TargetSpec::Aws => "aws",
        }
    }
}

/// A `--target` value that is not one of the known forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{0}`: expected embedded, endpoint=URL, minio or aws")]
pub struct BadTarget(pub String);

/// Parses `embedded`, `endpoint=URL` (or bare `endpoint`), `minio`, `aws`.
pub fn parse(s: &str) -> Result<TargetSpec, BadTarget> {
    match s.split_once('=') {
        Some(("endpoint", url)) => Ok(TargetSpec::Endpoint(Some(url.to_string()))),
        Some(_) => Err(BadTarget(s.to_string())),
        None => match s {
            "embedded" => Ok(TargetSpec::Embedded),
            "endpoint" => Ok(TargetSpec::Endpoint(None)),
            "minio" => Ok(TargetSpec::Minio),
            "aws" => Ok(TargetSpec::Aws),
            _ => Err(BadTarget(s.to_string())),
        },
    }
}

/// Why a target could not be built (a harness error, not a skip).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
}

/// A built target. The embedded one is kept typed so it can be shut down.
pub struct BuiltTarget {
    pub target: Arc<dyn Target>,
    embedded: Option<Arc<EmbeddedTarget>>,
}

impl BuiltTarget {
    /// Stops what the target started (the embedded server). Idempotent.
    pub async fn shutdown(&self) {
        if let Some(e) = &self.embedded {
            e.shutdown().await;
        }
    }
}

/// Builds a target. Must run on the tokio runtime the trials use (the embedded server is
/// spawned on it).
pub async fn build(
    spec: &TargetSpec,
    name: &str,
    opts: &EndpointOptions,
) -> Result<BuiltTarget, BuildError> {
    Ok(match spec {
        TargetSpec::Embedded => {
            let e = Arc::new(EmbeddedTarget::start(name).await?);
            BuiltTarget {
                target: e.clone(),
                embedded: Some(e),
            }
        }
        TargetSpec::Endpoint(url) => {
            let t = endpoint::build(name, url.as_deref(), opts, &endpoint::process_env)?;
            BuiltTarget {
                target: Arc::new(t),
                embedded: None,
            }
        }
        TargetSpec::Minio | TargetSpec::Aws => BuiltTarget {
            target: Arc::new(Unavailable {
                info: TargetInfo {
                    name: name.to_string(),
                    kind: spec.name().to_string(),
                    endpoint: None,
                    version: None,
                },
                reason: format!("the `{}` target is not built yet", spec.name()),
            }),
            embedded: None,
        },
    })
}

/// A target that cannot run at all: every trial is skipped with its reason.
pub struct Unavailable {
    pub info: TargetInfo,
    pub reason: String,
}

impl Target for Unavailable {
    fn info(&self) -> TargetInfo {
        self.info.clone()
    }

    fn unavailable(&self) -> Option<String> {
        Some(self.reason.clone())
    }

    fn send<'a>(
        &'a self,
        _req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        let reason = self.reason.clone();
        Box::pin(async move { Err(TransportError::Build(reason)) })
    }

    fn wire(&self, _req: &S3Request) -> Result<WireRequest, TransportError> {
        Err(TransportError::Build(self.reason.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_forms() {
        assert_eq!(parse("embedded"), Ok(TargetSpec::Embedded));
        assert_eq!(
            parse("endpoint=http://h:9000"),
            Ok(TargetSpec::Endpoint(Some("http://h:9000".into())))
        );
        assert_eq!(parse("endpoint"), Ok(TargetSpec::Endpoint(None)));
        assert_eq!(parse("minio"), Ok(TargetSpec::Minio));
        assert_eq!(parse("aws"), Ok(TargetSpec::Aws));
        assert!(parse("mino").is_err());
        assert!(parse("aws=x").is_err());
    }
}
