//! A [`Target`] wrapper that records every request the runner sends, so the benchmark can
//! replay exactly the same sequence with a bare HTTP client (the floor).
//!
//! Recording is a clone of the [`S3Request`] into a list, nothing more: signing for the
//! replay happens after the harness run is timed, so the instrument does not inflate the
//! figure it measures.

use crate::s3::{S3Request, S3Response, TransportError};
use crate::target::{Decorated, Hook, Target};
use std::sync::{Arc, Mutex};

/// The [`Hook`] behind [`Recording`]: a log of every request sent, in send order.
#[derive(Debug, Default)]
pub struct RequestLog {
    log: Mutex<Vec<S3Request>>,
}

impl Hook for RequestLog {
    fn before_send(&self, req: &S3Request) {
        self.lock().push(req.clone());
    }

    fn after_send(&self, _req: &S3Request, _result: &Result<S3Response, TransportError>) {}
}

impl RequestLog {
    /// A poisoned lock still holds every request pushed before the panic: keep using it
    /// rather than dropping the log (the floor replay would silently shrink).
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<S3Request>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A target that records each request passed to [`Target::send`] (see [`RequestLog`]).
pub type Recording = Decorated<RequestLog>;

impl Decorated<RequestLog> {
    pub fn new(inner: Arc<dyn Target>) -> Recording {
        Decorated::wrap(inner, RequestLog::default())
    }

    /// How many requests were sent so far.
    pub fn len(&self) -> usize {
        self.hook().lock().len()
    }

    /// Whether nothing was sent yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The recorded requests from index `from` on, in send order.
    pub fn since(&self, from: usize) -> Vec<S3Request> {
        self.hook().lock().get(from..).unwrap_or_default().to_vec()
    }
}
