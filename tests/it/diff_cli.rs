//! `s3cors diff` end to end: live against two embedded servers (identical: exit 0), and on
//! results files where one response was altered (a difference: exit 1 with an `-A +B` diff).

use std::process::Command;

fn s3cors() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_s3cors"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn live_embedded_against_itself_is_identical() {
    let out = s3cors()
        .args(["diff", "--target", "embedded", "--target", "embedded"])
        .arg("cases/preflight")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("0 differ"), "{stderr}");
}

#[test]
fn results_files_with_a_changed_response_differ() {
    let dir = std::env::temp_dir().join(format!("s3cors-diff-cli-{}", std::process::id()));
    let a = dir.join("a");
    let status = s3cors()
        .args([
            "run",
            "cases/preflight/allowed-full-headers.yaml",
            "--results-only",
            "--no-mutations",
            "-q",
        ])
        .arg("--report-dir")
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(a.join("results.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let headers = &mut v["targets"][0]["cases"][0]["steps"][0]["response"]["headers"];
    for h in headers.as_array_mut().unwrap() {
        if h[0] == "access-control-allow-origin" {
            h[1] = "*".into();
        }
    }
    v["targets"][0]["info"]["name"] = "changed".into();
    let b = dir.join("b.json");
    std::fs::write(&b, serde_json::to_string(&v).unwrap()).unwrap();

    let out = s3cors()
        .arg("diff")
        .arg(a.join("results.json"))
        .arg(&b)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("-embedded +changed:"), "{stdout}");
    assert!(
        stdout.contains(
            "-access-control-allow-origin: http://localhost:8000\n+access-control-allow-origin: *"
        ),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
