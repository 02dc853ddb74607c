//! s3cors without its checkout (issue 12): the installed binary run from an empty folder
//! runs the built-in corpus against `s3cors serve` and passes; `explain` works there; a
//! user's own case without `spec:` runs and passes or fails on its own merits; `cases
//! export` writes the corpus that `run` then reports under the same revision.
//!
//! Every command runs with an empty temporary folder as its working directory, so nothing
//! of the repository (`cases/`, `expectations/`) can be found by accident.

use crate::util;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_s3cors");

/// An empty folder outside the repository (the system temp dir, not `util::scratch`, which
/// lives under `target/` inside the checkout), removed on drop.
fn empty(tag: &str) -> tempfile::TempDir {
    match tempfile::Builder::new()
        .prefix(&format!("s3cors-anywhere-{tag}-"))
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a temporary folder: {e}"),
    }
}

/// `s3cors serve` on a free port in its own process, stopped on drop.
struct Serve {
    child: Child,
    endpoint: String,
}

impl Serve {
    fn start(cwd: &Path) -> Serve {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args([
                "--access-key",
                "anywhere-key",
                "--secret-key",
                "anywhere-secret",
            ])
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn s3cors serve");
        let stdout = child.stdout.take().expect("serve stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("endpoint:") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let endpoint = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("s3cors serve printed no endpoint within 30 s");
            }
        };
        Serve { child, endpoint }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `s3cors ARGS` run in `cwd` with the keys of [`Serve`].
fn s3cors(cwd: &Path, args: &[&str]) -> util::Run {
    util::s3cors()
        .args(args)
        .current_dir(cwd)
        .env("AWS_ACCESS_KEY_ID", "anywhere-key")
        .env("AWS_SECRET_ACCESS_KEY", "anywhere-secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .run()
}

fn results(dir: &Path) -> serde_json::Value {
    let path = dir.join("results.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("results.json parses")
}

/// Outcomes of the first target, by case id.
fn outcomes(r: &serde_json::Value) -> Vec<(String, String)> {
    r["targets"][0]["cases"]
        .as_array()
        .map(|cases| {
            cases
                .iter()
                .map(|c| {
                    (
                        c["case"].as_str().unwrap_or("").to_string(),
                        c["outcome"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn builtin_corpus_passes_against_serve_from_an_empty_folder() {
    let dir = empty("run");
    let serve = Serve::start(dir.path());
    let target = format!("endpoint={}", serve.endpoint);
    let o = s3cors(
        dir.path(),
        &["run", "--target", &target, "--quiet", "--color", "never"],
    );
    let o = o.code(0);
    let stderr = o.stderr.as_str();
    assert!(
        stderr.contains("case(s) from the built-in corpus"),
        "{}",
        o.context()
    );
    let r = results(&dir.path().join("reports/latest"));
    let got = outcomes(&r);
    let builtin = s3cors::case::corpus::builtin_files().len();
    let ordinary: Vec<_> = got
        .iter()
        .filter(|(id, _)| !id.starts_with("mutation/"))
        .collect();
    assert_eq!(ordinary.len(), builtin, "every built-in case ran");
    assert!(builtin >= 150, "the corpus is embedded ({builtin} cases)");
    let not_passed: Vec<_> = got.iter().filter(|(_, o)| o != "pass").collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
    let revision = r["case_revision"].as_str().unwrap_or("");
    assert!(
        revision.starts_with("sha256:") && revision.contains("built-in"),
        "the corpus revision is named: {revision}"
    );
    for f in ["report.md", "report.html", "junit.xml"] {
        assert!(
            dir.path().join("reports/latest").join(f).is_file(),
            "{f} written"
        );
    }
    assert!(
        !std::fs::read_to_string(dir.path().join("reports/latest/results.json"))
            .unwrap_or_default()
            .contains("anywhere-secret"),
        "no secret in the results"
    );
}

#[test]
fn explain_works_from_an_empty_folder() {
    let dir = empty("explain");
    std::fs::write(
        dir.path().join("cors.json"),
        r#"{"CORSRules":[{"AllowedOrigins":["http://localhost:8000"],"AllowedMethods":["GET"]}]}"#,
    )
    .expect("write config");
    let o = s3cors(
        dir.path(),
        &[
            "explain",
            "--config",
            "cors.json",
            "--origin",
            "http://localhost:8000",
        ],
    );
    o.code(0);
    let o = s3cors(
        dir.path(),
        &[
            "explain",
            "--config",
            "cors.json",
            "--origin",
            "http://evil.example",
        ],
    );
    let text = format!("{}{}", o.stdout.as_str(), o.stderr.as_str());
    assert!(text.to_lowercase().contains("block"), "{}", o.context());
}

/// A case in the shape a user writes it: no `spec:`.
const MY_CASE: &str = "title: my store answers a preflight from an allowed origin
bucket:
  cors:
    - allowed_origins: [http://localhost:8000]
      allowed_methods: [GET]
steps:
  - request:
      method: OPTIONS
      key: a.txt
      headers: {Origin: http://localhost:8000, Access-Control-Request-Method: GET}
    expect:
      status: STATUS
      headers:
        Access-Control-Allow-Origin: http://localhost:8000
        Access-Control-Allow-Methods: GET
        Access-Control-Allow-Credentials: \"true\"
        Vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method
";

#[test]
fn a_user_case_without_spec_passes_or_fails_on_its_merits() {
    let dir = empty("user");
    let mine = dir.path().join("my-cases");
    std::fs::create_dir_all(&mine).expect("mkdir");
    let run_mine = || {
        s3cors(
            dir.path(),
            &[
                "run",
                "--cases",
                "my-cases",
                "--no-default-cases",
                "--no-mutations",
                "--report-dir",
                "out",
            ],
        )
    };
    std::fs::write(
        mine.join("preflight-ok.yaml"),
        MY_CASE.replace("STATUS", "200"),
    )
    .expect("write case");
    let o = run_mine();
    o.code(0);
    assert_eq!(
        outcomes(&results(&dir.path().join("out"))),
        vec![("preflight-ok".to_string(), "pass".to_string())]
    );

    // The same case expecting the wrong status fails, with the diff in the output.
    std::fs::write(
        mine.join("preflight-ok.yaml"),
        MY_CASE.replace("STATUS", "403"),
    )
    .expect("write case");
    let o = run_mine();
    let o = o.code(1);
    assert_eq!(
        outcomes(&results(&dir.path().join("out"))),
        vec![("preflight-ok".to_string(), "fail".to_string())]
    );
    assert!(
        o.stdout.as_str().contains("-status: 403"),
        "{}",
        o.context()
    );

    // Added to the built-in corpus instead of alone: both run.
    std::fs::write(
        mine.join("preflight-ok.yaml"),
        MY_CASE.replace("STATUS", "200"),
    )
    .expect("write case");
    let o = s3cors(
        dir.path(),
        &["run", "--cases", "my-cases", "--no-mutations", "--list"],
    );
    let o = o.code(0);
    let listed = o.stdout.as_str();
    assert!(listed.contains("embedded/preflight-ok"), "{listed}");
    assert!(listed.contains("embedded/seed/readme-image"), "{listed}");
}

#[test]
fn nothing_to_run_and_duplicate_ids_are_clear_errors() {
    let dir = empty("errors");
    let o = s3cors(dir.path(), &["run", "--no-default-cases"]);
    let o = o.code(2);
    assert!(o.stderr.as_str().contains("--cases DIR"), "{}", o.context());

    let mine = dir.path().join("mine/seed");
    std::fs::create_dir_all(&mine).expect("mkdir");
    std::fs::write(
        mine.join("readme-image.yaml"),
        MY_CASE.replace("STATUS", "200"),
    )
    .expect("write case");
    let o = s3cors(dir.path(), &["run", "--cases", "mine", "--list"]);
    let o = o.code(3);
    let err = o.stderr.as_str();
    assert!(
        err.contains("duplicate case id `seed/readme-image`")
            && err.contains("cases/seed/readme-image.yaml"),
        "{}",
        o.context()
    );
}

#[test]
fn exported_corpus_runs_under_the_builtin_revision() {
    let dir = empty("export");
    let o = s3cors(
        dir.path(),
        &["cases", "export", "exported", "--expectations", "exp"],
    );
    o.code(0);
    let files = s3cors::case::corpus::builtin_files();
    for (rel, text) in files {
        let on_disk =
            std::fs::read_to_string(dir.path().join("exported").join(rel)).unwrap_or_default();
        assert_eq!(&on_disk, text, "{rel} exported as embedded");
    }
    assert!(
        dir.path().join("exp/moto.yaml").is_file(),
        "expectations exported"
    );
    // A second export refuses to overwrite the edits.
    let o = s3cors(dir.path(), &["cases", "export", "exported"]);
    o.code(3);

    let o = s3cors(
        dir.path(),
        &[
            "run",
            "exported",
            "--exact",
            "embedded/seed/readme-image",
            "--no-mutations",
            "--report-dir",
            "out",
        ],
    );
    o.code(0);
    let rev = results(&dir.path().join("out"))["case_revision"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let builtin = s3cors::case::corpus::builtin_revision();
    assert!(
        builtin.starts_with(&rev),
        "an unedited export has the built-in revision: {rev} vs {builtin}"
    );
}
