//! The embedded server against spec §6 (the complete CORS decision table), one test per row,
//! over real HTTP: exact status, CORS headers and error-body fields. Plus the §3.3 (a
//! preflight ignores auth and presign parameters), §3.5 (OPTIONS on `/`), §4.5 (CORS headers
//! on errors) and §5 (wire spelling and order) details.

use crate::util::server::{Auth, Fixture, Resp, assert_error, cors_xml};
use std::io::{Read, Write};

const ORIGIN: &str = "http://localhost:8000";
const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
const NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

/// A server with bucket `cors` (configured: GET/HEAD from ORIGIN with headers, expose and
/// max-age; PUT from `*`), bucket `plain` (no CORS), each holding `obj.txt`.
async fn fixture() -> Fixture {
    let f = Fixture::start().await;
    f.create_bucket("cors", None).await;
    f.create_bucket("plain", None).await;
    let xml = cors_xml(&[
        (
            &[ORIGIN],
            &["GET", "HEAD"],
            &["x-amz-*", "content-type"],
            &["ETag", "x-amz-request-id"],
            Some(3000),
        ),
        (&["*"], &["PUT"], &[], &[], None),
    ]);
    let r = f.put_cors("cors", &xml).await;
    assert_eq!(r.status, 200, "put cors: {}", r.body);
    assert_eq!(r.body, "");
    f.put_object("cors", "obj.txt", b"hello", Some("public-read"))
        .await;
    f.put_object("plain", "obj.txt", b"hello", Some("public-read"))
        .await;
    f
}

async fn options(f: &Fixture, path: &str, headers: &[(&str, &str)]) -> Resp {
    f.send(Auth::Anonymous, "OPTIONS", path, headers, b"").await
}

fn assert_no_cors(r: &Resp) {
    assert_eq!(r.cors_headers(), vec![], "no CORS headers expected");
}

fn assert_chunked_error(r: &Resp, connection_close: bool) {
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("connection") == Some("close"), connection_close);
}

// Row 1: OPTIONS, no Origin, any bucket state → 400 BadRequest.
#[tokio::test]
async fn row1_options_without_origin_is_400_for_any_bucket_state() {
    let f = fixture().await;
    for path in [
        "/cors/obj.txt",
        "/plain/obj.txt",
        "/missing/obj.txt",
        "/cors",
    ] {
        let r = options(&f, path, &[("Access-Control-Request-Method", "GET")]).await;
        assert_error(
            &r,
            400,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
        );
        assert_eq!(r.error_field("Method"), None, "BadRequest has no Method");
        assert_eq!(r.error_field("ResourceType"), None);
        assert_chunked_error(&r, true);
        assert_no_cors(&r);
    }
}

// Row 2: OPTIONS, Origin, bucket missing → 403 AccessForbidden "Bucket not found".
#[tokio::test]
async fn row2_options_on_missing_bucket_is_403_bucket_not_found() {
    let f = fixture().await;
    let r = options(&f, "/missing/obj.txt", &[("Origin", ORIGIN)]).await;
    assert_error(&r, 403, "AccessForbidden", "CORSResponse: Bucket not found");
    assert_eq!(r.error_field("Method").as_deref(), Some("OPTIONS"));
    assert_eq!(r.error_field("ResourceType").as_deref(), Some("BUCKET"));
    assert_chunked_error(&r, false);
    assert_no_cors(&r);
}

// Row 3: OPTIONS, Origin ± ACRM, no configuration → 403 "CORS is not enabled".
#[tokio::test]
async fn row3_options_without_configuration_is_403_not_enabled() {
    let f = fixture().await;
    let r = options(
        &f,
        "/plain/obj.txt",
        &[("Origin", ORIGIN), ("Access-Control-Request-Method", "PUT")],
    )
    .await;
    assert_error(
        &r,
        403,
        "AccessForbidden",
        "CORSResponse: CORS is not enabled for this bucket.",
    );
    assert_eq!(r.error_field("Method").as_deref(), Some("PUT"));
    assert_eq!(
        r.error_field("ResourceType").as_deref(),
        Some("BUCKET"),
        "BUCKET even on an object URL"
    );
    assert_no_cors(&r);
    let r = options(&f, "/plain/obj.txt", &[("Origin", ORIGIN)]).await;
    assert_eq!(r.error_field("Method").as_deref(), Some("OPTIONS"));
    assert_chunked_error(&r, false);
}

// Row 4: OPTIONS, Origin, no ACRM, configuration → 400 "Invalid Access-Control-Request-Method: null".
#[tokio::test]
async fn row4_options_without_acrm_on_configured_bucket_is_400() {
    let f = fixture().await;
    let r = options(&f, "/cors/obj.txt", &[("Origin", ORIGIN)]).await;
    assert_error(
        &r,
        400,
        "BadRequest",
        "Invalid Access-Control-Request-Method: null",
    );
    assert_no_cors(&r);
}

// Row 5: OPTIONS, Origin, ACRM, no rule matches → 403 "not allowed", OBJECT/BUCKET.
#[tokio::test]
async fn row5_options_without_matching_rule_is_403_not_allowed() {
    let f = fixture().await;
    let r = options(
        &f,
        "/cors/obj.txt",
        &[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
    )
    .await;
    assert_error(&r, 403, "AccessForbidden", NOT_ALLOWED);
    assert_eq!(r.error_field("Method").as_deref(), Some("GET"));
    assert_eq!(r.error_field("ResourceType").as_deref(), Some("OBJECT"));
    assert_chunked_error(&r, false);
    assert_no_cors(&r);
    let r = options(
        &f,
        "/cors",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "DELETE"),
        ],
    )
    .await;
    assert_error(&r, 403, "AccessForbidden", NOT_ALLOWED);
    assert_eq!(r.error_field("Method").as_deref(), Some("DELETE"));
    assert_eq!(r.error_field("ResourceType").as_deref(), Some("BUCKET"));
    // A requested header the rule does not allow.
    let r = options(
        &f,
        "/cors/obj.txt",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-unknown"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
}

// Row 6: OPTIONS, match → 200, empty, CORS headers + Vary.
#[tokio::test]
async fn row6_matching_preflight_is_200_with_cors_headers() {
    let f = fixture().await;
    let r = options(
        &f,
        "/cors/obj.txt",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Amz-Date,Content-Type"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, "");
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(r.header("content-type"), None);
    assert_eq!(
        r.cors_headers(),
        vec![
            (
                "access-control-allow-origin".to_string(),
                ORIGIN.to_string()
            ),
            (
                "access-control-allow-methods".to_string(),
                "GET, HEAD".to_string()
            ),
            (
                "access-control-allow-headers".to_string(),
                "x-amz-date, content-type".to_string()
            ),
            (
                "access-control-expose-headers".to_string(),
                "ETag, x-amz-request-id".to_string()
            ),
            ("access-control-max-age".to_string(), "3000".to_string()),
            (
                "access-control-allow-credentials".to_string(),
                "true".to_string()
            ),
            ("vary".to_string(), VARY.to_string()),
        ]
    );
    // Wildcard origin: ACAO `*`, no credentials; a key that does not exist is fine (§3.3).
    let r = options(
        &f,
        "/cors/no-such-key",
        &[
            ("Origin", "http://any.example"),
            ("Access-Control-Request-Method", "PUT"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-methods"), Some("PUT"));
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert_eq!(r.header("vary"), Some(VARY));
}

// Row 7: non-OPTIONS, no Origin → normal response, no CORS headers.
#[tokio::test]
async fn row7_actual_request_without_origin_gets_no_cors() {
    let f = fixture().await;
    let r = f
        .send(Auth::Anonymous, "GET", "/cors/obj.txt", &[], b"")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello");
    assert_no_cors(&r);
}

// Row 8: non-OPTIONS, Origin, bucket missing or without configuration → normal, no CORS.
#[tokio::test]
async fn row8_actual_request_on_missing_or_unconfigured_bucket_gets_no_cors() {
    let f = fixture().await;
    let r = f
        .send(
            Auth::Anonymous,
            "GET",
            "/missing/obj.txt",
            &[("Origin", ORIGIN)],
            b"",
        )
        .await;
    assert_error(
        &r,
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
    assert_eq!(r.error_field("BucketName").as_deref(), Some("missing"));
    assert_no_cors(&r);
    let r = f
        .send(
            Auth::Anonymous,
            "GET",
            "/plain/obj.txt",
            &[("Origin", ORIGIN)],
            b"",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_no_cors(&r);
}

// Row 9: non-OPTIONS, Origin, no match (origin, ACRM or ACRH) → normal, no CORS.
#[tokio::test]
async fn row9_actual_request_without_matching_rule_gets_no_cors() {
    let f = fixture().await;
    for headers in [
        vec![("Origin", "http://evil.example")],
        vec![
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "DELETE"),
        ],
        vec![
            ("Origin", ORIGIN),
            ("Access-Control-Request-Headers", "x-not-allowed"),
        ],
    ] {
        let r = f
            .send(Auth::Anonymous, "GET", "/cors/obj.txt", &headers, b"")
            .await;
        assert_eq!(r.status, 200, "{headers:?}");
        assert_eq!(r.body, "hello");
        assert_no_cors(&r);
    }
    // CORS never blocks: a DELETE from an origin with no DELETE rule still deletes (§4.4).
    let r = f
        .send(
            Auth::Signed,
            "DELETE",
            "/cors/obj.txt",
            &[("Origin", ORIGIN)],
            b"",
        )
        .await;
    assert_eq!(r.status, 204);
    assert_no_cors(&r);
}

// Row 10: non-OPTIONS, Origin, match → normal response (success or error) + CORS + Vary.
#[tokio::test]
async fn row10_actual_request_with_match_gets_cors_even_on_errors() {
    let f = fixture().await;
    let r = f
        .send(
            Auth::Anonymous,
            "GET",
            "/cors/obj.txt",
            &[("Origin", ORIGIN)],
            b"",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.cors_headers(),
        vec![
            (
                "access-control-allow-origin".to_string(),
                ORIGIN.to_string()
            ),
            (
                "access-control-allow-methods".to_string(),
                "GET, HEAD".to_string()
            ),
            (
                "access-control-expose-headers".to_string(),
                "ETag, x-amz-request-id".to_string()
            ),
            ("access-control-max-age".to_string(), "3000".to_string()),
            (
                "access-control-allow-credentials".to_string(),
                "true".to_string()
            ),
            ("vary".to_string(), VARY.to_string()),
        ]
    );
    // §4.5: a 404 for a missing key keeps them.
    let r = f
        .send(
            Auth::Signed,
            "GET",
            "/cors/missing-key",
            &[("Origin", ORIGIN)],
            b"",
        )
        .await;
    assert_error(&r, 404, "NoSuchKey", "The specified key does not exist.");
    assert_eq!(r.error_field("Key").as_deref(), Some("missing-key"));
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(r.header("vary"), Some(VARY));
    // §4.2/§4.5: an anonymous PUT refused 403, matched through the `*` PUT rule.
    let r = f
        .send(
            Auth::Anonymous,
            "PUT",
            "/cors/new.txt",
            &[("Origin", "http://x.example")],
            b"data",
        )
        .await;
    assert_error(&r, 403, "AccessDenied", "Access Denied");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-methods"), Some("PUT"));
    // §4.2: a PUT carrying ACRM GET gets the GET rule's headers.
    let r = f
        .send(
            Auth::Signed,
            "PUT",
            "/cors/put.txt",
            &[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")],
            b"x",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, HEAD"));
    // §4.2: allowed ACRH on an actual request is echoed lower-cased.
    let r = f
        .send(
            Auth::Anonymous,
            "GET",
            "/cors/obj.txt",
            &[
                ("Origin", ORIGIN),
                ("Access-Control-Request-Headers", "X-Amz-Meta-A"),
            ],
            b"",
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("x-amz-meta-a")
    );
}

// §3.3: a preflight needs no auth: a bogus Authorization header and presign parameters are ignored.
#[tokio::test]
async fn preflight_ignores_authorization_and_presign_parameters() {
    let f = fixture().await;
    let r = options(
        &f,
        "/cors/obj.txt",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "GET"),
            ("Authorization", "AWS fakeKey:fakesignature"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    let presigned = "/cors/obj.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=nope%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    let r = options(
        &f,
        presigned,
        &[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = options(&f, presigned, &[]).await;
    assert_eq!(r.status, 400);
}

// §3.5: OPTIONS on the service endpoint is 403 without CORS headers; ListBuckets has no CORS.
#[tokio::test]
async fn service_endpoint_never_gets_cors() {
    let f = fixture().await;
    let r = options(
        &f,
        "/",
        &[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")],
    )
    .await;
    assert_eq!(r.status, 403);
    assert_no_cors(&r);
    let r = f
        .send(Auth::Signed, "GET", "/", &[("Origin", ORIGIN)], b"")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<Name>cors</Name>"));
    assert_no_cors(&r);
}

// §3.4: virtual-hosted addressing answers the same.
#[tokio::test]
async fn virtual_hosted_preflight_matches_path_style() {
    let f = fixture().await;
    f.create_bucket("vhb", None).await;
    let xml = cors_xml(&[(&["*"], &["GET"], &[], &[], None)]);
    assert_eq!(f.put_cors("vhb", &xml).await.status, 200);
    let url = format!("http://vhb.localhost:{}/some/key", f.server.addr().port());
    let r = f
        .send_url(
            Auth::Anonymous,
            "OPTIONS",
            &url,
            &[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")],
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = f
        .send_url(
            Auth::Anonymous,
            "OPTIONS",
            &url,
            &[("Origin", ORIGIN), ("Access-Control-Request-Method", "PUT")],
            b"",
        )
        .await;
    assert_eq!(r.error_field("ResourceType").as_deref(), Some("OBJECT"));
}

// §1.5/§1.6: GetBucketCors 200/404 and DeleteBucketCors 204.
#[tokio::test]
async fn get_and_delete_bucket_cors() {
    let f = fixture().await;
    let r = f.send(Auth::Signed, "GET", "/cors?cors", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("<AllowedOrigin>http://localhost:8000</AllowedOrigin>"),
        "{}",
        r.body
    );
    assert_eq!(r.header("content-type"), Some("application/xml"));
    let r = f.send(Auth::Signed, "DELETE", "/cors?cors", &[], b"").await;
    assert_eq!(r.status, 204);
    let r = f.send(Auth::Signed, "DELETE", "/cors?cors", &[], b"").await;
    assert_eq!(r.status, 204, "also without a configuration");
    let r = f.send(Auth::Signed, "GET", "/cors?cors", &[], b"").await;
    assert_error(
        &r,
        404,
        "NoSuchCORSConfiguration",
        "The CORS configuration does not exist",
    );
    assert_eq!(r.error_field("BucketName").as_deref(), Some("cors"));
    assert!(r.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchCORSConfiguration</Code><Message>The CORS configuration does not exist</Message><BucketName>cors</BucketName><RequestId>"));
    assert_chunked_error(&r, false);
}

// §1.3/§1.4: validation errors come from the model, rendered as S3 errors.
#[tokio::test]
async fn put_bucket_cors_validation_and_checksum() {
    let f = fixture().await;
    let r = f.put_cors("plain", "<CORSConfiguration/>").await;
    assert_error(
        &r,
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    );
    let bad = cors_xml(&[(&["*"], &["MYMETHOD"], &[], &[], None)]);
    let r = f.put_cors("plain", &bad).await;
    assert_error(
        &r,
        400,
        "InvalidRequest",
        "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD",
    );
    let good = cors_xml(&[(&["*"], &["GET"], &[], &[], None)]);
    let r = f
        .send(Auth::Signed, "PUT", "/plain?cors", &[], good.as_bytes())
        .await;
    assert_eq!(r.status, 400, "no Content-MD5 nor checksum: {}", r.body);
    assert_eq!(r.error_field("Code").as_deref(), Some("InvalidRequest"));
    let r = f.put_cors("missing", &good).await;
    assert_error(
        &r,
        404,
        "NoSuchBucket",
        "The specified bucket does not exist",
    );
    let r = f
        .send(Auth::Anonymous, "PUT", "/plain?cors", &[], good.as_bytes())
        .await;
    assert_error(&r, 403, "AccessDenied", "Access Denied");
}

// §5.1/§5.2: AWS's header-name spelling and order on the wire.
#[tokio::test]
async fn wire_header_spelling_and_order() {
    let f = fixture().await;
    let addr = f.server.addr();
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let req = format!(
            "OPTIONS /cors/obj.txt HTTP/1.1\r\nHost: {addr}\r\nOrigin: {ORIGIN}\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-amz-date\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    let names: Vec<&str> = raw
        .split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(n, _)| n))
        // hyper answers the client's `Connection: close` in kind; not part of AWS's set.
        .filter(|n| *n != "Connection")
        .collect();
    assert_eq!(
        names,
        [
            "x-amz-id-2",
            "x-amz-request-id",
            "Date",
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Headers",
            "Access-Control-Expose-Headers",
            "Access-Control-Max-Age",
            "Access-Control-Allow-Credentials",
            "Vary",
            "Server",
            "Content-Length",
        ],
        "{raw}"
    );
}
