//! `s3cors explain` on the seed scenario (bucket rule: origin `http://localhost:8000`,
//! GET + HEAD, ExposeHeader ETag, MaxAge 3000) and its two common mistakes: `*` as the origin
//! with credentials, and a rule that forgets GET. Runs the real binary and checks the sentences
//! a web developer needs to see.

use crate::util;
use std::path::PathBuf;

const ORIGIN: &str = "http://localhost:8000";

const SEED_YAML: &str = "\
- allowed_origins: [http://localhost:8000]
  allowed_methods: [GET, HEAD]
  expose_headers: [ETag]
  max_age_seconds: 3000
";

const STAR_YAML: &str = "\
- allowed_origins: ['*']
  allowed_methods: [GET, HEAD]
  expose_headers: [ETag]
  max_age_seconds: 3000
";

const NO_GET_XML: &str = "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
<CORSRule><AllowedOrigin>http://localhost:8000</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>\
<AllowedMethod>PUT</AllowedMethod><ExposeHeader>ETag</ExposeHeader>\
<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>";

const NO_EXPOSE_JSON: &str = r#"{"CORSRules": [{"AllowedOrigins": ["http://localhost:8000"],
  "AllowedMethods": ["GET", "HEAD"], "MaxAgeSeconds": 3000}]}"#;

/// A configuration file in its own scratch directory (removed when dropped).
struct ConfigFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// Writes `content` to `name` in a fresh scratch directory.
fn config_file(name: &str, content: &str) -> ConfigFile {
    let dir = util::scratch("explain");
    let path = util::write_files(dir.path(), &[(name, content)]).join(name);
    ConfigFile { _dir: dir, path }
}

/// Runs `s3cors explain --config <file> --origin ORIGIN --object image.jpg <extra…>`.
fn explain(config: &ConfigFile, extra: &[&str]) -> (i32, String) {
    let out = util::s3cors()
        .arg("explain")
        .arg("--config")
        .arg(&config.path)
        .args(["--origin", ORIGIN, "--object", "image.jpg"])
        .args(extra)
        .run();
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
    assert!(
        !out.stdout.contains('\x1b'),
        "no colour when not on a terminal"
    );
    (out.code.unwrap_or(-1), out.stdout)
}

#[test]
fn seed_get_with_credentials_is_allowed_and_etag_readable() {
    let cfg = config_file("seed.yaml", SEED_YAML);
    let (code, out) = explain(&cfg, &["--credentials", "include"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rule 1  USED"), "{out}");
    assert!(
        out.contains("Preflight     not sent: GET is CORS-safelisted"),
        "{out}"
    );
    assert!(
        out.contains("Access-Control-Allow-Origin: http://localhost:8000"),
        "{out}"
    );
    assert!(
        out.contains("Access-Control-Allow-Credentials: true"),
        "{out}"
    );
    assert!(out.contains("Verdict       ALLOWED"), "{out}");
    assert!(
        out.contains("Readable      content-length, content-type, etag, last-modified"),
        "{out}"
    );
    assert!(out.contains("Fix           nothing to fix"), "{out}");
}

#[test]
fn seed_get_with_a_suffix_range_is_preflighted_and_refused() {
    let cfg = config_file("seed-pre.yaml", SEED_YAML);
    // `Range: bytes=-500` is not CORS-safelisted (no start), so the GET needs a preflight,
    // and the seed rule has no AllowedHeader.
    let (code, out) = explain(&cfg, &["--header", "Range: bytes=-500"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Preflight     sent, because the header range is not CORS-safelisted"),
        "{out}"
    );
    assert!(
        out.contains("S3 answers    403 AccessForbidden, without CORS headers"),
        "{out}"
    );
    assert!(
        out.contains(
            "Response to preflight request doesn't pass access control check: No \
             'Access-Control-Allow-Origin' header is present on the requested resource."
        ),
        "{out}"
    );
    assert!(
        out.contains("Rule 1 does not allow the request header range"),
        "{out}"
    );
    assert!(
        out.contains("Actual        never sent: the preflight failed"),
        "{out}"
    );
}

#[test]
fn accepted_preflight_is_cached_3000_seconds() {
    let cfg = config_file(
        "seed-headers.yaml",
        &format!("{SEED_YAML}  allowed_headers: ['*']\n"),
    );
    let (code, out) = explain(&cfg, &["--header", "x-amz-meta-a: 1"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Access-Control-Request-Headers: x-amz-meta-a"),
        "{out}"
    );
    assert!(out.contains("S3 answers    200 OK (rule 1)"), "{out}");
    assert!(
        out.contains("Access-Control-Allow-Headers: x-amz-meta-a"),
        "{out}"
    );
    assert!(
        out.contains("accepts the preflight; cached 3000 s by Chromium, 3000 s by Firefox"),
        "{out}"
    );
}

#[test]
fn mistake_wildcard_origin_with_credentials() {
    let cfg = config_file("star.yaml", STAR_YAML);
    let (code, out) = explain(&cfg, &["--credentials", "include"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("any origin is allowed (\"*\")"), "{out}");
    assert!(out.contains("Access-Control-Allow-Origin: *"), "{out}");
    assert!(out.contains("Verdict       BLOCKED"), "{out}");
    assert!(
        out.contains(
            "The value of the 'Access-Control-Allow-Origin' header in the response must not be \
             the wildcard '*' when the request's credentials mode is 'include'."
        ),
        "{out}"
    );
    assert!(
        out.contains("has been blocked by CORS policy"),
        "console line: {out}"
    );
    assert!(
        out.contains("list \"http://localhost:8000\" in a rule without \"*\""),
        "{out}"
    );
    // Without credentials the same configuration works.
    let (code, out) = explain(&cfg, &["--credentials", "omit"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn mistake_rule_forgets_get() {
    let cfg = config_file("noget.xml", NO_GET_XML);
    let (code, out) = explain(&cfg, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("GET not allowed (AllowedMethod: HEAD, PUT)"),
        "{out}"
    );
    assert!(out.contains("no rule matches this request"), "{out}");
    assert!(out.contains("no CORS headers (no rule matches)"), "{out}");
    assert!(
        out.contains(
            "No 'Access-Control-Allow-Origin' header is present on the requested resource."
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "Rule 1 allows http://localhost:8000 but not GET: add \
             <AllowedMethod>GET</AllowedMethod> (it allows HEAD, PUT)."
        ),
        "{out}"
    );
}

#[test]
fn mistake_expose_header_missing_makes_etag_unreadable() {
    let cfg = config_file("noexpose.json", NO_EXPOSE_JSON);
    let (code, out) = explain(&cfg, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "Not readable  accept-ranges, date, etag, server, x-amz-id-2, x-amz-request-id"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "The script cannot read ETag: add <ExposeHeader>ETag</ExposeHeader> to rule 1."
        ),
        "{out}"
    );
}

#[test]
fn seed_img_without_crossorigin_loads_opaque() {
    let cfg = config_file("seed-img.yaml", SEED_YAML);
    let (code, out) = explain(&cfg, &["--mode", "no-cors"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("no CORS headers (no Origin was sent)"),
        "{out}"
    );
    assert!(
        out.contains("the image loads, but the response is opaque"),
        "{out}"
    );
    assert!(out.contains("reuse that cached answer"), "{out}");
}

#[test]
fn origin_with_trailing_slash_is_a_near_miss() {
    let cfg = config_file(
        "slash.yaml",
        "- allowed_origins: [http://localhost:8000/]\n  allowed_methods: [GET]\n",
    );
    let (code, out) = explain(&cfg, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("S3 compares origins as exact text"), "{out}");
}

#[test]
fn json_output_carries_verdict_and_fixes() {
    let cfg = config_file("star-json.yaml", STAR_YAML);
    let (code, out) = explain(&cfg, &["--credentials", "include", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["verdict"]["allowed"], false);
    assert_eq!(v["preflight"]["needed"], false);
    assert_eq!(v["rules"][0]["chosen"], true);
    assert_eq!(
        v["actual"]["response"]["headers"][0],
        serde_json::json!(["Access-Control-Allow-Origin", "*"])
    );
    assert!(v["fixes"][0].as_str().unwrap_or("").contains("\"*\""));
}

#[test]
fn invalid_configuration_is_reported_not_explained() {
    let cfg = config_file(
        "bad.yaml",
        "- allowed_origins: [http://a]\n  allowed_methods: [PATCH]\n",
    );
    let out = util::s3cors()
        .args(["explain", "--origin", ORIGIN, "--config"])
        .arg(&cfg.path)
        .expect_code(2);
    let stderr = out.stderr;
    assert!(
        stderr.contains("S3 would reject this configuration: Found unsupported HTTP method in CORS config. Unsupported method is PATCH (InvalidRequest)"),
        "{stderr}"
    );
}
