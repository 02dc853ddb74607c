//! The one place `--target` strings become targets.
//!
//! Parsing is separate from building: a typo in `--target` is a usage error found before
//! anything starts, while building may start a server or a container and is async.

use super::container::{ContainerSpec, ContainerTarget, Readiness, VersionProbe};
use super::embedded::{EmbeddedError, EmbeddedTarget};
use super::endpoint::{self, EndpointError, EndpointOptions};
use super::presets::Preset;
use super::{
    CasePolicy, S3Request, S3Response, Target, TargetExt, TargetInfo, TargetPolicy, TransportError,
    WireRequest,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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
    /// A server in a container: `container=IMAGE[,OPTION=VALUE…]` or a preset
    /// (`moto`, `s3rver`, `localstack`, `garage`, or `minio`/`minio-global` with options).
    Container(ContainerChoice),
}

/// A container target as written on the command line (validated; applied when built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerChoice {
    /// The preset, or `None` for `container=IMAGE`.
    pub preset: Option<Preset>,
    /// `container=IMAGE`'s image (presets take theirs from `image=` / the environment).
    pub image: Option<String>,
    /// `OPTION=VALUE` pairs in order (see [`CONTAINER_OPTIONS`]).
    pub options: Vec<(String, String)>,
}

/// The options a container target takes after a comma: `moto,image=local/moto:5.2.5`.
pub const CONTAINER_OPTIONS: [&str; 12] = [
    "image",
    "port",
    "access-key",
    "secret-key",
    "region",
    "env",
    "cmd",
    "ready-http",
    "ready-status",
    "ready-log",
    "version-cmd",
    "startup-timeout",
];

impl TargetSpec {
    /// The name trials and reports use.
    pub fn name(&self) -> &'static str {
        match self {
            TargetSpec::Embedded => "embedded",
            TargetSpec::Endpoint(_) => "endpoint",
            TargetSpec::Minio => "minio",
            TargetSpec::MinioGlobal => "minio-global",
            TargetSpec::Aws => "aws",
            TargetSpec::Container(c) => c.preset.map_or("container", Preset::name),
        }
    }
}

/// A `--target` value that is not one of the known forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTarget {
    #[error(
        "unknown target `{0}`: expected embedded, endpoint=URL, aws, container=IMAGE or a container preset (minio, minio-global, localstack, moto, s3rver, garage), optionally named as NAME=TARGET (e.g. localstack=endpoint=http://127.0.0.1:4566)"
    )]
    Unknown(String),
    #[error("bad container target `{target}`: {detail}")]
    Container { target: String, detail: String },
}

/// The target kinds' keywords; anything else before a `=` is a target name. The newer
/// presets (`moto`, `s3rver`, …) are deliberately not here: `moto=endpoint=URL` names an
/// endpoint target `moto` (as before the presets existed), and a preset never has a `=`
/// before its first comma.
const KINDS: [&str; 6] = [
    "embedded",
    "endpoint",
    "minio",
    "minio-global",
    "aws",
    "container",
];

/// Parses `embedded`, `endpoint=URL` (or bare `endpoint`), `minio`, `minio-global`
/// (also `minio:global`), `aws`, `container=IMAGE[,OPTION=VALUE…]` and the container presets
/// with or without options (`moto`, `s3rver,image=local/s3rver:3.7.1`).
pub fn parse(s: &str) -> Result<TargetSpec, BadTarget> {
    if let Some(spec) = parse_container(s)? {
        return Ok(spec);
    }
    match s.split_once('=') {
        Some(("endpoint", url)) if !url.is_empty() => {
            Ok(TargetSpec::Endpoint(Some(url.to_string())))
        }
        Some(_) => Err(BadTarget::Unknown(s.to_string())),
        None => match s {
            "embedded" => Ok(TargetSpec::Embedded),
            "endpoint" => Ok(TargetSpec::Endpoint(None)),
            "minio" => Ok(TargetSpec::Minio),
            "minio-global" | "minio:global" => Ok(TargetSpec::MinioGlobal),
            "aws" => Ok(TargetSpec::Aws),
            _ => Err(BadTarget::Unknown(s.to_string())),
        },
    }
}

/// `container=IMAGE[,…]`, `PRESET,…`, or a bare preset other than `minio`/`minio-global`
/// (which stay their own [`TargetSpec`] variants when written without options). `Ok(None)`:
/// not a container target.
fn parse_container(s: &str) -> Result<Option<TargetSpec>, BadTarget> {
    let (head, rest) = match s.split_once(',') {
        Some((h, r)) => (h, Some(r)),
        None => (s, None),
    };
    let bad = |detail: String| BadTarget::Container {
        target: s.to_string(),
        detail,
    };
    let (preset, image) = if let Some(image) = head.strip_prefix("container=") {
        if image.is_empty() {
            return Err(bad("no image after `container=`".into()));
        }
        (None, Some(image.to_string()))
    } else if head == "container" {
        return Err(bad("give the image: `container=IMAGE[:TAG]`".into()));
    } else {
        match Preset::from_name(head) {
            Some(p) if rest.is_some() || !matches!(p, Preset::Minio | Preset::MinioGlobal) => {
                (Some(p), None)
            }
            _ => return Ok(None),
        }
    };
    let mut options = Vec::new();
    for part in rest.unwrap_or("").split(',').filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(bad(format!(
                "`{part}` is not OPTION=VALUE (options: {})",
                CONTAINER_OPTIONS.join(", ")
            )));
        };
        if !CONTAINER_OPTIONS.contains(&k) {
            return Err(bad(format!(
                "unknown option `{k}` (options: {})",
                CONTAINER_OPTIONS.join(", ")
            )));
        }
        match k {
            "port" | "ready-status" | "startup-timeout" if v.parse::<u16>().is_err() => {
                return Err(bad(format!("`{k}={v}`: expected a number from 0 to 65535")));
            }
            "env" if !v.contains('=') => {
                return Err(bad(format!("`env={v}`: expected env=NAME=VALUE")));
            }
            "image" if image.is_some() => {
                return Err(bad("the image is already given after `container=`".into()));
            }
            _ if v.is_empty() && k != "env" => {
                return Err(bad(format!("`{k}=` needs a value")));
            }
            _ => {}
        }
        options.push((k.to_string(), v.to_string()));
    }
    Ok(Some(TargetSpec::Container(ContainerChoice {
        preset,
        image,
        options,
    })))
}

impl ContainerChoice {
    /// The container spec this choice stands for: the preset's (or [`ContainerSpec::new`]'s)
    /// defaults, then `S3CORS_<PRESET>_IMAGE`, then the options. For `container=IMAGE`,
    /// credentials not given as options come from `S3CORS_<NAME>_ACCESS_KEY_ID` /
    /// `AWS_ACCESS_KEY_ID` (and the secret likewise), else `test`/`test`.
    pub fn spec(
        &self,
        name: &str,
        opts: &EndpointOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ContainerSpec {
        let mut s = match self.preset {
            Some(p) => {
                let mut s = p.spec(name);
                if let Some(img) = env(p.image_env()) {
                    s.set_image(&img);
                }
                s
            }
            None => {
                let mut s = ContainerSpec::new(name, "container", "", "latest", 9000);
                s.set_image(self.image.as_deref().unwrap_or_default());
                if let Some(k) = env("AWS_ACCESS_KEY_ID") {
                    s.access_key = k;
                }
                if let Some(k) = env("AWS_SECRET_ACCESS_KEY") {
                    s.secret_key = k;
                }
                s
            }
        };
        s.name = name.to_string();
        if let Some(a) = opts.addressing {
            s.addressing = a;
        }
        s.virtual_domain = opts.virtual_domain.clone();
        if let Some(t) = opts.timeout {
            s.request_timeout = t;
        }
        let mut ready_path: Option<String> = None;
        let mut ready_status: Option<u16> = None;
        for (k, v) in &self.options {
            match k.as_str() {
                "image" => s.set_image(v),
                "port" => s.port = v.parse().unwrap_or(s.port),
                "access-key" => s.access_key = v.clone(),
                "secret-key" => s.secret_key = v.clone(),
                "region" => s.region = v.clone(),
                "env" => {
                    if let Some((ek, ev)) = v.split_once('=') {
                        s.env.retain(|(k, _)| k != ek);
                        s.env.push((ek.to_string(), ev.to_string()));
                    }
                }
                "cmd" => s.cmd = Some(v.split_whitespace().map(str::to_string).collect()),
                "ready-http" => ready_path = Some(v.clone()),
                "ready-status" => ready_status = v.parse().ok(),
                "ready-log" => s.readiness = Readiness::Log(v.clone()),
                "version-cmd" => {
                    s.version =
                        VersionProbe::Exec(v.split_whitespace().map(str::to_string).collect())
                }
                "startup-timeout" => {
                    if let Ok(n) = v.parse::<u64>() {
                        s.startup_timeout = Duration::from_secs(n);
                    }
                }
                _ => {}
            }
        }
        if ready_path.is_some() || ready_status.is_some() {
            let path = ready_path.unwrap_or_else(|| match &s.readiness {
                Readiness::Http { path, .. } => path.clone(),
                _ => "/".to_string(),
            });
            s.readiness = Readiness::Http {
                path,
                status: ready_status,
            };
        }
        s
    }
}

/// Parses a `--target` value that may carry a name: `NAME=TARGET` where NAME is not a
/// kind keyword (`localstack=endpoint=http://127.0.0.1:4566`). The name labels trials,
/// reports and the expectations file (`expectations/NAME.yaml`), and selects per-target
/// credentials (`S3CORS_<NAME>_ACCESS_KEY_ID`, …; see [`target_env`]).
pub fn parse_named(s: &str) -> Result<(TargetSpec, Option<String>), BadTarget> {
    let head = s.split(',').next().unwrap_or(s);
    if let Some((name, _)) = head.split_once('=')
        && !KINDS.contains(&name)
    {
        let rest = &s[name.len() + 1..];
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(BadTarget::Unknown(s.to_string()));
        }
        let spec = parse(rest).map_err(|e| match e {
            BadTarget::Unknown(_) => BadTarget::Unknown(s.to_string()),
            other => other,
        })?;
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

/// A built target. The embedded server and containers are kept typed so they can be
/// stopped.
pub struct BuiltTarget {
    pub target: Arc<dyn Target>,
    embedded: Option<Arc<EmbeddedTarget>>,
    container: Option<Arc<ContainerTarget>>,
}

impl BuiltTarget {
    /// Stops what the target started (the embedded server, the container). Idempotent.
    pub async fn shutdown(&self) {
        if let Some(e) = &self.embedded {
            e.shutdown().await;
        }
        if let Some(c) = &self.container {
            c.stop().await;
        }
    }

    /// The container behind a container target (tests and reports look at it).
    pub fn container(&self) -> Option<Arc<ContainerTarget>> {
        self.container.clone()
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
    use super::minio::{self, MinioMode};
    let run_label = ctx.run_id.as_ref().map(|r| r.as_str().to_string());
    Ok(match spec {
        TargetSpec::Embedded => {
            let e = Arc::new(EmbeddedTarget::start(name).await?);
            BuiltTarget {
                target: e.clone(),
                embedded: Some(e),
                container: None,
            }
        }
        TargetSpec::Endpoint(url) => {
            let env = target_env(name);
            let t = endpoint::build(name, url.as_deref(), opts, &env)?;
            BuiltTarget {
                target: Arc::new(t),
                embedded: None,
                container: None,
            }
        }
        TargetSpec::Minio | TargetSpec::MinioGlobal => {
            let mode = if *spec == TargetSpec::Minio {
                MinioMode::BucketCors
            } else {
                MinioMode::GlobalCors
            };
            let mut spec = minio::spec_from_env(mode);
            spec.run_id = run_label.clone();
            start_minio(mode, spec, ctx).await
        }
        TargetSpec::Container(choice) => {
            let env = target_env(name);
            let mut spec = choice.spec(name, opts, &env);
            spec.run_id = run_label.clone();
            match choice.preset.and_then(MinioMode::of) {
                Some(mode) => start_minio(mode, spec, ctx).await,
                None => {
                    let c = Arc::new(ContainerTarget::start(spec).await);
                    BuiltTarget {
                        target: c.clone(),
                        embedded: None,
                        container: Some(c),
                    }
                }
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
                container: None,
            }
        }
    })
}

/// MinIO in either mode, from a ready container spec (bare `minio` / `minio-global` and
/// `minio,OPTION=…` differ only in how the spec is made). The global list is
/// `MINIO_API_CORS_ALLOW_ORIGIN`, or else the one that serves the most of the run's cases.
async fn start_minio(
    mode: super::minio::MinioMode,
    spec: ContainerSpec,
    ctx: &BuildContext<'_>,
) -> BuiltTarget {
    use super::minio::{self, MinioMode, MinioTarget};
    let origins = match mode {
        MinioMode::BucketCors => None,
        MinioMode::GlobalCors => minio::global_origins_from_env()
            .or_else(|| minio::choose_global_origins(ctx.cases).map(|g| g.env_value())),
    };
    let m = MinioTarget::start_spec(mode, origins, spec).await;
    let container = m.container();
    BuiltTarget {
        target: Arc::new(m),
        embedded: None,
        container: Some(container),
    }
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

    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<super::Exchange, TransportError>> + Send + 'a>,
    > {
        super::exchange_in_two(self, req)
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

    fn choice(preset: Option<Preset>, image: Option<&str>, opts: &[(&str, &str)]) -> TargetSpec {
        TargetSpec::Container(ContainerChoice {
            preset,
            image: image.map(str::to_string),
            options: opts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    #[test]
    fn container_targets_and_presets_parse_with_options() {
        assert_eq!(parse("moto"), Ok(choice(Some(Preset::Moto), None, &[])));
        assert_eq!(
            parse("container=local/moto:5.2.5,port=5000,env=A=b=c,cmd=moto_server -p 5000"),
            Ok(choice(
                None,
                Some("local/moto:5.2.5"),
                &[
                    ("port", "5000"),
                    ("env", "A=b=c"),
                    ("cmd", "moto_server -p 5000")
                ]
            ))
        );
        // Plain minio keeps its variant; with options it is the container preset.
        assert_eq!(parse("minio"), Ok(TargetSpec::Minio));
        assert_eq!(
            parse("minio,image=x:1"),
            Ok(choice(Some(Preset::Minio), None, &[("image", "x:1")]))
        );
        for (bad, says) in [
            ("container", "give the image"),
            ("container=", "no image"),
            ("moto,colour=red", "unknown option `colour`"),
            ("moto,port=http", "expected a number"),
            ("moto,env=NOEQUALS", "env=NAME=VALUE"),
            ("container=a:1,image=b:2", "already given"),
            ("moto,image", "not OPTION=VALUE"),
        ] {
            let e = parse(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn names_work_with_presets_and_old_peer_names_stay_endpoint_names() {
        assert_eq!(
            parse_named("moto=endpoint=http://127.0.0.1:5000"),
            Ok((
                TargetSpec::Endpoint(Some("http://127.0.0.1:5000".into())),
                Some("moto".into())
            ))
        );
        assert_eq!(
            parse_named("s3rver=endpoint=http://127.0.0.1:4568").map(|(_, n)| n),
            Ok(Some("s3rver".into()))
        );
        assert_eq!(
            parse_named("mine=moto,image=local/moto:5.2.5"),
            Ok((
                choice(Some(Preset::Moto), None, &[("image", "local/moto:5.2.5")]),
                Some("mine".into())
            ))
        );
        assert_eq!(
            parse_named("moto,image=local/moto:5.2.5"),
            Ok((
                choice(Some(Preset::Moto), None, &[("image", "local/moto:5.2.5")]),
                None
            ))
        );
        assert_eq!(parse_named("container=img:1").map(|(_, n)| n), Ok(None));
    }

    #[test]
    fn options_override_the_preset_and_the_environment_overrides_its_image() {
        let env = |k: &str| (k == "S3CORS_MOTO_IMAGE").then(|| "local/moto:5.2.5".to_string());
        let TargetSpec::Container(c) = parse("moto,ready-http=/health,ready-status=204").unwrap()
        else {
            panic!("a container choice")
        };
        let s = c.spec("moto", &EndpointOptions::default(), &env);
        assert_eq!(s.image_ref(), "local/moto:5.2.5");
        assert_eq!(
            s.readiness,
            Readiness::Http {
                path: "/health".into(),
                status: Some(204)
            }
        );
        let Ok((TargetSpec::Container(c), Some(_))) = parse_named(
            "x=container=img,port=7000,secret-key=s,ready-log=up,version-cmd=srv --version",
        ) else {
            panic!("a container choice")
        };
        let none = |_: &str| None;
        let s = c.spec("x", &EndpointOptions::default(), &none);
        assert_eq!((s.image_ref().as_str(), s.port), ("img:latest", 7000));
        assert_eq!(
            (s.access_key.as_str(), s.secret_key.as_str()),
            ("test", "s")
        );
        assert_eq!(s.readiness, Readiness::Log("up".into()));
        assert_eq!(
            s.version,
            VersionProbe::Exec(vec!["srv".into(), "--version".into()])
        );
    }
}
