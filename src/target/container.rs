//! Any S3 server image as a target: `--target container=IMAGE` and the named presets
//! ([`super::presets`]), all started through testcontainers' `GenericImage`, so MinIO,
//! moto, s3rver, LocalStack and Garage share one code path.
//!
//! Why the start is hand-rolled around testcontainers rather than left to its wait
//! strategies: a user must be told *which* of four things went wrong, fast, and nothing may
//! hang (docs/targets.md, "Errors"):
//!
//! 1. no Docker engine → the target is *unavailable*; every trial is skipped with the reason;
//! 2. image neither present nor pullable → error naming the image and how to build or choose
//!    one (the pull fails within seconds where no registry answers);
//! 3. the container exits while starting → error with its exit code and last log lines;
//! 4. not ready in time → error with the time waited and what it waited for.
//!
//! testcontainers' own waits cannot tell 3 from 4 and remove the container (and its logs)
//! before we could read them, so the container is started with no wait condition and the
//! readiness check ([`Readiness`]) is polled here, looking at the container's state between
//! polls.
//!
//! Lifecycle: every container carries the labels of [`super::docker`] (`s3cors=1`, run id,
//! pid, host). It is removed by [`ContainerTarget::stop`] at the end of a run, by `Drop`
//! (errors and panics unwinding through the runner), and by [`remove_this_process`] from the
//! Ctrl-C/SIGTERM hooks. A SIGKILLed run leaves labelled containers that `s3cors sweep
//! --target container` removes.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use testcontainers::bollard::Docker;
use testcontainers::core::{CmdWaitFor, ExecCommand, IntoContainerPort};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use super::client::{HttpConfig, HttpTarget};
use super::docker::{self, LABEL_HOST, LABEL_OURS, LABEL_PID, LABEL_RUN, LABEL_TARGET};
use super::{
    Addressing, CasePolicy, S3Request, S3Response, Target, TargetInfo, TargetPolicy,
    TransportError, WireRequest,
};

/// Label telling one start attempt's containers apart (clean-up after a failed start).
const LABEL_INSTANCE: &str = "s3cors.instance";
/// How many log lines an "exited during start" error quotes.
const LOG_LINES: usize = 20;

/// How to tell the server in the container is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// An HTTP GET of `path` on the S3 port answers (with `status`, when given).
    Http { path: String, status: Option<u16> },
    /// The container's stdout or stderr contains this text.
    Log(String),
    /// Ready once running.
    None,
}

/// How to learn the server's version, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionProbe {
    /// Run a command in the container; its first output line.
    Exec(Vec<String>),
    /// GET `path` on the S3 port; the string at `field` of the JSON answer.
    HttpJson { path: String, field: String },
    /// The `Server` header of an anonymous `GET /`.
    ServerHeader,
    /// Do not ask.
    None,
}

/// Server set-up after readiness, before the first case (servers that need more than
/// environment variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetUp {
    None,
    /// Garage: assign the single node a layout, apply it, import the preset's key and let
    /// it create buckets.
    GarageSingleNode {
        key_id: String,
        secret: String,
    },
}

/// Everything needed to start one container target. Built by a preset
/// ([`super::presets::Preset::spec`]) or by `container=IMAGE` ([`ContainerSpec::new`]), then
/// adjusted by the `--target` options.
#[derive(Clone)]
pub struct ContainerSpec {
    /// Target name (trial prefix, expectations file).
    pub name: String,
    /// Kind in reports: the preset name, or `container`.
    pub kind: String,
    /// Image name without tag.
    pub image: String,
    pub tag: String,
    /// The S3 port inside the container.
    pub port: u16,
    /// Environment inside the container.
    pub env: Vec<(String, String)>,
    /// Command (arguments after the image's entrypoint); `None` keeps the image's.
    pub cmd: Option<Vec<String>>,
    /// Files written into the container before it starts (path, content).
    pub files: Vec<(String, Vec<u8>)>,
    pub access_key: String,
    /// Never printed (see the `Debug` impl).
    pub secret_key: String,
    pub region: String,
    pub readiness: Readiness,
    pub version: VersionProbe,
    pub set_up: SetUp,
    /// Docker endpoint; `None` resolves it like testcontainers ([`docker::docker_host`]).
    pub docker_host: Option<String>,
    /// How long the engine probe may take.
    pub probe_timeout: Duration,
    /// How long a missing image may take to pull.
    pub pull_timeout: Duration,
    /// How long the server may take to become ready after the container started.
    pub startup_timeout: Duration,
    /// The run id label (`s3cors.run`); `None` labels the container `s3cors.run=none`.
    pub run_id: Option<String>,
    /// Default addressing of requests.
    pub addressing: Addressing,
    pub virtual_domain: Option<String>,
    /// Per-request timeout.
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ContainerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| {
                if is_secret_name(k) {
                    format!("{k}=<redacted>")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        f.debug_struct("ContainerSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("image", &self.image_ref())
            .field("port", &self.port)
            .field("env", &env)
            .field("cmd", &self.cmd)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("readiness", &self.readiness)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Environment variable names whose values are secrets (never printed).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["PASSWORD", "SECRET", "TOKEN", "CREDENTIAL"]
        .iter()
        .any(|w| n.contains(w))
}

impl ContainerSpec {
    /// A spec with defaults: credentials `test`/`test`, region `us-east-1`, ready when an
    /// HTTP GET `/` on `port` answers at all, version from the `Server` header, 120 s to
    /// become ready, 300 s to pull.
    pub fn new(name: &str, kind: &str, image: &str, tag: &str, port: u16) -> ContainerSpec {
        ContainerSpec {
            name: name.to_string(),
            kind: kind.to_string(),
            image: image.to_string(),
            tag: tag.to_string(),
            port,
            env: Vec::new(),
            cmd: None,
            files: Vec::new(),
            access_key: "test".to_string(),
            secret_key: "test".to_string(),
            region: "us-east-1".to_string(),
            readiness: Readiness::Http {
                path: "/".to_string(),
                status: None,
            },
            version: VersionProbe::ServerHeader,
            set_up: SetUp::None,
            docker_host: None,
            probe_timeout: Duration::from_secs(2),
            pull_timeout: Duration::from_secs(300),
            startup_timeout: Duration::from_secs(120),
            run_id: None,
            addressing: Addressing::Path,
            virtual_domain: None,
            request_timeout: Duration::from_secs(30),
        }
    }

    /// `image:tag`.
    pub fn image_ref(&self) -> String {
        format!("{}:{}", self.image, self.tag)
    }

    /// Sets image and tag from `name[:tag]` (no tag: `latest`).
    pub fn set_image(&mut self, spec: &str) {
        let (image, tag) = split_image(spec, "latest");
        self.image = image;
        self.tag = tag;
    }
}

/// `name[:tag]` → (name, tag); a `:` inside a registry host (`host:5000/x`) is not a tag.
pub fn split_image(spec: &str, default_tag: &str) -> (String, String) {
    let slash = spec.rfind('/').map_or(0, |i| i + 1);
    match spec[slash..].rfind(':') {
        Some(i) => (
            spec[..slash + i].to_string(),
            spec[slash + i + 1..].to_string(),
        ),
        None => (spec.to_string(), default_tag.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// Process-wide bookkeeping for the interrupt hooks
// ---------------------------------------------------------------------------------------

/// Docker hosts this process started containers on (the hooks sweep this process's
/// containers there by the `s3cors.pid` label, which also catches a container created a
/// moment before the signal and not yet handed back by testcontainers).
static HOSTS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn remember_host(host: &str) {
    if let Ok(mut h) = HOSTS.lock() {
        h.insert(host.to_string());
    }
}

/// Removes every container this process started (labelled with its pid and host), on every
/// engine it used. Returns how many were removed and the failures as text. Used by the
/// Ctrl-C / SIGTERM hooks; safe to call when no container was ever started.
pub async fn remove_this_process() -> (usize, Vec<String>) {
    let hosts: Vec<String> = HOSTS
        .lock()
        .map(|h| h.iter().cloned().collect())
        .unwrap_or_default();
    let pid = std::process::id().to_string();
    let host_name = docker::hostname();
    let mut removed = 0;
    let mut failed = Vec::new();
    for host in hosts {
        let d = match docker::connect(&host) {
            Ok(d) => d,
            Err(e) => {
                failed.push(e.to_string());
                continue;
            }
        };
        match docker::remove_labelled(&d, &[(LABEL_PID, &pid), (LABEL_HOST, &host_name)]).await {
            Ok((ok, bad)) => {
                removed += ok.len();
                failed.extend(bad.into_iter().map(|(id, e)| format!("{id}: {e}")));
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    (removed, failed)
}

/// A Ctrl-C / SIGTERM hook for the time targets are being built (before the bucket hook of
/// [`super::cleanup::spawn_interrupt_cleanup`] takes over): removes this process's
/// containers and exits with 130. Abort the handle when the next hook is installed.
pub fn spawn_startup_interrupt_hook() -> tokio::task::JoinHandle<()> {
    // Registered before the task first runs, so an early signal is not missed.
    let signals = super::cleanup::Signals::listen();
    tokio::spawn(async move {
        let Ok(mut signals) = signals else { return };
        if signals.recv().await.is_err() {
            return;
        }
        eprintln!("\ninterrupted while starting targets: removing this run's containers");
        report_removal(remove_this_process().await);
        std::process::exit(130);
    })
}

/// Prints what [`remove_this_process`] did, for the interrupt hooks.
pub fn report_removal((removed, failed): (usize, Vec<String>)) {
    if removed > 0 {
        eprintln!("  removed {removed} container(s)");
    }
    for f in &failed {
        eprintln!("  could not remove a container: {f}");
    }
    if !failed.is_empty() {
        eprintln!("`s3cors sweep --target container` removes what is left");
    }
}

// ---------------------------------------------------------------------------------------
// The target
// ---------------------------------------------------------------------------------------

enum State {
    /// No Docker engine: every trial is skipped with this.
    Unavailable(String),
    /// The engine answered but the server did not come up: every request errors with this.
    Failed(String),
    Running {
        http: Arc<HttpTarget>,
        endpoint: String,
    },
}

/// A server in a container and an S3 client for it. The container is removed by
/// [`ContainerTarget::stop`] or, failing that, on drop.
pub struct ContainerTarget {
    name: String,
    kind: String,
    image_ref: String,
    image_id: Option<String>,
    server_version: Option<String>,
    region: String,
    state: State,
    container: Mutex<Option<ContainerAsync<GenericImage>>>,
    host: String,
}

/// Why a start failed, before it becomes the target's reason text.
enum StartError {
    Unavailable(String),
    Failed(String),
}

impl ContainerTarget {
    /// Probes the engine, starts the container, waits for readiness, sets the server up and
    /// asks its version. Never fails and never hangs: problems become the target's
    /// [`Target::unavailable`] reason (no engine) or the error every request returns.
    ///
    /// Call inside a tokio runtime.
    pub async fn start(spec: ContainerSpec) -> ContainerTarget {
        let host = spec.docker_host.clone().unwrap_or_else(docker::docker_host);
        let mut target = ContainerTarget {
            name: spec.name.clone(),
            kind: spec.kind.clone(),
            image_ref: spec.image_ref(),
            image_id: None,
            server_version: None,
            region: spec.region.clone(),
            state: State::Unavailable(String::new()),
            container: Mutex::new(None),
            host: host.clone(),
        };
        match target.start_inner(&spec, &host).await {
            Ok(()) => {}
            Err(StartError::Unavailable(r)) => target.state = State::Unavailable(r),
            Err(StartError::Failed(r)) => {
                target.state = State::Failed(r);
                target.stop().await;
            }
        }
        target
    }

    /// A target that skips every trial with `reason`.
    pub fn unavailable_with(spec: &ContainerSpec, reason: impl Into<String>) -> ContainerTarget {
        ContainerTarget {
            name: spec.name.clone(),
            kind: spec.kind.clone(),
            image_ref: spec.image_ref(),
            image_id: None,
            server_version: None,
            region: spec.region.clone(),
            state: State::Unavailable(reason.into()),
            container: Mutex::new(None),
            host: String::new(),
        }
    }

    async fn start_inner(&mut self, spec: &ContainerSpec, host: &str) -> Result<(), StartError> {
        docker::probe_docker(host, spec.probe_timeout)
            .await
            .map_err(StartError::Unavailable)?;
        let d = docker::connect(host).map_err(|e| StartError::Failed(e.to_string()))?;
        let image_ref = spec.image_ref();
        let present = docker::image_id(&d, &image_ref)
            .await
            .map_err(|e| StartError::Failed(e.to_string()))?;
        self.image_id = present.clone();

        let instance = random_id();
        let run = spec.run_id.clone().unwrap_or_else(|| "none".to_string());
        let pid = std::process::id().to_string();
        let mut request = GenericImage::new(spec.image.clone(), spec.tag.clone())
            .with_exposed_port(spec.port.tcp())
            .with_label(LABEL_OURS, "1")
            .with_label(LABEL_RUN, run)
            .with_label(LABEL_PID, pid)
            .with_label(LABEL_HOST, docker::hostname())
            .with_label(LABEL_TARGET, spec.name.clone())
            .with_label(LABEL_INSTANCE, instance.clone())
            .with_startup_timeout(spec.startup_timeout);
        for (k, v) in &spec.env {
            request = request.with_env_var(k.clone(), v.clone());
        }
        if let Some(cmd) = &spec.cmd {
            request = request.with_cmd(cmd.clone());
        }
        for (path, content) in &spec.files {
            request = request.with_copy_to(path.clone(), content.clone());
        }
        remember_host(host);
        // testcontainers reads DOCKER_HOST itself; a different host in the spec is only
        // honoured by the probe and our own calls, so say so rather than start elsewhere.
        if spec.docker_host.is_some() && std::env::var("DOCKER_HOST").ok().as_deref() != Some(host)
        {
            return Err(StartError::Failed(format!(
                "the Docker host {host} must also be set as DOCKER_HOST (testcontainers reads only that)"
            )));
        }
        let budget = spec.startup_timeout
            + if present.is_some() {
                Duration::ZERO
            } else {
                spec.pull_timeout
            };
        let started = Instant::now();
        let result = tokio::time::timeout(budget, request.start()).await;
        let container = match result {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.remove_instance(&d, &instance).await;
                return Err(StartError::Failed(if present.is_none() {
                    missing_image_message(spec, &e.to_string())
                } else {
                    format!("container {image_ref} did not start: {e}")
                }));
            }
            Err(_) => {
                self.remove_instance(&d, &instance).await;
                return Err(StartError::Failed(format!(
                    "container {image_ref} did not start within {:.1}s{}",
                    started.elapsed().as_secs_f64(),
                    if present.is_none() {
                        " (the image was being pulled)"
                    } else {
                        ""
                    }
                )));
            }
        };
        let id = container.id().to_string();
        let port = container.get_host_port_ipv4(spec.port).await;
        if let Ok(mut slot) = self.container.lock() {
            *slot = Some(container);
        }
        if self.image_id.is_none() {
            self.image_id = docker::image_id(&d, &image_ref).await.ok().flatten();
        }
        let port = match port {
            Ok(p) => p,
            Err(e) => {
                // An exited container publishes no port: say that it exited, with its logs.
                if let Ok((false, code)) = docker::container_state(&d, &id).await {
                    return Err(exited(&d, &id, spec, code, started).await);
                }
                return Err(StartError::Failed(format!(
                    "container {image_ref}: port {} is not published: {e}",
                    spec.port
                )));
            }
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        let ready_started = Instant::now();
        wait_ready(&d, &id, &endpoint, spec, ready_started).await?;
        self.set_up(spec).await?;
        self.server_version = self.probe_version(&endpoint, &spec.version).await;

        let mut cfg = HttpConfig::new(
            &spec.name,
            &spec.kind,
            &endpoint,
            &spec.access_key,
            &spec.secret_key,
            &spec.region,
        );
        cfg.addressing = spec.addressing;
        cfg.virtual_domain = spec.virtual_domain.clone();
        cfg.timeout = spec.request_timeout;
        let http = HttpTarget::new(cfg).map_err(|e| StartError::Failed(e.to_string()))?;
        self.state = State::Running {
            http: Arc::new(http),
            endpoint,
        };
        Ok(())
    }

    async fn remove_instance(&self, d: &Docker, instance: &str) {
        let _ = docker::remove_labelled(d, &[(LABEL_INSTANCE, instance)]).await;
    }

    /// Runs a command in the container; its stdout, or the reason it failed.
    async fn exec(&self, cmd: &[String]) -> Result<String, String> {
        // Take the container out for the duration of the exec (no lock across awaits), and
        // put it back whatever happens.
        let Some(c) = self.container.lock().ok().and_then(|mut g| g.take()) else {
            return Err("no container".into());
        };
        let run = async {
            let mut res = c
                .exec(ExecCommand::new(cmd.to_vec()).with_cmd_ready_condition(CmdWaitFor::exit()))
                .await
                .map_err(|e| e.to_string())?;
            let out = res.stdout_to_vec().await.map_err(|e| e.to_string())?;
            let code = res.exit_code().await.map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&out).to_string();
            match code {
                Some(0) | None => Ok(text),
                Some(n) => {
                    let err = res.stderr_to_vec().await.unwrap_or_default();
                    Err(format!(
                        "`{}` exited with {n}: {}",
                        cmd.join(" "),
                        String::from_utf8_lossy(&err).trim()
                    ))
                }
            }
        };
        let result = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap_or_else(|_| Err(format!("`{}` did not finish within 30s", cmd.join(" "))));
        if let Ok(mut g) = self.container.lock() {
            *g = Some(c);
        }
        result
    }

    async fn set_up(&self, spec: &ContainerSpec) -> Result<(), StartError> {
        match &spec.set_up {
            SetUp::None => Ok(()),
            SetUp::GarageSingleNode { key_id, secret } => {
                let fail = |e: String| StartError::Failed(format!("Garage set-up failed: {e}"));
                let node = self
                    .exec(&argv(&["/garage", "node", "id", "-q"]))
                    .await
                    .map_err(fail)?;
                let node = node.trim().split('@').next().unwrap_or("").to_string();
                if node.is_empty() {
                    return Err(fail("`garage node id` printed nothing".into()));
                }
                for step in [
                    argv(&[
                        "/garage", "layout", "assign", "-z", "dc1", "-c", "1G", &node,
                    ]),
                    argv(&["/garage", "layout", "apply", "--version", "1"]),
                    argv(&[
                        "/garage", "key", "import", "--yes", "-n", "s3cors", key_id, secret,
                    ]),
                    argv(&["/garage", "key", "allow", "--create-bucket", "s3cors"]),
                ] {
                    self.exec(&step).await.map_err(fail)?;
                }
                Ok(())
            }
        }
    }

    async fn probe_version(&self, endpoint: &str, probe: &VersionProbe) -> Option<String> {
        let first_line = |s: &str| {
            s.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        };
        match probe {
            VersionProbe::None => None,
            VersionProbe::Exec(cmd) => self.exec(cmd).await.ok().and_then(|s| first_line(&s)),
            VersionProbe::HttpJson { path, field } => {
                let resp = http_get(&format!("{endpoint}{path}")).await.ok()?;
                let v: serde_json::Value = serde_json::from_slice(&resp.1).ok()?;
                v.get(field).and_then(|f| f.as_str()).map(str::to_string)
            }
            VersionProbe::ServerHeader => {
                let resp = http_get(&format!("{endpoint}/")).await.ok()?;
                resp.2
            }
        }
    }

    /// Removes the container now (idempotent). The normal end of a run calls this; `Drop`
    /// is the fallback.
    pub async fn stop(&self) {
        let taken = self.container.lock().ok().and_then(|mut g| g.take());
        if let Some(c) = taken {
            let id = c.id().to_string();
            if c.rm().await.is_err()
                && let Ok(d) = docker::connect(&self.host)
            {
                let _ = docker::remove(&d, &id).await;
            }
        }
    }

    /// The container's id while it exists.
    pub fn container_id(&self) -> Option<String> {
        self.container
            .lock()
            .ok()
            .and_then(|g| g.as_ref().map(|c| c.id().to_string()))
    }

    /// The image's id (`sha256:…`) as the engine reported it.
    pub fn image_id(&self) -> Option<&str> {
        self.image_id.as_deref()
    }

    /// What the server said its version is (the version probe's answer).
    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    /// The reason every request fails, when the container did not come up.
    pub fn failure(&self) -> Option<&str> {
        match &self.state {
            State::Failed(r) => Some(r),
            _ => None,
        }
    }

    /// `version (image NAME:TAG, id sha256:0123456789ab)` for reports.
    fn version_text(&self) -> String {
        let id = self
            .image_id
            .as_deref()
            .map(|i| {
                let short: String = i.chars().take(19).collect();
                format!(", id {short}")
            })
            .unwrap_or_default();
        match &self.server_version {
            Some(v) => format!("{v} (image {}{id})", self.image_ref),
            None => format!("image {}{id}", self.image_ref),
        }
    }
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn missing_image_message(spec: &ContainerSpec, engine_said: &str) -> String {
    let env_hint = super::presets::Preset::from_name(&spec.kind)
        .map(|p| format!(", `{}=NAME:TAG`", p.image_env()))
        .unwrap_or_default();
    let engine_said: String = engine_said.chars().take(300).collect();
    format!(
        "image {} is not on this Docker engine and could not be pulled ({engine_said}); build local images with scripts/images/build.sh, or choose another image with `--target {},image=NAME:TAG`{env_hint} (see docs/targets.md)",
        spec.image_ref(),
        spec.kind
    )
}

/// Polls until the server is ready, the container exits, or the startup time is up.
async fn wait_ready(
    d: &Docker,
    id: &str,
    endpoint: &str,
    spec: &ContainerSpec,
    since: Instant,
) -> Result<(), StartError> {
    let what = match &spec.readiness {
        Readiness::Http {
            path,
            status: Some(s),
        } => format!("HTTP {s} from GET {path}"),
        Readiness::Http { path, status: None } => format!("an HTTP answer to GET {path}"),
        Readiness::Log(text) => format!("the log line `{text}`"),
        Readiness::None => "the container to run".to_string(),
    };
    loop {
        let (running, exit_code) = docker::container_state(d, id)
            .await
            .map_err(|e| StartError::Failed(e.to_string()))?;
        if !running {
            return Err(exited(d, id, spec, exit_code, since).await);
        }
        let ready = match &spec.readiness {
            Readiness::None => true,
            Readiness::Http { path, status } => {
                match http_get(&format!("{endpoint}{path}")).await {
                    Ok((got, _, _)) => status.is_none_or(|s| s == got),
                    Err(_) => false,
                }
            }
            Readiness::Log(text) => docker::last_log_lines(d, id, 10_000)
                .await
                .iter()
                .any(|l| l.contains(text.as_str())),
        };
        if ready {
            return Ok(());
        }
        if since.elapsed() >= spec.startup_timeout {
            let lines = docker::last_log_lines(d, id, 5).await;
            let logs = if lines.is_empty() {
                String::new()
            } else {
                format!("; its last log lines:\n    {}", lines.join("\n    "))
            };
            return Err(StartError::Failed(format!(
                "container {} not ready after waiting {:.1}s for {what}{logs}",
                spec.image_ref(),
                since.elapsed().as_secs_f64()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The "exited while starting" error, with the exit code and the last log lines.
async fn exited(
    d: &Docker,
    id: &str,
    spec: &ContainerSpec,
    exit_code: Option<i64>,
    since: Instant,
) -> StartError {
    let lines = docker::last_log_lines(d, id, LOG_LINES).await;
    let code = exit_code.map_or_else(String::new, |c| format!(" with code {c}"));
    let logs = if lines.is_empty() {
        " (it wrote no log lines)".to_string()
    } else {
        format!("; its last log lines:\n    {}", lines.join("\n    "))
    };
    StartError::Failed(format!(
        "container {} exited{code} while starting, after {:.1}s{logs}",
        spec.image_ref(),
        since.elapsed().as_secs_f64()
    ))
}

/// One plain GET with a short timeout: (status, body, `Server` header).
async fn http_get(url: &str) -> Result<(u16, Vec<u8>, Option<String>), String> {
    // reqwest is built without a default crypto provider (see client.rs); "already
    // installed" is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Container endpoints are plain HTTP (they run without a system CA store).
    let client = super::client::plain_http_client(|| {
        reqwest::Client::builder().timeout(Duration::from_secs(3))
    })
    .map_err(|e| e.to_string())?;
    let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let server = resp
        .headers()
        .get("server")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
    Ok((status, body, server))
}

fn random_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

impl Drop for ContainerTarget {
    fn drop(&mut self) {
        // The fallback when `stop` was not reached (an error or a panic unwinding). Removal
        // runs on a thread of its own with a small runtime, so it works whether or not the
        // dropping thread is inside a runtime (testcontainers' own drop needs one).
        let Some(c) = self.container.get_mut().ok().and_then(|g| g.take()) else {
            return;
        };
        let host = self.host.clone();
        let worker = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let id = c.id().to_string();
                if c.rm().await.is_err()
                    && let Ok(d) = docker::connect(&host)
                {
                    let _ = docker::remove(&d, &id).await;
                }
            });
        });
        let _ = worker.join();
    }
}

impl Target for ContainerTarget {
    fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            info: TargetInfo {
                name: self.name.clone(),
                kind: self.kind.clone(),
                endpoint: match &self.state {
                    State::Running { endpoint, .. } => Some(endpoint.clone()),
                    _ => None,
                },
                version: Some(self.version_text()),
            },
            unavailable: match &self.state {
                State::Unavailable(reason) => Some(reason.clone()),
                _ => None,
            },
            bucket_prefix: super::cleanup::BUCKET_PREFIX.to_string(),
            region: Some(self.region.clone()),
            cases: CasePolicy::Probe,
            notes: Vec::new(),
        }
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<S3Response, TransportError>> + Send + 'a>,
    > {
        Box::pin(async move {
            match &self.state {
                State::Running { http, .. } => http.send(req).await,
                State::Failed(reason) | State::Unavailable(reason) => Err(TransportError::Other {
                    url: self.image_ref.clone(),
                    reason: reason.clone(),
                }),
            }
        })
    }

    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<super::Exchange, TransportError>> + Send + 'a>,
    > {
        match &self.state {
            State::Running { http, .. } => http.exchange(req),
            State::Failed(_) | State::Unavailable(_) => super::exchange_in_two(self, req),
        }
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        match &self.state {
            State::Running { http, .. } => http.wire(req),
            State::Failed(reason) | State::Unavailable(reason) => {
                Err(TransportError::Build(reason.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetExt;

    #[test]
    fn image_specs_split_at_the_tag() {
        assert_eq!(
            split_image("quay.io/minio/minio:RELEASE.X", "latest"),
            ("quay.io/minio/minio".to_string(), "RELEASE.X".to_string())
        );
        assert_eq!(
            split_image("registry:5000/minio", "latest"),
            ("registry:5000/minio".to_string(), "latest".to_string())
        );
        assert_eq!(
            split_image("local/moto:5.2.5", "x"),
            ("local/moto".to_string(), "5.2.5".to_string())
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let mut s = ContainerSpec::new("c", "container", "img", "1", 9000);
        s.secret_key = "hunter2-very-secret".into();
        s.env
            .push(("MINIO_ROOT_PASSWORD".into(), "hunter3-too".into()));
        s.env.push(("PLAIN".into(), "visible".into()));
        let text = format!("{s:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("hunter3"),
            "{text}"
        );
        assert!(text.contains("PLAIN=visible"), "{text}");
    }

    #[tokio::test]
    async fn no_engine_means_unavailable_with_the_reason_and_requests_fail_fast() {
        let mut s = ContainerSpec::new("c", "container", "img", "1", 9000);
        s.docker_host = Some("unix:///nonexistent/s3cors/docker.sock".into());
        let t = ContainerTarget::start(s).await;
        let reason = t.unavailable().expect("unavailable");
        assert!(reason.starts_with("no Docker engine answers at unix:///nonexistent"));
        assert_eq!(t.info().version.as_deref(), Some("image img:1"));
        let req = S3Request::new("GET", None, None, super::super::Auth::Signed);
        assert!(t.send(&req).await.is_err());
    }
}
