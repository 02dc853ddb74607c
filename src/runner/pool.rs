//! Bucket reuse: a pool of buckets per target whose contents the runner knows, so a case can
//! start in a bucket an earlier case left behind instead of paying CreateBucket and
//! DeleteBucket (two of the ~5.6 requests a case used to send; on AWS, creating and deleting
//! hundreds of buckets per run is slow, rate-limited and eventually consistent).
//!
//! A case that does not fit the rule runs exactly as before, in a fresh bucket that is
//! removed afterwards.
//!
//! * **Starting in a pooled bucket.** Only a case whose bucket exists and has no canned
//!   bucket ACL. The bucket is then reset to the case's starting state ([`BucketState`]):
//!   PutBucketCors when the configuration differs (a full replacement, the same call a fresh
//!   bucket gets), DeleteBucketCors when the case wants none and the bucket has (or may have)
//!   one, DeleteObject for objects the case does not want, PutObject for the ones it wants
//!   and that differ (an object already there with the same key, body, type and ACL is not
//!   put again). Cases with a bucket ACL (rare) always get a fresh bucket. When a reset call
//!   fails, the pooled bucket is removed and the case runs in a fresh bucket instead, so a
//!   reset can never be the reason a case fails.
//! * **Decision: DeleteBucketCors is a valid reset to "no configuration".** Amazon S3
//!   answers a bucket whose configuration was deleted exactly like one that never had one
//!   (GetBucketCors `NoSuchCORSConfiguration`, preflights `CORSResponse` 403), and on every
//!   target that reuses buckets a configuration change is visible at once. The one target
//!   where it is not, `aws` (eventual consistency), never reuses (`runner::reuses_buckets`).
//!   A peer that still applied a deleted configuration would already fail the corpus's
//!   delete-then-preflight cases; `S3CORS_FRESH_BUCKETS=1` runs every case in a fresh bucket
//!   should a peer ever be suspected. Among equally close buckets, one that never had a
//!   configuration is preferred for a case that wants none (it needs no call at all).
//! * **Returning it to the pool.** Only when set-up succeeded, the case did not end in a
//!   harness error, and every step is either read-only ([`read_only`]: a request with
//!   method `GET`, `HEAD` or `OPTIONS`, or GetBucketCors) or a CORS configuration call
//!   (PutBucketCors, DeleteBucketCors). The objects are then exactly what set-up put there;
//!   after a configuration call the configuration is *unknown* ([`BucketState::cors_unknown`]:
//!   the call may have failed, been refused or been applied), and the next case sets it
//!   explicitly. A case with any other step (PUT/POST/DELETE requests: objects, uploads,
//!   ACLs) may have changed the bucket in ways the runner does not track, so its bucket is
//!   removed as before.
//! * **A bucket that does not exist** (`bucket.exists: false`) with only read-only steps was
//!   never created, so nothing is removed afterwards.
//! * Targets with bucket commands (`S3CORS_<NAME>_CREATE_BUCKET_CMD`, see
//!   [`super::exec::BucketCommands`]) never reuse: their buckets are made outside S3.
//! * **Order.** [`order_key`] sorts the trials so that cases with the same starting state
//!   run back to back (libtest-mimic hands trials to its threads in the order given), cases
//!   without a configuration first, and within a group the read-only cases before the ones
//!   that change the configuration: most cases then start in a bucket already in their
//!   state, and a reset costs one PutBucketCors between groups.
//!
//! Pooled buckets stay registered with [`crate::target::cleanup::Tracked`] (they were created
//! through it and not deleted), so [`super::Session::finish`] and the Ctrl-C hook remove them
//! like any other. Results do not depend on the order cases run in: `tests/it/bucket_reuse.rs`
//! runs the corpus shuffled with reuse and compares every case with a run without it.
//!
//! `S3CORS_FRESH_BUCKETS=1` turns reuse off for `s3cors run` (one fresh bucket per case).

use super::compare;
use super::exec::rules_xml;
use crate::case::model::{CannedAcl, ObjectSpec};
use crate::case::{Action, Case, CaseStep};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One object as set-up puts it (after `${bucket}` substitution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectState {
    pub key: String,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub acl: Option<CannedAcl>,
}

/// What the runner knows a bucket holds: its CORS configuration (the exact body put) and
/// its objects, in the order they were put.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketState {
    pub cors: Option<Vec<u8>>,
    pub objects: Vec<ObjectState>,
    /// Whether the bucket ever had a CORS configuration (a case that wants none prefers a
    /// bucket that never had one: it needs no DeleteBucketCors).
    pub ever_configured: bool,
    /// The configuration may differ from `cors`: a step of the last case called
    /// PutBucketCors or DeleteBucketCors. The next case sets it explicitly.
    pub cors_unknown: bool,
}

impl BucketState {
    /// The state a case's set-up produces in `bucket`.
    pub fn wanted(case: &Case, bucket: &str) -> BucketState {
        let b = &case.bucket;
        let cors = match (&b.cors, &b.cors_xml) {
            (_, Some(x)) => Some(compare::subst(x, bucket).into_bytes()),
            (Some(rules), None) => Some(rules_xml(rules).into_bytes()),
            (None, None) => None,
        };
        let objects = b
            .objects
            .iter()
            .map(|(key, obj)| {
                let (body, content_type, acl) = match obj {
                    ObjectSpec::Body(text) => (text.clone(), None, None),
                    ObjectSpec::Full(f) => (f.body.clone(), f.content_type.clone(), f.acl),
                };
                ObjectState {
                    key: compare::subst(key, bucket),
                    body: compare::subst(&body, bucket).into_bytes(),
                    content_type,
                    acl,
                }
            })
            .collect();
        BucketState {
            ever_configured: cors.is_some(),
            cors_unknown: false,
            cors,
            objects,
        }
    }

    /// Whether the configuration must be put or deleted to reach `want`'s.
    pub fn cors_differs(&self, want: &BucketState) -> bool {
        self.cors_unknown || self.cors != want.cors
    }

    /// Requests needed to turn `self` into `want` (for choosing the closest pooled bucket).
    fn distance(&self, want: &BucketState) -> usize {
        let cors = usize::from(self.cors_differs(want));
        let stale = self
            .objects
            .iter()
            .filter(|o| !want.objects.iter().any(|w| w.key == o.key))
            .count();
        let missing = want
            .objects
            .iter()
            .filter(|w| !self.objects.contains(w))
            .count();
        cors + stale + missing
    }
}

/// A bucket in the pool, with what it holds.
#[derive(Debug, Clone)]
pub struct PooledBucket {
    pub name: String,
    pub state: BucketState,
}

/// Whether a step leaves the bucket as it found it.
pub fn read_only(step: &CaseStep) -> bool {
    match &step.action {
        Action::Request(r) => matches!(r.method.as_str(), "GET" | "HEAD" | "OPTIONS"),
        Action::GetBucketCors(_) => true,
        Action::PutBucketCors(_) | Action::DeleteBucketCors(_) => false,
    }
}

/// Whether every step of a case is [`read_only`].
pub fn all_read_only(case: &Case) -> bool {
    case.steps.iter().all(read_only)
}

/// Whether a step is a CORS configuration call that may change the configuration.
fn changes_cors(step: &CaseStep) -> bool {
    matches!(
        step.action,
        Action::PutBucketCors(_) | Action::DeleteBucketCors(_)
    )
}

/// Whether a case's bucket holds known objects after its steps: every step is read-only or
/// a configuration call (which leaves the configuration unknown, see the module doc).
pub fn objects_untouched(case: &Case) -> bool {
    case.steps.iter().all(|s| read_only(s) || changes_cors(s))
}

/// The state a case leaves its bucket in, given the state set-up produced (only meaningful
/// when [`objects_untouched`]).
pub fn after(case: &Case, mut state: BucketState) -> BucketState {
    if case.steps.iter().any(changes_cors) {
        state.cors_unknown = true;
        state.ever_configured = true;
    }
    state
}

/// The sort key that puts cases with the same starting state next to each other (see the
/// module doc, "Order"): reusable cases without a configuration first (read-only, then
/// configuration-changing), then the reusable configured cases grouped by configuration and
/// objects (read-only before configuration-changing within a group), then every case that
/// always runs in a fresh bucket; the case id breaks ties, so the order is deterministic.
pub fn order_key(case: &Case) -> (u8, Vec<u8>, String, bool, String) {
    if !may_reuse(case) || !objects_untouched(case) {
        return (2, Vec::new(), String::new(), false, case.id.clone());
    }
    // A fixed name: two cases with the same templates get the same state in any bucket.
    let state = BucketState::wanted(case, "b");
    let objects = format!("{:?}", state.objects);
    let changes = case.steps.iter().any(changes_cors);
    match state.cors {
        None => (0, Vec::new(), objects, changes, case.id.clone()),
        Some(cors) => (1, cors, objects, changes, case.id.clone()),
    }
}

/// Whether a case may start in a pooled bucket at all (see the module doc).
pub fn may_reuse(case: &Case) -> bool {
    case.bucket.exists && case.bucket.acl.is_none()
}

/// The pool of one target: buckets not in use by a case right now.
#[derive(Debug)]
pub struct BucketPool {
    enabled: bool,
    free: Mutex<Vec<PooledBucket>>,
    fresh: AtomicU64,
    reused: AtomicU64,
}

/// How a run used its buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Cases that ran in a fresh bucket.
    pub fresh: u64,
    /// Cases that ran in a bucket from the pool.
    pub reused: u64,
}

impl BucketPool {
    /// A pool; `enabled: false` never hands out or keeps a bucket.
    pub fn new(enabled: bool) -> BucketPool {
        BucketPool {
            enabled,
            free: Mutex::new(Vec::new()),
            fresh: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The pooled bucket closest to `case`'s starting state that the rule allows, if any
    /// (removed from the pool until [`BucketPool::put_back`]).
    pub fn take(&self, case: &Case) -> Option<PooledBucket> {
        if !self.enabled || !may_reuse(case) {
            return None;
        }
        let mut free = self.free.lock().ok()?;
        let best = free
            .iter()
            .enumerate()
            // Closest first; on a tie, a bucket that already had a configuration, so the
            // never-configured ones stay free for cases that want none.
            .min_by_key(|(_, b)| {
                (
                    b.state.distance(&BucketState::wanted(case, &b.name)),
                    !b.state.ever_configured,
                )
            })
            .map(|(i, _)| i)?;
        Some(free.swap_remove(best))
    }

    /// Returns a bucket whose contents are known.
    pub fn put_back(&self, bucket: PooledBucket) {
        if !self.enabled {
            return;
        }
        if let Ok(mut free) = self.free.lock() {
            free.push(bucket);
        }
    }

    /// Empties the pool (the buckets themselves stay registered for removal).
    pub fn drain(&self) -> Vec<PooledBucket> {
        self.free
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }

    /// Counts a case's start.
    pub fn count(&self, reused: bool) {
        let c = if reused { &self.reused } else { &self.fresh };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            fresh: self.fresh.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(yaml: &str) -> Case {
        crate::case::parse_case("t/c", "cases/t/c.yaml", yaml).expect("valid case")
    }

    const WITH_CORS: &str = "title: t\nspec: [\"4.1\"]\nbucket:\n  cors:\n    - allowed_origins: [\"http://a\"]\n      allowed_methods: [GET]\n  objects:\n    k: body of ${bucket}\nsteps:\n  - request: {method: OPTIONS, key: k, headers: {Origin: \"http://a\", Access-Control-Request-Method: GET}}\n    expect: {status: 200}\n";
    const NO_CORS: &str = "title: t\nspec: [\"4.1\"]\nsteps:\n  - request: {method: GET}\n    expect: {status: 200}\n";
    const MUTATES: &str = "title: t\nspec: [\"4.1\"]\nsteps:\n  - delete_bucket_cors: {}\n    expect: {status: 204}\n";
    const WRITES: &str = "title: t\nspec: [\"4.1\"]\nsteps:\n  - request: {method: PUT, key: k, body: x}\n    expect: {status: 200}\n";

    #[test]
    fn wanted_state_substitutes_the_bucket() {
        let s = BucketState::wanted(&case(WITH_CORS), "b1");
        assert!(s.ever_configured);
        assert_eq!(s.objects[0].key, "k");
        assert_eq!(s.objects[0].body, b"body of b1");
    }

    #[test]
    fn cases_without_configuration_prefer_a_bucket_that_never_had_one() {
        let pool = BucketPool::new(true);
        let with = case(WITH_CORS);
        pool.put_back(PooledBucket {
            name: "b1".into(),
            state: BucketState::wanted(&with, "b1"),
        });
        pool.put_back(PooledBucket {
            name: "b2".into(),
            state: BucketState::default(),
        });
        assert_eq!(
            pool.take(&case(NO_CORS)).map(|b| b.name).as_deref(),
            Some("b2")
        );
        // With only a configured bucket left, it is taken (and reset by DeleteBucketCors).
        let b = pool
            .take(&case(NO_CORS))
            .expect("a configured bucket serves too");
        assert_eq!(b.name, "b1");
        assert!(
            b.state
                .cors_differs(&BucketState::wanted(&case(NO_CORS), "b1"))
        );
        assert!(pool.take(&with).is_none(), "taken buckets are not shared");
    }

    #[test]
    fn an_unknown_configuration_is_always_reset() {
        let with = case(WITH_CORS);
        let set_up = BucketState::wanted(&with, "b");
        assert!(!set_up.cors_differs(&set_up));
        let after_mutation = after(&case(MUTATES), set_up.clone());
        assert!(after_mutation.cors_unknown);
        assert!(after_mutation.cors_differs(&set_up));
        assert!(after_mutation.cors_differs(&BucketState::default()));
        assert_eq!(
            after(&with, set_up.clone()),
            set_up,
            "read-only cases change nothing"
        );
    }

    #[test]
    fn order_groups_cases_by_starting_state() {
        let with = case(WITH_CORS);
        let mut other = case(WITH_CORS);
        other.id = "a/first-by-name".into();
        let none = case(NO_CORS);
        let mutates = case(MUTATES);
        let writes = case(WRITES);
        let mut all = [&writes, &with, &mutates, &none, &other];
        all.sort_by_key(|c| order_key(c));
        let ids: Vec<(&str, bool)> = all
            .iter()
            .map(|c| (c.id.as_str(), c.bucket.cors.is_some()))
            .collect();
        assert_eq!(
            ids,
            [
                ("t/c", false),
                ("t/c", false),
                ("a/first-by-name", true),
                ("t/c", true),
                ("t/c", false)
            ]
        );
        assert!(!objects_untouched(&writes));
        assert!(!order_key(all[0]).3, "read-only before mutating");
        assert!(order_key(all[1]).3);
    }

    #[test]
    fn the_closest_bucket_is_taken() {
        let pool = BucketPool::new(true);
        let with = case(WITH_CORS);
        pool.put_back(PooledBucket {
            name: "far".into(),
            state: BucketState::default(),
        });
        pool.put_back(PooledBucket {
            name: "near".into(),
            state: BucketState::wanted(&with, "near"),
        });
        assert_eq!(pool.take(&with).map(|b| b.name).as_deref(), Some("near"));
    }

    #[test]
    fn only_read_only_and_configuration_steps_keep_a_bucket() {
        assert!(all_read_only(&case(WITH_CORS)));
        assert!(all_read_only(&case(NO_CORS)));
        assert!(!all_read_only(&case(MUTATES)));
        assert!(objects_untouched(&case(MUTATES)));
        assert!(!objects_untouched(&case(WRITES)));
    }

    #[test]
    fn a_disabled_pool_keeps_nothing() {
        let pool = BucketPool::new(false);
        pool.put_back(PooledBucket {
            name: "b".into(),
            state: BucketState::default(),
        });
        assert!(pool.drain().is_empty());
        assert!(pool.take(&case(NO_CORS)).is_none());
    }
}
