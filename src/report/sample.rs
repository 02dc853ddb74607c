//! A small synthetic run for tests of the renderers (unit tests here and the Chromium check in
//! `tests/report_html_chromium.rs`): two targets and every interesting outcome, with hostile
//! strings in the places a case file or a target controls.
//!
//! Not part of the stable API.

use crate::results::{CaseResult, Outcome, OutcomeOrDefault, RunResults, StepResult, TargetRun};
use crate::target::{Capabilities, S3Response, TargetInfo, WireRequest};

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
    c.steps = vec![step("OPTIONS image.jpg", 12, false, Some(diff))];
    c
}

fn with_reason(mut c: CaseResult, reason: &str) -> CaseResult {
    c.reason = Some(reason.to_string());
    c
}

/// Two targets (`embedded`, `moto`) and every outcome:
///
/// | case                              | embedded    | moto              |
/// |-----------------------------------|-------------|-------------------|
/// | config-api/put-get-round-trip     | pass        | unsupported       |
/// | preflight/allowed-origin          | pass        | known deviation   |
/// | preflight/vary-all-three          | fail (diff) | fail (diff)       |
/// | validation/two-wildcards          | error       | stale expectation |
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
        cases: vec![
            case(
                "config-api/put-get-round-trip",
                "PutBucketCors then GetBucketCors returns the same rules",
                Outcome::Pass,
            ),
            case(
                "preflight/allowed-origin",
                "Preflight from an allowed origin gets the matched rule's headers",
                Outcome::Pass,
            ),
            failed(
                case("preflight/vary-all-three", HOSTILE_TITLE, Outcome::Fail),
                FAIL_DIFF,
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
        cases: vec![
            with_reason(
                case(
                    "config-api/put-get-round-trip",
                    "PutBucketCors then GetBucketCors returns the same rules",
                    Outcome::Unsupported,
                ),
                "bucket-cors: PutBucketCors answered NotImplemented",
            ),
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
            failed(
                case("preflight/vary-all-three", HOSTILE_TITLE, Outcome::Fail),
                "-Vary: Origin\n+Vary: *\n",
            ),
            with_reason(
                case(
                    "validation/two-wildcards",
                    "Two wildcards in AllowedOrigin are rejected",
                    Outcome::StaleExpectation,
                ),
                "listed in expectations/moto.yaml:4 as a known deviation, but passed",
            ),
        ],
    };
    RunResults {
        schema_version: crate::results::SCHEMA_VERSION,
        s3cors_version: "0.1.0".into(),
        started_at: "2026-05-01T12:00:00Z".into(),
        case_revision: "abc1234".into(),
        command: "s3cors run --target embedded --target endpoint=http://127.0.0.1:5000".into(),
        targets: vec![embedded, moto],
    }
}
