//! `s3cors explain`: which CORS rule a request hits, what S3 answers, and what the browser
//! makes of it — in plain words.
//!
//! This is the tool for the moment the console says "No 'Access-Control-Allow-Origin' header is
//! present". It chains the two pure models: [`crate::cors`] decides what Amazon S3 sends (rule
//! matching, preflight and actual-request headers), [`crate::browser`] decides what a browser
//! does with it (Fetch's preflight and CORS checks). Nothing here re-implements either; this
//! module only gathers inputs, runs them in the order a browser would, and words the result.
//!
//! The configuration comes from a file (CORSConfiguration XML; or YAML/JSON rules in the
//! case-file shape, or the AWS CLI / console shape with `AllowedOrigins` etc.) or from a live
//! bucket (GetBucketCors, SigV4-signed with the usual `AWS_*` settings).
//!
//! Exit code: 0 when the browser lets the request through, 1 when it blocks it, 2 for bad
//! input (unreadable or unparsable configuration, bad `--header`).

use crate::browser::{self, BrowserRequest, Credentials, Mode, Verdict, VerdictKind};
use crate::cli::{EXIT_FAILURES, EXIT_OK, EXIT_USAGE};
use crate::cors::matching::{self, RuleVerdict};
use crate::cors::{
    BucketCors, CorsConfiguration, CorsHeaders, CorsRequest, CorsRule, Preflight, ResourceType,
    evaluate,
};
use crate::s3::{Auth, S3Request};
use crate::target::{Target, endpoint};
use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

/// Arguments of `s3cors explain`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["config", "bucket"])))]
pub struct Args {
    /// CORS configuration file: CORSConfiguration XML, or YAML/JSON rules (case-file shape
    /// `allowed_origins:` …, or the AWS CLI/console shape `AllowedOrigins` …).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the configuration from this bucket (GetBucketCors with AWS_* credentials).
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,
    /// S3 endpoint for `--bucket` (default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The page's origin, as the browser sends it (`http://localhost:8000`).
    #[arg(long)]
    pub origin: String,
    /// The request method the page uses.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A request header the script sets; repeatable.
    #[arg(long = "header", value_name = "NAME[:VALUE]")]
    pub headers: Vec<String>,
    /// The request's credentials mode (`fetch()` defaults to same-origin).
    #[arg(long, default_value = "same-origin", value_parser = parse_credentials)]
    pub credentials: Credentials,
    /// `no-cors` models an `<img>` without `crossorigin`.
    #[arg(long, default_value = "cors", value_parser = parse_mode)]
    pub mode: Mode,
    /// Object key the request addresses; without it, the bucket URL.
    #[arg(long, value_name = "KEY")]
    pub object: Option<String>,
    /// A response header the script needs to read; repeatable (ETag is always checked).
    #[arg(long = "read", value_name = "HEADER")]
    pub read: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

fn parse_credentials(s: &str) -> Result<Credentials, String> {
    s.parse()
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    match s {
        "cors" => Ok(Mode::Cors),
        "no-cors" => Ok(Mode::NoCors),
        other => Err(format!("unknown mode {other:?} (expected cors or no-cors)")),
    }
}

/// Runs `s3cors explain`; returns the exit code.
pub fn main(args: Args) -> anyhow::Result<u8> {
    let mut req = BrowserRequest::fetch(&args.origin, &args.method, args.credentials);
    req.mode = args.mode;
    for h in &args.headers {
        let (name, value) = h.split_once(':').unwrap_or((h.as_str(), ""));
        let name = name.trim();
        if !crate::browser::request::is_token(name) {
            eprintln!("error: --header {h:?}: {name:?} is not a valid header name");
            return Ok(EXIT_USAGE);
        }
        req.headers
            .push((name.to_string(), value.trim().to_string()));
    }

    let (source, url) = match (&args.config, &args.bucket) {
        (Some(path), _) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    return Ok(EXIT_USAGE);
                }
            };
            match parse_config(&text) {
                Ok(config) => (
                    Source::File(config),
                    example_url(args.bucket.as_deref(), args.object.as_deref()),
                ),
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return Ok(EXIT_USAGE);
                }
            }
        }
        (None, Some(bucket)) => fetch_bucket(bucket, args.endpoint.as_deref(), &args)?,
        (None, None) => {
            eprintln!("error: give --config FILE or --bucket NAME");
            return Ok(EXIT_USAGE);
        }
    };

    let resource = if args.object.is_some() {
        ResourceType::Object
    } else {
        ResourceType::Bucket
    };
    let explanation = explain(&source, &req, resource, &url, &args.read);

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &explanation)?;
        writeln!(out)?;
    } else {
        let style = Style {
            on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        out.write_all(render(&explanation, &style).as_bytes())?;
    }
    Ok(if explanation.verdict.allowed {
        EXIT_OK
    } else {
        EXIT_FAILURES
    })
}

/// Where the configuration came from and what state the bucket is in.
#[derive(Debug, Clone)]
pub enum Source {
    File(CorsConfiguration),
    Bucket(BucketState),
}

#[derive(Debug, Clone)]
pub enum BucketState {
    Missing,
    NotConfigured,
    Configured(CorsConfiguration),
}

impl Source {
    fn bucket_cors(&self) -> BucketCors<'_> {
        match self {
            Source::File(c) | Source::Bucket(BucketState::Configured(c)) => {
                BucketCors::Configured(c)
            }
            Source::Bucket(BucketState::NotConfigured) => BucketCors::NotConfigured,
            Source::Bucket(BucketState::Missing) => BucketCors::Missing,
        }
    }

    fn config(&self) -> Option<&CorsConfiguration> {
        match self {
            Source::File(c) | Source::Bucket(BucketState::Configured(c)) => Some(c),
            Source::Bucket(_) => None,
        }
    }
}

fn example_url(bucket: Option<&str>, key: Option<&str>) -> String {
    format!(
        "https://{}.s3.amazonaws.com/{}",
        bucket.unwrap_or("my-bucket"),
        key.unwrap_or("")
    )
}

/// GetBucketCors on a live bucket (signed), and the URL the page would fetch.
fn fetch_bucket(
    bucket: &str,
    endpoint_url: Option<&str>,
    args: &Args,
) -> anyhow::Result<(Source, String)> {
    let target = endpoint::build(
        "explain",
        endpoint_url,
        &endpoint::EndpointOptions::default(),
        &endpoint::process_env,
    )?;
    let mut get_cors = S3Request::new("GET", Some(bucket), None, Auth::Signed);
    get_cors.query.push(("cors".to_string(), None));
    let page_req = S3Request::new("GET", Some(bucket), args.object.as_deref(), Auth::Anonymous);
    let url = target.wire(&page_req)?.url;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let resp = runtime
        .block_on(target.send(&get_cors))
        .with_context(|| format!("GetBucketCors on {bucket}"))?;
    let parsed = crate::s3::parse_error_body(&resp.body);
    let code = parsed.as_ref().and_then(|p| p.get("Code")).unwrap_or("");
    let state = match (resp.status, code) {
        (200, _) => BucketState::Configured(
            CorsConfiguration::from_xml(&resp.body)
                .map_err(|e| anyhow::anyhow!("GetBucketCors answer: {}: {}", e.code, e.message))?,
        ),
        (404, "NoSuchCORSConfiguration") => BucketState::NotConfigured,
        (404, "NoSuchBucket") => BucketState::Missing,
        (status, code) => anyhow::bail!(
            "GetBucketCors on {bucket} answered {status} {code}: {}",
            parsed
                .as_ref()
                .and_then(|p| p.get("Message"))
                .unwrap_or("(no message)")
        ),
    };
    Ok((Source::Bucket(state), url))
}

/// Parses a configuration file: XML when it starts with `<`, otherwise YAML (JSON included).
///
/// XML goes through S3's own validation; YAML/JSON rules are validated the same way so that a
/// configuration S3 would reject is reported instead of explained.
pub fn parse_config(text: &str) -> Result<CorsConfiguration, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return CorsConfiguration::from_xml(trimmed.as_bytes()).map_err(|e| {
            format!(
                "S3 would reject this configuration: {} ({})",
                e.message, e.code
            )
        });
    }
    let value: Value =
        serde_saphyr::from_str(trimmed).map_err(|e| format!("not valid YAML or JSON: {e}"))?;
    let rules = match &value {
        Value::Array(items) => items.as_slice(),
        Value::Object(map) => ["CORSRules", "rules", "cors"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array))
            .map(Vec::as_slice)
            .ok_or("expected a list of rules, or a map with `CORSRules:` or `rules:`")?,
        _ => return Err("expected a list of rules".to_string()),
    };
    let rules = rules
        .iter()
        .enumerate()
        .map(|(i, r)| rule_from_value(r).map_err(|e| format!("rule {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let config = CorsConfiguration { rules };
    config.validate().map_err(|e| {
        format!(
            "S3 would reject this configuration: {} ({})",
            e.message, e.code
        )
    })?;
    Ok(config)
}

/// One rule in either spelling: `allowed_origins` (case files) or `AllowedOrigins` /
/// `AllowedOrigin` (AWS CLI, console, CloudFormation). A single string counts as a list of one.
fn rule_from_value(v: &Value) -> Result<CorsRule, String> {
    let map = v.as_object().ok_or("expected a map")?;
    let mut rule = CorsRule::default();
    for (key, val) in map {
        let norm: String = key
            .chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let list = || -> Result<Vec<String>, String> {
            match val {
                Value::String(s) => Ok(vec![s.clone()]),
                Value::Array(items) => items
                    .iter()
                    .map(|i| scalar(i).ok_or(format!("`{key}` must list strings")))
                    .collect(),
                _ => Err(format!("`{key}` must be a list of strings")),
            }
        };
        match norm.trim_end_matches('s') {
            "allowedorigin" => rule.allowed_origins = list()?,
            "allowedmethod" => rule.allowed_methods = list()?,
            "allowedheader" => rule.allowed_headers = list()?,
            "exposeheader" => rule.expose_headers = list()?,
            "id" => rule.id = Some(scalar(val).ok_or("`ID` must be a string")?),
            "maxagesecond" => {
                rule.max_age_seconds = Some(
                    scalar(val)
                        .and_then(|s| s.parse().ok())
                        .ok_or("`MaxAgeSeconds` must be an integer")?,
                )
            }
            _ => return Err(format!("unknown key `{key}`")),
        }
    }
    Ok(rule)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The whole explanation; also the `--json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub request: RequestOut,
    /// `configured`, `not_configured` (no CORS configuration) or `missing_bucket`.
    pub configuration: &'static str,
    pub rules: Vec<RuleOut>,
    pub preflight: PreflightOut,
    /// The actual request; `None` when the browser never sends it (failed preflight).
    pub actual: Option<ActualOut>,
    /// The final verdict: the preflight's when it blocked, else the actual response's.
    pub verdict: Verdict,
    /// The line Chromium prints when it blocks.
    pub console: Option<String>,
    /// Headers present in the response that the script cannot read.
    pub unreadable_headers: Vec<String>,
    /// One-line fixes for the common mistakes, most important first.
    pub fixes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestOut {
    pub method: String,
    pub url: String,
    pub origin: String,
    pub credentials: Credentials,
    pub mode: Mode,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleOut {
    /// 1-based, as people count.
    pub number: usize,
    pub id: Option<String>,
    /// S3 uses this rule (the first full match).
    pub chosen: bool,
    pub full_match: bool,
    pub origin_match: Option<String>,
    pub method_matched: bool,
    pub unmatched_headers: Vec<String>,
    /// Why, in words.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreflightOut {
    pub needed: bool,
    /// Why the browser preflights (empty when it does not).
    pub why: Vec<String>,
    /// Headers of the `OPTIONS` request the browser sends.
    pub request_headers: Vec<(String, String)>,
    pub response: Option<ResponseOut>,
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseOut {
    pub status: u16,
    /// The CORS headers S3 sends (plus `Content-Length: 0` on a successful preflight).
    pub headers: Vec<(String, String)>,
    /// 1-based number of the rule that produced the headers.
    pub rule: Option<usize>,
    pub error: Option<ErrorOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorOut {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActualOut {
    pub response: ResponseOut,
    /// Names of the other headers a typical successful S3 response carries (modelled).
    pub other_headers: Vec<String>,
    pub verdict: Verdict,
}

/// A typical successful S3 answer to `method` (non-CORS headers only), so the readable-header
/// computation has something realistic to work on. The status is the operation's success.
fn typical_response(method: &str, object: bool) -> (u16, Vec<(String, String)>) {
    let h = |n: &str, v: &str| (n.to_string(), v.to_string());
    let mut headers = vec![
        h("x-amz-id-2", "EXAMPLE"),
        h("x-amz-request-id", "EXAMPLE"),
        h("Date", "Thu, 01 Jan 2026 00:00:00 GMT"),
    ];
    let status = match (method, object) {
        ("GET" | "HEAD", true) => {
            headers.extend([
                h("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT"),
                h("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                h("Accept-Ranges", "bytes"),
                h("Content-Type", "application/octet-stream"),
                h("Content-Length", "1024"),
            ]);
            200
        }
        ("PUT" | "POST", true) => {
            headers.extend([
                h("x-amz-server-side-encryption", "AES256"),
                h("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                h("Content-Length", "0"),
            ]);
            200
        }
        ("DELETE", _) => 204,
        _ => {
            headers.extend([
                h("Content-Type", "application/xml"),
                h("Transfer-Encoding", "chunked"),
            ]);
            200
        }
    };
    headers.push(h("Server", "AmazonS3"));
    (status, headers)
}

fn owned(headers: &CorsHeaders) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Runs the request through S3's model and the browser's, in the browser's order.
pub fn explain(
    source: &Source,
    req: &BrowserRequest,
    resource: ResourceType,
    url: &str,
    read: &[String],
) -> Explanation {
    let bucket = source.bucket_cors();
    let needed = browser::needs_preflight(req);
    let acrh = req.preflight_request_headers();

    // The request S3 matches rules against: the preflight when there is one.
    let preflight_req = CorsRequest {
        method: "OPTIONS",
        origin: Some(&req.origin),
        request_method: Some(&req.method),
        request_headers: acrh.as_deref(),
        resource,
    };
    // Fetch §"append a request `Origin` header": a no-cors GET/HEAD carries no `Origin`.
    let sends_origin = req.mode == Mode::Cors || !matches!(req.method.as_str(), "GET" | "HEAD");
    let actual_req = CorsRequest {
        method: &req.method,
        origin: sends_origin.then_some(req.origin.as_str()),
        request_method: None,
        request_headers: None,
        resource,
    };
    let deciding = if needed { &preflight_req } else { &actual_req };
    let rule_verdicts = source
        .config()
        .filter(|_| sends_origin)
        .map(|c| matching::explain(c, deciding))
        .unwrap_or_default();
    let rules = rule_verdicts
        .iter()
        .zip(source.config().map(|c| c.rules.as_slice()).unwrap_or(&[]))
        .map(|(v, r)| rule_out(v, r, &req.method, &rule_verdicts))
        .collect();

    let mut preflight = PreflightOut {
        needed,
        why: preflight_reasons(req),
        request_headers: Vec::new(),
        response: None,
        verdict: None,
    };
    let mut blocked_by_preflight = None;
    if needed {
        preflight
            .request_headers
            .push(("Origin".into(), req.origin.clone()));
        preflight
            .request_headers
            .push(("Access-Control-Request-Method".into(), req.method.clone()));
        if let Some(v) = &acrh {
            preflight
                .request_headers
                .push(("Access-Control-Request-Headers".into(), v.clone()));
        }
        let chosen = chosen_rule(source, &preflight_req);
        let response = match evaluate::preflight(bucket, &preflight_req) {
            Preflight::Allowed(h) => {
                let mut headers = owned(&h);
                headers.push(("Content-Length".into(), "0".into()));
                ResponseOut {
                    status: 200,
                    headers,
                    rule: chosen,
                    error: None,
                }
            }
            Preflight::Refused(e) => ResponseOut {
                status: e.status,
                headers: Vec::new(),
                rule: None,
                error: Some(ErrorOut {
                    code: e.code.clone(),
                    message: e.message.clone(),
                }),
            },
        };
        let verdict = match browser::check_preflight(req, response.status, &response.headers) {
            Ok(info) => Verdict {
                allowed: true,
                kind: VerdictKind::Preflight,
                needs_preflight: true,
                preflight: Some(Box::new(info)),
                ..Verdict::default()
            },
            Err(v) => {
                blocked_by_preflight = Some(v.clone());
                v
            }
        };
        preflight.response = Some(response);
        preflight.verdict = Some(verdict);
    }

    let actual = blocked_by_preflight.is_none().then(|| {
        let (status, mut headers) = typical_response(&req.method, resource == ResourceType::Object);
        let other_headers = headers.iter().map(|(n, _)| n.clone()).collect();
        let cors = evaluate::actual(bucket, &actual_req);
        let cors_headers = cors.as_ref().map(owned).unwrap_or_default();
        let at = 3.min(headers.len());
        headers.splice(at..at, cors_headers.clone());
        let verdict = Verdict {
            needs_preflight: needed,
            ..browser::check_response(req, status, &headers)
        };
        (
            ActualOut {
                response: ResponseOut {
                    status,
                    headers: cors_headers,
                    rule: cors.as_ref().and(chosen_rule(source, &actual_req)),
                    error: None,
                },
                other_headers,
                verdict,
            },
            headers,
        )
    });

    let (verdict, full_headers) = match (&blocked_by_preflight, &actual) {
        (Some(v), _) => (v.clone(), Vec::new()),
        (None, Some((a, h))) => (a.verdict.clone(), h.clone()),
        (None, None) => (Verdict::default(), Vec::new()),
    };
    let unreadable_headers = if verdict.allowed && verdict.kind == VerdictKind::Actual {
        let mut v: Vec<String> = full_headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .filter(|n| !n.starts_with("access-control-") && n != "vary")
            .filter(|n| !verdict.readable_headers.contains(n))
            .collect();
        v.sort();
        v.dedup();
        v
    } else {
        Vec::new()
    };
    let console = verdict.console_message(url, &req.origin);
    let mut explanation = Explanation {
        request: RequestOut {
            method: req.method.clone(),
            url: url.to_string(),
            origin: req.origin.clone(),
            credentials: req.credentials,
            mode: req.mode,
            headers: req.headers.clone(),
        },
        configuration: match source {
            Source::File(_) | Source::Bucket(BucketState::Configured(_)) => "configured",
            Source::Bucket(BucketState::NotConfigured) => "not_configured",
            Source::Bucket(BucketState::Missing) => "missing_bucket",
        },
        rules,
        preflight,
        actual: actual.map(|(a, _)| a),
        verdict,
        console,
        unreadable_headers,
        fixes: Vec::new(),
    };
    explanation.fixes = fixes(
        source,
        req,
        &explanation,
        &rule_verdicts,
        &full_headers,
        read,
    );
    explanation
}

fn chosen_rule(source: &Source, req: &CorsRequest<'_>) -> Option<usize> {
    source
        .config()
        .and_then(|c| matching::find_rule(c, req))
        .map(|i| i + 1)
}

fn rule_out(v: &RuleVerdict, rule: &CorsRule, method: &str, all: &[RuleVerdict]) -> RuleOut {
    let mut parts = Vec::new();
    match &v.origin_match {
        Some(p) if p == "*" => parts.push("any origin is allowed (\"*\")".to_string()),
        Some(p) => parts.push(format!("origin matches {p:?}")),
        None => parts.push(format!(
            "origin not allowed (AllowedOrigin: {})",
            list_or_none(&rule.allowed_origins)
        )),
    }
    if v.method_matched {
        parts.push(format!("{method} allowed"));
    } else {
        parts.push(format!(
            "{method} not allowed (AllowedMethod: {})",
            list_or_none(&rule.allowed_methods)
        ));
    }
    if !v.unmatched_headers.is_empty() {
        parts.push(format!(
            "header{} {} not allowed (AllowedHeader: {})",
            if v.unmatched_headers.len() == 1 {
                ""
            } else {
                "s"
            },
            v.unmatched_headers.join(", "),
            list_or_none(&rule.allowed_headers)
        ));
    }
    let full = v.is_full_match();
    if full && !v.chosen {
        let first = all.iter().find(|r| r.chosen).map_or(0, |r| r.index + 1);
        parts.push(format!("but rule {first} comes first"));
    }
    RuleOut {
        number: v.index + 1,
        id: rule.id.clone(),
        chosen: v.chosen,
        full_match: full,
        origin_match: v.origin_match.clone(),
        method_matched: v.method_matched,
        unmatched_headers: v.unmatched_headers.clone(),
        summary: parts.join("; "),
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn preflight_reasons(req: &BrowserRequest) -> Vec<String> {
    if req.mode == Mode::NoCors {
        return Vec::new();
    }
    let mut why = Vec::new();
    if !browser::is_safelisted_method(&req.method) {
        why.push(format!(
            "{} is not a CORS-safelisted method (GET, HEAD, POST)",
            req.method
        ));
    }
    let names = req.unsafe_header_names();
    let note = if names.iter().any(|n| n == "content-type") {
        " (Content-Type is safelisted only as text/plain, multipart/form-data or \
         application/x-www-form-urlencoded)"
    } else {
        ""
    };
    match names.as_slice() {
        [] => {}
        [one] => why.push(format!("the header {one} is not CORS-safelisted{note}")),
        many => why.push(format!(
            "the headers {} are not CORS-safelisted{note}",
            many.join(", ")
        )),
    }
    why
}

/// One-line fixes for the mistakes people make most, judged from what went wrong.
fn fixes(
    source: &Source,
    req: &BrowserRequest,
    ex: &Explanation,
    verdicts: &[RuleVerdict],
    full_headers: &[(String, String)],
    read: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let origin = &req.origin;
    let method = &req.method;
    let config = match source {
        Source::Bucket(BucketState::Missing) => {
            out.push("The bucket does not exist: check its name (and the endpoint/region).".into());
            return out;
        }
        Source::Bucket(BucketState::NotConfigured) => {
            out.push(format!(
                "The bucket has no CORS configuration: add one with a rule allowing origin \
                 {origin} and method {method}."
            ));
            return out;
        }
        Source::File(c) | Source::Bucket(BucketState::Configured(c)) => c,
    };
    if req.mode == Mode::NoCors {
        if req.method == "GET" {
            out.push(
                "None for the image itself. But an <img> without crossorigin sends no Origin, so \
                 S3 answers without CORS headers and without Vary: if the page also fetch()es \
                 this URL, the browser may reuse that cached answer and block it — add \
                 crossorigin to the <img> or vary the URL."
                    .to_string(),
            );
        }
        return out;
    }
    let any_chosen = verdicts.iter().any(|v| v.chosen);
    if !any_chosen {
        let origin_rules: Vec<&RuleVerdict> = verdicts
            .iter()
            .filter(|v| v.origin_match.is_some())
            .collect();
        if origin_rules.is_empty() {
            let near = config.rules.iter().enumerate().find_map(|(i, r)| {
                r.allowed_origins
                    .iter()
                    .find(|o| near_miss(o, origin))
                    .map(|o| (i + 1, o.clone()))
            });
            match near {
                Some((n, o)) => out.push(format!(
                    "Rule {n} lists {o:?}, but S3 compares origins as exact text: write \
                     {origin:?} (scheme, host and port exactly, no trailing slash)."
                )),
                None => out.push(format!(
                    "No rule allows the origin {origin}: add <AllowedOrigin>{origin}\
                     </AllowedOrigin> to a rule (scheme, host and port exactly, no trailing \
                     slash)."
                )),
            }
        } else if let Some(v) = origin_rules.iter().find(|v| !v.method_matched) {
            let rule = config.rules.get(v.index);
            out.push(format!(
                "Rule {} allows {origin} but not {method}: add <AllowedMethod>{method}\
                 </AllowedMethod> (it allows {}).",
                v.index + 1,
                rule.map(|r| list_or_none(&r.allowed_methods))
                    .unwrap_or_default()
            ));
        }
        if let Some(v) = origin_rules
            .iter()
            .find(|v| !v.unmatched_headers.is_empty())
        {
            out.push(format!(
                "Rule {} does not allow the request header{} {}: add {} to it (or \
                 <AllowedHeader>*</AllowedHeader>).",
                v.index + 1,
                if v.unmatched_headers.len() == 1 {
                    ""
                } else {
                    "s"
                },
                v.unmatched_headers.join(", "),
                v.unmatched_headers
                    .iter()
                    .map(|h| format!("<AllowedHeader>{h}</AllowedHeader>"))
                    .collect::<String>()
            ));
        }
    }
    if !ex.verdict.allowed && ex.verdict.reason.contains("must not be the wildcard '*'") {
        let n = verdicts
            .iter()
            .find(|v| v.chosen)
            .map_or(0, |v| v.index + 1);
        out.push(format!(
            "Rule {n} allows the origin \"*\", so S3 answers Access-Control-Allow-Origin: * — \
             which browsers refuse for requests with credentials: list {origin:?} in a rule \
             without \"*\" (placed before this one), or send the request without credentials."
        ));
    }
    if ex.verdict.allowed && ex.verdict.kind == VerdictKind::Actual {
        let rule_no = ex
            .actual
            .as_ref()
            .and_then(|a| a.response.rule)
            .unwrap_or(0);
        let present = |name: &str| {
            full_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let mut wanted: Vec<String> = read.iter().map(|r| r.to_ascii_lowercase()).collect();
        if present("etag") && !wanted.iter().any(|w| w == "etag") {
            wanted.insert(0, "etag".into());
        }
        for name in wanted {
            let exposed = ex
                .actual
                .as_ref()
                .and_then(|a| {
                    browser::check::get_header(&a.response.headers, "access-control-expose-headers")
                })
                .unwrap_or_default();
            let readable = ex.verdict.readable_headers.contains(&name)
                || browser::check::SAFELISTED_RESPONSE_HEADERS.contains(&name.as_str())
                || exposed.split(',').any(|e| {
                    e.trim().eq_ignore_ascii_case(&name)
                        || (e.trim() == "*" && !req.credentials.included())
                });
            if !readable {
                let pretty = if name == "etag" {
                    "ETag".to_string()
                } else {
                    name.clone()
                };
                out.push(format!(
                    "The script cannot read {pretty}: add <ExposeHeader>{pretty}</ExposeHeader> \
                     to rule {rule_no}."
                ));
            }
        }
    }
    out
}

/// An `AllowedOrigin` that was probably meant to be `origin`: differs only by case or a
/// trailing slash.
fn near_miss(pattern: &str, origin: &str) -> bool {
    let p = pattern.trim_end_matches('/');
    p.eq_ignore_ascii_case(origin) && pattern != origin
}

/// ANSI styling, only on a terminal (and never with `NO_COLOR`).
pub struct Style {
    pub on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn good(&self, s: &str) -> String {
        self.paint("1;32", s)
    }
    fn bad(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

const LABEL: usize = 14;

fn line(out: &mut String, label: &str, text: &str, style: &Style) {
    let pad = LABEL.saturating_sub(label.chars().count());
    out.push_str(&style.bold(label));
    out.push_str(&" ".repeat(pad));
    out.push_str(text);
    out.push('\n');
}

fn cont(out: &mut String, text: &str) {
    out.push_str(&" ".repeat(LABEL));
    out.push_str(text);
    out.push('\n');
}

fn headers_lines(out: &mut String, headers: &[(String, String)], style: &Style) {
    for (n, v) in headers {
        cont(out, &style.dim(&format!("{n}: {v}")));
    }
}

/// The human-readable report.
pub fn render(ex: &Explanation, style: &Style) -> String {
    let mut out = String::new();
    let r = &ex.request;
    line(
        &mut out,
        "Request",
        &format!("{} {}", r.method, r.url),
        style,
    );
    line(&mut out, "From origin", &r.origin, style);
    let mode = match r.mode {
        Mode::Cors => format!("credentials {}", r.credentials),
        Mode::NoCors => "no-cors (an <img> without crossorigin)".to_string(),
    };
    line(&mut out, "Mode", &mode, style);
    if r.headers.is_empty() {
        line(&mut out, "Headers", "(none set by the script)", style);
    } else {
        let first = r
            .headers
            .first()
            .map(|(n, v)| format!("{n}: {v}"))
            .unwrap_or_default();
        line(&mut out, "Headers", &first, style);
        for (n, v) in r.headers.iter().skip(1) {
            cont(&mut out, &format!("{n}: {v}"));
        }
    }
    out.push('\n');

    match ex.configuration {
        "missing_bucket" => line(&mut out, "Bucket", &style.bad("does not exist"), style),
        "not_configured" => line(
            &mut out,
            "Bucket",
            &style.bad("has no CORS configuration"),
            style,
        ),
        _ if r.mode == Mode::NoCors && matches!(r.method.as_str(), "GET" | "HEAD") => line(
            &mut out,
            "Rules",
            "not consulted: an <img> without crossorigin sends no Origin header",
            style,
        ),
        _ => {
            line(
                &mut out,
                "Rules",
                &format!(
                    "{} rule{}, the first one that fully matches is used",
                    ex.rules.len(),
                    if ex.rules.len() == 1 { "" } else { "s" }
                ),
                style,
            );
            for rule in &ex.rules {
                let tag = if rule.chosen {
                    style.good("USED    ")
                } else if rule.full_match {
                    "matches ".to_string()
                } else {
                    style.dim("no match")
                };
                let id = rule
                    .id
                    .as_deref()
                    .map(|i| format!(" ({i})"))
                    .unwrap_or_default();
                cont(
                    &mut out,
                    &format!("rule {}{id}  {tag}  {}", rule.number, rule.summary),
                );
            }
            if !ex.rules.iter().any(|r| r.chosen) {
                cont(&mut out, &style.bad("no rule matches this request"));
            }
        }
    }
    out.push('\n');

    let p = &ex.preflight;
    if r.mode == Mode::NoCors {
        line(
            &mut out,
            "Preflight",
            "none (no-cors requests are never preflighted)",
            style,
        );
    } else if !p.needed {
        line(
            &mut out,
            "Preflight",
            &format!(
                "not sent: {} is CORS-safelisted and no request header needs approval",
                r.method
            ),
            style,
        );
    } else {
        line(
            &mut out,
            "Preflight",
            &format!("sent, because {}", p.why.join(" and ")),
            style,
        );
        cont(&mut out, &format!("OPTIONS {}", r.url));
        headers_lines(&mut out, &p.request_headers, style);
        if let Some(resp) = &p.response {
            match &resp.error {
                Some(e) => {
                    line(
                        &mut out,
                        "S3 answers",
                        &format!("{} {}, without CORS headers", resp.status, e.code),
                        style,
                    );
                    cont(&mut out, &style.dim(&e.message));
                }
                None => {
                    let from = resp
                        .rule
                        .map(|n| format!(" (rule {n})"))
                        .unwrap_or_default();
                    line(
                        &mut out,
                        "S3 answers",
                        &format!("{} OK{from}", resp.status),
                        style,
                    );
                    headers_lines(&mut out, &resp.headers, style);
                }
            }
        }
        if let Some(v) = &p.verdict {
            if v.allowed {
                let cache = v
                    .preflight
                    .as_ref()
                    .map(|i| {
                        format!(
                            "; cached {} s by Chromium, {} s by Firefox",
                            i.chromium_cache_seconds, i.firefox_cache_seconds
                        )
                    })
                    .unwrap_or_default();
                line(
                    &mut out,
                    "Browser",
                    &format!("{} the preflight{cache}", style.good("accepts")),
                    style,
                );
            } else {
                line(
                    &mut out,
                    "Browser",
                    &style.bad("rejects the preflight"),
                    style,
                );
            }
        }
    }
    out.push('\n');

    match &ex.actual {
        None => line(
            &mut out,
            "Actual",
            "never sent: the preflight failed",
            style,
        ),
        Some(a) => {
            line(
                &mut out,
                "Actual",
                &format!("{} {}", r.method, r.url),
                style,
            );
            let resp = &a.response;
            let no_origin = r.mode == Mode::NoCors && matches!(r.method.as_str(), "GET" | "HEAD");
            let what = if resp.headers.is_empty() && no_origin {
                "no CORS headers (no Origin was sent)".to_string()
            } else if resp.headers.is_empty() {
                style.bad("no CORS headers (no rule matches)")
            } else {
                format!(
                    "these CORS headers{}",
                    resp.rule
                        .map(|n| format!(" (rule {n})"))
                        .unwrap_or_default()
                )
            };
            line(
                &mut out,
                "S3 answers",
                &format!("{}, with {what}", resp.status),
                style,
            );
            headers_lines(&mut out, &resp.headers, style);
            cont(
                &mut out,
                &style.dim(&format!(
                    "and the usual ones: {}",
                    a.other_headers.join(", ")
                )),
            );
        }
    }
    out.push('\n');

    let v = &ex.verdict;
    if v.allowed {
        let text = match v.kind {
            VerdictKind::Opaque => format!(
                "{} — the image loads, but the response is opaque to scripts",
                style.good("ALLOWED")
            ),
            _ => format!("{} — the script gets the response", style.good("ALLOWED")),
        };
        line(&mut out, "Verdict", &text, style);
        if v.kind == VerdictKind::Actual {
            line(
                &mut out,
                "Readable",
                &list_or_none(&v.readable_headers),
                style,
            );
            line(
                &mut out,
                "Not readable",
                &list_or_none(&ex.unreadable_headers),
                style,
            );
        }
    } else {
        line(&mut out, "Verdict", &style.bad("BLOCKED"), style);
        cont(&mut out, &v.reason);
        if let Some(c) = &ex.console {
            cont(&mut out, &style.dim(&format!("console: {c}")));
        }
    }
    if ex.fixes.is_empty() {
        line(&mut out, "Fix", "nothing to fix", style);
    } else {
        for (i, f) in ex.fixes.iter().enumerate() {
            if i == 0 {
                line(&mut out, "Fix", f, style);
            } else {
                cont(&mut out, f);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_rules_in_both_spellings() {
        let case = "- allowed_origins: [http://localhost:8000]\n  allowed_methods: [GET, HEAD]\n  expose_headers: [ETag]\n  max_age_seconds: 3000\n";
        let c = parse_config(case).unwrap_or_default();
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.rules[0].max_age_seconds, Some(3000));
        let aws = r#"{"CORSRules": [{"AllowedOrigins": ["http://a"], "AllowedMethods": ["GET"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 5, "ID": "x"}]}"#;
        let c = parse_config(aws).unwrap_or_default();
        assert_eq!(c.rules[0].expose_headers, vec!["ETag"]);
        assert_eq!(c.rules[0].id.as_deref(), Some("x"));
        assert!(parse_config("- allowed_origins: [a]\n  bogus: 1\n").is_err());
        assert!(
            parse_config("- allowed_origins: [a]\n  allowed_methods: [get]\n")
                .is_err_and(|e| e.contains("Unsupported method is get"))
        );
    }

    #[test]
    fn near_miss_catches_trailing_slash_and_case() {
        assert!(near_miss("http://localhost:8000/", "http://localhost:8000"));
        assert!(near_miss("HTTP://localhost:8000", "http://localhost:8000"));
        assert!(!near_miss("http://localhost:8000", "http://localhost:8000"));
    }
}
