//! The in-memory state: buckets with their ACL, CORS configuration and objects.
//!
//! One `std::sync::Mutex` around a `BTreeMap` (sorted, like S3 listings). Critical sections
//! are short and never await. A poisoned lock (a panic while holding it) is recovered rather
//! than propagated: the data is plain values, never left half-updated by our code paths.

use super::acl::CannedAcl;
use crate::cors::CorsConfiguration;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// One stored object.
#[derive(Debug, Clone)]
pub struct Object {
    pub data: Bytes,
    /// Quoted lower-case MD5 hex, as S3 sends it (`"9b2cf535f27731c974343645a3985328"`).
    pub etag: String,
    pub content_type: String,
    pub last_modified: SystemTime,
    pub acl: CannedAcl,
    /// Headers stored with the object and returned on GET/HEAD (`Cache-Control`,
    /// `x-amz-meta-*`, …), names lower-cased, in request order.
    pub headers: Vec<(String, String)>,
}

/// One bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub created: SystemTime,
    pub acl: CannedAcl,
    /// Shared so a request can keep the configuration it found without copying it.
    pub cors: Option<Arc<CorsConfiguration>>,
    pub objects: BTreeMap<String, Object>,
    /// Multipart uploads in progress, by upload id (see [`super::multipart`]).
    pub uploads: BTreeMap<String, Upload>,
}

/// One multipart upload in progress: what CreateMultipartUpload said about the object to
/// be, and the parts received so far.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    pub initiated: SystemTime,
    pub content_type: String,
    pub acl: CannedAcl,
    /// Headers to store on the completed object (as on PutObject).
    pub headers: Vec<(String, String)>,
    /// Parts by part number.
    pub parts: BTreeMap<u32, Part>,
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub struct Part {
    pub data: Bytes,
    /// Quoted MD5 hex of the part.
    pub etag: String,
    pub last_modified: SystemTime,
}

impl Bucket {
    /// An empty bucket with this ACL.
    pub fn new(acl: CannedAcl) -> Bucket {
        Bucket {
            created: SystemTime::now(),
            acl,
            cors: None,
            objects: BTreeMap::new(),
            uploads: BTreeMap::new(),
        }
    }
}

/// Every bucket of the server.
#[derive(Debug, Default)]
pub struct Store {
    buckets: Mutex<BTreeMap<String, Bucket>>,
}

impl Store {
    /// Locks the store.
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bucket's CORS state: `None` if the bucket does not exist, `Some(None)` if it has no
    /// configuration.
    pub fn cors_of(&self, bucket: &str) -> Option<Option<Arc<CorsConfiguration>>> {
        self.lock().get(bucket).map(|b| b.cors.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_of_distinguishes_missing_and_unconfigured() {
        let s = Store::default();
        assert_eq!(s.cors_of("b"), None);
        s.lock().insert("b".into(), Bucket::new(CannedAcl::Private));
        assert_eq!(s.cors_of("b"), Some(None));
    }
}
