//! A [`Target`] wrapper that records every request the runner sends, so the benchmark can
//! replay exactly the same sequence with a bare HTTP client (the floor).
//!
//! Recording is a clone of the [`S3Request`] into a list, nothing more: signing for the
//! replay happens after the harness run is timed, so the instrument does not inflate the
//! figure it measures.

use crate::target::{S3Request, S3Response, Target, TargetInfo, TransportError, WireRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// Wraps a target and records each request passed to [`Target::send`].
pub struct Recording {
    inner: Arc<dyn Target>,
    log: Mutex<Vec<S3Request>>,
}

impl Recording {
    pub fn new(inner: Arc<dyn Target>) -> Recording {
        Recording {
            inner,
            log: Mutex::new(Vec::new()),
        }
    }

    /// How many requests were sent so far.
    pub fn len(&self) -> usize {
        self.log.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// Whether nothing was sent yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The recorded requests from index `from` on, in send order.
    pub fn since(&self, from: usize) -> Vec<S3Request> {
        self.log
            .lock()
            .map(|l| l.get(from..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }
}

impl Target for Recording {
    fn info(&self) -> TargetInfo {
        self.inner.info()
    }

    fn unavailable(&self) -> Option<String> {
        self.inner.unavailable()
    }

    fn bucket_prefix(&self) -> &str {
        self.inner.bucket_prefix()
    }

    fn region(&self) -> Option<String> {
        self.inner.region()
    }

    fn case_support(&self, case: &crate::case::Case) -> crate::target::CaseSupport {
        self.inner.case_support(case)
    }

    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        if let Ok(mut l) = self.log.lock() {
            l.push(req.clone());
        }
        self.inner.send(req)
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.inner.wire(req)
    }
}
