//! `s3cors record` (issue 13): recording a blanked sample of the corpus from `embedded`
//! gives the original files back byte for byte; `--check` changes nothing and says whether
//! recording would; `run` refuses to judge a blank expectation.
//!
//! How the sample is blanked (text only, so the test does not trust the recorder's own
//! parser): a step whose expectation is exactly what a blank recording writes (status,
//! CORS headers, `error: {code, message}` for an error, `rules` for a successful
//! GetBucketCors, nothing else) becomes `expect: record`; any other step keeps its shape
//! and gets every value overwritten (`status: 599`, each header, error field and body
//! `"BLANK"`), so recording has to put the values back where they were. `rules:` lists
//! inside such a step are left as they are (they are covered by whole-step blanking of the
//! GetBucketCors steps in the sample).

use crate::util;
use std::path::{Path, PathBuf};

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&util::repo().join("cases"), &mut out);
    out
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// Blanks every `expect:` block of a case file (see the module doc). Returns the new text
/// and how many steps were blanked whole.
fn blank(text: &str) -> (String, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut whole = 0;
    let mut i = 0;
    let mut step_kind = "";
    while i < lines.len() {
        let l = lines[i];
        let t = l.trim_start();
        if let Some(rest) = t.strip_prefix("- ") {
            step_kind = rest.split(':').next().unwrap_or("");
        }
        let Some(after) = t.strip_prefix("expect:") else {
            out.push(l.to_string());
            i += 1;
            continue;
        };
        let col = indent(l);
        let mut end = i + 1;
        while end < lines.len() && (lines[end].trim().is_empty() || indent(lines[end]) > col) {
            end += 1;
        }
        let block = &lines[i + 1..end];
        let sections: Vec<&str> = block
            .iter()
            .filter(|b| indent(b) == col + 2)
            .map(|b| b.trim().split(':').next().unwrap_or(""))
            .collect();
        let error_keys: Vec<&str> = block
            .iter()
            .skip_while(|b| b.trim() != "error:")
            .skip(1)
            .take_while(|b| indent(b) > col + 2)
            .filter(|b| indent(b) == col + 4)
            .map(|b| b.trim().split(':').next().unwrap_or(""))
            .collect();
        let status: u16 = block
            .iter()
            .chain(std::iter::once(&l))
            .find_map(|b| {
                b.split("status:")
                    .nth(1)
                    .and_then(|s| s.trim().trim_end_matches('}').trim().parse().ok())
            })
            .unwrap_or(0);
        let get_cors = step_kind == "get_bucket_cors";
        let default_shaped = after.trim().is_empty()
            && sections
                .iter()
                .all(|s| ["status", "headers", "error", "rules"].contains(s))
            && if sections.contains(&"error") {
                error_keys == ["code", "message"]
            } else {
                status < 300
            }
            && sections.contains(&"rules") == (get_cors && status == 200);
        if default_shaped {
            out.push(format!("{}expect: record", " ".repeat(col)));
            whole += 1;
        } else if !after.trim().is_empty() {
            // A flow-style expectation (not in the normalised corpus): keep it.
            out.push(l.to_string());
            out.extend(block.iter().map(|b| b.to_string()));
        } else {
            out.push(l.to_string());
            let mut in_rules = false;
            for b in block {
                let d = indent(b);
                let key = b.trim().split(':').next().unwrap_or("");
                if d == col + 2 {
                    in_rules = key == "rules";
                }
                let blanked = if in_rules || b.trim_end().ends_with(':') {
                    b.to_string()
                } else if d == col + 2 && key == "status" {
                    format!("{}status: 599", " ".repeat(d))
                } else if (d == col + 2 && key == "body") || d > col + 2 {
                    let (k, _) = b.split_once(": ").unwrap_or((b, ""));
                    format!("{k}: \"BLANK\"")
                } else {
                    b.to_string()
                };
                out.push(blanked);
            }
        }
        i = end;
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    (s, whole)
}

/// 20 files spread over the corpus (every n-th file in path order), plus the first case
/// using each of `capture:`, `form:` and `unsettled:`.
fn sample() -> Vec<PathBuf> {
    let files = corpus_files();
    let step = (files.len() / 20).max(1);
    let mut picked: Vec<PathBuf> = files.iter().step_by(step).take(20).cloned().collect();
    for needle in ["capture:", "form:", "unsettled:"] {
        if !picked.iter().any(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .contains(needle)
        }) && let Some(p) = files.iter().find(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .contains(needle)
        }) {
            picked.push(p.clone());
        }
    }
    picked
}

#[test]
fn blanked_sample_records_back_byte_for_byte() {
    let picked = sample();
    let root = util::repo().join("cases");
    let dirs: std::collections::BTreeSet<_> = picked
        .iter()
        .filter_map(|p| p.strip_prefix(&root).ok()?.components().next())
        .collect();
    assert!(picked.len() >= 20, "sample of {}", picked.len());
    assert!(dirs.len() >= 8, "sample spread over only {dirs:?}");
    let tmp = util::scratch("record");
    let cases = tmp.path().join("cases");
    let mut originals = Vec::new();
    let (mut whole, mut by_value) = (0, 0);
    for p in &picked {
        let rel = p.strip_prefix(&root).unwrap_or(p);
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let (blanked, w) = blank(&text);
        assert_ne!(blanked, text, "{} was not blanked", rel.display());
        whole += w;
        by_value += text.matches("expect:").count() - w;
        let dest = cases.join(rel);
        util::write_files(&cases, &[(&rel.to_string_lossy(), &blanked)]);
        originals.push((dest, text));
    }
    assert!(
        whole > 10 && by_value > 5,
        "blanked {whole} steps whole, {by_value} by value"
    );

    // A blank expectation is not a pass.
    util::s3cors()
        .arg("run")
        .arg(&cases)
        .args(["--report-dir"])
        .arg(tmp.path().join("report"))
        .args(["--results-only", "--no-mutations"])
        .expect_code(4);

    // --check: exit 1, a diff on stdout, nothing written.
    let check = util::s3cors()
        .args(["record", "--check"])
        .arg(&cases)
        .expect_code(1);
    assert!(check.stdout.contains("+++ b/"), "{}", check.stdout);
    assert!(check.stdout.contains("expect: record"), "{}", check.stdout);
    for (dest, text) in &originals {
        assert_ne!(&std::fs::read_to_string(dest).unwrap_or_default(), text);
    }

    util::s3cors().arg("record").arg(&cases).expect_code(0);
    for (dest, text) in &originals {
        let got = std::fs::read_to_string(dest).unwrap_or_default();
        if &got != text {
            panic!(
                "{} did not record back to the original:\n{}",
                dest.display(),
                similar::TextDiff::from_lines(text.as_str(), got.as_str())
                    .unified_diff()
                    .header("original", "recorded")
            );
        }
    }
    util::s3cors()
        .args(["record", "--check"])
        .arg(&cases)
        .expect_code(0);
}

#[test]
fn run_names_the_unrecorded_steps() {
    let tmp = util::scratch("record-run");
    let dir = util::write_files(
        tmp.path(),
        &[(
            "mine/a.yaml",
            "title: t\nsteps:\n  - request: {method: OPTIONS, key: k}\n    expect: record\n",
        )],
    );
    let run = util::s3cors()
        .arg("run")
        .arg(dir.join("mine"))
        .args(["--report-dir"])
        .arg(tmp.path().join("report"))
        .args(["--results-only", "--no-mutations"])
        .expect_code(4);
    assert!(
        run.output()
            .contains("step(s) 1 have no recorded expectation"),
        "{}",
        run.output()
    );
}
