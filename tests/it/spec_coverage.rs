//! The corpus covers the spec: every numbered rule of `docs/spec/aws-s3-cors.md` is named by
//! at least one case's `spec:` list, every number a case names exists in the spec, and the
//! corpus has at least [`MIN_CASES`] cases.
//!
//! Rule numbers are read from the spec itself, so a rule added to the spec fails this test
//! until a case exercises it. Only §1–§5 hold rules; §0 (grades) and §6–§10 (summaries,
//! open questions, sources) are skipped. The numbers are:
//! - bold headings `**1.1 …**`, `**4.1**`;
//! - the rows `| a |` … of the §1.3 validation table → `1.3a` …; row `n` (behaviour unknown)
//!   is a valid number but not required;
//! - the numbered list of §3.1 → `3.1.1` … `3.1.7`.
//!
//! Case files are read with a deliberately loose struct (only `spec`), so this test keeps
//! working while the case format grows.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MIN_CASES: usize = 150;

/// §1.3 rows that may be cited but need no case (the spec grades them "unknown").
const OPTIONAL_RULES: &[&str] = &["1.3n"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `## 3. Preflight …` → `Some(3)`.
fn section_number(line: &str) -> Option<u32> {
    let rest = line.strip_prefix("## ")?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || !rest[digits.len()..].starts_with('.') {
        return None;
    }
    digits.parse().ok()
}

/// `**1.1 PutBucketCors**` / `**4.1**` → `Some("1.1")`.
fn bold_rule(line: &str) -> Option<String> {
    let rest = line.strip_prefix("**")?;
    let num: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let num = num.trim_end_matches('.');
    let mut parts = num.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    if major.is_empty() || minor.is_empty() || parts.next().is_some() {
        return None;
    }
    Some(num.to_string())
}

/// `| a | Zero …` → `Some('a')`.
fn table_row_letter(line: &str) -> Option<char> {
    let rest = line.strip_prefix("| ")?;
    let mut chars = rest.chars();
    let letter = chars.next()?;
    (letter.is_ascii_lowercase() && chars.as_str().starts_with(" |")).then_some(letter)
}

/// `4. Configuration exists …` → `Some(4)`.
fn list_item_number(line: &str) -> Option<u32> {
    let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || !line[digits.len()..].starts_with(". ") {
        return None;
    }
    digits.parse().ok()
}

/// Every rule number of the spec, in document order.
fn spec_rules(spec: &str) -> Vec<String> {
    let mut rules = Vec::new();
    let mut section = None;
    let mut current_bold: Option<String> = None;
    for line in spec.lines() {
        if line.starts_with("## ") {
            section = section_number(line);
            current_bold = None;
            continue;
        }
        if !matches!(section, Some(1..=5)) {
            continue;
        }
        if let Some(rule) = bold_rule(line) {
            rules.push(rule.clone());
            current_bold = Some(rule);
            continue;
        }
        match current_bold.as_deref() {
            Some("1.3") => {
                if let Some(letter) = table_row_letter(line) {
                    rules.push(format!("1.3{letter}"));
                }
            }
            Some("3.1") => {
                if let Some(n) = list_item_number(line) {
                    rules.push(format!("3.1.{n}"));
                }
            }
            _ => {}
        }
    }
    rules
}

/// Only what this test needs from a case file.
#[derive(Deserialize)]
struct CaseSpec {
    spec: Vec<String>,
}

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            case_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

/// Case id (path below `cases/` without extension) → its `spec` numbers.
fn corpus() -> BTreeMap<String, Vec<String>> {
    let dir = root().join("cases");
    let mut files = Vec::new();
    case_files(&dir, &mut files);
    let mut out = BTreeMap::new();
    let mut unreadable = Vec::new();
    for file in files {
        let id = file
            .strip_prefix(&dir)
            .unwrap_or(&file)
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        match serde_saphyr::from_str::<CaseSpec>(&text) {
            Ok(case) => {
                out.insert(id, case.spec);
            }
            Err(e) => unreadable.push(format!("{}: {e}", file.display())),
        }
    }
    assert!(
        unreadable.is_empty(),
        "case files without a readable `spec:` list:\n{}",
        unreadable.join("\n")
    );
    out
}

fn spec_text() -> String {
    let path = root().join("docs/spec/aws-s3-cors.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn extractor_finds_the_rule_families() {
    let rules = spec_rules(&spec_text());
    let set: BTreeSet<&str> = rules.iter().map(String::as_str).collect();
    for expected in [
        "1.1", "1.3", "1.3a", "1.3m", "1.3n", "1.7", "2.1", "2.5", "3.1", "3.1.1", "3.1.7", "3.2",
        "3.5", "4.1", "4.6", "5.1", "5.4",
    ] {
        assert!(
            set.contains(expected),
            "rule {expected} not extracted; got {rules:?}"
        );
    }
    assert!(
        !set.contains("3.1.8"),
        "§3.1 has seven checks; got {rules:?}"
    );
    assert!(
        rules.iter().all(|r| matches!(r.as_bytes()[0], b'1'..=b'5')),
        "only §1–§5 hold rules; got {rules:?}"
    );
    assert_eq!(rules.len(), set.len(), "duplicate rule numbers: {rules:?}");
}

#[test]
fn corpus_has_enough_cases() {
    let cases = corpus();
    assert!(
        cases.len() >= MIN_CASES,
        "the corpus has {} cases; at least {MIN_CASES} expected",
        cases.len()
    );
}

#[test]
fn every_spec_rule_has_a_case() {
    let rules = spec_rules(&spec_text());
    let cases = corpus();
    let cited: BTreeSet<&str> = cases.values().flatten().map(String::as_str).collect();
    let missing: Vec<&str> = rules
        .iter()
        .map(String::as_str)
        .filter(|r| !OPTIONAL_RULES.contains(r) && !cited.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "{} spec rule(s) of docs/spec/aws-s3-cors.md have no case (add a case whose `spec:` names them):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn every_cited_rule_exists_in_the_spec() {
    let rules: BTreeSet<String> = spec_rules(&spec_text()).into_iter().collect();
    let cases = corpus();
    let mut unknown = Vec::new();
    for (id, spec) in &cases {
        if spec.is_empty() {
            unknown.push(format!("{id}: empty `spec:` list"));
        }
        for number in spec {
            if !rules.contains(number) {
                unknown.push(format!("{id}: `{number}`"));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "cases cite rule numbers that docs/spec/aws-s3-cors.md does not have:\n  {}",
        unknown.join("\n  ")
    );
}
