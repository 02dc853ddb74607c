//! The real-browser cross-check (issues 7 and 17): do headless Chromium and Firefox agree with
//! the computed Fetch-standard verdict, for every corpus step a web page can make?
//!
//! Every request step of `cases/` that carries an `Origin` is classified
//! ([`scenarios::classify`]): either a page can make it (from the origin the step names:
//! `http`, `https` or the opaque `null`), or the test lists why not. Each expressible step
//! runs in each browser from a page on its own origin, in the step's credentials mode; the
//! extra forms of `tests/data/crosscheck/cases.txt` add `<img>` loads and other credentials
//! modes. The browsers reach every origin and the S3 server through one recording proxy
//! ([`proxy`]), so the verdict is computed on exactly the exchanges the browser made (its
//! preflight, if any, and the actual request), with the same [`check_preflight`] /
//! [`check_response`] the runner uses. Any difference in allowed/blocked, in the headers the
//! script could read, in whether (and with which `Access-Control-Request-Headers`) a preflight
//! was sent, or in the `Origin` the browser sent, fails the test with the scenario, the
//! browser's outcome, the computed verdict and the exchanges.
//!
//! Needs `chromium` + `chromium-driver`, and `firefox-esr` (Debian). Without a browser its
//! test prints why and passes, unless `S3CORS_REQUIRE_BROWSER=1` (set by `.ci/run`) makes it
//! fail. `S3CORS_CROSSCHECK_REPORT=<file>` writes the agreement table (markdown) there.

mod proxy;
mod scenarios;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use s3cors::browser::chromium::{self, Browser};
use s3cors::browser::firefox::{self, Firefox, FirefoxOptions};
use s3cors::browser::{
    BrowserRequest, Credentials, Mode, check_preflight, check_response, needs_preflight,
    normalize_method,
};
use s3cors::case::Case;
use s3cors::case::model::{CannedAcl, Checksum, ObjectSpec};
use s3cors::runner::exec::{create_bucket_request, put_cors_request, rules_xml, step_request};
use s3cors::server::{self, ServerConfig};
use s3cors::target::{Auth, HttpConfig, HttpTarget, S3Request, Target};

use proxy::{Exchange, Proxy, Tls};
use scenarios::{Class, How, PageRequest, Scenario};

const ACCESS_KEY: &str = "crosscheck";
const SECRET_KEY: &str = "crosscheck-secret";
const REGION: &str = "us-east-1";
/// Where `null`-origin scenarios' outer page lives (the request comes from its sandboxed
/// iframe).
const NULL_HOST_PAGE: &str = "http://localhost:8000";
/// The share of the corpus's page-expressible request steps both browsers must cover.
const MIN_COVERAGE: f64 = 0.90;

/// A 1×1 transparent GIF: `<img>` scenarios need a body the browser can decode, or `onerror`
/// fires whatever CORS said.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn browser_required() -> bool {
    std::env::var("S3CORS_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------------------------------------
// The scenario set

/// The corpus, its classification and the scenarios that follow from it.
struct Plan {
    cases: Vec<Case>,
    classes: BTreeMap<(String, usize), Class>,
    scenarios: Vec<Scenario>,
}

fn plan() -> Result<Plan, String> {
    let loaded = s3cors::case::load_dir(&repo().join("cases"));
    if !loaded.errors.is_empty() {
        return Err(format!("corpus errors: {:?}", loaded.errors));
    }
    let cases = loaded.cases;
    let classes = scenarios::classify_corpus(&cases);
    let mut scenarios = Vec::new();
    for ((case_id, step), class) in &classes {
        if let Ok(e) = class {
            scenarios.push(Scenario {
                case_id: case_id.clone(),
                step: *step,
                how: How::Fetch(e.credentials),
                origin: e.origin.clone(),
            });
        }
    }
    let extra_text = std::fs::read_to_string(repo().join("tests/data/crosscheck/cases.txt"))
        .map_err(|e| format!("tests/data/crosscheck/cases.txt: {e}"))?;
    for (case_id, step, how) in scenarios::parse_extra_forms(&extra_text)? {
        let class = classes.get(&(case_id.clone(), step)).ok_or_else(|| {
            format!("cases.txt names {case_id} step {step}, which is not a request step with an Origin in cases/")
        })?;
        let e = class
            .as_ref()
            .map_err(|why| format!("cases.txt names {case_id} step {step}, but {why}"))?;
        if how.is_img() && e.origin == "null" {
            return Err(format!(
                "cases.txt: {case_id} step {step}: <img> forms need a tuple origin, not null"
            ));
        }
        let dup = scenarios
            .iter()
            .any(|s| s.case_id == case_id && s.step == step && s.how == how);
        if !dup {
            scenarios.push(Scenario {
                case_id,
                step,
                how,
                origin: e.origin.clone(),
            });
        }
    }
    // One navigation per origin.
    scenarios.sort_by(|a, b| (&a.origin, &a.case_id, a.step).cmp(&(&b.origin, &b.case_id, b.step)));
    Ok(Plan {
        cases,
        classes,
        scenarios,
    })
}

// ---------------------------------------------------------------------------------------------
// The two browsers behind one interface

enum Driver {
    Chromium(Browser),
    Firefox(Firefox),
}

impl Driver {
    fn name(&self) -> &'static str {
        match self {
            Driver::Chromium(_) => "Chromium",
            Driver::Firefox(_) => "Firefox",
        }
    }

    async fn navigate(&mut self, url: &str) -> Result<(), String> {
        match self {
            Driver::Chromium(b) => b.navigate(url).await.map_err(|e| e.to_string()),
            Driver::Firefox(f) => f.navigate(url).await.map_err(|e| e.to_string()),
        }
    }

    async fn execute_async(&mut self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        match self {
            Driver::Chromium(b) => b
                .execute_async(script, args)
                .await
                .map_err(|e| e.to_string()),
            Driver::Firefox(f) => f
                .execute_async(script, args)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    async fn quit(self) {
        match self {
            Driver::Chromium(b) => b.quit().await,
            Driver::Firefox(f) => f.quit().await,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bucket set-up, as the runner does it (plus the image body for `<img>` scenarios)

/// An object to put: key, body, `Content-Type`, canned ACL.
type ObjectPut = (String, Vec<u8>, Option<String>, Option<CannedAcl>);

async fn send_ok(target: &HttpTarget, req: S3Request, what: String) -> Result<(), String> {
    match target.send(&req).await {
        Ok(r) if r.status < 300 => Ok(()),
        Ok(r) => Err(format!(
            "{what} answered {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        )),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

/// Creates the case's bucket (ACL, CORS, objects), then sends the steps before `step`
/// (1-based) as the runner would, so the browser's step meets the state the case sets up.
async fn setup(
    target: &HttpTarget,
    case: &Case,
    step: usize,
    bucket: &str,
    image_key: Option<&str>,
) -> Result<(), String> {
    if case.bucket.exists {
        send_ok(
            target,
            create_bucket_request(bucket, Some(REGION)),
            "CreateBucket".into(),
        )
        .await?;
        if let Some(acl) = case.bucket.acl {
            let mut req = S3Request::new("PUT", Some(bucket), None, Auth::Signed);
            req.query.push(("acl".into(), None));
            req.headers
                .push(("x-amz-acl".into(), acl.header_value().into()));
            send_ok(target, req, "PutBucketAcl".into()).await?;
        }
        let cors = match (&case.bucket.cors, &case.bucket.cors_xml) {
            (_, Some(x)) => Some(x.replace("${bucket}", bucket)),
            (Some(rules), None) => Some(rules_xml(rules)),
            (None, None) => None,
        };
        if let Some(body) = cors {
            let req = put_cors_request(bucket, body.into_bytes(), Checksum::Md5);
            send_ok(target, req, "PutBucketCors".into()).await?;
        }
        let mut keys: Vec<ObjectPut> = case
            .bucket
            .objects
            .iter()
            .map(|(k, o)| match o {
                ObjectSpec::Body(b) => (k.to_string(), b.clone().into_bytes(), None, None),
                ObjectSpec::Full(f) => (
                    k.to_string(),
                    f.body.clone().into_bytes(),
                    f.content_type.clone(),
                    f.acl,
                ),
            })
            .collect();
        if let Some(key) = image_key {
            // The image must decode and be readable, or `onerror` says nothing about CORS.
            keys.retain(|(k, ..)| k != key);
            keys.push((
                key.into(),
                GIF.to_vec(),
                Some("image/gif".into()),
                Some(CannedAcl::PublicRead),
            ));
        }
        for (key, body, content_type, acl) in keys {
            let mut req = S3Request::new("PUT", Some(bucket), Some(&key), Auth::Signed);
            req.body = body;
            if let Some(ct) = content_type {
                req.headers.push(("Content-Type".into(), ct));
            }
            if let Some(acl) = acl {
                req.headers
                    .push(("x-amz-acl".into(), acl.header_value().into()));
            }
            send_ok(target, req, format!("PutObject {key}")).await?;
        }
    }
    for earlier in case.steps.iter().take(step.saturating_sub(1)) {
        // Earlier steps change state (PutBucketCors, PUT, DELETE); their answers were the
        // runner's business, not the browser's.
        let _ = target.send(&step_request(earlier, bucket)).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running a scenario in the page and judging it

const FETCH_SCRIPT: &str = r#"
const [url, init] = arguments;
const done = arguments[arguments.length - 1];
fetch(url, init).then(async (r) => {
  const names = [];
  r.headers.forEach((_v, k) => names.push(k));
  try { await r.arrayBuffer(); } catch (e) {}
  done({ resolved: true, status: r.status, headers: names, origin: self.origin });
}, (e) => done({ resolved: false, error: String(e), origin: self.origin }));
"#;

/// Hands the request to the page's sandboxed iframe (opaque origin) and waits for its answer.
const NULL_FETCH_SCRIPT: &str = r#"
const [url, init] = arguments;
const done = arguments[arguments.length - 1];
const frame = document.getElementById('sandboxed');
const onmsg = (e) => {
  if (e.source !== frame.contentWindow) return;
  removeEventListener('message', onmsg);
  done(e.data);
};
addEventListener('message', onmsg);
frame.contentWindow.postMessage([url, init], '*');
"#;

const IMG_SCRIPT: &str = r#"
const [url, crossOrigin] = arguments;
const done = arguments[arguments.length - 1];
const img = new Image();
if (crossOrigin !== null) img.crossOrigin = crossOrigin;
img.onload = () => done({ resolved: true, origin: self.origin });
img.onerror = () => done({ resolved: false, error: "error event", origin: self.origin });
img.src = url;
"#;

/// What the browser reported.
#[derive(Debug, Default)]
struct Seen {
    resolved: bool,
    status: Option<u64>,
    headers: Vec<String>,
    error: Option<String>,
    /// `self.origin` where the request was made.
    origin: Option<String>,
}

impl Seen {
    fn from_json(v: &Value) -> Seen {
        let mut headers: Vec<String> = v
            .get("headers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        headers.sort();
        Seen {
            resolved: v.get("resolved").and_then(Value::as_bool).unwrap_or(false),
            status: v.get("status").and_then(Value::as_u64),
            headers,
            error: v.get("error").and_then(Value::as_str).map(str::to_string),
            origin: v.get("origin").and_then(Value::as_str).map(str::to_string),
        }
    }
}

/// The model's request for a scenario.
fn model_request(how: How, origin: &str, pr: &PageRequest) -> BrowserRequest {
    match how {
        How::Fetch(c) => BrowserRequest {
            origin: origin.into(),
            method: normalize_method(&pr.method),
            headers: pr.headers.clone(),
            credentials: c,
            mode: Mode::Cors,
        },
        How::Img => BrowserRequest::img(origin),
        How::ImgAnonymous => BrowserRequest::img_crossorigin(origin, false),
        How::ImgUseCredentials => BrowserRequest::img_crossorigin(origin, true),
    }
}

/// Compares the browser's outcome with the verdict computed on the exchanges it made. Returns
/// the disagreements (empty when they agree) and the computed verdict in words.
fn judge(
    browser: &str,
    how: How,
    origin: &str,
    pr: &PageRequest,
    seen: &Seen,
    exchanges: &[Exchange],
) -> (Vec<String>, String) {
    let model = model_request(how, origin, pr);
    let mut problems = Vec::new();
    let preflight = exchanges.iter().find(|e| e.is_preflight());
    let actual = exchanges.iter().find(|e| !e.is_preflight());
    let predicted = model.mode == Mode::Cors && needs_preflight(&model);
    if predicted != preflight.is_some() {
        problems.push(format!(
            "preflight: the model predicts {}, {browser} {}",
            if predicted { "one" } else { "none" },
            if preflight.is_some() {
                "sent one"
            } else {
                "sent none"
            }
        ));
    }
    if let Some(p) = preflight {
        let sent = p
            .header("access-control-request-headers")
            .map(str::to_string);
        let expected = model.preflight_request_headers();
        if sent != expected {
            problems.push(format!(
                "Access-Control-Request-Headers: the model sends {expected:?}, {browser} sent {sent:?}"
            ));
        }
    }
    // The browser must really have sent the step's origin (a plain `<img>` sends none).
    for e in exchanges.iter().filter(|_| how != How::Img) {
        let sent = e.header("origin");
        if sent != Some(origin) {
            problems.push(format!(
                "Origin: the step's is {origin:?}, {browser} sent {sent:?} on {} {}",
                e.method, e.path
            ));
        }
    }
    let verdict = match (preflight, actual) {
        (Some(p), _) => match check_preflight(&model, p.status, &p.response_headers) {
            Err(v) => Some(v),
            Ok(_) => actual.map(|a| check_response(&model, a.status, &a.response_headers)),
        },
        (None, Some(a)) => Some(check_response(&model, a.status, &a.response_headers)),
        (None, None) => None,
    };
    let computed = match &verdict {
        Some(v) => format!(
            "{:?} {} (reason: {:?}; readable: {:?}; needs preflight: {predicted})",
            v.kind,
            if v.allowed { "allowed" } else { "blocked" },
            v.reason,
            v.readable_headers
        ),
        None => "nothing to judge: no request reached the server".into(),
    };
    let Some(v) = verdict else {
        problems.push(format!("{browser} sent no request the model could judge"));
        return (problems, computed);
    };
    if how.is_img() {
        // An image loads when CORS lets it through and the response is a 2xx image.
        let ok_status = actual.is_some_and(|a| (200..300).contains(&a.status));
        let expected = v.allowed && ok_status;
        if expected != seen.resolved {
            problems.push(format!(
                "image: the model says it {}, {browser} {}",
                if expected { "loads" } else { "fails" },
                if seen.resolved {
                    "loaded it"
                } else {
                    "fired onerror"
                }
            ));
        }
    } else {
        if v.allowed != seen.resolved {
            problems.push(format!(
                "fetch: the model says {}, {browser} {}",
                if v.allowed { "allowed" } else { "blocked" },
                if seen.resolved {
                    "resolved"
                } else {
                    "rejected"
                }
            ));
        }
        if v.allowed && seen.resolved {
            if v.readable_headers != seen.headers {
                problems.push(format!(
                    "readable headers: the model says {:?}, the script read {:?}",
                    v.readable_headers, seen.headers
                ));
            }
            if let (Some(a), Some(s)) = (actual, seen.status)
                && u64::from(a.status) != s
            {
                problems.push(format!("status: server sent {}, script saw {s}", a.status));
            }
        }
    }
    (problems, computed)
}

/// One scenario's result in one browser.
#[derive(Debug, Clone)]
struct Outcome {
    scenario: Scenario,
    allowed: bool,
    /// Empty when the browser agreed with the computed verdict.
    problems: Vec<String>,
    /// The full story for a failure message.
    detail: String,
}

/// Everything a browser run needs: the embedded server behind the proxy, and the target the
/// test sets buckets up with (through the proxy, so signatures are over the proxy's `Host`).
struct Rig {
    proxy: Arc<Proxy>,
    tls: Arc<Tls>,
    target: HttpTarget,
    server: server::RunningServer,
}

async fn rig() -> Rig {
    let running = server::start(ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        region: REGION.into(),
        ..ServerConfig::default()
    })
    .await
    .expect("start the embedded server");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = Arc::new(Tls::new().expect("generate the run's CA"));
    let proxy = Proxy::start(running.addr(), tls.clone())
        .await
        .expect("start the proxy");
    let target = HttpTarget::new(HttpConfig::new(
        "crosscheck",
        "embedded",
        &format!("http://{}", proxy.addr),
        ACCESS_KEY,
        SECRET_KEY,
        REGION,
    ))
    .expect("target");
    Rig {
        proxy,
        tls,
        target,
        server: running,
    }
}

/// Runs every scenario of `plan` in `driver`.
async fn run_all(
    driver: &mut Driver,
    rig: &Rig,
    plan: &Plan,
    tag: &str,
) -> Result<Vec<Outcome>, String> {
    let browser = driver.name();
    let mut outcomes = Vec::new();
    let mut current_page: Option<String> = None;
    for (i, sc) in plan.scenarios.iter().enumerate() {
        let case = plan
            .cases
            .iter()
            .find(|c| c.id == sc.case_id)
            .ok_or_else(|| format!("{} vanished from the corpus", sc.case_id))?;
        let page = if sc.origin == "null" {
            NULL_HOST_PAGE.to_string()
        } else {
            sc.origin.clone()
        };
        if current_page.as_deref() != Some(page.as_str()) {
            rig.proxy.allow_page_origin(&page);
            driver
                .navigate(&format!("{page}/"))
                .await
                .map_err(|e| format!("{browser}: navigate to {page}: {e}"))?;
            current_page = Some(page.clone());
        }
        let bucket = format!("xc{tag}-{i}");
        let image_key = sc
            .how
            .is_img()
            .then(|| scenarios::step_key(case, sc.step))
            .flatten();
        setup(&rig.target, case, sc.step, &bucket, image_key.as_deref())
            .await
            .map_err(|e| format!("{}: set-up: {e}", sc.name()))?;
        let pr = scenarios::page_request(case, sc.step, &bucket, &rig.target)?;
        // The exchanges of this scenario are the ones logged from here on (scenarios run one
        // at a time; service-level steps address no bucket).
        let first = rig.proxy.log.lock().map(|l| l.len()).unwrap_or(0);
        let result = match sc.how {
            How::Fetch(c) => {
                let mut init = json!({
                    "method": pr.method,
                    "headers": pr.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                    "credentials": c.as_str(),
                    "cache": "no-store",
                    "mode": "cors",
                });
                if let Some(b) = &pr.body {
                    init["body"] = json!(b);
                }
                let script = if sc.origin == "null" {
                    NULL_FETCH_SCRIPT
                } else {
                    FETCH_SCRIPT
                };
                driver
                    .execute_async(script, vec![json!(pr.url), init])
                    .await
            }
            How::Img => {
                driver
                    .execute_async(IMG_SCRIPT, vec![json!(pr.url), Value::Null])
                    .await
            }
            How::ImgAnonymous => {
                driver
                    .execute_async(IMG_SCRIPT, vec![json!(pr.url), json!("anonymous")])
                    .await
            }
            How::ImgUseCredentials => {
                driver
                    .execute_async(IMG_SCRIPT, vec![json!(pr.url), json!("use-credentials")])
                    .await
            }
        }
        .map_err(|e| format!("{browser}: {}: {e}", sc.name()))?;
        let seen = Seen::from_json(&result);
        let exchanges: Vec<Exchange> = rig
            .proxy
            .log
            .lock()
            .map(|l| l.iter().skip(first).cloned().collect())
            .unwrap_or_default();
        let (mut problems, computed) = judge(browser, sc.how, &sc.origin, &pr, &seen, &exchanges);
        if seen.origin.as_deref() != Some(sc.origin.as_str()) {
            problems.push(format!(
                "the page ran on origin {:?}, not the step's {:?}",
                seen.origin, sc.origin
            ));
        }
        let mut detail = format!(
            "\n✗ {browser}: {}\n  page request: {} {} headers {:?} body {:?}\n  {browser}: {} \
             status {:?} readable {:?} error {:?}\n  computed: {computed}\n  disagreements:\n",
            sc.name(),
            pr.method,
            pr.url,
            pr.headers
                .iter()
                .map(|(n, v)| if n.eq_ignore_ascii_case("authorization") {
                    (n.as_str(), "<redacted>")
                } else {
                    (n.as_str(), v.as_str())
                })
                .collect::<Vec<_>>(),
            pr.body,
            if seen.resolved {
                "resolved/loaded"
            } else {
                "rejected/error"
            },
            seen.status,
            seen.headers,
            seen.error,
        );
        for p in &problems {
            detail.push_str(&format!("    - {p}\n"));
        }
        detail.push_str(&format!("  exchanges {browser} made:\n"));
        for e in &exchanges {
            detail.push_str(&e.summary());
        }
        outcomes.push(Outcome {
            scenario: sc.clone(),
            allowed: seen.resolved,
            problems,
            detail,
        });
    }
    Ok(outcomes)
}

// ---------------------------------------------------------------------------------------------
// Reporting

/// The agreement table for one browser, in markdown (docs/browser.md takes it from a run).
fn report(browser: &str, plan: &Plan, outcomes: &[Outcome], seconds: f64) -> String {
    let mut by_group: BTreeMap<String, (BTreeSet<String>, usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let group = o
            .scenario
            .case_id
            .split('/')
            .next()
            .unwrap_or("")
            .to_string();
        let e = by_group.entry(group).or_default();
        e.0.insert(o.scenario.case_id.clone());
        e.1 += 1;
        if o.problems.is_empty() {
            e.2 += 1;
        }
    }
    let origins: BTreeSet<&str> = outcomes
        .iter()
        .map(|o| o.scenario.origin.as_str())
        .collect();
    let agreed = outcomes.iter().filter(|o| o.problems.is_empty()).count();
    let allowed = outcomes.iter().filter(|o| o.allowed).count();
    let (expressible, total) = coverage(plan);
    let stand_ins = plan
        .classes
        .values()
        .filter(|c| c.as_ref().is_ok_and(|e| e.preflight_stand_in))
        .count();
    let mut s = format!(
        "### {browser}\n\n{} scenarios from {} cases, {} origins; {agreed} agree with the computed \
         verdict ({allowed} allowed or loaded, {} blocked; {:.1} s). Page-expressible request steps: {expressible} of {total} request steps \
         with an `Origin`; all {expressible} run ({stand_ins} of them are preflights for a \
         safelisted method without unsafe headers, which a browser skips: the simple request \
         stands in).\n\n| group | cases | scenarios | agree |\n|---|---:|---:|---:|\n",
        outcomes.len(),
        outcomes
            .iter()
            .map(|o| &o.scenario.case_id)
            .collect::<BTreeSet<_>>()
            .len(),
        origins.len(),
        outcomes.len() - allowed,
        seconds,
    );
    for (g, (cases, n, ok)) in &by_group {
        s.push_str(&format!("| {g} | {} | {n} | {ok} |\n", cases.len()));
    }
    let differ: Vec<&Outcome> = outcomes.iter().filter(|o| !o.problems.is_empty()).collect();
    if !differ.is_empty() {
        s.push_str("\nDisagreements:\n\n");
        for o in differ {
            s.push_str(&format!(
                "- {}: {}\n",
                o.scenario.name(),
                o.problems.join("; ")
            ));
        }
    }
    s
}

/// (page-expressible request steps, request steps with an `Origin`).
fn coverage(plan: &Plan) -> (usize, usize) {
    let ok = plan.classes.values().filter(|c| c.is_ok()).count();
    (ok, plan.classes.len())
}

fn write_report(name: &str, text: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("crosscheck-{name}.md"));
    if std::fs::write(&path, text).is_ok() {
        eprintln!("agreement table: {}", path.display());
    }
    if let Some(p) = std::env::var_os("S3CORS_CROSSCHECK_REPORT") {
        let p = PathBuf::from(p);
        let mut old = std::fs::read_to_string(&p).unwrap_or_default();
        old.push_str(text);
        old.push('\n');
        let _ = std::fs::write(&p, old);
    }
}

/// Runs the whole plan in one browser and asserts full agreement.
async fn cross_check(which: &'static str) {
    let started = Instant::now();
    let plan = plan().unwrap_or_else(|e| panic!("{e}"));
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("crosscheck-{which}-{}", std::process::id()));
    let rig = rig().await;
    let launched: Result<Driver, String> = match which {
        "chromium" => match chromium::find_tools() {
            Err(e) => Err(e.to_string()),
            Ok(tools) => Browser::launch_with(
                &tools,
                &scratch,
                Duration::from_secs(10),
                &chromium::proxy_args(rig.proxy.addr, &rig.tls.spki_hashes()),
            )
            .await
            .map(Driver::Chromium)
            .map_err(|e| format!("cannot start Chromium: {e}")),
        },
        _ => match firefox::find_firefox() {
            Err(e) => Err(e.to_string()),
            Ok(bin) => Firefox::launch(
                &bin,
                &scratch,
                &FirefoxOptions {
                    proxy: Some(rig.proxy.addr),
                    trusted_ca_der: vec![rig.tls.ca_der()],
                    script_timeout: Duration::from_secs(10),
                },
            )
            .await
            .map(Driver::Firefox)
            .map_err(|e| format!("cannot start Firefox: {e}")),
        },
    };
    let mut driver = match launched {
        Ok(d) => d,
        Err(e) if browser_required() => {
            rig.server.shutdown().await;
            panic!("S3CORS_REQUIRE_BROWSER=1 but the {which} cross-check cannot run: {e}")
        }
        Err(e) => {
            rig.server.shutdown().await;
            eprintln!(
                "skipping the {which} cross-check: {e} (S3CORS_REQUIRE_BROWSER=1 makes this fatal)"
            );
            return;
        }
    };
    let tag = if which == "chromium" { "c" } else { "f" };
    let outcome = run_all(&mut driver, &rig, &plan, tag).await;
    let name = driver.name();
    driver.quit().await;
    rig.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&scratch);
    let outcomes = outcome.unwrap_or_else(|e| panic!("the {which} cross-check broke: {e}"));
    let seconds = started.elapsed().as_secs_f64();
    let table = report(name, &plan, &outcomes, seconds);
    eprintln!("{table}");
    write_report(which, &table);
    let (expressible, _) = coverage(&plan);
    let fetch_steps: BTreeSet<(&str, usize)> = outcomes
        .iter()
        .map(|o| (o.scenario.case_id.as_str(), o.scenario.step))
        .collect();
    assert!(
        fetch_steps.len() as f64 >= MIN_COVERAGE * expressible as f64,
        "{name} ran {} of {expressible} page-expressible steps",
        fetch_steps.len()
    );
    let failures: String = outcomes
        .iter()
        .filter(|o| !o.problems.is_empty())
        .map(|o| o.detail.as_str())
        .collect();
    assert!(
        failures.is_empty(),
        "{name} and the computed verdict disagree:\n{failures}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_agrees_with_the_computed_verdicts() {
    cross_check("chromium").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_agrees_with_the_computed_verdicts() {
    cross_check("firefox").await;
}

#[test]
fn the_plan_covers_the_corpus_and_the_seed() {
    let plan = plan().unwrap_or_else(|e| panic!("{e}"));
    let (expressible, total) = coverage(&plan);
    assert!(total > 0);
    let ids: BTreeSet<&str> = plan.scenarios.iter().map(|s| s.case_id.as_str()).collect();
    for seed in [
        "seed/readme-image",
        "seed/mistake-wildcard-origin",
        "seed/mistake-forgot-get",
    ] {
        assert!(ids.contains(seed), "{seed} missing from the plan");
    }
    let wildcard: Vec<How> = plan
        .scenarios
        .iter()
        .filter(|s| s.case_id == "seed/mistake-wildcard-origin")
        .map(|s| s.how)
        .collect();
    assert!(wildcard.contains(&How::Fetch(Credentials::Include)));
    assert!(wildcard.contains(&How::Fetch(Credentials::Omit)));
    // Every expressible step is in the plan, in its own credentials mode.
    for ((id, step), class) in &plan.classes {
        if let Ok(e) = class {
            assert!(
                plan.scenarios.iter().any(|s| &s.case_id == id
                    && s.step == *step
                    && s.how == How::Fetch(e.credentials)),
                "{id} step {step} is expressible but not planned"
            );
        }
    }
    // The plan reaches beyond the one origin of the first cross-check.
    let origins: BTreeSet<&str> = plan.scenarios.iter().map(|s| s.origin.as_str()).collect();
    assert!(origins.contains("null"), "{origins:?}");
    assert!(
        origins.iter().any(|o| o.starts_with("https://")),
        "{origins:?}"
    );
    let mut not: Vec<String> = plan
        .classes
        .iter()
        .filter_map(|((id, step), c)| {
            c.as_ref()
                .err()
                .map(|why| format!("{id} step {step}: {why}"))
        })
        .collect();
    not.sort();
    eprintln!(
        "{expressible} of {total} request steps with an Origin can be made from a page; not:\n  {}",
        not.join("\n  ")
    );
}

#[test]
fn judge_reports_a_disagreement() {
    // `*` with credentials: the model blocks; pretend the browser let it through.
    let origin = "http://localhost:8000";
    let pr = PageRequest {
        method: "GET".into(),
        url: "http://127.0.0.1:1/b/k".into(),
        headers: Vec::new(),
        body: None,
    };
    let exchange = Exchange {
        method: "GET".into(),
        path: "/b/k".into(),
        host: "127.0.0.1:1".into(),
        request_headers: vec![("origin".into(), origin.into())],
        status: 200,
        response_headers: vec![("access-control-allow-origin".into(), "*".into())],
    };
    let seen = Seen {
        resolved: true,
        status: Some(200),
        ..Seen::default()
    };
    let (problems, computed) = judge(
        "Chromium",
        How::Fetch(Credentials::Include),
        origin,
        &pr,
        &seen,
        std::slice::from_ref(&exchange),
    );
    assert!(computed.contains("blocked"), "{computed}");
    assert_eq!(
        problems,
        vec!["fetch: the model says blocked, Chromium resolved".to_string()]
    );
    // Without credentials both allow, and the readable headers must match too.
    let (problems, _) = judge(
        "Chromium",
        How::Fetch(Credentials::Omit),
        origin,
        &pr,
        &seen,
        std::slice::from_ref(&exchange),
    );
    assert!(problems.is_empty(), "{problems:?}");
    // A browser that sent another Origin than the step's is caught.
    let (problems, _) = judge(
        "Firefox",
        How::Fetch(Credentials::Omit),
        "https://app.example.com",
        &pr,
        &seen,
        &[exchange],
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("Origin: "), "{problems:?}");
}
