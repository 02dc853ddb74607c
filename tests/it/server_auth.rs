//! The embedded server's authentication and authorisation over real HTTP: SigV4
//! header-signed and presigned requests made with AWS's own `aws-sigv4` signer are accepted;
//! bad, expired, skewed or tampered ones are refused with S3's errors; anonymous callers get
//! exactly what canned ACLs grant them.

use crate::util::server::{Auth, Fixture, assert_error, sign_request};
use std::time::{Duration, SystemTime};

fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder().method(method).uri(url);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(body.to_vec()).unwrap()
}

#[tokio::test]
async fn header_signed_requests_are_accepted() {
    let f = Fixture::start().await;
    f.create_bucket("signed", None).await;
    f.put_object("signed", "dir/a%20b%24c%281%29.txt", b"one", None)
        .await;
    let r = f
        .send(
            Auth::Signed,
            "GET",
            "/signed/dir/a%20b%24c%281%29.txt",
            &[],
            b"",
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "one"));
    // Reserved characters sent unencoded are accepted too (the signer signs the wire path).
    let r = f
        .send(Auth::Signed, "GET", "/signed/dir/a%20b$c(1).txt", &[], b"")
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "one"), "{}", r.body);
    // A signed query string (ListObjectsV2 with prefix and delimiter).
    let r = f
        .send(
            Auth::Signed,
            "GET",
            "/signed?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=10",
            &[],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Key>dir/a b$c(1).txt</Key>"), "{}", r.body);
}

#[tokio::test]
async fn presigned_urls_are_accepted_and_expire() {
    let f = Fixture::start().await;
    f.create_bucket("pre", None).await;
    let r = f
        .send(Auth::Presigned, "PUT", "/pre/up.txt", &[], b"uploaded")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f
        .send(Auth::Presigned, "GET", "/pre/up.txt", &[], b"")
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "uploaded"));

    // Signed an hour ago, valid for a minute: expired.
    let url = format!("{}/pre/up.txt", f.endpoint);
    let mut req = request("GET", &url, &[], b"");
    let then = SystemTime::now() - Duration::from_secs(3600);
    sign_request(&mut req, "test", then, Some(Duration::from_secs(60)));
    let r = f.execute(req).await;
    assert_error(&r, 403, "AccessDenied", "Request has expired");
    assert_eq!(r.error_field("X-Amz-Expires").as_deref(), Some("60"));
}

#[tokio::test]
async fn bad_signatures_are_refused() {
    let f = Fixture::start().await;
    f.create_bucket("sig", None).await;
    let url = format!("{}/sig/k", f.endpoint);

    let mut req = request("PUT", &url, &[], b"x");
    sign_request(&mut req, "wrong-secret", SystemTime::now(), None);
    let r = f.execute(req).await;
    assert_error(
        &r,
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
    assert_eq!(r.error_field("AWSAccessKeyId").as_deref(), Some("test"));
    assert!(
        r.error_field("CanonicalRequest")
            .is_some_and(|c| c.starts_with("PUT\n/sig/k\n"))
    );

    let mut req = request("GET", &url, &[], b"");
    sign_request(
        &mut req,
        "wrong-secret",
        SystemTime::now(),
        Some(Duration::from_secs(60)),
    );
    let r = f.execute(req).await;
    assert_eq!(
        r.error_field("Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );

    // A signed request whose URL was changed afterwards.
    let mut req = request("GET", &url, &[], b"");
    sign_request(&mut req, "test", SystemTime::now(), None);
    *req.uri_mut() = format!("{}/sig/other", f.endpoint).parse().unwrap();
    let r = f.execute(req).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn unknown_key_skew_and_tampered_body_are_refused() {
    let f = Fixture::start().await;
    f.create_bucket("auth", None).await;
    let url = format!("{}/auth/k", f.endpoint);

    let mut req = request("GET", &url, &[], b"");
    sign_request(&mut req, "test", SystemTime::now(), None);
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("Credential=test/", "Credential=nobody/");
    req.headers_mut()
        .insert("authorization", auth.parse().unwrap());
    let r = f.execute(req).await;
    assert_error(
        &r,
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    );
    assert_eq!(r.error_field("AWSAccessKeyId").as_deref(), Some("nobody"));

    let mut req = request("GET", &url, &[], b"");
    sign_request(
        &mut req,
        "test",
        SystemTime::now() - Duration::from_secs(3600),
        None,
    );
    let r = f.execute(req).await;
    assert_error(
        &r,
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
    );
    assert_eq!(
        r.error_field("MaxAllowedSkewMilliseconds").as_deref(),
        Some("900000")
    );

    let mut req = request("PUT", &url, &[], b"signed body");
    sign_request(&mut req, "test", SystemTime::now(), None);
    *req.body_mut() = b"other body!".to_vec();
    let r = f.execute(req).await;
    assert_error(
        &r,
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
}

#[tokio::test]
async fn anonymous_access_follows_canned_acls() {
    let f = Fixture::start().await;
    f.create_bucket("priv", None).await;
    f.create_bucket("pubr", Some("public-read")).await;
    f.create_bucket("pubrw", Some("public-read-write")).await;
    f.put_object("priv", "secret.txt", b"secret", None).await;
    f.put_object("priv", "open.txt", b"open", Some("public-read"))
        .await;

    let r = f
        .send(Auth::Anonymous, "GET", "/priv/secret.txt", &[], b"")
        .await;
    assert_error(&r, 403, "AccessDenied", "Access Denied");
    let r = f
        .send(Auth::Anonymous, "HEAD", "/priv/secret.txt", &[], b"")
        .await;
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    let r = f
        .send(Auth::Anonymous, "GET", "/priv/open.txt", &[], b"")
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "open"));
    let r = f.send(Auth::Anonymous, "GET", "/priv", &[], b"").await;
    assert_error(&r, 403, "AccessDenied", "Access Denied");
    // Without list permission a missing key is 403, with it 404.
    let r = f.send(Auth::Anonymous, "GET", "/priv/none", &[], b"").await;
    assert_eq!(r.status, 403);
    let r = f.send(Auth::Anonymous, "GET", "/pubr/none", &[], b"").await;
    assert_error(&r, 404, "NoSuchKey", "The specified key does not exist.");

    let r = f
        .send(Auth::Anonymous, "GET", "/pubr?list-type=2", &[], b"")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f.send(Auth::Anonymous, "PUT", "/pubr/x", &[], b"x").await;
    assert_eq!(r.status, 403);
    let r = f.send(Auth::Anonymous, "PUT", "/pubrw/x", &[], b"x").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f
        .send(Auth::Anonymous, "DELETE", "/pubrw/x", &[], b"")
        .await;
    assert_eq!(r.status, 204);
    // Management is never anonymous.
    for (m, p) in [
        ("GET", "/pubrw?cors"),
        ("GET", "/pubrw?acl"),
        ("DELETE", "/pubrw"),
        ("GET", "/"),
        ("PUT", "/newbucket"),
    ] {
        let r = f.send(Auth::Anonymous, m, p, &[], b"").await;
        assert_error(&r, 403, "AccessDenied", "Access Denied");
    }
}

#[tokio::test]
async fn canned_acls_can_be_changed_and_read_back() {
    let f = Fixture::start().await;
    f.create_bucket("acl", None).await;
    f.put_object("acl", "k", b"v", None).await;
    assert_eq!(
        f.send(Auth::Anonymous, "GET", "/acl/k", &[], b"")
            .await
            .status,
        403
    );
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/acl/k?acl",
            &[("x-amz-acl", "public-read")],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        f.send(Auth::Anonymous, "GET", "/acl/k", &[], b"")
            .await
            .status,
        200
    );
    let r = f.send(Auth::Signed, "GET", "/acl/k?acl", &[], b"").await;
    assert!(r.body.contains("<AccessControlPolicy"), "{}", r.body);
    assert!(
        r.body
            .contains("global/AllUsers</URI></Grantee><Permission>READ</Permission>")
    );
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/acl?acl",
            &[("x-amz-acl", "public-read-write")],
            b"",
        )
        .await;
    assert_eq!(r.status, 200);
    let r = f.send(Auth::Signed, "GET", "/acl?acl", &[], b"").await;
    assert!(r.body.contains("<Permission>WRITE</Permission>"));
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/acl?acl",
            &[("x-amz-acl", "bogus")],
            b"",
        )
        .await;
    assert_eq!(r.error_field("Code").as_deref(), Some("InvalidArgument"));
}
