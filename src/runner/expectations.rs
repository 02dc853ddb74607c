//! Known deviations: per-target files listing the cases a target is *expected* to fail, and
//! the run's exit code.
//!
//! Why: a compatibility report for LocalStack or moto is only useful in CI if the differences
//! everybody already knows about do not turn the build red, while a *new* difference does, and
//! a difference that went away is noticed (so the list never rots). This is the shape of
//! rustls's BoGo `DisabledTests` (glob → reason, with a stale check) and of wpt's metadata
//! files (`expected: FAIL` plus a bug link).
//!
//! # File format (`expectations/<target>.yaml`)
//!
//! ```yaml
//! target: localstack                # the target name the file is for
//! deviations:
//!   - case: validation/two-wildcards-in-origin
//!     reason: LocalStack does not validate wildcards in AllowedOrigin
//!     link: https://github.com/localstack/localstack/issues/NNNN   # optional
//!   - case: preflight/*             # glob: `*` is any run of characters (also `/`), `?` one
//!     reason: preflights are answered by a generic CORS layer
//! ```
//!
//! Unknown keys are rejected, and errors point at `file:line:column`.
//!
//! # What [`apply`] does
//!
//! For each case of the target's run, the first entry whose `case` equals the id (else the
//! first glob that matches it) decides:
//!
//! - the case **failed** → [`Outcome::KnownDeviation`], reason = the entry's reason and link;
//! - the case **passed** → [`Outcome::StaleExpectation`] (the entry should be removed);
//! - unsupported, skipped and error outcomes are left alone (they say nothing about the entry).
//!
//! An entry that matches no case of the run is returned as an [`Warning::Unmatched`]: most
//! likely a typo or a renamed case (or a filtered run).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::results::{Outcome, TargetRun};

/// One target's known deviations, as loaded from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Where the entries came from (for messages), e.g. `expectations/moto.yaml`.
    pub source: PathBuf,
    /// The target the file is for.
    pub target: String,
    pub deviations: Vec<Deviation>,
}

/// One known deviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// Case id or glob pattern over case ids.
    pub case: String,
    /// Why the target behaves differently (shown in reports).
    pub reason: String,
    /// Optional issue or documentation link.
    pub link: Option<String>,
    /// 1-based line of the entry in its file.
    pub line: usize,
}

impl Deviation {
    /// The reason as reports show it: `reason (link)`.
    pub fn full_reason(&self) -> String {
        match &self.link {
            Some(link) => format!("{} ({link})", self.reason),
            None => self.reason.clone(),
        }
    }

    fn is_glob(&self) -> bool {
        self.case.contains(['*', '?'])
    }
}

/// Why an expectations file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectationsError {
    /// The file could not be read.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The YAML does not parse or does not have the expected shape.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// An entry parses but makes no sense (empty case or reason).
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Something worth telling the user after [`apply`], without failing the run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// An entry matched no case of the run.
    Unmatched {
        source: PathBuf,
        line: usize,
        case: String,
    },
    /// The file says it is for another target than the one it was applied to.
    OtherTarget {
        source: PathBuf,
        file_target: String,
        run_target: String,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::Unmatched { source, line, case } => write!(
                f,
                "{}:{line}: known deviation `{case}` matches no case of this run \
                 (renamed or removed case, or a filtered run?)",
                source.display()
            ),
            Warning::OtherTarget {
                source,
                file_target,
                run_target,
            } => write!(
                f,
                "{}: file is for target `{file_target}` but was applied to `{run_target}`",
                source.display()
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    target: String,
    /// `deviations:` with nothing after it (YAML null) means no entries, like omitting it.
    #[serde(default)]
    deviations: Option<Vec<RawDeviation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeviation {
    case: Spanned<String>,
    reason: String,
    #[serde(default)]
    link: Option<String>,
}

/// Loads an expectations file.
pub fn load(path: &Path) -> Result<Expectations, ExpectationsError> {
    let text = std::fs::read_to_string(path).map_err(|error| ExpectationsError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    parse(&text, path)
}

/// Loads `dir/<target>.yaml` when it exists (`Ok(None)` when it does not).
pub fn load_for_target(
    dir: &Path,
    target: &str,
) -> Result<Option<Expectations>, ExpectationsError> {
    let path = dir.join(format!("{target}.yaml"));
    if !path.is_file() {
        return Ok(None);
    }
    load(&path).map(Some)
}

/// Parses the text of an expectations file; `source` names it in messages.
pub fn parse(text: &str, source: &Path) -> Result<Expectations, ExpectationsError> {
    let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        ExpectationsError::Parse {
            path: source.to_path_buf(),
            line,
            column,
            message: first_line(&e.to_string()),
        }
    })?;
    let invalid = |line: usize, message: String| ExpectationsError::Invalid {
        path: source.to_path_buf(),
        line,
        message,
    };
    if raw.target.trim().is_empty() {
        return Err(invalid(1, "`target` is empty".into()));
    }
    let raw_deviations = raw.deviations.unwrap_or_default();
    let mut deviations = Vec::with_capacity(raw_deviations.len());
    for d in raw_deviations {
        let line = d.case.referenced.line() as usize;
        let case = d.case.value.trim().to_string();
        if case.is_empty() {
            return Err(invalid(line, "`case` is empty".into()));
        }
        if d.reason.trim().is_empty() {
            return Err(invalid(
                line,
                format!("known deviation `{case}` needs a `reason`"),
            ));
        }
        deviations.push(Deviation {
            case,
            reason: d.reason.trim().to_string(),
            link: d
                .link
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
            line,
        });
    }
    Ok(Expectations {
        source: source.to_path_buf(),
        target: raw.target.trim().to_string(),
        deviations,
    })
}

/// serde-saphyr renders errors as `error: line L column C: message` plus a source snippet;
/// the `file:line:column:` prefix we add already says where, so keep only the message.
fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid expectations file");
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let without_position = line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .filter(|(pos, _)| pos.contains(" column "))
        .map(|(_, msg)| msg);
    without_position.unwrap_or(line).to_string()
}

/// Applies `exp` to one target's results (see the module docs); returns the warnings.
pub fn apply(results: &mut TargetRun, exp: &Expectations) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if exp.target != results.info.name {
        warnings.push(Warning::OtherTarget {
            source: exp.source.clone(),
            file_target: exp.target.clone(),
            run_target: results.info.name.clone(),
        });
    }
    let mut used = vec![false; exp.deviations.len()];
    for case in &mut results.cases {
        // The entries match against every case, whatever its outcome, so "matches no case"
        // really means no case of that id ran.
        for (i, d) in exp.deviations.iter().enumerate() {
            if glob_match(&d.case, &case.case) {
                used[i] = true;
            }
        }
        let (outcome, reason) = adjust(exp, &case.case, case.outcome.0, case.reason.take());
        case.outcome.0 = outcome;
        case.reason = reason;
    }
    for (d, used) in exp.deviations.iter().zip(used) {
        if !used {
            warnings.push(Warning::Unmatched {
                source: exp.source.clone(),
                line: d.line,
                case: d.case.clone(),
            });
        }
    }
    warnings
}

/// Re-classifies one case's outcome against the expectations: a listed failure becomes a
/// known deviation (reason = the entry's), a listed pass a stale expectation; other
/// outcomes and unlisted cases are returned unchanged. The runner calls this inside each
/// trial, so libtest prints known deviations as ignored and stale entries as failures.
pub fn adjust(
    exp: &Expectations,
    case_id: &str,
    outcome: Outcome,
    reason: Option<String>,
) -> (Outcome, Option<String>) {
    let Some(entry) = entry_for(exp, case_id) else {
        return (outcome, reason);
    };
    match outcome {
        Outcome::Fail | Outcome::KnownDeviation => {
            (Outcome::KnownDeviation, Some(entry.full_reason()))
        }
        Outcome::Pass | Outcome::StaleExpectation => (
            Outcome::StaleExpectation,
            Some(format!(
                "listed in {}:{} as a known deviation ({}), but passed: remove the entry",
                exp.source.display(),
                entry.line,
                entry.full_reason()
            )),
        ),
        Outcome::Unsupported | Outcome::Skipped | Outcome::Error => (outcome, reason),
    }
}

/// The entry deciding a case: an exact id first, else the first matching glob.
pub fn entry_for<'a>(exp: &'a Expectations, case_id: &str) -> Option<&'a Deviation> {
    exp.deviations
        .iter()
        .find(|d| !d.is_glob() && d.case == case_id)
        .or_else(|| {
            exp.deviations
                .iter()
                .find(|d| d.is_glob() && glob_match(&d.case, case_id))
        })
}

/// Glob match over a whole case id: `*` matches any run of characters (including `/`), `?`
/// exactly one; everything else matches itself.
///
/// Kept by hand rather than `globset`: globset would give `[`, `{`, `\` and `**` meanings
/// that existing expectation files do not intend (a case id is matched as plain text apart
/// from `*` and `?`), and it is not otherwise in the dependency tree.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with single-star backtracking: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{CaseResult, OutcomeOrDefault};

    const FILE: &str = "\
target: moto
deviations:
  - case: preflight/vary-all-three
    reason: moto sends Vary Origin only
    link: https://github.com/getmoto/moto/issues/1
  - case: config-api/*
    reason: moto round-trips differently
  - case: preflight/allowed-origin
    reason: moto answers *
  - case: nothing/like-this
    reason: typo
";

    fn run_with(outcomes: &[(&str, Outcome)]) -> TargetRun {
        TargetRun {
            info: crate::s3::TargetInfo {
                name: "moto".into(),
                ..Default::default()
            },
            cases: outcomes
                .iter()
                .map(|(id, o)| CaseResult {
                    case: id.to_string(),
                    outcome: OutcomeOrDefault(*o),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_with_lines() {
        let e = parse(FILE, Path::new("expectations/moto.yaml")).expect("parses");
        assert_eq!(e.target, "moto");
        assert_eq!(e.deviations.len(), 4);
        assert_eq!(e.deviations[0].line, 3);
        assert_eq!(e.deviations[1].line, 6);
        assert_eq!(
            e.deviations[0].link.as_deref(),
            Some("https://github.com/getmoto/moto/issues/1")
        );
        assert_eq!(e.deviations[1].link, None);
    }

    #[test]
    fn empty_deviations_key_means_none() {
        for text in [
            "target: moto\n",
            "target: moto\ndeviations:\n",
            "target: moto\ndeviations: []\n",
        ] {
            let e = parse(text, Path::new("x.yaml")).expect("parses");
            assert!(e.deviations.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn errors_carry_file_and_line() {
        let bad_key = "target: moto\ndeviations:\n  - case: a\n    reason: b\n    lnk: c\n";
        let err = parse(bad_key, Path::new("x.yaml")).expect_err("unknown key");
        let msg = err.to_string();
        assert!(msg.starts_with("x.yaml:5:5: unknown field `lnk`"), "{msg}");

        let no_reason = "target: moto\ndeviations:\n  - case: a\n    reason: ' '\n";
        let err = parse(no_reason, Path::new("x.yaml")).expect_err("empty reason");
        assert_eq!(
            err.to_string(),
            "x.yaml:3: known deviation `a` needs a `reason`"
        );

        let not_yaml = "target: [\n";
        let err = parse(not_yaml, Path::new("x.yaml")).expect_err("syntax");
        assert!(err.to_string().starts_with("x.yaml:1:"), "{err}");
        let err = parse("deviations: []\n", Path::new("x.yaml")).expect_err("no target");
        assert_eq!(err.to_string(), "x.yaml:1:1: missing field `target`");

        let err = load(Path::new("/nonexistent/s3cors/x.yaml")).expect_err("io");
        assert!(err.to_string().starts_with("/nonexistent/s3cors/x.yaml: "));
    }

    #[test]
    fn apply_marks_known_stale_and_unmatched() {
        let exp = parse(FILE, Path::new("expectations/moto.yaml")).expect("parses");
        let mut run = run_with(&[
            ("preflight/vary-all-three", Outcome::Fail),
            ("preflight/allowed-origin", Outcome::Pass),
            ("config-api/round-trip", Outcome::Fail),
            ("config-api/unsupported", Outcome::Unsupported),
            ("config-api/broken", Outcome::Error),
            ("validation/new-failure", Outcome::Fail),
        ]);
        let warnings = apply(&mut run, &exp);
        let got: Vec<_> = run.cases.iter().map(|c| c.outcome.0).collect();
        assert_eq!(
            got,
            vec![
                Outcome::KnownDeviation,
                Outcome::StaleExpectation,
                Outcome::KnownDeviation,
                Outcome::Unsupported,
                Outcome::Error,
                Outcome::Fail,
            ]
        );
        assert_eq!(
            run.cases[0].reason.as_deref(),
            Some("moto sends Vary Origin only (https://github.com/getmoto/moto/issues/1)")
        );
        let stale = run.cases[1].reason.as_deref().unwrap_or_default();
        assert!(
            stale.contains("expectations/moto.yaml:8") && stale.contains("moto answers *"),
            "{stale}"
        );
        assert_eq!(run.cases[5].reason, None, "unlisted failures stay failures");
        assert_eq!(
            warnings,
            vec![Warning::Unmatched {
                source: PathBuf::from("expectations/moto.yaml"),
                line: 10,
                case: "nothing/like-this".into(),
            }]
        );
        assert!(
            warnings[0]
                .to_string()
                .starts_with("expectations/moto.yaml:10: ")
        );

        // Applying twice changes nothing.
        let before = run.clone();
        apply(&mut run, &exp);
        assert_eq!(run, before);
    }

    #[test]
    fn exact_entry_wins_over_glob() {
        let text = "target: t\ndeviations:\n  - case: a/*\n    reason: glob\n  - case: a/b\n    reason: exact\n";
        let exp = parse(text, Path::new("t.yaml")).expect("parses");
        let mut run = run_with(&[("a/b", Outcome::Fail), ("a/c", Outcome::Fail)]);
        run.info.name = "t".into();
        assert!(apply(&mut run, &exp).is_empty());
        assert_eq!(run.cases[0].reason.as_deref(), Some("exact"));
        assert_eq!(run.cases[1].reason.as_deref(), Some("glob"));
    }

    #[test]
    fn warns_about_another_target() {
        let exp = parse("target: localstack\n", Path::new("l.yaml")).expect("parses");
        let mut run = run_with(&[]);
        let w = apply(&mut run, &exp);
        assert!(matches!(&w[..], [Warning::OtherTarget { .. }]), "{w:?}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("preflight/*", "preflight/allowed-origin"));
        assert!(glob_match("*", "a/b/c"));
        assert!(glob_match("*/no-origin", "preflight/no-origin"));
        assert!(glob_match("pre*/a?c", "preflight/abc"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("preflight/*", "validation/x"));
        assert!(!glob_match("preflight", "preflight/x"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("exact/id", "exact/id"));
    }
}
