//! The `minio` and `minio-global` targets: community MinIO in a container, two presets of
//! the generic container target ([`super::container`], [`super::presets`]) plus what only
//! MinIO needs: its global-CORS mode.
//!
//! Three facts shape this module (see `docs/targets.md`):
//!
//! - **Community MinIO has no per-bucket CORS.** PutBucketCors answers `501 NotImplemented`,
//!   so the runner's capability probe marks every per-bucket case *unsupported*. What MinIO
//!   does have is one global allow-origin list, `MINIO_API_CORS_ALLOW_ORIGIN`. The
//!   `minio-global` mode ([`MinioMode::GlobalCors`]) runs the cases whose bucket
//!   configuration that list can express ([`global_fit`]) against a container started with
//!   it, and answers those cases' PutBucketCors itself (the configuration is already in force).
//! - **Images are disappearing.** `minio/minio` is gone from Docker Hub and the testcontainers
//!   module's hard-coded tag with it; `quay.io/minio/minio` still serves older releases. The
//!   image is configurable ([`spec_from_env`], `S3CORS_MINIO_IMAGE`, or
//!   `--target minio,image=NAME:TAG`).
//! - **Many machines have no Docker engine.** Before touching testcontainers the container
//!   target asks the engine for `/_ping` with a short timeout
//!   ([`super::docker::probe_docker`]); when
//!   nothing answers, the target is *unavailable* with the reason and every trial is skipped
//!   with it. Nothing else in the run is affected.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::container::{ContainerSpec, ContainerTarget, split_image};
use super::presets::Preset;
use super::{
    CasePolicy, CaseSupport, S3Request, S3Response, Target, TargetExt, TargetPolicy,
    TransportError, WireRequest,
};
use crate::case::{Action, Case};
use crate::cors::CorsRule;

/// MinIO's fixed method list for global CORS (`cmd/api-router.go`, minus OPTIONS/PATCH,
/// which S3 rules cannot name).
const GLOBAL_METHODS: [&str; 5] = ["DELETE", "GET", "HEAD", "POST", "PUT"];

/// Which behaviour of MinIO is being measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinioMode {
    /// `--target minio`: cases as written; per-bucket CORS cases end unsupported.
    BucketCors,
    /// `--target minio-global`: only cases expressible as the global allow-origin list.
    GlobalCors,
}

impl MinioMode {
    /// The container preset of this mode (image, port, readiness, version probe).
    pub fn preset(self) -> Preset {
        match self {
            MinioMode::BucketCors => Preset::Minio,
            MinioMode::GlobalCors => Preset::MinioGlobal,
        }
    }

    /// The mode of a MinIO preset; `None` for the other presets.
    pub fn of(preset: Preset) -> Option<MinioMode> {
        match preset {
            Preset::Minio => Some(MinioMode::BucketCors),
            Preset::MinioGlobal => Some(MinioMode::GlobalCors),
            _ => None,
        }
    }
}

/// The container spec of `--target minio` / `minio-global` written without options: the
/// preset ([`Preset::spec`]) with what the environment overrides:
///
/// - `S3CORS_MINIO_IMAGE`: `name` or `name:tag` (a bare name keeps the preset's tag);
/// - `MINIO_ROOT_USER` / `MINIO_ROOT_PASSWORD`: credentials to start MinIO with (default:
///   user `s3cors` and a random password made for this run);
/// - `MINIO_API_CORS_ALLOW_ORIGIN` is not read here: see [`global_origins_from_env`].
pub fn spec_from_env(mode: MinioMode) -> ContainerSpec {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let preset = mode.preset();
    let mut s = preset.spec(preset.name());
    if let Some(image) = var(preset.image_env()) {
        (s.image, s.tag) = split_image(&image, preset.default_image().1);
    }
    if let Some(user) = var("MINIO_ROOT_USER") {
        s.access_key = user;
    }
    if let Some(password) = var("MINIO_ROOT_PASSWORD") {
        s.secret_key = password;
    }
    s.env = vec![
        ("MINIO_ROOT_USER".into(), s.access_key.clone()),
        ("MINIO_ROOT_PASSWORD".into(), s.secret_key.clone()),
    ];
    s
}

/// `MINIO_API_CORS_ALLOW_ORIGIN`, the global list a `minio-global` container runs with (when
/// unset, the run command chooses one from the cases with [`choose_global_origins`]).
pub fn global_origins_from_env() -> Option<String> {
    std::env::var("MINIO_API_CORS_ALLOW_ORIGIN")
        .ok()
        .filter(|v| !v.is_empty())
}

// ---------------------------------------------------------------------------------------
// Global-CORS mode: which cases it can express
// ---------------------------------------------------------------------------------------

/// A global CORS setting for MinIO: the allow-origin list, in the case's order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlobalCors {
    pub origins: Vec<String>,
}

impl GlobalCors {
    /// The value for `MINIO_API_CORS_ALLOW_ORIGIN`.
    pub fn env_value(&self) -> String {
        self.origins.join(",")
    }

    /// Parses a `MINIO_API_CORS_ALLOW_ORIGIN` value.
    pub fn from_env_value(v: &str) -> GlobalCors {
        GlobalCors {
            origins: v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    fn same_origins(&self, other: &GlobalCors) -> bool {
        let a: BTreeSet<&String> = self.origins.iter().collect();
        let b: BTreeSet<&String> = other.origins.iter().collect();
        a == b
    }
}

/// Whether one bucket CORS configuration is exactly what MinIO's global setting does, and
/// with which origin list. MinIO's global handler allows every S3 method and every request
/// header and has a fixed expose list and no max-age, so the configuration must be one rule
/// with all five methods, `AllowedHeader *`, no `ExposeHeader`, no `MaxAgeSeconds`, and
/// origins a comma-separated list can carry.
pub fn rules_fit(rules: &[CorsRule]) -> Result<GlobalCors, String> {
    let [rule] = rules else {
        return Err(format!(
            "{} CORS rules; MinIO's global CORS is a single rule",
            rules.len()
        ));
    };
    let methods: BTreeSet<&str> = rule.allowed_methods.iter().map(String::as_str).collect();
    if methods != GLOBAL_METHODS.into_iter().collect::<BTreeSet<_>>() {
        return Err(format!(
            "allowed methods {}; MinIO's global CORS always allows {}",
            rule.allowed_methods.join(", "),
            GLOBAL_METHODS.join(", ")
        ));
    }
    if !rule.allowed_headers.iter().any(|h| h == "*") {
        return Err(
            "allowed headers are restricted; MinIO's global CORS allows every header".into(),
        );
    }
    if !rule.expose_headers.is_empty() {
        return Err("expose headers are set; MinIO's global CORS exposes a fixed list".into());
    }
    if rule.max_age_seconds.is_some() {
        return Err("max-age is set; MinIO's global CORS sends none".into());
    }
    if rule.allowed_origins.is_empty() {
        return Err("no allowed origins".into());
    }
    if let Some(bad) = rule
        .allowed_origins
        .iter()
        .find(|o| o.is_empty() || o.contains(',') || o.trim() != o.as_str())
    {
        return Err(format!(
            "origin {bad:?} cannot be written in MINIO_API_CORS_ALLOW_ORIGIN"
        ));
    }
    Ok(GlobalCors {
        origins: rule.allowed_origins.clone(),
    })
}

/// Which global setting a case needs, or why MinIO's global CORS cannot express it.
/// Pure: looks at the case only.
///
/// Expressible: the bucket exists, has its configuration as `bucket.cors` (not raw XML) with
/// one rule that [`rules_fit`] accepts, and no step touches the CORS API (MinIO answers
/// those `NotImplemented` whatever the global setting).
pub fn global_fit(case: &Case) -> Result<GlobalCors, String> {
    if !case.bucket.exists {
        return Err("the case addresses a bucket that does not exist".into());
    }
    if case.bucket.cors_xml.is_some() {
        return Err("the bucket's CORS configuration is raw XML".into());
    }
    let Some(rules) = &case.bucket.cors else {
        return Err(
            "the bucket has no CORS configuration; MinIO's global CORS cannot be switched off"
                .into(),
        );
    };
    if case
        .steps
        .iter()
        .any(|s| !matches!(s.action, Action::Request(_)))
    {
        return Err("a step calls the bucket CORS API, which MinIO does not implement".into());
    }
    rules_fit(rules)
}

/// The global setting that serves the most expressible cases (ties: the smallest list), for
/// a `minio-global` run whose `MINIO_API_CORS_ALLOW_ORIGIN` is not set.
pub fn choose_global_origins<'a>(cases: impl IntoIterator<Item = &'a Case>) -> Option<GlobalCors> {
    let mut counts: std::collections::BTreeMap<Vec<String>, (usize, GlobalCors)> =
        std::collections::BTreeMap::new();
    for fit in cases.into_iter().filter_map(|c| global_fit(c).ok()) {
        let mut key = fit.origins.clone();
        key.sort();
        counts.entry(key).or_insert((0, fit)).0 += 1;
    }
    counts
        .into_values()
        .max_by(|(n1, g1), (n2, g2)| n1.cmp(n2).then(g2.cmp(g1)))
        .map(|(_, g)| g)
}

// ---------------------------------------------------------------------------------------
// The target
// ---------------------------------------------------------------------------------------

/// MinIO in a container, through the generic container target, with MinIO's global-CORS
/// mode on top.
pub struct MinioTarget {
    mode: MinioMode,
    global: Option<GlobalCors>,
    inner: Arc<ContainerTarget>,
}

impl MinioTarget {
    /// Probes Docker and starts MinIO from a container spec ([`spec_from_env`], or the
    /// `--target minio,…` options applied). `cors_allow_origin` is the global list in
    /// [`MinioMode::GlobalCors`]. Never fails: without a Docker engine the target is
    /// [`Target::unavailable`] (trials skipped with the reason); when the container cannot
    /// start, every request ends as a transport error with the reason (trials end as errors).
    pub async fn start_spec(
        mode: MinioMode,
        cors_allow_origin: Option<String>,
        mut spec: ContainerSpec,
    ) -> MinioTarget {
        let global = match mode {
            MinioMode::GlobalCors => cors_allow_origin.as_deref().map(GlobalCors::from_env_value),
            MinioMode::BucketCors => None,
        };
        if mode == MinioMode::GlobalCors && global.is_none() {
            let reason = "minio-global needs an allow-origin list: set MINIO_API_CORS_ALLOW_ORIGIN (or let the run command choose one from the cases)";
            return MinioTarget {
                mode,
                global,
                inner: Arc::new(ContainerTarget::unavailable_with(&spec, reason)),
            };
        }
        if let Some(origins) = &cors_allow_origin
            && !spec
                .env
                .iter()
                .any(|(k, _)| k == "MINIO_API_CORS_ALLOW_ORIGIN")
        {
            spec.env
                .push(("MINIO_API_CORS_ALLOW_ORIGIN".into(), origins.clone()));
        }
        MinioTarget {
            mode,
            global,
            inner: Arc::new(ContainerTarget::start(spec).await),
        }
    }

    /// A target that skips every trial with `reason` (for callers that know up front).
    pub fn unavailable_with(mode: MinioMode, reason: impl Into<String>) -> MinioTarget {
        let preset = mode.preset();
        MinioTarget {
            mode,
            global: None,
            inner: Arc::new(ContainerTarget::unavailable_with(
                &preset.spec(preset.name()),
                reason,
            )),
        }
    }

    pub fn mode(&self) -> MinioMode {
        self.mode
    }

    /// The container underneath (the run stops it at the end).
    pub fn container(&self) -> Arc<ContainerTarget> {
        self.inner.clone()
    }

    /// The per-case decision: global mode can only run cases whose CORS set-up matches the
    /// container's global setting; the per-bucket mode leaves everything to the probe.
    fn case_policy(&self) -> CasePolicy {
        if self.mode != MinioMode::GlobalCors {
            return CasePolicy::Probe;
        }
        let global = self.global.clone();
        CasePolicy::PerCase(Arc::new(move |case: &Case| {
            match global_case_unsupported(global.as_ref(), case) {
                Some(reason) => CaseSupport::Unsupported(reason),
                None => CaseSupport::Supported,
            }
        }))
    }

    /// Per-case verdict: `Some(reason)` when this target cannot express the case (global
    /// mode only; the per-bucket mode leaves that to the capability probe). The run command
    /// marks such cases *unsupported* with the reason.
    pub fn case_unsupported(&self, case: &Case) -> Option<String> {
        if self.mode != MinioMode::GlobalCors {
            return None;
        }
        global_case_unsupported(self.global.as_ref(), case)
    }

    /// In global mode, a PutBucketCors whose body is exactly the global setting is answered
    /// here with `200` (the configuration is already in force); MinIO would say
    /// `NotImplemented`. Anything else goes to MinIO.
    fn global_put_cors(&self, req: &S3Request) -> Option<S3Response> {
        let have = self.global.as_ref()?;
        let is_put_cors = req.method.eq_ignore_ascii_case("PUT")
            && req.key.is_none()
            && req.query.iter().any(|(k, _)| k == "cors");
        if !is_put_cors {
            return None;
        }
        let rules = rules_from_xml(&req.body)?;
        let fit = rules_fit(&rules).ok()?;
        fit.same_origins(have).then(|| S3Response {
            status: 200,
            headers: vec![("content-length".into(), "0".into())],
            body: Vec::new(),
        })
    }
}

/// Why a global-mode container running with `have` cannot express `case` (`None`: it can;
/// also `None` when the global setting is unknown, leaving it to the probe as before).
fn global_case_unsupported(have: Option<&GlobalCors>, case: &Case) -> Option<String> {
    let have = have?;
    match global_fit(case) {
        Err(why) => Some(format!("not expressible as MinIO global CORS: {why}")),
        Ok(need) if !need.same_origins(have) => Some(format!(
            "needs MINIO_API_CORS_ALLOW_ORIGIN={}; this container runs with {}",
            need.env_value(),
            have.env_value()
        )),
        Ok(_) => None,
    }
}

/// Reads a `CORSConfiguration` document into rules (no validation: only used to compare).
fn rules_from_xml(body: &[u8]) -> Option<Vec<CorsRule>> {
    let root = super::s3xml::parse(body)?;
    if root.name != "CORSConfiguration" {
        return None;
    }
    let texts = |r: &super::s3xml::Element, n: &str| -> Vec<String> {
        r.children_named(n)
            .map(|e| e.text.trim().to_string())
            .collect()
    };
    Some(
        root.children_named("CORSRule")
            .map(|r| CorsRule {
                id: r.child_text("ID").map(str::to_string),
                allowed_origins: texts(r, "AllowedOrigin"),
                allowed_methods: texts(r, "AllowedMethod"),
                allowed_headers: texts(r, "AllowedHeader"),
                expose_headers: texts(r, "ExposeHeader"),
                max_age_seconds: r.child_text("MaxAgeSeconds").and_then(|s| s.parse().ok()),
            })
            .collect(),
    )
}

impl Target for MinioTarget {
    fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            cases: self.case_policy(),
            ..self.inner.policy()
        }
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S3Response, TransportError>> + Send + 'a>,
    > {
        Box::pin(async move {
            match self.global_put_cors(req) {
                Some(resp)
                    if self.inner.unavailable().is_none() && self.inner.failure().is_none() =>
                {
                    Ok(resp)
                }
                _ => self.inner.send(req).await,
            }
        })
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.inner.wire(req)
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

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule::allowing(origins, methods, headers)
    }

    const ALL: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

    #[test]
    fn one_rule_with_everything_allowed_fits() {
        let fit =
            rules_fit(&[rule(&["http://a.test", "https://*.b.test"], ALL, &["*"])]).expect("fits");
        assert_eq!(fit.env_value(), "http://a.test,https://*.b.test");
    }

    #[test]
    fn restricted_rules_do_not_fit() {
        let cases: Vec<(Vec<CorsRule>, &str)> = vec![
            (vec![], "0 CORS rules"),
            (
                vec![rule(&["*"], ALL, &["*"]), rule(&["*"], ALL, &["*"])],
                "2 CORS rules",
            ),
            (
                vec![rule(&["*"], &["GET", "HEAD"], &["*"])],
                "allowed methods",
            ),
            (vec![rule(&["*"], ALL, &[])], "allowed headers"),
            (vec![rule(&["*"], ALL, &["x-amz-*"])], "allowed headers"),
            (vec![rule(&["a,b"], ALL, &["*"])], "cannot be written"),
            (vec![rule(&[], ALL, &["*"])], "no allowed origins"),
        ];
        for (rules, want) in cases {
            let err = rules_fit(&rules).expect_err(want);
            assert!(err.contains(want), "{err} (wanted {want})");
        }
        let mut r = rule(&["*"], ALL, &["*"]);
        r.expose_headers = vec!["ETag".into()];
        assert!(rules_fit(&[r]).is_err());
        let mut r = rule(&["*"], ALL, &["*"]);
        r.max_age_seconds = Some(10);
        assert!(rules_fit(&[r]).is_err());
    }

    #[test]
    fn methods_are_case_sensitive_like_s3() {
        assert!(
            rules_fit(&[rule(
                &["*"],
                &["get", "PUT", "POST", "DELETE", "HEAD"],
                &["*"]
            )])
            .is_err()
        );
    }

    fn case_from(yaml: &str) -> Case {
        crate::case::parse_case("x/y", "cases/x/y.yaml", yaml).expect("valid case")
    }

    const STEP: &str = "steps:\n  - request: {method: GET, key: a}\n    expect: {status: 200}\n";

    #[test]
    fn cases_are_selected_by_their_bucket() {
        let fits = case_from(&format!(
            "title: t\nspec: [\"1\"]\nbucket:\n  cors:\n    - allowed_origins: [http://localhost:8000]\n      allowed_methods: [GET, PUT, POST, DELETE, HEAD]\n      allowed_headers: [\"*\"]\n{STEP}"
        ));
        assert_eq!(
            global_fit(&fits).map(|g| g.env_value()),
            Ok("http://localhost:8000".to_string())
        );
        let no_cors = case_from(&format!("title: t\nspec: [\"1\"]\n{STEP}"));
        assert!(
            global_fit(&no_cors)
                .expect_err("no config")
                .contains("no CORS")
        );
        let api = case_from(
            "title: t\nspec: [\"1\"]\nbucket:\n  cors:\n    - allowed_origins: [http://localhost:8000]\n      allowed_methods: [GET, PUT, POST, DELETE, HEAD]\n      allowed_headers: [\"*\"]\nsteps:\n  - get_bucket_cors: {}\n    expect: {status: 200}\n",
        );
        assert!(global_fit(&api).expect_err("api step").contains("CORS API"));
        assert_eq!(
            choose_global_origins([&fits, &no_cors, &api]).map(|g| g.env_value()),
            Some("http://localhost:8000".to_string())
        );
    }

    #[test]
    fn put_cors_matching_the_global_setting_is_answered_locally() {
        let mut t = MinioTarget::unavailable_with(MinioMode::GlobalCors, "test");
        t.global = Some(GlobalCors::from_env_value("http://a.test"));
        let body = b"<CORSConfiguration><CORSRule><AllowedOrigin>http://a.test</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule></CORSConfiguration>";
        let mut req = S3Request::new("PUT", Some("b"), None, super::super::Auth::Signed);
        req.query.push(("cors".into(), None));
        req.body = body.to_vec();
        assert_eq!(t.global_put_cors(&req).map(|r| r.status), Some(200));
        req.body = String::from_utf8_lossy(body)
            .replace("a.test", "c.test")
            .into_bytes();
        assert!(t.global_put_cors(&req).is_none());
    }

    #[test]
    fn a_bare_image_name_keeps_the_preset_tag() {
        let (image, tag) = split_image("registry:5000/minio", Preset::Minio.default_image().1);
        assert_eq!(image, "registry:5000/minio");
        assert_eq!(tag, "RELEASE.2025-09-07T16-13-09Z");
    }

    #[test]
    fn modes_and_presets_correspond() {
        for mode in [MinioMode::BucketCors, MinioMode::GlobalCors] {
            assert_eq!(MinioMode::of(mode.preset()), Some(mode));
        }
        assert_eq!(MinioMode::of(Preset::Moto), None);
        let spec = spec_from_env(MinioMode::GlobalCors);
        assert_eq!(spec.kind, "minio-global");
        assert!(
            spec.env
                .iter()
                .any(|(k, v)| k == "MINIO_ROOT_PASSWORD" && *v == spec.secret_key)
        );
    }
}
