//! The embedded server's S3 operations and its behaviour under hostile input, over real
//! HTTP: bucket and object lifecycle, listings, NotImplemented for the rest, and oversized
//! bodies, malformed XML, bad names, garbage URLs, non-UTF-8 headers and raw garbage all
//! answered (S3-shaped where HTTP got that far) without the server going down.

use crate::util::server::{Auth, Fixture, assert_error, content_md5};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

#[tokio::test]
async fn bucket_lifecycle() {
    let f = Fixture::start().await;
    let r = f.send(Auth::Signed, "PUT", "/life", &[], b"").await;
    assert_eq!((r.status, r.header("location")), (200, Some("/life")));
    let r = f.send(Auth::Signed, "PUT", "/life", &[], b"").await;
    assert_error(
        &r,
        409,
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    );
    for bad in ["/Upper", "/ab", "/bad_name", "/192.168.0.1", "/a..b"] {
        let r = f.send(Auth::Signed, "PUT", bad, &[], b"").await;
        assert_error(
            &r,
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        );
        assert_eq!(r.error_field("BucketName").as_deref(), Some(&bad[1..]));
    }
    let r = f.send(Auth::Signed, "GET", "/", &[], b"").await;
    assert!(r.body.contains("<ListAllMyBucketsResult") && r.body.contains("<Name>life</Name>"));
    assert_eq!(
        f.send(Auth::Signed, "HEAD", "/life", &[], b"").await.status,
        200
    );
    assert_eq!(
        f.send(Auth::Signed, "HEAD", "/nope", &[], b"").await.status,
        404
    );
    f.put_object("life", "k", b"v", None).await;
    let r = f.send(Auth::Signed, "DELETE", "/life", &[], b"").await;
    assert_error(
        &r,
        409,
        "BucketNotEmpty",
        "The bucket you tried to delete is not empty",
    );
    assert_eq!(
        f.send(Auth::Signed, "DELETE", "/life/k", &[], b"")
            .await
            .status,
        204
    );
    assert_eq!(
        f.send(Auth::Signed, "DELETE", "/life", &[], b"")
            .await
            .status,
        204
    );
    let r = f.send(Auth::Signed, "DELETE", "/life", &[], b"").await;
    assert_error(
        &r,
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
}

#[tokio::test]
async fn object_metadata_round_trips() {
    let f = Fixture::start().await;
    f.create_bucket("objs", None).await;
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/objs/a.json",
            &[
                ("content-type", "application/json"),
                ("x-amz-meta-color", "blue"),
            ],
            b"{\"a\":1}",
        )
        .await;
    let expected = format!(
        "\"{}\"",
        hex::encode(<md5::Md5 as md5::Digest>::digest(b"{\"a\":1}"))
    );
    assert_eq!(r.header("etag"), Some(expected.as_str()));
    let r = f.send(Auth::Signed, "GET", "/objs/a.json", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "{\"a\":1}");
    assert_eq!(r.header("etag"), Some(expected.as_str()));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-length"), Some("7"));
    assert_eq!(r.header("x-amz-meta-color"), Some("blue"));
    assert!(httpdate::parse_http_date(r.header("last-modified").unwrap()).is_ok());
    let r = f.send(Auth::Signed, "HEAD", "/objs/a.json", &[], b"").await;
    assert_eq!(
        (r.status, r.body.as_str(), r.header("content-length")),
        (200, "", Some("7"))
    );
    let r = f
        .send(
            Auth::Signed,
            "GET",
            "/objs/a.json",
            &[("range", "bytes=1-3")],
            b"",
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (206, "\"a\""));
    assert_eq!(r.header("content-range"), Some("bytes 1-3/7"));
    let r = f
        .send(
            Auth::Signed,
            "GET",
            "/objs/a.json",
            &[("if-none-match", &expected)],
            b"",
        )
        .await;
    assert_eq!(r.status, 304);
    let r = f.send(Auth::Signed, "GET", "/objs/none", &[], b"").await;
    assert_error(&r, 404, "NoSuchKey", "The specified key does not exist.");
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/objs/md5",
            &[("content-md5", &content_md5(b"other"))],
            b"body",
        )
        .await;
    assert_eq!(r.error_field("Code").as_deref(), Some("BadDigest"));
}

#[tokio::test]
async fn listings_v1_v2_and_delete_objects() {
    let f = Fixture::start().await;
    f.create_bucket("list", None).await;
    for k in ["a/1", "a/2", "b", "c"] {
        f.put_object("list", k, b"x", None).await;
    }
    let r = f
        .send(Auth::Signed, "GET", "/list?delimiter=%2F", &[], b"")
        .await;
    assert!(
        r.body
            .contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<Key>b</Key>") && !r.body.contains("<Key>a/1</Key>"));
    let r = f
        .send(
            Auth::Signed,
            "GET",
            "/list?list-type=2&max-keys=2",
            &[],
            b"",
        )
        .await;
    assert!(
        r.body.contains("<KeyCount>2</KeyCount>")
            && r.body.contains("<IsTruncated>true</IsTruncated>"),
        "{}",
        r.body
    );
    let token = r
        .body
        .split("<NextContinuationToken>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    let q = format!("/list?list-type=2&continuation-token={}", urlencode(&token));
    let r = f.send(Auth::Signed, "GET", &q, &[], b"").await;
    assert!(
        r.body.contains("<Key>b</Key><")
            && r.body.contains("<Key>c</Key>")
            && !r.body.contains("<Key>a/1</Key>"),
        "{}",
        r.body
    );
    let del = "<Delete><Object><Key>a/1</Key></Object><Object><Key>b</Key></Object></Delete>";
    let r = f
        .send(
            Auth::Signed,
            "POST",
            "/list?delete",
            &[("content-md5", &content_md5(del.as_bytes()))],
            del.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Deleted><Key>a/1</Key></Deleted>"));
    let r = f.send(Auth::Signed, "GET", "/list", &[], b"").await;
    assert!(!r.body.contains("<Key>b</Key>") && r.body.contains("<Key>a/2</Key>"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn unimplemented_functionality_is_501() {
    let f = Fixture::start().await;
    f.create_bucket("nim", None).await;
    for (m, p, h) in [
        ("GET", "/nim?tagging", vec![]),
        ("POST", "/nim/k?uploads", vec![]),
        ("POST", "/nim", vec![]),
        ("GET", "/nim?versioning", vec![]),
        ("PUT", "/nim/k", vec![("x-amz-copy-source", "/nim/other")]),
    ] {
        let r = f.send(Auth::Signed, m, p, &h, b"").await;
        assert_error(
            &r,
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        );
    }
}

#[tokio::test]
async fn oversized_bodies_get_s3_errors() {
    let f = Fixture::start_adjusted(|cfg| cfg.max_body_bytes = 1024).await;
    f.create_bucket("big", None).await;
    let body = vec![b'x'; 4096];
    let r = f.send(Auth::Signed, "PUT", "/big/k", &[], &body).await;
    assert_error(
        &r,
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
    );
    assert_eq!(r.error_field("MaxSizeAllowed").as_deref(), Some("1024"));
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/big?cors",
            &[("content-md5", &content_md5(&body))],
            &body,
        )
        .await;
    assert_error(
        &r,
        400,
        "MaxMessageLengthExceeded",
        "Your request was too big.",
    );
    // And the server keeps serving.
    assert_eq!(
        f.send(Auth::Signed, "HEAD", "/big", &[], b"").await.status,
        200
    );
}

#[tokio::test]
async fn malformed_xml_and_garbage_urls_get_s3_errors() {
    let f = Fixture::start().await;
    f.create_bucket("junk", None).await;
    for body in [
        "<CORSConfiguration><CORSRule>",
        "not xml at all",
        "<a></b>",
        "\u{0}\u{1}",
    ] {
        let r = f.put_cors("junk", body).await;
        assert_error(
            &r,
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        );
    }
    let del = "<Delete><Object><Key>x</Key></Object>";
    let r = f
        .send(
            Auth::Signed,
            "POST",
            "/junk?delete",
            &[("content-md5", &content_md5(del.as_bytes()))],
            del.as_bytes(),
        )
        .await;
    assert_eq!(r.error_field("Code").as_deref(), Some("MalformedXML"));
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/junk2",
            &[],
            b"<CreateBucketConfiguration><LocationConstraint>",
        )
        .await;
    assert_eq!(r.error_field("Code").as_deref(), Some("MalformedXML"));
    let r = f.send(Auth::Anonymous, "GET", "/junk/%zz%", &[], b"").await;
    assert_error(&r, 400, "InvalidURI", "Couldn't parse the specified URI.");
    let r = f
        .send(Auth::Anonymous, "GET", "/junk/%C3%28", &[], b"")
        .await;
    assert_error(&r, 400, "InvalidURI", "Couldn't parse the specified URI.");
    let long = format!("/junk/{}", "k".repeat(5000));
    let r = f.send(Auth::Anonymous, "GET", &long, &[], b"").await;
    assert_error(&r, 400, "KeyTooLongError", "Your key is too long");
    // `..` is a literal key segment, never resolved (raw TCP: HTTP clients normalise it).
    f.create_bucket("dots", Some("public-read-write")).await;
    let addr = f.server.addr();
    let (put, get) = tokio::task::spawn_blocking(move || {
        let put = raw_exchange(
            addr,
            b"PUT /dots/a/../b HTTP/1.1\r\nHost: x\r\nx-amz-acl: public-read\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndots",
        );
        let get = raw_exchange(addr, b"GET /dots/a/../b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        (put, get)
    })
    .await
    .unwrap();
    assert!(put.starts_with("HTTP/1.1 200"), "{put}");
    assert!(
        get.starts_with("HTTP/1.1 200") && get.ends_with("dots"),
        "{get}"
    );
    let r = f.send(Auth::Anonymous, "GET", "/dots/b", &[], b"").await;
    assert_eq!(r.status, 404);
}

/// Sends raw bytes and returns whatever comes back before the server closes or 2 s pass.
fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn raw_garbage_and_odd_headers_do_not_take_the_server_down() {
    let f = Fixture::start().await;
    f.create_bucket("raw", None).await;
    let addr = f.server.addr();
    let requests: [&[u8]; 7] = [
        // Non-UTF-8 header values (Origin, Authorization).
        b"OPTIONS /raw/k HTTP/1.1\r\nHost: x\r\nOrigin: http://\xff\xfe\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
        b"GET /raw/k HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 \xff\r\nConnection: close\r\n\r\n",
        // No Host header at all, an absolute-form URI, a request line of garbage, binary noise.
        b"GET /raw HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET http://127.0.0.1/raw/k HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"BLAH\r\n\r\n",
        &[0u8, 159, 146, 150, 13, 10, 13, 10],
        // A body shorter than its Content-Length, then the client goes away.
        b"PUT /raw/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort",
    ];
    let answers = tokio::task::spawn_blocking(move || {
        requests
            .iter()
            .map(|r| raw_exchange(addr, r))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(answers[0].starts_with("HTTP/1.1 403"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 400"), "{}", answers[1]);
    assert!(answers[1].contains("<Code>"), "{}", answers[1]);
    assert!(answers[2].starts_with("HTTP/1.1 403"), "{}", answers[2]);
    assert!(answers[3].starts_with("HTTP/1.1 403"), "{}", answers[3]);
    assert!(
        answers[4].starts_with("HTTP/1.1 400") || answers[4].is_empty(),
        "{}",
        answers[4]
    );
    // Still serving.
    let r = f.send(Auth::Signed, "HEAD", "/raw", &[], b"").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_the_server_keeps_serving() {
    let f =
        Fixture::start_adjusted(|cfg| cfg.header_read_timeout = Duration::from_millis(300)).await;
    let addr = f.server.addr();
    let closed = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let mut out = Vec::new();
        let started = std::time::Instant::now();
        let _ = s.read_to_end(&mut out);
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(closed < Duration::from_secs(4), "closed after {closed:?}");
    assert_eq!(f.send(Auth::Signed, "GET", "/", &[], b"").await.status, 200);
}

#[tokio::test]
async fn virtual_hosted_object_operations() {
    let f = Fixture::start().await;
    f.create_bucket("vhb", None).await;
    let url = format!(
        "http://vhb.localhost:{}/dir/file.txt",
        f.server.addr().port()
    );
    let r = f.send_url(Auth::Signed, "PUT", &url, &[], b"virtual").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f
        .send(Auth::Signed, "GET", "/vhb/dir/file.txt", &[], b"")
        .await;
    assert_eq!(r.body, "virtual");
    let list = format!(
        "http://vhb.localhost:{}/?list-type=2",
        f.server.addr().port()
    );
    let r = f.send_url(Auth::Signed, "GET", &list, &[], b"").await;
    assert!(r.body.contains("<Key>dir/file.txt</Key>"), "{}", r.body);
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let f = Fixture::start().await;
    let addr = f.server.addr();
    assert_eq!(f.send(Auth::Signed, "GET", "/", &[], b"").await.status, 200);
    tokio::time::timeout(Duration::from_secs(10), f.server.shutdown())
        .await
        .expect("shutdown finishes");
    assert!(std::net::TcpStream::connect(addr).is_err());
}
