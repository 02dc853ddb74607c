//! `s3cors explain --bucket`: the configuration is read from a live bucket (GetBucketCors,
//! signed with the `AWS_*` environment), here the embedded server on a free port.

use crate::util::{self, server::Fixture};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use s3cors::s3::{Auth, S3Request};
use s3cors::target::Target;

const SEED_XML: &str = "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
<CORSRule><AllowedOrigin>http://localhost:8000</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
<AllowedMethod>HEAD</AllowedMethod><ExposeHeader>ETag</ExposeHeader>\
<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>";

fn run_explain(endpoint: &str, bucket: &str, extra: &[&str]) -> (i32, String, String) {
    let run = util::s3cors()
        .args(["explain", "--bucket", bucket, "--endpoint", endpoint])
        .args(["--origin", "http://localhost:8000", "--object", "image.jpg"])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", util::server::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", util::server::SECRET_KEY)
        .env("AWS_REGION", util::server::REGION)
        .env_remove("AWS_SESSION_TOKEN")
        .run();
    (run.code.unwrap_or(-1), run.stdout, run.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_reads_the_bucket_configuration() {
    let server = Fixture::start().await;
    let endpoint = server.endpoint.clone();
    let target = server.target();

    for bucket in ["explain-seed", "explain-plain"] {
        let resp = target
            .send(&S3Request::new("PUT", Some(bucket), None, Auth::Signed))
            .await
            .expect("CreateBucket");
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    }
    let mut put = S3Request::new("PUT", Some("explain-seed"), None, Auth::Signed);
    put.query.push(("cors".into(), None));
    put.body = SEED_XML.as_bytes().to_vec();
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&put.body));
    put.headers.push(("Content-MD5".into(), md5));
    let resp = target.send(&put).await.expect("PutBucketCors");
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));

    let ep = endpoint.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run_explain(&ep, "explain-seed", &["--credentials", "include"])
    })
    .await
    .expect("join");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rule 1  USED"), "{out}");
    assert!(out.contains("Verdict       ALLOWED"), "{out}");
    assert!(out.contains("etag"), "{out}");

    let ep = endpoint.clone();
    let (code, out, err) =
        tokio::task::spawn_blocking(move || run_explain(&ep, "explain-plain", &[]))
            .await
            .expect("join");
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("has no CORS configuration"), "{out}");
    assert!(
        out.contains("No 'Access-Control-Allow-Origin' header is present"),
        "{out}"
    );

    let ep = endpoint.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run_explain(&ep, "explain-missing", &["--method", "PUT"])
    })
    .await
    .expect("join");
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("The bucket does not exist"), "{out}");
    assert!(out.contains("CORSResponse: Bucket not found"), "{out}");

    server.shutdown().await;
}
