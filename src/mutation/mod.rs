//! The origin-mutation pack: the hostile `Origin` values CORS scanners (CORScanner, Corsy)
//! try, generated from every allowed origin in the corpus and run as ordinary cases.
//!
//! Why generated and not written by hand: the tricks are mechanical (append a domain,
//! prepend one, drop the escaping of a dot, downgrade the scheme, …) and the corpus keeps
//! growing, so every new `AllowedOrigin` gets its scanner checks for free. Why as [`Case`]s:
//! the runner, the reports and the expectations files then treat them like any other case,
//! and a target that grants one of them shows up as a failed case tagged `security`.
//!
//! The expected answer of each variant is never hand-written either: it comes from the
//! reference model ([`crate::cors::evaluate::preflight`] and [`crate::cors::evaluate::actual`]),
//! so a variant is expected to be refused exactly when Amazon S3 refuses it (for example
//! `https://evil.example.com` *is* granted by an `https://*.example.com` rule, and the case
//! expects that).
//!
//! Each generated case creates the source case's bucket configuration (and one object),
//! then sends two requests with the hostile origin: a preflight for the first method of the
//! rule that lists the origin, and a signed `GET` of the object (where a vulnerable server
//! reflects the origin in `Access-Control-Allow-Origin`). Ids are
//! `mutation/<source case>/<variant>`; tags are `security`, `mutation` and the severity
//! (`severity:high|medium|low`, Corsy's scale: high when an attacker-controlled site would
//! be granted with credentials, medium for a scheme downgrade or an arbitrary subdomain,
//! low for `null` and for variants no attacker can send from a browser).

use crate::case::model::{BucketSetup, CorsSurface, Expect, ExpectError, ObjectSpec, RequestSpec};
use crate::case::{Action, Capability, Case, CaseStep, OrderedMap};
use crate::cors::CorsConfiguration;
use crate::cors::evaluate::{self, BucketCors, CorsHeaders, CorsRequest, Preflight, ResourceType};
use std::collections::HashSet;

/// The key of the object every mutation case puts and reads.
pub const OBJECT_KEY: &str = "mutation-probe.txt";

/// The tag every generated case carries.
pub const TAG: &str = "security";

/// How bad it is when a target grants a variant that Amazon S3 refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    /// `high`, `medium` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// The tag carried by cases of this severity (`severity:high`).
    pub fn tag(self) -> String {
        format!("severity:{}", self.as_str())
    }
}

/// One hostile origin derived from an allowed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Short kebab-case name, the last part of the case id (`suffix-domain`).
    pub name: &'static str,
    /// The `Origin` header value to send.
    pub origin: String,
    pub severity: Severity,
    /// What the scanner trick tests, for the case title.
    pub what: &'static str,
}

/// An origin split into its parts (`https`, `example.com`, `Some(8443)`, rest of the text).
struct Parsed<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
}

fn parse_origin(origin: &str) -> Option<Parsed<'_>> {
    let (scheme, rest) = origin.split_once("://")?;
    if scheme.is_empty() || rest.is_empty() || rest.contains('/') {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (rest, None),
    };
    if host.is_empty() {
        return None;
    }
    Some(Parsed { scheme, host, port })
}

/// The concrete origin a pattern stands for: `*` replaced by `www` (`http://*.example.com`
/// becomes `http://www.example.com`). `None` for patterns that are not `scheme://host[:port]`
/// (including `*` alone, which every origin matches anyway).
pub fn base_origin(pattern: &str) -> Option<String> {
    let concrete = pattern.replacen('*', "www", 1);
    if concrete.contains('*') {
        return None;
    }
    let ok = parse_origin(&concrete).is_some();
    ok.then_some(concrete)
}

/// The scanner variants of one concrete origin (`scheme://host[:port]`), without
/// duplicates and without the origin itself.
pub fn variants(origin: &str) -> Vec<Variant> {
    let Some(p) = parse_origin(origin) else {
        return Vec::new();
    };
    let port = p.port.map(|x| format!(":{x}")).unwrap_or_default();
    let (scheme, host) = (p.scheme, p.host);
    let mut out = Vec::new();
    let mut push = |name, origin: String, severity, what| {
        out.push(Variant {
            name,
            origin,
            severity,
            what,
        });
    };
    use Severity::{High, Low, Medium};
    push(
        "reflect-any",
        format!("{scheme}://evil-s3cors.test{port}"),
        High,
        "an unrelated attacker site (is any origin reflected?)",
    );
    push(
        "suffix-domain",
        format!("{scheme}://{host}.evil-s3cors.test{port}"),
        High,
        "the allowed host as a subdomain of an attacker domain (suffix check missing)",
    );
    push(
        "prefix-domain",
        format!("{scheme}://evil{host}{port}"),
        High,
        "an attacker domain ending with the allowed host (prefix check missing)",
    );
    push(
        "arbitrary-subdomain",
        format!("{scheme}://evil.{host}{port}"),
        Medium,
        "an arbitrary subdomain of the allowed host",
    );
    if let Some(dot) = host.rfind('.') {
        push(
            "unescaped-dot",
            format!("{scheme}://{}X{}{port}", &host[..dot], &host[dot + 1..]),
            High,
            "a dot replaced by a letter (an unescaped `.` in a regex)",
        );
    }
    push(
        "null",
        "null".to_string(),
        Low,
        "the `null` origin (sandboxed iframes, file: URLs)",
    );
    match scheme {
        "https" => push(
            "scheme-downgrade",
            format!("http://{host}{port}"),
            Medium,
            "the allowed host over plain http (scheme not checked)",
        ),
        "http" => push(
            "scheme-upgrade",
            format!("https://{host}{port}"),
            Low,
            "the allowed host over https",
        ),
        _ => {}
    }
    let other_port = match p.port.and_then(|x| x.parse::<u32>().ok()) {
        Some(n) if n < 65535 => format!(":{}", n + 1),
        Some(_) => ":8443".to_string(),
        None => ":8443".to_string(),
    };
    push(
        "other-port",
        format!("{scheme}://{host}{other_port}"),
        Low,
        "the allowed host on another port",
    );
    push(
        "underscore",
        format!("{scheme}://{host}_.evil-s3cors.test{port}"),
        High,
        "`_` after the host (a suffix trick some browsers send)",
    );
    push(
        "backtick",
        format!("{scheme}://{host}`.evil-s3cors.test{port}"),
        High,
        "a backtick after the host (Safari sends it unescaped)",
    );
    push(
        "percent-backtick",
        format!("{scheme}://{host}%60.evil-s3cors.test{port}"),
        High,
        "`%60` after the host (a percent-encoded backtick)",
    );
    push(
        "uppercase-host",
        format!("{scheme}://{}{port}", host.to_ascii_uppercase()),
        Low,
        "the host in upper case (S3 compares origins case-sensitively)",
    );
    push(
        "uppercase-scheme",
        format!("{}://{host}{port}", scheme.to_ascii_uppercase()),
        Low,
        "the scheme in upper case",
    );
    push(
        "trailing-slash",
        format!("{scheme}://{host}{port}/"),
        Low,
        "a trailing slash",
    );
    push(
        "trailing-dot",
        format!("{scheme}://{host}.{port}"),
        Low,
        "a trailing dot on the host (the same DNS name)",
    );
    push(
        "userinfo",
        format!("{scheme}://user@{host}{port}"),
        Low,
        "userinfo before the host",
    );
    push(
        "userinfo-attacker",
        format!("{scheme}://{host}{port}@evil-s3cors.test"),
        High,
        "the allowed origin as userinfo of an attacker host",
    );
    let mut seen = HashSet::new();
    seen.insert(origin.to_string());
    out.retain(|v| seen.insert(v.origin.clone()));
    out
}

/// The source case's CORS configuration, when it has a usable one: from `bucket.cors`, or
/// parsed from `bucket.cors_xml`. `None` for buckets without configuration, buckets that do
/// not exist, and configurations S3 would reject.
fn source_config(case: &Case) -> Option<CorsConfiguration> {
    if !case.bucket.exists {
        return None;
    }
    let config = match (&case.bucket.cors, &case.bucket.cors_xml) {
        (Some(rules), _) => CorsConfiguration {
            rules: rules.clone(),
        },
        (None, Some(xml)) => CorsConfiguration::from_xml(xml.as_bytes()).ok()?,
        (None, None) => return None,
    };
    config.validate().ok()?;
    (!config.rules.is_empty()).then_some(config)
}

/// Generates the mutation pack for a corpus: for every distinct `AllowedOrigin` pattern, one
/// case per scanner variant, evaluated against the configuration of the first case (by id)
/// that lists the pattern. Ids are `mutation/<source case>/<variant>`, or
/// `mutation/<source case>/<n>-<variant>` when that case contributes several patterns.
///
/// Deterministic: the same corpus gives the same cases in the same order (sorted by id).
pub fn generate(cases: &[Case]) -> Vec<Case> {
    let mut sources: Vec<&Case> = cases.iter().collect();
    sources.sort_by(|a, b| a.id.cmp(&b.id));
    let mut seen_patterns: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for case in sources {
        if case.id.starts_with("mutation/") {
            continue;
        }
        let Some(config) = source_config(case) else {
            continue;
        };
        // (pattern, method of the rule that lists it) in document order, patterns not seen in
        // an earlier case: each distinct AllowedOrigin gets its variants once.
        let mut origins: Vec<(String, String)> = Vec::new();
        for rule in &config.rules {
            let Some(method) = rule.allowed_methods.first() else {
                continue;
            };
            for pattern in &rule.allowed_origins {
                if base_origin(pattern).is_some() && seen_patterns.insert(pattern.clone()) {
                    origins.push((pattern.clone(), method.clone()));
                }
            }
        }
        let several = origins.len() > 1;
        for (n, (pattern, method)) in origins.iter().enumerate() {
            let Some(base) = base_origin(pattern) else {
                continue;
            };
            for v in variants(&base) {
                let id = if several {
                    format!("mutation/{}/{}-{}", case.id, n + 1, v.name)
                } else {
                    format!("mutation/{}/{}", case.id, v.name)
                };
                out.push(mutation_case(case, &config, pattern, method, &v, id));
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn mutation_case(
    source: &Case,
    config: &CorsConfiguration,
    pattern: &str,
    method: &str,
    v: &Variant,
    id: String,
) -> Case {
    let line = source.steps.first().map_or(1, |s| s.line);
    let preflight = CorsRequest {
        method: "OPTIONS",
        origin: Some(&v.origin),
        request_method: Some(method),
        request_headers: None,
        resource: ResourceType::Object,
    };
    let preflight_expect = match evaluate::preflight(BucketCors::Configured(config), &preflight) {
        Preflight::Allowed(h) => expect(200, &h, None),
        Preflight::Refused(e) => {
            let error = ExpectError {
                code: Some(e.code.clone()),
                message: Some(e.message.clone()),
                method: e.field("Method").map(str::to_owned),
                resource_type: e.field("ResourceType").map(str::to_owned),
                ..ExpectError::default()
            };
            expect(e.status, &CorsHeaders::default(), Some(error))
        }
    };
    let actual = CorsRequest {
        method: "GET",
        origin: Some(&v.origin),
        request_method: None,
        request_headers: None,
        resource: ResourceType::Object,
    };
    let actual_headers =
        evaluate::actual(BucketCors::Configured(config), &actual).unwrap_or_default();
    let headers = |with_acrm: bool| {
        let mut h = vec![("Origin".to_string(), v.origin.clone())];
        if with_acrm {
            h.push((
                "Access-Control-Request-Method".to_string(),
                method.to_string(),
            ));
        }
        OrderedMap(h)
    };
    let request = |m: &str, with_acrm: bool| {
        Action::Request(RequestSpec {
            method: m.to_string(),
            key: Some(OBJECT_KEY.to_string()),
            service: false,
            query: OrderedMap::default(),
            headers: headers(with_acrm),
            body: None,
            body_size: None,
            form: None,
            auth: None,
            addressing: None,
            credentials: None,
        })
    };
    let mut tags = vec![TAG.to_string(), "mutation".to_string(), v.severity.tag()];
    for t in &source.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let mut needs = vec![Capability::BucketCors];
    if source.needs.contains(&Capability::PublicAcl) && source.bucket.acl.is_some() {
        needs.push(Capability::PublicAcl);
    }
    Case {
        id,
        file: source.file.clone(),
        title: format!(
            "[{}] {} must be answered as S3 does for AllowedOrigin `{pattern}`: {}",
            v.severity.as_str(),
            v.origin,
            v.what
        ),
        spec: vec!["2.2".to_string(), "3.1".to_string(), "4.2".to_string()],
        tags,
        unsettled: None,
        needs,
        bucket: BucketSetup {
            exists: true,
            acl: source.bucket.acl,
            cors: Some(config.rules.clone()),
            cors_xml: None,
            objects: OrderedMap(vec![(
                OBJECT_KEY.to_string(),
                ObjectSpec::Body("mutation probe".to_string()),
            )]),
        },
        steps: vec![
            CaseStep {
                line,
                action: request("OPTIONS", true),
                capture: OrderedMap::default(),
                expect: preflight_expect,
                recorded: true,
            },
            CaseStep {
                line,
                action: request("GET", false),
                capture: OrderedMap::default(),
                expect: expect(200, &actual_headers, None),
                recorded: true,
            },
        ],
    }
}

fn expect(status: u16, headers: &CorsHeaders, error: Option<ExpectError>) -> Expect {
    Expect {
        status,
        headers: OrderedMap(
            headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        ),
        cors_surface: CorsSurface::Exact,
        other_headers: OrderedMap::default(),
        error,
        body: None,
        rules: None,
    }
}

/// The severity of a generated case (from its `severity:*` tag), for reports that group
/// security findings.
pub fn severity_of(case_tags: &[String]) -> Option<Severity> {
    case_tags.iter().find_map(|t| match t.as_str() {
        "severity:high" => Some(Severity::High),
        "severity:medium" => Some(Severity::Medium),
        "severity:low" => Some(Severity::Low),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_an_https_origin() {
        let v = variants("https://example.com");
        let get = |name: &str| {
            v.iter()
                .find(|x| x.name == name)
                .map(|x| x.origin.as_str())
                .unwrap_or("<none>")
        };
        assert_eq!(get("suffix-domain"), "https://example.com.evil-s3cors.test");
        assert_eq!(get("prefix-domain"), "https://evilexample.com");
        assert_eq!(get("unescaped-dot"), "https://exampleXcom");
        assert_eq!(get("scheme-downgrade"), "http://example.com");
        assert_eq!(get("other-port"), "https://example.com:8443");
        assert_eq!(get("null"), "null");
        assert_eq!(
            get("percent-backtick"),
            "https://example.com%60.evil-s3cors.test"
        );
        assert_eq!(get("trailing-slash"), "https://example.com/");
        assert_eq!(
            get("userinfo-attacker"),
            "https://example.com@evil-s3cors.test"
        );
        assert!(v.iter().all(|x| x.origin != "https://example.com"));
    }

    #[test]
    fn ports_are_kept_and_varied() {
        let v = variants("http://localhost:8000");
        assert!(v.iter().any(|x| x.origin == "http://localhost:8001"));
        assert!(v.iter().any(|x| x.origin == "https://localhost:8000"));
        assert!(
            v.iter().all(|x| x.name != "unescaped-dot"),
            "no dot in localhost"
        );
    }

    #[test]
    fn patterns_without_a_concrete_origin_are_skipped() {
        assert_eq!(base_origin("*"), None);
        assert_eq!(base_origin("a*b*c"), None);
        assert_eq!(base_origin("localhost"), None);
        assert_eq!(
            base_origin("http://*.example.com").as_deref(),
            Some("http://www.example.com")
        );
    }

    #[test]
    fn severities_order() {
        assert!(Severity::High > Severity::Medium && Severity::Medium > Severity::Low);
        assert_eq!(
            severity_of(&["x".into(), "severity:medium".into()]),
            Some(Severity::Medium)
        );
    }
}
