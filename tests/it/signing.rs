//! The fast SigV4 path ([`s3cors::target::sigv4`]) must sign exactly as `aws_sigv4` does:
//! every request of the corpus (set-up calls and steps, with and without a session token,
//! path-style and virtual-hosted) and a set of awkward ones, at fixed times, byte for byte.

use s3cors::case::{Case, load_dir};
use s3cors::runner::exec::{create_bucket_request, put_cors_request, step_request};
use s3cors::runner::pool::BucketState;
use s3cors::target::{Addressing, Auth, HttpConfig, HttpTarget, S3Request};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const BUCKET: &str = "s3cors-20260101-000000-abcd-1";

fn target(token: Option<&str>, addressing: Addressing, endpoint: &str) -> HttpTarget {
    let mut cfg = HttpConfig::new(
        "t",
        "endpoint",
        endpoint,
        "AKID",
        "SECRET/key+",
        "eu-west-1",
    );
    cfg.session_token = token.map(str::to_string);
    cfg.addressing = addressing;
    HttpTarget::new(cfg).expect("target")
}

fn corpus_requests(cases: &[Case]) -> Vec<S3Request> {
    let mut out = vec![
        create_bucket_request(BUCKET, Some("eu-west-1")),
        S3Request::new("DELETE", Some(BUCKET), None, Auth::Signed),
    ];
    for case in cases {
        let want = BucketState::wanted(case, BUCKET);
        if let Some(body) = &want.cors {
            out.push(put_cors_request(
                BUCKET,
                body.clone(),
                s3cors::case::model::Checksum::Md5,
            ));
        }
        for o in &want.objects {
            let mut r = S3Request::new("PUT", Some(BUCKET), Some(&o.key), Auth::Signed);
            r.body = o.body.clone();
            if let Some(ct) = &o.content_type {
                r.headers.push(("Content-Type".into(), ct.clone()));
            }
            out.push(r);
        }
        for step in &case.steps {
            let mut r = step_request(step, BUCKET);
            // Every step also signed in headers, whatever the case chose.
            out.push(r.clone());
            r.auth = Auth::Signed;
            out.push(r);
        }
    }
    out
}

fn awkward() -> Vec<S3Request> {
    let mut v = Vec::new();
    let mut r = S3Request::new("GET", Some(BUCKET), Some("a b/c+d/ü/~x.jpg"), Auth::Signed);
    r.query.push(("list-type".into(), Some("2".into())));
    r.query.push(("prefix".into(), Some("a b&c=d/é*".into())));
    r.query.push(("cors".into(), None));
    r.query.push(("b".into(), Some("2".into())));
    r.query.push(("b".into(), Some("1".into())));
    r.headers.push(("X-Spaced".into(), "  a   b    c  ".into()));
    r.headers.push(("x-dup".into(), "one".into()));
    r.headers.push(("X-Dup".into(), " two ".into()));
    r.headers.push(("Origin".into(), "http://x.example".into()));
    r.headers.push(("Empty".into(), "".into()));
    v.push(r);
    let mut r = S3Request::new("get", Some(BUCKET), None, Auth::Signed);
    r.headers.push(("Host".into(), "other.example:1234".into()));
    v.push(r);
    let mut r = S3Request::new("PUT", None, None, Auth::Signed);
    r.body = vec![0, 159, 146, 150];
    v.push(r);
    let mut r = S3Request::new("OPTIONS", Some(BUCKET), Some("k"), Auth::Signed);
    r.addressing = Some(Addressing::Virtual);
    r.headers
        .push(("Access-Control-Request-Headers".into(), "a,b , c".into()));
    v.push(r);
    // Last: one the fast path leaves to aws_sigv4 (a tab in a value).
    let mut r = S3Request::new("GET", Some(BUCKET), None, Auth::Signed);
    r.headers.push(("X-Tab".into(), "a\tb".into()));
    v.push(r);
    v
}

#[test]
fn fast_signing_matches_aws_sigv4() {
    let loaded = load_dir(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/cases"
    )));
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut requests = corpus_requests(&loaded.cases);
    requests.extend(awkward());
    let times = [
        UNIX_EPOCH + Duration::from_secs(1_767_225_599), // 2025-12-31T23:59:59Z
        UNIX_EPOCH + Duration::from_secs(1_767_225_600), // the next day: a new key
        SystemTime::now(),
    ];
    let mut compared = 0;
    for t in [
        target(None, Addressing::Path, "http://127.0.0.1:9000"),
        target(
            Some("TOKEN/x="),
            Addressing::Virtual,
            "https://s3.example.com",
        ),
        target(None, Addressing::Path, "http://127.0.0.1:80/base/"),
    ] {
        for now in times {
            for r in &requests {
                let fast = t.wire_at(r, now);
                let reference = t.reference_wire_at(r, now);
                match (fast, reference) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{r:?}"),
                    (Err(_), Err(_)) => {}
                    (a, b) => panic!("{r:?}: fast {a:?}, aws_sigv4 {b:?}"),
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "{compared}");
    // The comparison is only worth something if the fast path signs most requests.
    let t = target(None, Addressing::Path, "http://127.0.0.1:9000");
    let signed: Vec<&S3Request> = requests.iter().filter(|r| r.auth == Auth::Signed).collect();
    let fast = signed.iter().filter(|r| t.signs_fast(r)).count();
    assert!(
        fast * 10 >= signed.len() * 9,
        "{fast} of {} signed requests on the fast path",
        signed.len()
    );
    let odd = awkward().pop().expect("one");
    assert!(!t.signs_fast(&odd), "{odd:?} is left to aws_sigv4");
}
