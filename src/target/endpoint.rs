//! The `endpoint=URL` target: any S3-compatible server, configured the way AWS tools are.
//!
//! Credentials, region and endpoint come from the standard `AWS_*` environment variables so
//! that a CI job that already talks to the store needs no extra configuration; explicit
//! options (the CLI's flags) win over the environment.

use super::Addressing;
use super::client::{ClientError, HttpConfig, HttpTarget};
use std::time::Duration;

/// Explicit settings that override the environment (all optional).
#[derive(Debug, Clone, Default)]
pub struct EndpointOptions {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub region: Option<String>,
    pub addressing: Option<Addressing>,
    /// Domain for virtual-hosted `Host` headers (default: see [`HttpConfig::virtual_domain`]).
    pub virtual_domain: Option<String>,
    /// Per-request timeout (default 30 s).
    pub timeout: Option<Duration>,
}

/// Why an endpoint target cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "no endpoint URL: give `--target endpoint=URL` or set AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL"
    )]
    NoUrl,
    #[error("no credentials: set {0} (or pass the matching flag)")]
    NoCredentials(&'static str),
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// A lookup of environment variables, so tests need not touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, ignoring empty values.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Builds an endpoint target from an optional URL, options and the environment.
pub fn build(
    name: &str,
    url: Option<&str>,
    opts: &EndpointOptions,
    env: EnvLookup<'_>,
) -> Result<HttpTarget, EndpointError> {
    let url = url
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .ok_or(EndpointError::NoUrl)?;
    let access_key = opts
        .access_key
        .clone()
        .or_else(|| env("AWS_ACCESS_KEY_ID"))
        .ok_or(EndpointError::NoCredentials("AWS_ACCESS_KEY_ID"))?;
    let secret_key = opts
        .secret_key
        .clone()
        .or_else(|| env("AWS_SECRET_ACCESS_KEY"))
        .ok_or(EndpointError::NoCredentials("AWS_SECRET_ACCESS_KEY"))?;
    let session_token = opts
        .session_token
        .clone()
        .or_else(|| env("AWS_SESSION_TOKEN"));
    let region = opts
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_string());
    let mut cfg = HttpConfig::new(name, "endpoint", &url, &access_key, &secret_key, &region);
    cfg.session_token = session_token;
    if let Some(a) = opts.addressing {
        cfg.addressing = a;
    }
    cfg.virtual_domain = opts.virtual_domain.clone();
    if let Some(t) = opts.timeout {
        cfg.timeout = t;
    }
    Ok(HttpTarget::new(cfg)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetExt;

    #[test]
    fn env_fills_and_flags_override() {
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:1".to_string()),
            "AWS_ENDPOINT_URL_S3" => Some("http://127.0.0.1:2".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("a".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("s".to_string()),
            "AWS_DEFAULT_REGION" => Some("eu-west-1".to_string()),
            _ => None,
        };
        let t = build("endpoint", None, &EndpointOptions::default(), &env).unwrap();
        assert_eq!(t.config().endpoint, "http://127.0.0.1:2");
        assert_eq!(t.region().as_deref(), Some("eu-west-1"));
        let opts = EndpointOptions {
            region: Some("us-west-2".into()),
            ..Default::default()
        };
        let t = build("endpoint", Some("http://h:3"), &opts, &env).unwrap();
        assert_eq!(t.config().endpoint, "http://h:3");
        assert_eq!(t.region().as_deref(), Some("us-west-2"));
    }

    #[test]
    fn missing_credentials_are_named() {
        let env = |_: &str| None;
        let e = build("e", Some("http://h"), &EndpointOptions::default(), &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("AWS_ACCESS_KEY_ID"), "{e}");
    }
}
