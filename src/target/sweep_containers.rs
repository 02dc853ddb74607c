//! `s3cors sweep --target container`: remove the containers earlier runs left behind (a run
//! killed with SIGKILL cannot clean up after itself), and only those.
//!
//! The safety argument, in order of the checks:
//! 1. only containers carrying the label `s3cors=1` are ever listed ([`docker::list_labelled`]
//!    filters on the engine and checks again); nothing else on the engine is looked at;
//! 2. a container whose labels name a process on this host that is still alive belongs to a
//!    run in progress and is kept (a sweep in one terminal must not pull a server out from
//!    under a run in another);
//! 3. with `older_than`, younger containers are kept;
//! 4. with `run`, only that run's containers (`s3cors.run=<id>`) are considered.
//!
//! Every decision carries its reason, so the command can print what it removed and what it
//! kept and why.

use std::time::Duration;

use super::docker::{self, DockerError, LABEL_HOST, LABEL_PID, LABEL_RUN, LABEL_TARGET};

/// What to sweep and how carefully.
#[derive(Debug, Clone, Default)]
pub struct ContainerSweepOptions {
    /// Decide and report, remove nothing.
    pub dry_run: bool,
    /// Keep containers younger than this.
    pub older_than: Option<Duration>,
    /// Only this run's containers.
    pub run: Option<String>,
    /// Docker endpoint; `None`: [`docker::docker_host`].
    pub docker_host: Option<String>,
}

/// What happened to one labelled container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerDecision {
    Removed,
    WouldRemove,
    Kept { reason: String },
    Failed { reason: String },
}

/// One labelled container and its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEntry {
    pub id: String,
    pub name: String,
    pub image: String,
    /// The run id label (`none` for containers started outside a run).
    pub run: String,
    /// The target name label.
    pub target: String,
    pub decision: ContainerDecision,
}

/// Why a sweep could not even list.
#[derive(Debug, thiserror::Error)]
pub enum ContainerSweepError {
    #[error("{0}")]
    NoEngine(String),
    #[error(transparent)]
    Docker(#[from] DockerError),
}

/// Lists s3cors's containers and removes the abandoned ones.
pub async fn sweep_containers(
    opts: &ContainerSweepOptions,
) -> Result<Vec<ContainerEntry>, ContainerSweepError> {
    let host = opts.docker_host.clone().unwrap_or_else(docker::docker_host);
    docker::probe_docker(&host, Duration::from_secs(3))
        .await
        .map_err(ContainerSweepError::NoEngine)?;
    let d = docker::connect(&host)?;
    let mut filter: Vec<(&str, &str)> = Vec::new();
    if let Some(run) = &opts.run {
        filter.push((LABEL_RUN, run));
    }
    let listed = docker::list_labelled(&d, &filter).await?;
    let here = docker::hostname();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut out = Vec::new();
    for c in listed {
        let label = |k: &str| c.labels.get(k).cloned().unwrap_or_default();
        let pid: Option<u32> = label(LABEL_PID).parse().ok();
        let keep = if let Some(pid) = pid
            && label(LABEL_HOST) == here
            && !here.is_empty()
            && docker::process_alive(pid)
        {
            Some(format!("its run (pid {pid} on this host) is still running"))
        } else if let (Some(min), Some(created)) = (opts.older_than, c.created) {
            let age = now.saturating_sub(created).max(0) as u64;
            (age < min.as_secs()).then(|| format!("younger than {}s ({age}s old)", min.as_secs()))
        } else {
            None
        };
        let decision = match keep {
            Some(reason) => ContainerDecision::Kept { reason },
            None if opts.dry_run => ContainerDecision::WouldRemove,
            None => match docker::remove(&d, &c.id).await {
                Ok(()) => ContainerDecision::Removed,
                Err(e) => ContainerDecision::Failed {
                    reason: e.to_string(),
                },
            },
        };
        out.push(ContainerEntry {
            id: c.id.chars().take(12).collect(),
            name: c.name.clone(),
            image: c.image.clone(),
            run: label(LABEL_RUN),
            target: label(LABEL_TARGET),
            decision,
        });
    }
    Ok(out)
}
