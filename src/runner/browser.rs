//! The browser level of a run (issue 7, comparison levels): for every cross-origin request
//! step, what a browser makes of the response the target sent and of the response Amazon S3
//! gives (the case's expectation), and whether the two agree.
//!
//! Exact conformance compares headers; a web developer only cares whether the browser lets the
//! request through and which headers the script can read. A target can fail the first and
//! still be fine for browsers (a different `Vary`, a reordered `Allow-Methods`), or pass
//! most of it and still break pages (a missing `Access-Control-Allow-Credentials`). Verdicts
//! come from [`crate::browser::verdict_for_exchange`]; this module only decides what to judge.

use crate::browser::{Verdict, verdict_for_exchange};
use crate::case::model::{CorsSurface, Expect};
use crate::case::{Action, CaseStep, is_cors_surface};
use crate::results::StepResult;
use crate::s3::S3Response;

use super::compare;

/// The verdicts of one step: `(browser, expected_browser)` for [`StepResult`].
///
/// Only request steps with an `Origin` header are judged (API steps and requests without
/// `Origin` are not cross-origin browser requests). `request_headers` are the headers as sent
/// (wire names; redacted values are fine, only names and safelisted values matter).
/// The expected verdict needs an expectation that pins the whole CORS surface
/// (`cors_surface: exact`), otherwise it is `None`.
pub fn step_verdicts(
    step: &CaseStep,
    method: &str,
    request_headers: &[(String, String)],
    resp: &S3Response,
    bucket: &str,
) -> (Option<Verdict>, Option<Verdict>) {
    let Action::Request(spec) = &step.action else {
        return (None, None);
    };
    let credentials = spec.credentials.unwrap_or_default();
    let actual = verdict_for_exchange(
        method,
        request_headers,
        credentials,
        resp.status,
        &resp.headers,
    );
    if actual.is_none() {
        return (None, None);
    }
    let expected = expected_response(&step.expect, resp, bucket).and_then(|r| {
        verdict_for_exchange(method, request_headers, credentials, r.status, &r.headers)
    });
    (actual, expected)
}

/// The response Amazon S3 gives according to `expect`, for the browser's eyes: the expected
/// status and CORS surface (`Access-Control-*`, `Vary`) with `${bucket}` substituted, and the
/// other headers as the target sent them, adjusted by `other_headers` (a value sets the
/// header, null removes it).
///
/// The non-CORS headers come from the actual response because the expectation does not list
/// them, yet they decide which headers a script can read (`Content-Type`, `ETag`, …): taking
/// them from the target keeps the comparison about CORS alone. `None` unless the
/// expectation's CORS surface is `exact` (a `listed` surface does not say what S3 omits).
pub fn expected_response(expect: &Expect, actual: &S3Response, bucket: &str) -> Option<S3Response> {
    if expect.cors_surface != CorsSurface::Exact {
        return None;
    }
    let overridden = |name: &str| {
        expect
            .other_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut headers: Vec<(String, String)> = actual
        .headers
        .iter()
        .filter(|(n, _)| !is_cors_surface(n) && !overridden(n))
        .cloned()
        .collect();
    for (n, v) in expect.other_headers.iter() {
        if let Some(v) = v {
            headers.push((n.to_ascii_lowercase(), compare::subst(v, bucket)));
        }
    }
    for (n, v) in expect.headers.iter() {
        headers.push((n.to_ascii_lowercase(), compare::subst(v, bucket)));
    }
    Some(S3Response {
        status: expect.status,
        headers,
        body: Vec::new(),
    })
}

/// `CaseResult::browser_equivalent`: `Some(true)` when every step that has both verdicts has
/// browser-equivalent ones, `Some(false)` when one does not, `None` when no step could be
/// compared (no cross-origin request, or only `cors_surface: listed` expectations).
pub fn case_equivalent(steps: &[StepResult]) -> Option<bool> {
    let mut compared = false;
    for s in steps {
        if let (Some(actual), Some(expected)) = (&s.browser, &s.expected_browser) {
            if !actual.browser_equivalent(expected) {
                return Some(false);
            }
            compared = true;
        }
    }
    compared.then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::{Credentials, VerdictKind};
    use crate::case::{Case, parse_case};

    const ORIGIN: &str = "http://localhost:8000";

    fn case(steps: &str) -> Case {
        let src = format!(
            "title: t\nspec: [\"3.2\"]\nbucket:\n  cors:\n    - allowed_origins: [{ORIGIN}]\n      allowed_methods: [GET]\n      expose_headers: [ETag]\nsteps:\n{steps}"
        );
        match parse_case("t", "t.yaml", &src) {
            Ok(c) => c,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn hs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn get_step(credentials: Option<&str>, surface: &str) -> Case {
        let cred = credentials
            .map(|c| format!("      credentials: {c}\n"))
            .unwrap_or_default();
        case(&format!(
            "  - request:\n      method: GET\n      key: a.txt\n      auth: anonymous\n{cred}      headers: {{Origin: \"{ORIGIN}\"}}\n    expect:\n      status: 200\n      cors_surface: {surface}\n      headers:\n        Access-Control-Allow-Origin: {ORIGIN}\n        Access-Control-Allow-Methods: GET\n        Access-Control-Expose-Headers: ETag\n        Access-Control-Allow-Credentials: \"true\"\n        Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method\n"
        ))
    }

    fn response(cors: &[(&str, &str)]) -> S3Response {
        let mut headers = hs(&[
            ("etag", "\"1\""),
            ("content-type", "text/plain"),
            ("x-amz-request-id", "r"),
        ]);
        headers.extend(hs(cors));
        S3Response {
            status: 200,
            headers,
            body: Vec::new(),
        }
    }

    fn req() -> Vec<(String, String)> {
        hs(&[("Origin", ORIGIN)])
    }

    #[test]
    fn credentials_default_to_same_origin() {
        let c = get_step(None, "exact");
        let Action::Request(spec) = &c.steps[0].action else {
            panic!("not a request");
        };
        assert_eq!(
            spec.credentials.unwrap_or_default(),
            Credentials::SameOrigin
        );
        let c = get_step(Some("include"), "exact");
        let Action::Request(spec) = &c.steps[0].action else {
            panic!("not a request");
        };
        assert_eq!(spec.credentials, Some(Credentials::Include));
    }

    #[test]
    fn matching_response_is_browser_equivalent() {
        let c = get_step(Some("include"), "exact");
        let resp = response(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "GET"),
            ("access-control-expose-headers", "ETag"),
            ("access-control-allow-credentials", "true"),
        ]);
        let (actual, expected) = step_verdicts(&c.steps[0], "GET", &req(), &resp, "b");
        let (actual, expected) = (actual.unwrap_or_default(), expected.unwrap_or_default());
        assert!(actual.allowed && expected.allowed);
        assert_eq!(expected.readable_headers, vec!["content-type", "etag"]);
        assert!(actual.browser_equivalent(&expected));
    }

    #[test]
    fn missing_allow_credentials_breaks_equivalence_only_with_credentials() {
        // Headers differ (no ACAC, no Vary): exact conformance fails either way, but only a
        // credentialed fetch is blocked.
        let resp = response(&[
            ("access-control-allow-origin", ORIGIN),
            ("access-control-allow-methods", "GET"),
            ("access-control-expose-headers", "ETag"),
        ]);
        let with = get_step(Some("include"), "exact");
        let (a, e) = step_verdicts(&with.steps[0], "GET", &req(), &resp, "b");
        let (a, e) = (a.unwrap_or_default(), e.unwrap_or_default());
        assert!(!a.allowed && e.allowed);
        assert!(!a.browser_equivalent(&e));
        let without = get_step(None, "exact");
        let (a, e) = step_verdicts(&without.steps[0], "GET", &req(), &resp, "b");
        assert!(
            a.unwrap_or_default()
                .browser_equivalent(&e.unwrap_or_default())
        );
    }

    #[test]
    fn listed_surface_has_no_expected_verdict() {
        let c = get_step(None, "listed");
        let (a, e) = step_verdicts(&c.steps[0], "GET", &req(), &response(&[]), "b");
        assert!(a.is_some());
        assert!(e.is_none());
    }

    #[test]
    fn no_origin_and_api_steps_are_not_judged() {
        let c = case(
            "  - get_bucket_cors: {headers: {Origin: \"http://localhost:8000\"}}\n    expect: {status: 404}\n",
        );
        assert_eq!(
            step_verdicts(&c.steps[0], "GET", &req(), &response(&[]), "b"),
            (None, None)
        );
        let c = get_step(None, "exact");
        assert_eq!(
            step_verdicts(&c.steps[0], "GET", &[], &response(&[]), "b"),
            (None, None)
        );
    }

    #[test]
    fn expected_response_keeps_other_headers_and_applies_overrides() {
        let c = case(&format!(
            "  - request:\n      method: GET\n      key: a.txt\n      headers: {{Origin: \"{ORIGIN}\"}}\n    expect:\n      status: 403\n      headers:\n        Access-Control-Allow-Origin: {ORIGIN}\n      other_headers:\n        Content-Type: application/xml\n        ETag: ~\n"
        ));
        let actual = response(&[("access-control-allow-origin", "*"), ("vary", "Origin")]);
        let r = expected_response(&c.steps[0].expect, &actual, "b").unwrap_or_default();
        assert_eq!(r.status, 403);
        assert_eq!(
            r.headers,
            hs(&[
                ("x-amz-request-id", "r"),
                ("content-type", "application/xml"),
                ("access-control-allow-origin", ORIGIN),
            ])
        );
    }

    #[test]
    fn preflight_steps_get_preflight_verdicts() {
        let c = case(&format!(
            "  - request:\n      method: OPTIONS\n      key: a.txt\n      headers: {{Origin: \"{ORIGIN}\", Access-Control-Request-Method: GET}}\n    expect:\n      status: 403\n"
        ));
        let h = hs(&[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")]);
        let (a, e) = step_verdicts(&c.steps[0], "OPTIONS", &h, &response(&[]), "b");
        let (a, e) = (a.unwrap_or_default(), e.unwrap_or_default());
        assert_eq!(a.kind, VerdictKind::Preflight);
        assert!(!a.allowed && !e.allowed);
    }

    #[test]
    fn case_equivalence_over_steps() {
        let allowed = Verdict {
            allowed: true,
            ..Verdict::default()
        };
        let blocked = Verdict::default();
        let step = |a: Option<&Verdict>, e: Option<&Verdict>| StepResult {
            browser: a.cloned(),
            expected_browser: e.cloned(),
            ..StepResult::default()
        };
        assert_eq!(case_equivalent(&[]), None);
        assert_eq!(case_equivalent(&[step(Some(&allowed), None)]), None);
        assert_eq!(
            case_equivalent(&[step(Some(&allowed), Some(&allowed)), step(None, None)]),
            Some(true)
        );
        assert_eq!(
            case_equivalent(&[
                step(Some(&allowed), Some(&allowed)),
                step(Some(&blocked), Some(&allowed))
            ]),
            Some(false)
        );
    }
}
