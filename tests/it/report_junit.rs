//! The JUnit report has the structure CI systems require (checked with quick-xml, so the test
//! needs nothing installed), and validates against `tests/data/junit.xsd` with xmllint when
//! xmllint is present (CI runs `scripts/validate-junit.sh`, which requires it).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use s3cors::report::{junit, sample};
use s3cors::results::RunResults;

/// A parsed element: enough of a DOM to check structure.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("<{}> lacks required attribute `{name}`", self.name))
    }

    fn count(&self, name: &str) -> usize {
        self.attr(name).parse().unwrap_or_else(|_| {
            panic!(
                "<{}> {name}=\"{}\" is not a count",
                self.name,
                self.attr(name)
            )
        })
    }

    fn time(&self) -> f64 {
        let t: f64 = self
            .attr("time")
            .parse()
            .unwrap_or_else(|_| panic!("<{}> time is not a number", self.name));
        assert!(t >= 0.0);
        t
    }

    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn start(e: &BytesStart<'_>) -> Element {
    let mut el = Element {
        name: e.name().as_ref().to_string(),
        ..Default::default()
    };
    for a in e.attributes() {
        let a = a.expect("well-formed attribute");
        let value = a
            .normalized_value(XmlVersion::Explicit1_0)
            .expect("valid escapes")
            .into_owned();
        let key = a.key.as_ref().to_string();
        assert!(
            el.attrs.insert(key.clone(), value).is_none(),
            "duplicate attribute {key}"
        );
    }
    el
}

fn parse(xml: &str) -> Element {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(start(&e)),
            Event::Empty(e) => {
                let el = start(&e);
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(el);
            }
            Event::Text(t) => {
                let s = t.xml_content(XmlVersion::Explicit1_0).into_owned();
                stack.last_mut().expect("open").text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().expect("valid char ref") {
                    stack.last_mut().expect("open").text.push(c);
                    continue;
                }
                let ch = match r.as_ref() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity &{other};"),
                };
                stack.last_mut().expect("open").text.push_str(ch);
            }
            Event::CData(t) => {
                let s = t.into_inner().into_owned();
                stack.last_mut().expect("open").text.push_str(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut doc = stack.pop().expect("document");
    assert_eq!(doc.children.len(), 1, "exactly one root element");
    doc.children.remove(0)
}

/// Checks the structure CI systems rely on; returns (suites, cases) seen.
fn check_structure(xml: &str) -> (usize, usize) {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let root = parse(xml);
    assert_eq!(root.name, "testsuites");
    assert!(!root.attr("name").is_empty());
    let (mut tests, mut failures, mut errors, mut skipped, mut time) = (0, 0, 0, 0, 0.0);
    let mut cases_seen = 0;
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite", "only <testsuite> under the root");
        assert!(!suite.attr("name").is_empty());
        let order: Vec<&str> = suite.children.iter().map(|c| c.name.as_str()).collect();
        let allowed = ["properties", "testcase", "system-out", "system-err"];
        assert!(order.iter().all(|n| allowed.contains(n)), "{order:?}");
        let first_case = order.iter().position(|n| *n == "testcase");
        if let (Some(p), Some(c)) = (order.iter().position(|n| *n == "properties"), first_case) {
            assert!(p < c, "<properties> comes before the test cases");
        }
        for p in suite.kids("properties").flat_map(|p| &p.children) {
            assert_eq!(p.name, "property");
            p.attr("name");
            p.attr("value");
        }
        let (mut f, mut e, mut s) = (0, 0, 0);
        let mut case_time = 0.0;
        for case in suite.kids("testcase") {
            cases_seen += 1;
            assert!(!case.attr("name").is_empty());
            assert_eq!(
                case.attr("classname"),
                suite.attr("name"),
                "classname = target"
            );
            assert!(case.attr("file").ends_with(".yaml"));
            case_time += case.time();
            let statuses: Vec<&str> = case
                .children
                .iter()
                .map(|c| c.name.as_str())
                .filter(|n| ["failure", "error", "skipped"].contains(n))
                .collect();
            assert!(statuses.len() <= 1, "one status per case: {statuses:?}");
            match statuses.first() {
                Some(&"failure") => f += 1,
                Some(&"error") => e += 1,
                Some(&"skipped") => s += 1,
                _ => {}
            }
            let order: Vec<&str> = case.children.iter().map(|c| c.name.as_str()).collect();
            let rank = |n: &str| match n {
                "properties" => 0,
                "skipped" | "error" | "failure" => 1,
                "system-out" => 2,
                "system-err" => 3,
                other => panic!("unexpected <{other}> in <testcase>"),
            };
            assert!(
                order.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
                "schema order in <testcase>: {order:?}"
            );
            for p in case.kids("properties").flat_map(|p| &p.children) {
                assert_eq!(p.name, "property");
                assert!(!p.attr("name").is_empty());
                p.attr("value");
            }
            for status in case
                .children
                .iter()
                .filter(|c| !["system-out", "properties"].contains(&c.name.as_str()))
            {
                assert!(
                    !status.attr("message").is_empty(),
                    "<{}> says why",
                    status.name
                );
            }
        }
        assert_eq!(suite.count("tests"), suite.kids("testcase").count());
        assert_eq!(suite.count("failures"), f);
        assert_eq!(suite.count("errors"), e);
        assert_eq!(suite.count("skipped"), s);
        assert!(
            (suite.time() - case_time).abs() < 0.01,
            "suite time = sum of cases"
        );
        tests += suite.count("tests");
        failures += f;
        errors += e;
        skipped += s;
        time += suite.time();
    }
    assert_eq!(root.count("tests"), tests);
    assert_eq!(root.count("failures"), failures);
    assert_eq!(root.count("errors"), errors);
    assert_eq!(root.count("skipped"), skipped);
    assert!((root.time() - time).abs() < 0.01);
    (root.children.len(), cases_seen)
}

fn with_unavailable_target() -> RunResults {
    let mut r = sample::sample_with_security();
    let mut minio = r.targets[1].clone();
    minio.info.name = "minio".into();
    minio.info.kind = "minio".into();
    minio.unavailable = Some("no Docker engine <here> & \"there\"".into());
    minio.cases.clear();
    r.targets.push(minio);
    r
}

#[test]
fn junit_has_the_structure_ci_systems_require() {
    let xml = junit::render(&sample::sample_results());
    assert_eq!(check_structure(&xml), (2, 8));

    let root = parse(&xml);
    let embedded = &root.children[0];
    let failing = embedded
        .kids("testcase")
        .find(|c| c.attr("name") == "preflight/vary-all-three")
        .expect("case present");
    let failure = failing.kids("failure").next().expect("a <failure>");
    assert_eq!(failure.attr("type"), "conformance");
    assert_eq!(
        failure.text,
        sample::FAIL_DIFF,
        "the diff survives escaping intact"
    );
    assert_eq!(failing.attr("line"), "14");

    let moto = &root.children[1];
    let messages: Vec<&str> = moto
        .kids("testcase")
        .flat_map(|c| c.kids("skipped"))
        .map(|s| s.attr("message"))
        .collect();
    assert!(messages.iter().any(|m| m.starts_with("unsupported: ")));
    assert!(messages.iter().any(|m| m.starts_with("known deviation: ")));

    // The browser verdicts of a case that did not pass.
    let known = moto
        .kids("testcase")
        .find(|c| c.attr("name") == "preflight/allowed-origin")
        .expect("case present");
    let props: Vec<(&str, &str)> = known
        .kids("properties")
        .flat_map(|p| &p.children)
        .map(|p| (p.attr("name"), p.attr("value")))
        .collect();
    assert_eq!(props, vec![("browser_equivalent", "false")]);
    let out = known.kids("system-out").next().expect("<system-out>");
    assert!(
        out.text.contains("Amazon S3:   allowed (preflight)"),
        "{}",
        out.text
    );
    assert!(
        out.text.contains(&format!(
            "this target: blocked (preflight): {}",
            sample::WILDCARD_REASON
        )),
        "{}",
        out.text
    );
}

#[test]
fn security_findings_are_typed_failures() {
    let xml = junit::render(&sample::sample_with_security());
    assert_eq!(check_structure(&xml), (2, 14));
    let root = parse(&xml);
    let moto = &root.children[1];
    let types: Vec<&str> = moto
        .kids("testcase")
        .filter(|c| c.attr("name").starts_with("mutation/"))
        .flat_map(|c| c.kids("failure"))
        .map(|f| f.attr("type"))
        .collect();
    assert_eq!(types, vec!["security", "security"]);
}

#[test]
fn unavailable_target_is_an_empty_suite_that_says_why() {
    let xml = junit::render(&with_unavailable_target());
    assert_eq!(check_structure(&xml), (3, 14));
    let root = parse(&xml);
    let minio = &root.children[2];
    assert_eq!(minio.count("tests"), 0);
    assert_eq!(
        minio.kids("system-out").next().map(|s| s.text.as_str()),
        Some("target not run: no Docker engine <here> & \"there\"")
    );
}

fn sample_dir() -> PathBuf {
    std::env::var_os("S3CORS_JUNIT_SAMPLE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-junit-sample"))
}

/// Writes the sample JUnit file (used by `scripts/validate-junit.sh`) and, when xmllint is
/// installed, validates it against `tests/data/junit.xsd` right here.
#[test]
fn write_sample_for_xmllint() {
    let dir = sample_dir();
    std::fs::create_dir_all(&dir).expect("sample dir");
    let path = dir.join("junit.xml");
    std::fs::write(&path, junit::render(&with_unavailable_target())).expect("write sample");

    let xsd = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit.xsd");
    match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "junit.xml does not validate against {}:\n{}",
            xsd.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!(
            "xmllint not available ({e}); schema validation left to scripts/validate-junit.sh"
        ),
    }
}
