//! Loading case files: every `*.yaml` under the given paths, sorted, with every problem of
//! every file reported at once as `file:line: message`.
//!
//! A case author fixing a corpus wants the whole list in one go (like a compiler), and the
//! runner wants the good cases even when a sibling file is broken, so loading never stops
//! at the first error and never panics: it returns the cases that loaded *and* the errors.

use super::model::{
    ApiCallSpec, CannedAcl, Capability, CaseFile, Expect, ObjectSpec, PutBucketCorsSpec,
    RequestSpec, Step,
};
use crate::s3::Addressing;
use std::path::{Path, PathBuf};

/// What kind of problem a [`LoadError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadErrorKind {
    /// The file or directory cannot be read (or does not exist, or holds no case).
    Io,
    /// Not a case file: the YAML does not parse, or a field is unknown or has the wrong type.
    Syntax,
    /// A well-formed case that breaks a rule of the format (a step with two kinds, …).
    Invalid,
    /// Two case files have the same id.
    Duplicate,
}

/// One problem in one case file.
///
/// Shown (its `Display`) the way rustc and Hurl show errors: the `file:line: message` line
/// (which editors and CI logs link), then, when the position is known, the source line with a
/// caret under the column:
///
/// ```text
/// cases/x.yaml:6: unknown field 'statuss', expected one of …
///   --> cases/x.yaml:6:7
///    |
///  6 |       statuss: 200
///    |       ^^^^^^^
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct LoadError {
    /// The file as given to the loader (e.g. `cases/preflight/x.yaml`).
    pub file: String,
    /// What kind of problem this is.
    pub kind: LoadErrorKind,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) on `line`, when known.
    pub column: Option<usize>,
    /// What is wrong (names the field).
    pub message: String,
    /// The text of `line`, for the excerpt.
    pub source_line: Option<String>,
}

impl LoadError {
    /// An error about a whole file or directory (no position).
    pub fn file(file: impl Into<String>, kind: LoadErrorKind, message: impl Into<String>) -> Self {
        LoadError {
            file: file.into(),
            kind,
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }

    /// An error at `line`/`column` of `src` (either may be unknown); keeps the line's text
    /// for the excerpt.
    pub fn at(
        file: &str,
        src: &str,
        line: Option<usize>,
        column: Option<usize>,
        kind: LoadErrorKind,
        message: String,
    ) -> Self {
        let line = line.filter(|&l| l > 0);
        let source_line = line
            .and_then(|l| src.lines().nth(l - 1))
            .map(str::to_string);
        LoadError {
            file: file.to_string(),
            kind,
            line,
            column: column.filter(|&c| c > 0),
            message,
            source_line,
        }
    }

    fn render(&self) -> String {
        let mut out = match self.line {
            Some(line) => format!("{}:{}: {}", self.file, line, self.message),
            None => format!("{}: {}", self.file, self.message),
        };
        if let Some(excerpt) = self.excerpt() {
            out.push('\n');
            out.push_str(&excerpt);
        }
        out
    }

    /// The `-->` line, the source line and the caret; `None` without a known line.
    pub fn excerpt(&self) -> Option<String> {
        let line = self.line?;
        let text = self.source_line.as_deref()?.trim_end();
        let number = line.to_string();
        let gutter = " ".repeat(number.len());
        let at = match self.column {
            Some(c) => format!("{}:{line}:{c}", self.file),
            None => format!("{}:{line}", self.file),
        };
        let mut out = format!("{gutter}--> {at}\n{gutter} |\n{number} | {text}");
        // Without a column, the caret marks the line's first non-blank character.
        let column = self
            .column
            .unwrap_or_else(|| text.chars().take_while(|c| c.is_whitespace()).count() + 1);
        let before: String = text
            .chars()
            .take(column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = text
            .chars()
            .skip(column - 1)
            .take_while(|c| !c.is_whitespace() && !matches!(c, ':' | ',' | '}' | ']'))
            .count()
            .max(1);
        out.push_str(&format!("\n{gutter} | {before}{}", "^".repeat(width)));
        Some(out)
    }
}

/// A validated case, ready to run.
#[derive(Debug, Clone)]
pub struct Case {
    /// Path under `cases/` without `.yaml` (`preflight/allowed-origin`).
    pub id: String,
    /// The file as given to the loader, for messages and annotations.
    pub file: String,
    pub title: String,
    pub spec: Vec<String>,
    pub tags: Vec<String>,
    pub unsettled: Option<String>,
    /// Every capability the case needs: the declared ones plus those its contents imply.
    pub needs: Vec<Capability>,
    pub bucket: super::model::BucketSetup,
    pub steps: Vec<CaseStep>,
}

/// One validated step.
#[derive(Debug, Clone)]
pub struct CaseStep {
    /// 1-based source line of the step.
    pub line: usize,
    pub action: Action,
    /// Values this step's response provides to later steps (`${name}`).
    pub capture: crate::case::OrderedMap<super::model::CaptureSpec>,
    /// The expectation (a default one, status 0, when `recorded` is false).
    pub expect: Expect,
    /// False for a blank expectation (`expect: record` or no `expect:`): `s3cors record`
    /// fills it in, `s3cors run` fails the case naming the step.
    pub recorded: bool,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    Request(RequestSpec),
    PutBucketCors(PutBucketCorsSpec),
    GetBucketCors(ApiCallSpec),
    DeleteBucketCors(ApiCallSpec),
}

impl Case {
    /// 1-based numbers of the steps whose expectation is blank (not yet recorded).
    pub fn unrecorded_steps(&self) -> Vec<usize> {
        (1..=self.steps.len())
            .filter(|&n| !self.steps[n - 1].recorded)
            .collect()
    }
}

impl CaseStep {
    /// A short label: `OPTIONS image.jpg`, `GET <bucket>`, `PutBucketCors`, …
    pub fn label(&self) -> String {
        match &self.action {
            Action::Request(r) => {
                let target = if r.service {
                    "/".to_string()
                } else {
                    match r.key.as_deref() {
                        Some(k) if !k.is_empty() => k.to_string(),
                        _ => "<bucket>".to_string(),
                    }
                };
                format!("{} {}", r.method, target)
            }
            Action::PutBucketCors(_) => "PutBucketCors".to_string(),
            Action::GetBucketCors(_) => "GetBucketCors".to_string(),
            Action::DeleteBucketCors(_) => "DeleteBucketCors".to_string(),
        }
    }
}

/// What loading produced: the good cases (sorted by id) and every error (sorted by file).
#[derive(Debug, Default)]
pub struct Loaded {
    pub cases: Vec<Case>,
    pub errors: Vec<LoadError>,
}

/// Loads every `*.yaml` under a directory (recursively).
pub fn load_dir(dir: &Path) -> Loaded {
    load_paths(&[dir.to_path_buf()])
}

/// Loads case files and directories (recursively, `*.yaml`). A path that does not exist is
/// an error. Ids are taken relative to the nearest ancestor directory named `cases`, or else
/// to the directory given.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk(path, &mut found) {
                loaded.errors.push(LoadError::file(
                    path.display().to_string(),
                    LoadErrorKind::Io,
                    format!("cannot read directory: {e}"),
                ));
            }
            for f in found {
                let id = case_id(&f, Some(path));
                files.push((f, id));
            }
        } else if path.is_file() {
            let id = case_id(path, None);
            files.push((path.clone(), id));
        } else {
            loaded.errors.push(LoadError::file(
                path.display().to_string(),
                LoadErrorKind::Io,
                "no such file or directory",
            ));
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    for (file, id) in files {
        let shown = file.display().to_string();
        match std::fs::read_to_string(&file) {
            Ok(src) => match parse_case(&id, &shown, &src) {
                Ok(case) => {
                    if loaded.cases.iter().any(|c| c.id == case.id) {
                        loaded.errors.push(LoadError::file(
                            shown,
                            LoadErrorKind::Duplicate,
                            format!("duplicate case id `{}`", case.id),
                        ));
                    } else {
                        loaded.cases.push(case);
                    }
                }
                Err(errs) => loaded.errors.extend(errs),
            },
            Err(e) => loaded.errors.push(LoadError::file(
                shown,
                LoadErrorKind::Io,
                format!("cannot read: {e}"),
            )),
        }
    }
    loaded.cases.sort_by(|a, b| a.id.cmp(&b.id));
    loaded
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    Ok(())
}

/// `cases/preflight/x.yaml` → `preflight/x`.
fn case_id(file: &Path, root: Option<&Path>) -> String {
    let no_ext = file.with_extension("");
    // Prefer the part below the nearest ancestor called `cases`.
    let comps: Vec<_> = no_ext.components().collect();
    if let Some(pos) = comps
        .iter()
        .rposition(|c| c.as_os_str() == "cases")
        .filter(|&p| p + 1 < comps.len())
    {
        return comps[pos + 1..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
    }
    let rel = root
        .and_then(|r| no_ext.strip_prefix(r).ok())
        .unwrap_or_else(|| no_ext.file_name().map(Path::new).unwrap_or(&no_ext));
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses and validates one case file's text. `file` is only used in messages.
pub fn parse_case(id: &str, file: &str, src: &str) -> Result<Case, Vec<LoadError>> {
    let raw: CaseFile = match serde_saphyr::from_str(src) {
        Ok(raw) => raw,
        Err(e) => return Err(vec![yaml_error(file, src, &e)]),
    };
    let mut errors = Vec::new();
    // Semantic errors point at a top-level key (column 1) or at a step's first character.
    let mut err = |(line, column): (Option<usize>, Option<usize>), message: String| {
        errors.push(LoadError::at(
            file,
            src,
            line,
            column,
            LoadErrorKind::Invalid,
            message,
        ))
    };
    let key_line = |key: &str| (line_of_key(src, key), Some(1));

    if raw.title.trim().is_empty() {
        err(key_line("title"), "`title` is empty".into());
    }
    // `spec` may be empty: a user's own case need not know our spec. The built-in corpus
    // names at least one rule per case; `corpus::tests` enforces that.
    if raw.steps.is_empty() {
        err(
            key_line("steps"),
            "`steps` is empty: a case needs at least one step".into(),
        );
    }
    let b = &raw.bucket;
    if b.cors.is_some() && b.cors_xml.is_some() {
        err(
            key_line("bucket"),
            "`bucket` has both `cors` and `cors_xml`; use one".into(),
        );
    }
    if !b.exists
        && (b.cors.is_some() || b.cors_xml.is_some() || b.acl.is_some() || !b.objects.is_empty())
    {
        err(
            key_line("bucket"),
            "`bucket.exists: false` cannot have `cors`, `cors_xml`, `acl` or `objects`".into(),
        );
    }

    let mut needs: Vec<Capability> = raw.needs.clone();
    let mut need = |c: Capability| {
        if !needs.contains(&c) {
            needs.push(c);
        }
    };
    if b.cors.is_some() || b.cors_xml.is_some() {
        need(Capability::BucketCors);
    }
    let public = |a: Option<CannedAcl>| a.is_some_and(|a| a != CannedAcl::Private);
    if public(b.acl) {
        need(Capability::PublicAcl);
    }
    for (_, o) in b.objects.iter() {
        if let ObjectSpec::Full(f) = o
            && public(f.acl)
        {
            need(Capability::PublicAcl);
        }
    }

    let mut steps = Vec::new();
    for (i, spanned) in raw.steps.into_iter().enumerate() {
        let line = spanned.referenced.line() as usize;
        let column = spanned.referenced.column() as usize;
        let line_opt = ((line > 0).then_some(line), (column > 0).then_some(column));
        let Step {
            request,
            put_bucket_cors,
            get_bucket_cors,
            delete_bucket_cors,
            capture,
            expect,
        } = spanned.value;
        let (expect, recorded) = match expect {
            Some(super::model::ExpectField::Given(e)) => (*e, true),
            Some(super::model::ExpectField::Record) | None => (Expect::default(), false),
        };
        let kinds: Vec<&str> = [
            request.as_ref().map(|_| "request"),
            put_bucket_cors.as_ref().map(|_| "put_bucket_cors"),
            get_bucket_cors.as_ref().map(|_| "get_bucket_cors"),
            delete_bucket_cors.as_ref().map(|_| "delete_bucket_cors"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let n = i + 1;
        if kinds.len() != 1 {
            let what = if kinds.is_empty() {
                "has no kind".to_string()
            } else {
                format!("has {} kinds ({})", kinds.len(), kinds.join(", "))
            };
            err(
                line_opt,
                format!(
                    "step {n} {what}: a step is exactly one of `request`, `put_bucket_cors`, `get_bucket_cors`, `delete_bucket_cors`"
                ),
            );
            continue;
        }
        let action = if let Some(r) = request {
            if r.method.trim().is_empty() {
                err(line_opt, format!("step {n}: `request.method` is empty"));
            }
            if r.service && r.key.as_deref().is_some_and(|k| !k.is_empty()) {
                err(
                    line_opt,
                    format!("step {n}: `request.service: true` cannot have a `key`"),
                );
            }
            if r.addressing == Some(Addressing::Virtual) {
                need(Capability::VirtualHosted);
            }
            if r.form.is_some() && (r.body.is_some() || r.body_size.is_some()) {
                err(
                    line_opt,
                    format!("step {n}: `request.form` is the body; drop `body`/`body_size`"),
                );
            }
            Action::Request(r)
        } else if let Some(p) = put_bucket_cors {
            if p.rules.is_some() == p.xml.is_some() {
                err(
                    line_opt,
                    format!("step {n}: `put_bucket_cors` needs exactly one of `rules` and `xml`"),
                );
            }
            need(Capability::BucketCors);
            if p.addressing == Some(Addressing::Virtual) {
                need(Capability::VirtualHosted);
            }
            Action::PutBucketCors(p)
        } else if let Some(g) = get_bucket_cors {
            need(Capability::BucketCors);
            if g.addressing == Some(Addressing::Virtual) {
                need(Capability::VirtualHosted);
            }
            Action::GetBucketCors(g)
        } else if let Some(d) = delete_bucket_cors {
            need(Capability::BucketCors);
            if d.addressing == Some(Addressing::Virtual) {
                need(Capability::VirtualHosted);
            }
            Action::DeleteBucketCors(d)
        } else {
            continue;
        };
        if !capture.is_empty() && !matches!(action, Action::Request(_)) {
            err(
                line_opt,
                format!("step {n}: only `request` steps can `capture`"),
            );
        }
        for (name, c) in capture.iter() {
            if name == "bucket"
                || name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                err(
                    line_opt,
                    format!(
                        "step {n}: capture name `{name}` must be letters, digits and `_`, and not `bucket`"
                    ),
                );
            }
            if c.header.is_some() == c.xml.is_some() {
                err(
                    line_opt,
                    format!("step {n}: capture `{name}` needs exactly one of `header` and `xml`"),
                );
            }
        }
        if expect.rules.is_some() && !matches!(action, Action::GetBucketCors(_)) {
            err(
                line_opt,
                format!("step {n}: `expect.rules` is only for `get_bucket_cors` steps"),
            );
        }
        for (name, _) in expect.headers.iter() {
            if !is_cors_surface(name) {
                err(
                    line_opt,
                    format!(
                        "step {n}: `expect.headers` is the CORS surface (Access-Control-* and Vary); put `{name}` under `expect.other_headers`"
                    ),
                );
            }
        }
        steps.push(CaseStep {
            line,
            action,
            capture,
            expect,
            recorded,
        });
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Case {
        id: id.to_string(),
        file: file.to_string(),
        title: raw.title,
        spec: raw.spec,
        tags: raw.tags,
        unsettled: raw.unsettled,
        needs,
        bucket: raw.bucket,
        steps,
    })
}

/// Whether a response header belongs to the CORS surface the runner compares exactly.
pub fn is_cors_surface(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("access-control-") || lower == "vary"
}

/// The first line (1-based) whose text starts with `key:` at column 0.
fn line_of_key(src: &str, key: &str) -> Option<usize> {
    src.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

fn yaml_error(file: &str, src: &str, e: &serde_saphyr::Error) -> LoadError {
    let location = e.location();
    let line = location.map(|l| l.line() as usize);
    let column = location.map(|l| l.column() as usize);
    // The excerpt quotes the source line, which names the field a type error ("invalid u16")
    // is about.
    LoadError::at(
        file,
        src,
        line,
        column,
        LoadErrorKind::Syntax,
        clean_message(&e.without_snippet().to_string()),
    )
}

/// serde-saphyr appends ` at line L column C` to its messages; we print `file:line:` instead.
/// Backticks become quotes to match the rest of our messages.
fn clean_message(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg);
    let trimmed = match first.rfind(" at line ") {
        Some(pos) => &first[..pos],
        None => first,
    };
    trimmed.replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "title: t\nspec: [\"3.2\"]\nsteps:\n  - request: {method: OPTIONS, key: a}\n    expect: {status: 200}\n";

    #[test]
    fn good_case_loads_with_step_line() {
        let c = parse_case("x", "cases/x.yaml", GOOD).unwrap();
        assert_eq!(c.steps.len(), 1);
        assert_eq!(c.steps[0].line, 4);
        assert_eq!(c.steps[0].label(), "OPTIONS a");
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let src = "title: t\nspec: [\"3.2\"]\nsteps:\n  - request: {method: GET}\n    expect:\n      statuss: 200\n";
        let e = parse_case("x", "cases/x.yaml", src).unwrap_err();
        let s = e[0].to_string();
        assert!(
            s.starts_with("cases/x.yaml:6: unknown field 'statuss'"),
            "{s}"
        );
    }

    #[test]
    fn excerpt_marks_the_token_at_the_column() {
        let e = LoadError::at(
            "f.yaml",
            "a: 1\n  key: value\n",
            Some(2),
            Some(3),
            LoadErrorKind::Invalid,
            "bad".into(),
        );
        assert_eq!(
            e.to_string(),
            "f.yaml:2: bad\n --> f.yaml:2:3\n  |\n2 |   key: value\n  |   ^^^"
        );
        let no_line = LoadError::file("f.yaml", LoadErrorKind::Io, "cannot read: gone");
        assert_eq!(no_line.to_string(), "f.yaml: cannot read: gone");
        assert_eq!(no_line.excerpt(), None);
    }

    #[test]
    fn wrong_type_names_line() {
        let src = "title: t\nspec: [\"3.2\"]\nsteps:\n  - request: {method: GET}\n    expect:\n      status: [1]\n";
        let e = parse_case("x", "cases/x.yaml", src).unwrap_err();
        assert_eq!(e[0].line, Some(6), "{}", e[0]);
    }

    #[test]
    fn bad_yaml_is_an_error_not_a_panic() {
        let e = parse_case("x", "f.yaml", "title: [unclosed\n  spec: {").unwrap_err();
        assert!(e[0].line.is_some(), "{}", e[0]);
    }

    #[test]
    fn semantic_errors_are_all_reported() {
        let src = "title: t\nspec: []\nsteps:\n  - request: {method: GET}\n    get_bucket_cors: {}\n    expect: {status: 200}\n  - expect: {status: 200, headers: {ETag: x}}\n";
        let e = parse_case("x", "f.yaml", src).unwrap_err();
        let all: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert_eq!(e.len(), 2, "{all:#?}");
        assert!(all[0].contains("f.yaml:4: step 1 has 2 kinds"), "{all:#?}");
        assert!(all[1].contains("f.yaml:7: step 2 has no kind"), "{all:#?}");
    }

    #[test]
    fn spec_is_optional_for_user_cases() {
        let src = "title: mine\nsteps:\n  - request: {method: OPTIONS, key: a}\n    expect: {status: 403}\n";
        let c = parse_case("mine", "my/mine.yaml", src).unwrap();
        assert!(c.spec.is_empty());
        assert_eq!(c.steps.len(), 1);
    }

    #[test]
    fn ids_are_relative_to_cases() {
        assert_eq!(case_id(Path::new("x/cases/seed/a.yaml"), None), "seed/a");
        assert_eq!(
            case_id(Path::new("/tmp/d/sub/a.yaml"), Some(Path::new("/tmp/d"))),
            "sub/a"
        );
    }
}
