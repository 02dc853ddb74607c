//! The one forwarding wrapper: [`Decorated`] puts a [`Hook`] around a target.
//!
//! Why: every decorator (bucket tracking in [`super::cleanup`], request recording in
//! `bench::record`) used to implement [`Target`] by hand and forward each method, and one
//! forward was forgotten once (the wrapped target's per-case support fell back to a default).
//! Now a decorator only says what it does around `send`; [`Decorated`] forwards the policy
//! and the wire form untouched, and its tests prove that for every decorator in the crate.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{S3Request, S3Response, Target, TargetPolicy, TransportError, WireRequest};

/// What a decorator does around [`Target::send`]. Both calls see every request sent through
/// the wrapper; neither can change it or its outcome.
pub trait Hook: Send + Sync {
    /// Called before the request goes to the wrapped target.
    fn before_send(&self, req: &S3Request);

    /// Called with the outcome once the wrapped target answered (or failed).
    fn after_send(&self, req: &S3Request, result: &Result<S3Response, TransportError>);
}

/// A target wrapped with a [`Hook`]: same policy, same wire form, same responses.
pub struct Decorated<H> {
    inner: Arc<dyn Target>,
    hook: H,
}

impl<H: Hook> Decorated<H> {
    /// Wraps `inner` with `hook`.
    pub fn wrap(inner: Arc<dyn Target>, hook: H) -> Decorated<H> {
        Decorated { inner, hook }
    }

    /// The wrapped target.
    pub fn inner(&self) -> &Arc<dyn Target> {
        &self.inner
    }

    /// The decorator.
    pub fn hook(&self) -> &H {
        &self.hook
    }
}

impl<H: Hook> Target for Decorated<H> {
    fn policy(&self) -> TargetPolicy {
        self.inner.policy()
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        Box::pin(async move {
            self.hook.before_send(req);
            let result = self.inner.send(req).await;
            self.hook.after_send(req, &result);
            result
        })
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        self.inner.wire(req)
    }
}
