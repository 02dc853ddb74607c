//! Every target wrapper forwards everything: run against a stub target whose every answer is
//! distinctive, each wrapper must report the stub's whole policy (info, availability, bucket
//! prefix, region, per-case support), send through to it and give its wire form unchanged.
//!
//! A wrapper is a `Hook` inside `target::Decorated`; the test also counts the `impl Hook for`
//! blocks in `src/`, so a new decorator that is not added to [`wrappers`] fails here.

use crate::util;
use s3cors::bench::record::Recording;
use s3cors::case::Case;
use s3cors::s3::{Auth, S3Request, S3Response, TargetInfo, TransportError, WireRequest};
use s3cors::target::cleanup::Tracked;
use s3cors::target::{CasePolicy, CaseSupport, Target, TargetExt, TargetPolicy};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A target whose every answer is recognisable.
struct Stub;

impl Target for Stub {
    fn policy(&self) -> TargetPolicy {
        TargetPolicy {
            info: TargetInfo {
                name: "stub-name".into(),
                kind: "stub-kind".into(),
                endpoint: Some("http://stub.invalid:1".into()),
                version: Some("stub 9.9".into()),
            },
            unavailable: Some("the stub is resting".into()),
            bucket_prefix: "stub-prefix-".into(),
            region: Some("xx-stub-1".into()),
            cases: CasePolicy::PerCase(Arc::new(|case: &Case| {
                if case.id == "stub/yes" {
                    CaseSupport::Supported
                } else {
                    CaseSupport::Unsupported(format!("the stub refuses {}", case.id))
                }
            })),
            notes: vec!["the stub waited 0 s".into()],
        }
    }

    fn send<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<S3Response, TransportError>> + Send + 'a>> {
        Box::pin(async move {
            Ok(S3Response {
                status: 299,
                headers: vec![("x-stub-method".into(), req.method.clone())],
                body: b"stub body".to_vec(),
            })
        })
    }

    fn wire(&self, req: &S3Request) -> Result<WireRequest, TransportError> {
        Ok(WireRequest {
            method: req.method.clone(),
            url: "http://stub.invalid:1/wire".into(),
            headers: vec![("x-stub".into(), "wire".into())],
            body: b"wire body".to_vec(),
        })
    }

    fn exchange<'a>(
        &'a self,
        req: &'a S3Request,
    ) -> Pin<Box<dyn Future<Output = Result<s3cors::target::Exchange, TransportError>> + Send + 'a>>
    {
        s3cors::target::exchange_in_two(self, req)
    }
}

/// Every decorator in the crate, wrapped around `inner` (and one nesting of two).
fn wrappers(inner: Arc<dyn Target>) -> Vec<(&'static str, Arc<dyn Target>)> {
    vec![
        ("Tracked", Arc::new(Tracked::new(inner.clone()))),
        ("Recording", Arc::new(Recording::new(inner.clone()))),
        (
            "Tracked(Recording)",
            Arc::new(Tracked::new(Arc::new(Recording::new(inner)))),
        ),
    ]
}

/// How many decorators (`impl Hook for`) the library has.
fn hooks_in_src() -> usize {
    util::rust_files(&util::repo().join("src"))
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("impl Hook for "))
                .count()
        })
        .sum()
}

fn case(id: &str) -> Case {
    util::case(
        id,
        "title: t\nspec: [\"4.1\"]\nsteps:\n  - request: {method: GET}\n    expect: {status: 200}\n",
    )
}

#[test]
fn every_wrapper_forwards_the_whole_policy_send_and_wire() {
    let stub: Arc<dyn Target> = Arc::new(Stub);
    let want = stub.policy();
    let (yes, no) = (case("stub/yes"), case("stub/no"));
    let rt = s3cors::runner::runtime().expect("runtime");
    let list = wrappers(stub.clone());
    // Two single decorators are the two hooks in src/; the third entry nests them.
    assert_eq!(
        hooks_in_src(),
        list.len() - 1,
        "a decorator (impl Hook for …) was added or removed: list it in wrappers()"
    );
    for (name, w) in list {
        let got = w.policy();
        assert_eq!(got.info, want.info, "{name}: info");
        assert_eq!(got.unavailable, want.unavailable, "{name}: unavailable");
        assert_eq!(
            got.bucket_prefix, want.bucket_prefix,
            "{name}: bucket prefix"
        );
        assert_eq!(got.region, want.region, "{name}: region");
        assert_eq!(got.notes, want.notes, "{name}: notes");
        assert_eq!(
            w.case_support(&yes),
            CaseSupport::Supported,
            "{name}: case support"
        );
        assert_eq!(
            w.case_support(&no),
            CaseSupport::Unsupported("the stub refuses stub/no".into()),
            "{name}: case support"
        );
        assert_eq!(w.info(), want.info, "{name}: TargetExt::info");
        assert_eq!(w.region(), want.region, "{name}: TargetExt::region");

        let req = S3Request::new("PATCH", Some("b"), Some("k"), Auth::Signed);
        let resp = rt.block_on(w.send(&req)).expect("the stub answers");
        assert_eq!(resp.status, 299, "{name}: send reached the stub");
        assert_eq!(
            resp.header("x-stub-method"),
            Some("PATCH"),
            "{name}: same request"
        );
        assert_eq!(resp.body, b"stub body", "{name}: body untouched");

        let wire = w.wire(&req).expect("the stub's wire form");
        assert_eq!(wire, stub.wire(&req).expect("stub"), "{name}: wire");
    }
}

#[test]
fn the_decorators_still_do_their_own_work() {
    let stub: Arc<dyn Target> = Arc::new(Stub);
    let rt = s3cors::runner::runtime().expect("runtime");
    let recording = Arc::new(Recording::new(stub.clone()));
    let tracked = Tracked::new(recording.clone());
    let create = S3Request::new("PUT", Some("made-here"), None, Auth::Signed);
    let resp = rt.block_on(tracked.send(&create)).expect("answer");
    assert_eq!(resp.status, 299);
    assert_eq!(tracked.registry().buckets(), ["made-here"]);
    assert_eq!(recording.len(), 1);
    assert_eq!(recording.since(0)[0].bucket.as_deref(), Some("made-here"));
}
