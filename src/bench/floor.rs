//! The floor: the runner's request sequence replayed by a bare HTTP client.
//!
//! Every recorded request is signed up front (before the clock starts) for a fresh embedded
//! server, then sent with a plain `reqwest::Client` (connection pool, no timeout logic, no
//! comparison, no diff, no results): the fastest this sequence of HTTP exchanges can go
//! through this client stack. Requests are grouped by bucket, because each case works in its
//! own bucket and its requests depend on each other; groups run `parallelism` at a time, like
//! the runner's trial threads.

use crate::s3::{S3Request, WireRequest};
use crate::target::Target;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a replay measured.
#[derive(Debug, Clone)]
pub struct FloorRun {
    pub requests: usize,
    pub wall: Duration,
    /// Transport failures (should be 0).
    pub errors: usize,
}

/// Groups requests by bucket (order kept within a bucket, buckets in order of first
/// appearance), without signing them.
pub fn group(requests: &[S3Request]) -> Vec<Vec<S3Request>> {
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    let mut groups: Vec<Vec<S3Request>> = Vec::new();
    for r in requests {
        let i = *index.entry(r.bucket.clone()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            g.push(r.clone());
        }
    }
    groups
}

/// The decomposition steps between the floor and the harness: the same groups sent through
/// the harness's own [`Target`] (signing at send time, reqwest, response copied into an
/// `S3Response`), either as tasks on the runtime or, like libtest trials, from `parallelism`
/// OS threads that each `block_on` one group at a time.
pub fn replay_through_target(
    rt: &'static tokio::runtime::Runtime,
    target: Arc<dyn Target>,
    groups: Vec<Vec<S3Request>>,
    parallelism: usize,
    from_threads: bool,
) -> FloorRun {
    type Queue = Arc<std::sync::Mutex<std::vec::IntoIter<Vec<S3Request>>>>;
    let requests = groups.iter().map(Vec::len).sum();
    let queue: Queue = Arc::new(std::sync::Mutex::new(groups.into_iter()));
    let errors = Arc::new(AtomicUsize::new(0));
    let next = |q: &Queue| q.lock().ok().and_then(|mut q| q.next());
    async fn send_group(target: &dyn Target, group: Vec<S3Request>, errors: &AtomicUsize) {
        for r in &group {
            if target.send(r).await.is_err() {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let started = Instant::now();
    if from_threads {
        std::thread::scope(|scope| {
            for _ in 0..parallelism.max(1) {
                scope.spawn(|| {
                    // One group per block_on, as the runner does one case per block_on.
                    while let Some(group) = next(&queue) {
                        rt.block_on(send_group(target.as_ref(), group, &errors));
                    }
                });
            }
        });
    } else {
        rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..parallelism.max(1) {
                let (queue, target, errors) = (queue.clone(), target.clone(), errors.clone());
                set.spawn(async move {
                    while let Some(group) = next(&queue) {
                        send_group(target.as_ref(), group, &errors).await;
                    }
                });
            }
            while set.join_next().await.is_some() {}
        });
    }
    FloorRun {
        requests,
        wall: started.elapsed(),
        errors: errors.load(Ordering::Relaxed),
    }
}

/// Signs every request for `signer` and groups the wire requests by bucket, keeping the
/// order within each bucket and the order of first appearance across buckets.
pub fn prepare(signer: &dyn Target, requests: &[S3Request]) -> Vec<Vec<WireRequest>> {
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    let mut groups: Vec<Vec<WireRequest>> = Vec::new();
    for r in requests {
        let Ok(w) = signer.wire(r) else { continue };
        let i = *index.entry(r.bucket.clone()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            g.push(w);
        }
    }
    groups
}

/// Sends the groups, `parallelism` groups at a time, each group's requests in order.
pub async fn replay(groups: Vec<Vec<WireRequest>>, parallelism: usize) -> FloorRun {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap_or_default();
    let requests = groups.iter().map(Vec::len).sum();
    let queue = Arc::new(std::sync::Mutex::new(groups.into_iter()));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallelism.max(1) {
        let queue = queue.clone();
        let client = client.clone();
        workers.spawn(async move {
            let mut errors = 0;
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(group) = next else { break };
                for w in group {
                    if send(&client, w).await.is_err() {
                        errors += 1;
                    }
                }
            }
            errors
        });
    }
    let mut errors = 0;
    while let Some(r) = workers.join_next().await {
        errors += r.unwrap_or(1);
    }
    FloorRun {
        requests,
        wall: started.elapsed(),
        errors,
    }
}

async fn send(client: &reqwest::Client, w: WireRequest) -> Result<u16, ()> {
    let method = reqwest::Method::from_bytes(w.method.as_bytes()).map_err(|_| ())?;
    let mut req = client.request(method, &w.url).body(w.body);
    for (n, v) in &w.headers {
        req = req.header(n.as_str(), v.as_str());
    }
    let resp = req.send().await.map_err(|_| ())?;
    let status = resp.status().as_u16();
    resp.bytes().await.map_err(|_| ())?;
    Ok(status)
}
