//! Opens `report.html` in headless Chromium, like a user would, and checks what the page's own
//! script made of it: the matrix rendered, and "clicking" a case cell opened its diff.
//!
//! The click goes through the page's deep link `#open=<target>/<case>`, which calls
//! `element.click()` on that cell, the same code path as a real click; Chromium's
//! `--dump-dom` then prints the DOM after the scripts ran.
//!
//! Needs `/usr/bin/chromium` (Debian's `chromium` package; `.ci/run` installs it). Without it
//! the test prints why and passes, so `cargo test` works on a fresh machine; with
//! `S3CORS_REQUIRE_BROWSER=1` (set by `.ci/run`) a missing browser fails it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util;
use s3cors::report::{html, sample};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_or_skip() -> Option<PathBuf> {
    let path = std::env::var_os("S3CORS_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMIUM));
    if path.exists() {
        return Some(path);
    }
    if !std::env::var("S3CORS_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!(
            "skipping the Chromium check of report.html: {} is missing (apt-get install \
             chromium; S3CORS_REQUIRE_BROWSER=1 makes this fatal)",
            path.display()
        );
        return None;
    }
    panic!(
        "{} is missing and S3CORS_REQUIRE_BROWSER=1: install Debian's `chromium` package \
         (apt-get install chromium) or point S3CORS_CHROMIUM at a Chromium binary",
        path.display()
    );
}

/// Percent-encodes a fragment value the way `encodeURIComponent` would.
fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs headless Chromium on `url` and returns the DOM after the page's scripts ran.
fn dump_dom(chromium: &Path, url: &str, scratch: &Path) -> String {
    let profile = scratch.join("profile");
    let stdout_path = scratch.join("dom.html");
    let stderr_path = scratch.join("chromium.log");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium did not finish within 90 s; its log:\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let dom = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed ({status}); its log:\n{}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    dom
}

/// The text between the first `start` marker and the next `end` after it.
fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not in the DOM"));
    let rest = &s[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

#[test]
fn chromium_renders_the_matrix_and_a_click_opens_the_diff() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let scratch = util::scratch("chromium-report");
    let page = scratch.path().join("report.html");
    std::fs::write(&page, html::render(&sample::sample_results())).expect("write report");

    let key = "embedded/preflight/vary-all-three";
    let url = format!("file://{}#open={}", page.display(), encode_component(key));
    let dom = dump_dom(&chromium, &url, scratch.path());

    // The page's script ran to the end.
    assert!(
        dom.contains("data-js=\"ready\""),
        "the page script did not finish:\n{dom}"
    );

    // The matrix rendered: 3 case groups × 2 targets, plus the totals row.
    let matrix = between(&dom, "<table id=\"matrix\">", "</table>");
    let body = between(matrix, "<tbody>", "</tbody>");
    assert_eq!(body.matches("<tr").count(), 3, "{matrix}");
    assert_eq!(body.matches("class=\"cell ").count(), 6, "{matrix}");
    assert!(matrix.contains("<tfoot>"));

    // The case × target table: 4 cases, 8 cells, all visible (every outcome box is ticked).
    let cases = between(&dom, "<table id=\"cases\">", "</table>");
    assert_eq!(cases.matches("<tr class=\"case\"").count(), 4);
    assert!(!cases.contains(" hidden"), "no row filtered out initially");
    assert!(dom.contains("4 of 4 cases shown"), "the filter script ran");

    // The deep link clicked the cell: the panel is open on that case and shows its diff.
    let panel = between(&dom, "<aside id=\"panel\"", "</aside>");
    let panel_tag = &panel[..panel.find('>').unwrap_or(panel.len())];
    assert!(
        !panel_tag.contains("hidden"),
        "the panel is still hidden: {panel_tag}"
    );
    assert!(
        panel_tag.contains(&format!("data-open=\"{key}\"")),
        "{panel_tag}"
    );
    assert!(panel.contains(
        "<span class=\"del\">-Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method</span>"
    ), "the diff is in the panel:\n{panel}");
    assert!(panel.contains("<span class=\"add\">+Vary: Origin</span>"));
    assert!(
        panel.contains("curl -X OPTIONS"),
        "the curl command is in the panel"
    );
    assert!(
        cases.contains("selected"),
        "the clicked cell is marked selected"
    );

    // Hostile strings stayed text: the only script element is the page's own, and the
    // hostile header value is escaped text inside the panel, not an element.
    assert_eq!(dom.matches("<script").count(), 1);
    assert!(!dom.contains("<img"));
    assert!(panel.contains("+X-Evil: &lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn chromium_opens_a_known_deviation_with_its_reason() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let scratch = util::scratch("chromium-known");
    let page = scratch.path().join("report.html");
    std::fs::write(&page, html::render(&sample::sample_results())).expect("write report");

    let key = "moto/preflight/allowed-origin";
    let url = format!("file://{}#open={}", page.display(), encode_component(key));
    let dom = dump_dom(&chromium, &url, scratch.path());
    let panel = between(&dom, "<aside id=\"panel\"", "</aside>");
    assert!(panel.contains(&format!("data-open=\"{key}\"")), "{panel}");
    assert!(panel.contains("known deviation"));
    assert!(panel.contains("moto answers * instead of echoing the origin"));
    assert!(panel.contains("href=\"https://github.com/getmoto/moto/issues/8410\""));
    // Both browser verdicts, side by side.
    assert!(panel.contains("Browser level: different verdict from Amazon S3"));
    assert!(panel.contains(
        "<tr><th scope=\"row\">Verdict</th><td>allowed (preflight)</td><td>blocked (preflight)</td></tr>"
    ), "{panel}");
}

#[test]
fn chromium_renders_browser_level_and_security_findings() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let scratch = util::scratch("chromium-security");
    let page = scratch.path().join("report.html");
    std::fs::write(&page, html::render(&sample::sample_with_security())).expect("write report");

    // The finding's link is the deep link a user clicks in the security table.
    let key = "moto/mutation/actual/get-match-wildcard/suffix-domain";
    let url = format!("file://{}#open={}", page.display(), encode_component(key));
    let dom = dump_dom(&chromium, &url, scratch.path());
    assert!(
        dom.contains("data-js=\"ready\""),
        "the page script did not finish"
    );

    let browser = between(&dom, "<table id=\"browser\">", "</table>");
    assert_eq!(
        between(browser, "<tbody>", "</tbody>")
            .matches("<tr")
            .count(),
        2
    );
    let security = between(&dom, "<table id=\"security\">", "</table>");
    assert!(security.contains("⚠ 2"), "{security}");
    let findings = between(&dom, "<table class=\"findings\">", "</table>");
    assert!(findings.contains(&format!("href=\"#open={}\"", encode_component(key))));

    // Security cases stay out of the matrix.
    let matrix = between(&dom, "<table id=\"matrix\">", "</table>");
    assert_eq!(
        between(matrix, "<tbody>", "</tbody>")
            .matches("<tr")
            .count(),
        3
    );

    let panel = between(&dom, "<aside id=\"panel\"", "</aside>");
    assert!(panel.contains(&format!("data-open=\"{key}\"")), "{panel}");
    assert!(panel.contains("Security case (origin mutation), severity high."));
    assert!(
        panel.contains("+access-control-allow-origin: https://app.example.com.evil-s3cors.test")
    );
}
