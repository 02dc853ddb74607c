//! The one place `--target` strings become targets.
//!
//! Parsing is separate from building: a typo in `--target` is a usage error found before
//! anything starts, while building may start a server or a container and is async.

use super::embedded::{EmbeddedError, EmbeddedTarget};
use super::endpoint::{self, EndpointError, EndpointOptions};
use super::{
    CasePolicy, S3Request, S3Response, Target, TargetExt, TargetInfo, TargetPolicy, TransportError,
    WireRequest,
};
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
    /// MinIO in a container, cases as written (per-bucket CORS is unsupported there).
    Minio,
    /// MinIO in a container, measured through its one global CORS setting.
    MinioGlobal,
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
            TargetSpec::MinioGlobal => "minio-global",
            TargetSpec::Aws => "aws",
        }
    }
}

/// A `--target` value that is not one of the known forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown target `{0}`: expected embedded, endpoint=URL, minio, minio-global or aws, optionally named as NAME=TARGET (e.g. localstack=endpoint=http://127.0.0.1:4566)"
)]
pub struct BadTarget(pub String);

/// The target kinds' keywords; anything else before a `=` is a target name.
const KINDS: [&str; 5] = ["embedded", "endpoint", "minio", "minio-global", "aws"];

/// Parses `embedded`, `endpoint=URL` (or bare `endpoint`), `minio`, `minio-global`
/// (also `minio:global`), `aws`.
pub fn parse(s: &str) -> Result<TargetSpec, BadTarget> {
    match s.split_once('=') {
        Some(("endpoint", url)) if !url.is_empty() => {
            Ok(TargetSpec::Endpoint(Some(url.to_string())))
        }
        Some(_) => Err(BadTarget(s.to_string())),
        None => match s {
            "embedded" => Ok(TargetSpec::Embedded),
            "endpoint" => Ok(TargetSpec::Endpoint(None)),
            "minio" => Ok(TargetSpec::Minio),
            "minio-global" | "minio:global" => Ok(TargetSpec::MinioGlobal),
            "aws" => Ok(TargetSpec::Aws),
            _ => Err(BadTarget(s.to_string())),
        },
    }
}

/// Parses a `--target` value that may carry a name: `NAME=TARGET` where NAME is not a
/// kind keyword (`localstack=endpoint=http://127.0.0.1:4566`). The name labels trials,
/// reports and the expectations file (`expectations/NAME.yaml`), and selects per-target
/// credentials (`S3CORS_<NAME>_ACCESS_KEY_ID`, …; see [`target_env`]).
pub fn parse_named(s: &str) -> Result<(TargetSpec, Option<String>), BadTarget> {
    if let Some((name, rest)) = s.split_once('=')
        && !KINDS.contains(&name)
    {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(BadTarget(s.to_string()));
        }
        let spec = parse(rest).map_err(|_| BadTarget(s.to_string()))?;
        return Ok((spec, Some(name.to_string())));
    }
    parse(s).map(|spec| (spec, None))
}

/// Environment lookup for a named target: `AWS_X` is looked up first as
/// `S3CORS_<NAME>_X` (NAME upper-cased, `-` → `_`), then as `AWS_X` itself. This lets one
/// run reach several endpoints with different credentials without putting secrets on the
/// command line.
pub fn target_env(name: &str) -> impl Fn(&str) -> Option<String> + use<> {
    let prefix = format!("S3CORS_{}_", name.to_ascii_uppercase().replace('-', "_"));
    move |key: &str| {
        key.strip_prefix("AWS_")
            .and_then(|rest| super::endpoint::process_env(&format!("{prefix}{rest}")))
            .or_else(|| super::endpoint::process_env(key))
    }
}

/// What building some targets needs beyond the spec: the run's id (AWS bucket names), the
/// explicit consent to touch real AWS, and the cases (MinIO's global-CORS mode picks its
/// one allow-origin list from them).
#[derive(Default)]
pub struct BuildContext<'a> {
    pub run_id: Option<super::cleanup::RunId>,
    pub aws_confirmed: bool,
    pub cases: &'a [crate::case::Case],
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
    build_with(spec, name, opts, &BuildContext::default()).await
}

/// [`build`] with the run's context (run id, AWS consent, cases).
pub async fn build_with(
    spec: &TargetSpec,
    name: &str,
    opts: &EndpointOptions,
    ctx: &BuildContext<'_>,
) -> Result<BuiltTarget, BuildError> {
    use super::minio::{MinioMode, MinioOptions, MinioTarget, choose_global_origins};
    Ok(match spec {
        TargetSpec::Embedded => {
            let e = Arc::new(EmbeddedTarget::start(name).await?);
            BuiltTarget {
                target: e.clone(),
                embedded: Some(e),
            }
        }
        TargetSpec::Endpoint(url) => {
            let env = target_env(name);
            let t = endpoint::build(name, url.as_deref(), opts, &env)?;
            BuiltTarget {
                target: Arc::new(t),
                embedded: None,
            }
        }
        TargetSpec::Minio => BuiltTarget {
            target: Arc::new(
                MinioTarget::start(MinioOptions::from_env(MinioMode::BucketCors)).await,
            ),
            embedded: None,
        },
        TargetSpec::MinioGlobal => {
            let mut o = MinioOptions::from_env(MinioMode::GlobalCors);
            if o.cors_allow_origin.is_none() {
                o.cors_allow_origin = choose_global_origins(ctx.cases).map(|g| g.env_value());
            }
            BuiltTarget {
                target: Arc::new(MinioTarget::start(o).await),
                embedded: None,
            }
        }
        TargetSpec::Aws => {
            let run_id = ctx
                .run_id
                .clone()
                .unwrap_or_else(super::cleanup::RunId::generate);
            let t = super::aws::AwsTarget::from_env(&run_id, ctx.aws_confirmed);
            if t.unavailable().is_none() {
                eprintln!("{}", t.plan());
            }
            BuiltTarget {
                target: Arc::new(t),
                embedded: None,
            }
        }
    })
}

/// A target that cannot run at all: every trial is skipped with its reason.
pub struct Unavailable {
    pub info: TargetInfo,
    pub reason: String,
}

impl Target for Unavailable {
    fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            info: self.info.clone(),
            unavailable: Some(self.reason.clone()),
            bucket_prefix: super::cleanup::BUCKET_PREFIX.to_string(),
            region: None,
            cases: CasePolicy::Probe,
            notes: Vec::new(),
        }
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
