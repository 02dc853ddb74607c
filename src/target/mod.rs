//! Where cases run: the [`Target`] trait, the HTTP exchange types, and one implementation
//! per kind (`embedded`, `endpoint=URL`, `minio`, `aws`).
//!
//! The runner never cares which kind it talks to: it builds [`S3Request`]s, hands them to
//! [`Target::send`], and compares the [`S3Response`]s. A target knows its endpoint, its
//! credentials, its addressing style and how to sign; setup and teardown are ordinary
//! requests built by the runner.
//!
//! CONTRACT (shared by runner, targets, reports and browser; change only with care).

pub mod client;
pub mod embedded;
pub mod endpoint;
pub mod select;

pub mod aws;
pub mod cleanup;
pub mod container;
pub mod docker;
pub mod minio;
pub mod presets;
pub mod s3xml;
pub mod sigv4;
pub mod sweep;
pub mod sweep_containers;
pub mod visibility;

pub mod decorate;

pub use client::{HttpConfig, HttpTarget};
pub use decorate::{Decorated, Hook};

use crate::case::Case;
use std::sync::Arc;

// The wire types moved to `crate::s3` (issue 10); re-exported here so code written against
// `crate::target::{S3Request, …}` keeps compiling. New code imports them from `crate::s3`.
pub use crate::s3::{
    Addressing, Auth, Capabilities, S3Request, S3Response, TargetInfo, TransportError, WireRequest,
};

/// Whether a target can run one particular case, beyond the probed [`Capabilities`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseSupport {
    /// Decide from the capability probe.
    Probe,
    /// The target can run this case whatever the probe found (MinIO's global-CORS mode
    /// answers the case's CORS set-up itself).
    Supported,
    /// The target cannot express this case: it ends as *unsupported* with the reason.
    Unsupported(String),
}

/// How a target decides, case by case, whether it can run a case.
#[derive(Clone)]
pub enum CasePolicy {
    /// Every case is decided by the capability probe (most targets).
    Probe,
    /// Each case is decided by this function (MinIO's global-CORS mode, which can only
    /// express some configurations).
    PerCase(Arc<dyn Fn(&Case) -> CaseSupport + Send + Sync>),
}

impl CasePolicy {
    /// The decision for one case.
    pub fn support(&self, case: &Case) -> CaseSupport {
        match self {
            CasePolicy::Probe => CaseSupport::Probe,
            CasePolicy::PerCase(decide) => decide(case),
        }
    }
}

impl std::fmt::Debug for CasePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CasePolicy::Probe => f.write_str("Probe"),
            CasePolicy::PerCase(_) => f.write_str("PerCase(..)"),
        }
    }
}

/// Everything the runner and the reports need to know about a target apart from how it
/// sends: ONE value, returned by the one required [`Target::policy`].
///
/// Why one struct instead of a method per fact with defaults: a wrapper around a target
/// (tracking, recording) that forgot to forward one defaulted method silently answered with
/// the default (it happened with `case_support`). With a single required method there is
/// nothing to forget, and [`Decorated`] is the one wrapper that forwards it.
#[derive(Debug, Clone)]
pub struct TargetPolicy {
    /// Facts for reports and trial names.
    pub info: TargetInfo,
    /// When the whole target cannot run (no Docker engine, opt-in missing, …), the reason:
    /// every trial then ends as skipped with it.
    pub unavailable: Option<String>,
    /// Prefix for bucket names this target's runs create (`s3cors-`, so `sweep` only ever
    /// touches its own buckets).
    pub bucket_prefix: String,
    /// The target's region, when it has one (CreateBucket outside `us-east-1` names it in a
    /// `CreateBucketConfiguration`).
    pub region: Option<String>,
    /// Whether this target can run a given case.
    pub cases: CasePolicy,
    /// What the run should report about the target beyond its cases, as of now (e.g. how
    /// long the `aws` target waited for configuration changes to become visible). The
    /// runner reads it once more after the cases ran.
    pub notes: Vec<String>,
}

/// A place cases run against.
///
/// Three required methods and no defaults: [`Target::policy`] (what the target is),
/// [`Target::send`] and [`Target::wire`] (how it talks). Wrappers do not implement this trait
/// by hand; they are a [`Hook`] inside [`Decorated`], which forwards all three.
///
/// Implementations are shared across trial threads; `send` is async and is driven on the
/// runner's tokio runtime.
pub trait Target: Send + Sync {
    /// What this target is: info, availability, bucket prefix, region, case support.
    fn policy(&self) -> TargetPolicy;

    /// Sends one request and returns the response (never retries).
    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S3Response, TransportError>> + Send + 'a>,
    >;

    /// The request as it would go on the wire (URL after addressing, headers after signing).
    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError>;

    /// Sends one request and also returns it as it went on the wire (signed, credentials
    /// in it: redact before showing it). `Err` only when the request could not be built.
    ///
    /// The runner uses this for judged steps, which need both. [`HttpTarget`] (and what wraps
    /// it without changing requests) signs once and sends exactly the request it returns;
    /// targets that rewrite or answer requests themselves may use [`exchange_in_two`].
    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Exchange, TransportError>> + Send + 'a>,
    >;
}

/// [`Target::exchange`] as [`Target::wire`] then [`Target::send`] (signing twice), for
/// targets whose `send` is more than sending their wire form.
pub fn exchange_in_two<'a, T: Target + ?Sized>(
    target: &'a T,
    req: &'a S3Request,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Exchange, TransportError>> + Send + 'a>,
> {
    Box::pin(async move {
        let wire = target.wire(req)?;
        let response = target.send(req).await;
        Ok(Exchange { wire, response })
    })
}

/// What [`Target::exchange`] returns: the request as sent and the outcome of sending it.
#[derive(Debug)]
pub struct Exchange {
    /// The request as it went on the wire (not redacted).
    pub wire: WireRequest,
    /// The response, or why there was none.
    pub response: Result<S3Response, TransportError>,
}

/// Shortcuts to one fact of a target's [`TargetPolicy`].
///
/// Implemented once for every [`Target`] (a blanket impl nobody can override), so a target
/// or wrapper cannot answer one of these differently from its policy. Bring it into scope
/// with `use crate::target::TargetExt`.
pub trait TargetExt: Target {
    /// Facts for reports and trial names.
    fn info(&self) -> TargetInfo {
        self.policy().info
    }

    /// Why the whole target cannot run, if it cannot.
    fn unavailable(&self) -> Option<String> {
        self.policy().unavailable
    }

    /// The target's region, when it has one.
    fn region(&self) -> Option<String> {
        self.policy().region
    }

    /// Whether this target can run `case`.
    fn case_support(&self, case: &Case) -> CaseSupport {
        self.policy().cases.support(case)
    }
}

impl<T: Target + ?Sized> TargetExt for T {}
