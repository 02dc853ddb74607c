//! A small synthetic run for tests of the renderers: two targets and every interesting
//! outcome, with hostile strings in the places a case file or a target controls.
//!
//! A test fixture, so it is not in the shipped library: the integration tests use it as
//! `crate::util::sample`, and the library's unit tests include this same file as
//! `crate::report::sample` (`#[cfg(test)] #[path]` in `src/report/mod.rs`). It therefore names
//! the library as `s3cors::…`, which works in both places (`src/lib.rs` declares
//! `extern crate self as s3cors`).

use s3cors::browser::{PreflightInfo, Verdict, VerdictKind};
use s3cors::results::{
    CaseResult, ExpectedResponse, Outcome, OutcomeOrDefault, RunResults, StepResult, TargetRun,
};
use s3cors::s3::{Capabilities, S3Response, TargetInfo, WireRequest};

/// The title of the case with a hostile title.
pub const HOSTILE_TITLE: &str = r#"Vary <script>alert("title")</script> & 'quotes'"#;

/// The diff of the failing case on the first target.
pub const FAIL_DIFF: &str = "--- expected\n+++ actual\n status 200\n\
    -Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method\n\
    +Vary: Origin\n\
    +X-Evil: <img src=x onerror=alert(1)>\n";

/// The diff of the known deviation on the second target.
pub const KNOWN_DIFF: &str = "--- expected\n+++ actual\n-Access-Control-Allow-Origin: http://localhost:8000\n+Access-Control-Allow-Origin: *\n";

fn step(label: &str, line: usize, passed: bool, diff: Option<&str>) -> StepResult {
    StepResult {
        label: label.to_string(),
        line,
        request: WireRequest {
            method: "OPTIONS".into(),
            url: "http://127.0.0.1:9000/bucket/image.jpg".into(),
            headers: vec![
                ("Origin".into(), "http://localhost:8000".into()),
                ("Access-Control-Request-Method".into(), "GET".into()),
            ],
            body: Vec::new(),
        },
        response: Some(S3Response {
            status: 200,
            headers: vec![
                ("access-control-allow-origin".into(), "*".into()),
                ("x-evil".into(), "<img src=x onerror=alert(1)>".into()),
            ],
            body: b"<Error>&</Error>".to_vec(),
        }),
        passed,
        diff: diff.map(str::to_string),
        curl: "curl -X OPTIONS -H 'Origin: http://localhost:8000' \
               -H 'Access-Control-Request-Method: GET' http://127.0.0.1:9000/bucket/image.jpg"
            .into(),
        browser: None,
        expected_browser: None,
        expected: Some(ExpectedResponse {
            status: 200,
            headers: vec![(
                "access-control-allow-origin".into(),
                "http://localhost:8000".into(),
            )],
        }),
    }
}

fn case(id: &str, title: &str, outcome: Outcome) -> CaseResult {
    CaseResult {
        case: id.to_string(),
        title: title.to_string(),
        file: format!("cases/{id}.yaml"),
        spec: vec!["3.2".into()],
        tags: vec!["preflight".into()],
        unsettled: None,
        outcome: OutcomeOrDefault(outcome),
        reason: None,
        failed_step: None,
        failed_line: None,
        diff: None,
        steps: vec![step(
            "OPTIONS image.jpg",
            12,
            outcome == Outcome::Pass,
            None,
        )],
        duration_ms: 7,
        browser_equivalent: None,
    }
}

fn failed(mut c: CaseResult, diff: &str) -> CaseResult {
    c.failed_step = Some(0);
    c.failed_line = Some(14);
    c.diff = Some(diff.to_string());
    let request = c.steps.first().map(|s| s.request.clone());
    c.steps = vec![step("OPTIONS image.jpg", 12, false, Some(diff))];
    if let (Some(request), Some(s)) = (request, c.steps.first_mut()) {
        s.request = request;
    }
    c
}

/// The facts a grant is decided from when no browser verdict was recorded: the target sent
/// `sent` as Access-Control-Allow-Origin where the case (Amazon S3) sends none.
fn granted_facts(mut c: CaseResult, sent: &str) -> CaseResult {
    for s in &mut c.steps {
        if let Some(r) = &mut s.response {
            r.headers = vec![("access-control-allow-origin".into(), sent.into())];
        }
        s.expected = Some(ExpectedResponse {
            status: 200,
            headers: Vec::new(),
        });
    }
    c
}

fn with_reason(mut c: CaseResult, reason: &str) -> CaseResult {
    c.reason = Some(reason.to_string());
    c
}

/// The Chromium console reason of the blocked preflight in the sample.
pub const WILDCARD_REASON: &str = "Response to preflight request doesn't pass access control \
    check: The value of the 'Access-Control-Allow-Origin' header in the response must not be \
    the wildcard '*' when the request's credentials mode is 'include'.";

/// An accepted preflight for `GET, HEAD`.
pub fn preflight_allowed() -> Verdict {
    Verdict {
        allowed: true,
        kind: VerdictKind::Preflight,
        needs_preflight: true,
        preflight: Some(Box::new(PreflightInfo {
            allowed_methods: vec!["GET".into(), "HEAD".into()],
            allowed_headers: Vec::new(),
            max_age_header: Some("3000".into()),
            max_age_seconds: 3000,
            chromium_cache_seconds: 3000,
            firefox_cache_seconds: 3000,
        })),
        ..Verdict::default()
    }
}

/// A refused preflight with `reason`.
pub fn preflight_blocked(reason: &str) -> Verdict {
    Verdict {
        allowed: false,
        reason: reason.to_string(),
        kind: VerdictKind::Preflight,
        needs_preflight: true,
        ..Verdict::default()
    }
}

/// Sets the browser verdicts of every step (`actual`, `expected`) and the case's level.
fn verdicts(mut c: CaseResult, actual: Verdict, expected: Verdict) -> CaseResult {
    c.browser_equivalent = Some(actual.browser_equivalent(&expected));
    for s in &mut c.steps {
        s.browser = Some(actual.clone());
        s.expected_browser = Some(expected.clone());
    }
    c
}

/// Two targets (`embedded`, `moto`) and every outcome, with browser levels:
///
/// | case                              | embedded            | moto                          |
/// |-----------------------------------|---------------------|-------------------------------|
/// | config-api/put-get-round-trip     | pass, —             | unsupported, —                |
/// | preflight/allowed-origin          | pass, same          | known deviation, differs      |
/// | preflight/vary-all-three          | fail (diff), same   | fail (diff), same             |
/// | validation/two-wildcards          | error, —            | stale expectation, differs    |
///
/// (`—`: not compared; the stale case's verdicts are synthetic, so that the crossing "passes
/// exact but differs in a browser" has something to show.)
pub fn sample_results() -> RunResults {
    let embedded = TargetRun {
        info: TargetInfo {
            name: "embedded".into(),
            kind: "embedded".into(),
            endpoint: Some("http://127.0.0.1:41234".into()),
            version: Some("s3cors 0.1.0".into()),
        },
        capabilities: Capabilities::default(),
        unavailable: None,
        notes: Vec::new(),
        cases: vec![
            case(
                "config-api/put-get-round-trip",
                "PutBucketCors then GetBucketCors returns the same rules",
                Outcome::Pass,
            ),
            verdicts(
                case(
                    "preflight/allowed-origin",
                    "Preflight from an allowed origin gets the matched rule's headers",
                    Outcome::Pass,
                ),
                preflight_allowed(),
                preflight_allowed(),
            ),
            verdicts(
                failed(
                    case("preflight/vary-all-three", HOSTILE_TITLE, Outcome::Fail),
                    FAIL_DIFF,
                ),
                preflight_allowed(),
                preflight_allowed(),
            ),
            with_reason(
                case(
                    "validation/two-wildcards",
                    "Two wildcards in AllowedOrigin are rejected",
                    Outcome::Error,
                ),
                "connection refused <after 3 retries>",
            ),
        ],
    };
    let moto = TargetRun {
        info: TargetInfo {
            name: "moto".into(),
            kind: "endpoint".into(),
            endpoint: Some("http://127.0.0.1:5000".into()),
            version: Some("moto 5.2.1".into()),
        },
        capabilities: Capabilities {
            public_acl: Some("PutObjectAcl answered NotImplemented".into()),
            ..Default::default()
        },
        unavailable: None,
        notes: Vec::new(),
        cases: vec![
            with_reason(
                case(
                    "config-api/put-get-round-trip",
                    "PutBucketCors then GetBucketCors returns the same rules",
                    Outcome::Unsupported,
                ),
                "bucket-cors: PutBucketCors answered NotImplemented",
            ),
            verdicts(
                with_reason(
                    failed(
                        case(
                            "preflight/allowed-origin",
                            "Preflight from an allowed origin gets the matched rule's headers",
                            Outcome::KnownDeviation,
                        ),
                        KNOWN_DIFF,
                    ),
                    "moto answers * instead of echoing the origin (https://github.com/getmoto/moto/issues/8410)",
                ),
                preflight_blocked(WILDCARD_REASON),
                preflight_allowed(),
            ),
            verdicts(
                failed(
                    case("preflight/vary-all-three", HOSTILE_TITLE, Outcome::Fail),
                    "-Vary: Origin\n+Vary: *\n",
                ),
                preflight_allowed(),
                preflight_allowed(),
            ),
            verdicts(
                with_reason(
                    case(
                        "validation/two-wildcards",
                        "Two wildcards in AllowedOrigin are rejected",
                        Outcome::StaleExpectation,
                    ),
                    "listed in expectations/moto.yaml:4 as a known deviation, but passed",
                ),
                preflight_allowed(),
                preflight_blocked(
                    "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                ),
            ),
        ],
    };
    RunResults {
        schema_version: s3cors::results::SCHEMA_VERSION,
        s3cors_version: "0.1.0".into(),
        started_at: "2026-05-01T12:00:00Z".into(),
        case_revision: "abc1234".into(),
        command: "s3cors run --target embedded --target endpoint=http://127.0.0.1:5000".into(),
        targets: vec![embedded, moto],
    }
}

/// A security (origin-mutation) case like those `crate::mutation` generates.
fn mutation(variant: &str, severity: &str, origin: &str, outcome: Outcome) -> CaseResult {
    let id = format!("mutation/actual/get-match-wildcard/{variant}");
    let mut c = case(
        &id,
        &format!(
            "[{severity}] {origin} must be answered as S3 does for AllowedOrigin `https://*.example.com`"
        ),
        outcome,
    );
    c.file = "cases/actual/get-match-wildcard.yaml".into();
    c.tags = vec![
        "security".into(),
        "mutation".into(),
        format!("severity:{severity}"),
        "actual".into(),
    ];
    for s in &mut c.steps {
        if let Some(h) = s.request.headers.first_mut() {
            h.1 = origin.to_string();
        }
    }
    c
}

/// [`sample_results`] plus three origin-mutation cases per target:
///
/// | case (variant, severity)        | embedded | moto                                    |
/// |---------------------------------|----------|-----------------------------------------|
/// | suffix-domain (high)            | pass     | fail: granted (browser verdicts)        |
/// | scheme-downgrade (medium)       | pass     | known deviation: granted (from the headers) |
/// | arbitrary-subdomain (medium)    | pass     | fail: refused where S3 grants           |
pub fn sample_with_security() -> RunResults {
    let mut r = sample_results();
    let suffix = "https://app.example.com.evil-s3cors.test";
    let downgrade = "http://app.example.com";
    let subdomain = "https://evil.example.com";
    for (ti, t) in r.targets.iter_mut().enumerate() {
        if ti == 0 {
            for (v, sev, o) in [
                ("suffix-domain", "high", suffix),
                ("scheme-downgrade", "medium", downgrade),
                ("arbitrary-subdomain", "medium", subdomain),
            ] {
                t.cases.push(mutation(v, sev, o, Outcome::Pass));
            }
            continue;
        }
        let granted = format!(
            "--- expected\n+++ actual\n status: 200\n+access-control-allow-origin: {suffix}\n"
        );
        t.cases.push(verdicts(
            failed(
                mutation("suffix-domain", "high", suffix, Outcome::Fail),
                &granted,
            ),
            preflight_allowed(),
            preflight_blocked(
                "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            ),
        ));
        t.cases.push(with_reason(
            granted_facts(
                failed(
                    mutation(
                        "scheme-downgrade",
                        "medium",
                        downgrade,
                        Outcome::KnownDeviation,
                    ),
                    &format!("+access-control-allow-origin: {downgrade}\n"),
                ),
                downgrade,
            ),
            "moto ignores the scheme of AllowedOrigin",
        ));
        t.cases.push(verdicts(
            failed(
                mutation("arbitrary-subdomain", "medium", subdomain, Outcome::Fail),
                &format!("-access-control-allow-origin: {subdomain}\n"),
            ),
            preflight_blocked(
                "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            ),
            preflight_allowed(),
        ));
    }
    r
}
