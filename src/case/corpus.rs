//! The built-in corpus: the repository's `cases/` and `expectations/` embedded in the binary
//! at build time (`build.rs`), so an installed `s3cors` runs the whole corpus from any folder.
//!
//! Which cases a run uses by default ([`default_source`]): the folder `./cases` when it exists
//! (the project's own checkout keeps working on the files being edited), otherwise the
//! built-in corpus. The same rule picks `./expectations` or the built-in known-deviation
//! files. Both are documented in the README and in `s3cors run --help`.
//!
//! Revisions: a run names the corpus it ran. The built-in corpus is named by a content hash
//! ([`content_revision`]) over each file's path below `cases/` and its bytes; a folder outside
//! git is hashed the same way, so `s3cors cases export DIR` followed by `s3cors run DIR`
//! reports the same revision as the built-in corpus until a file is edited.

use super::load::{Loaded, parse_case};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// The prefix built-in case files are shown with (`cases/preflight/x.yaml`): the path the
/// file has in the repository and after `s3cors cases export cases`.
pub const BUILTIN_PREFIX: &str = "cases/";

/// Where a run's default cases come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder on disk (`./cases` in the project's checkout).
    Folder(PathBuf),
    /// The corpus embedded in this binary.
    BuiltIn,
}

/// `./cases` when it is a folder, else the built-in corpus.
pub fn default_source() -> Source {
    let local = Path::new("cases");
    if local.is_dir() {
        Source::Folder(local.to_path_buf())
    } else {
        Source::BuiltIn
    }
}

/// The embedded case files: (path below `cases/`, text), sorted by path.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    CASE_FILES
}

/// The embedded known-deviation files: (file name, text), sorted by name.
pub fn builtin_expectation_files() -> &'static [(&'static str, &'static str)] {
    EXPECTATION_FILES
}

/// The embedded `expectations/<target>.yaml`, if there is one.
pub fn builtin_expectations(target: &str) -> Option<&'static str> {
    let want = format!("{target}.yaml");
    EXPECTATION_FILES
        .iter()
        .find(|(name, _)| *name == want)
        .map(|(_, text)| *text)
}

/// Parses the built-in corpus. Ids are the paths below `cases/` without `.yaml`, files are
/// shown as `cases/<path>`.
pub fn load_builtin() -> Loaded {
    let mut loaded = Loaded::default();
    for (rel, text) in CASE_FILES {
        let id = rel.strip_suffix(".yaml").unwrap_or(rel);
        let file = format!("{BUILTIN_PREFIX}{rel}");
        match parse_case(id, &file, text) {
            Ok(case) => loaded.cases.push(case),
            Err(errors) => loaded.errors.extend(errors),
        }
    }
    loaded.cases.sort_by(|a, b| a.id.cmp(&b.id));
    loaded
}

/// The revision of the built-in corpus: `sha256:<16 hex> (built-in, s3cors <version>)`.
pub fn builtin_revision() -> String {
    let hash = content_revision(
        CASE_FILES
            .iter()
            .map(|(rel, text)| (rel.to_string(), text.as_bytes().to_vec())),
    );
    format!("{hash} (built-in, s3cors {})", env!("CARGO_PKG_VERSION"))
}

/// `sha256:` and the first 16 hex digits of a SHA-256 over every (relative path, bytes),
/// sorted by path, each field followed by a NUL byte. Independent of where the files live.
pub fn content_revision(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(String, Vec<u8>)> = files.into_iter().collect();
    files.sort();
    let mut h = Sha256::new();
    for (path, bytes) in &files {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(bytes);
        h.update([0]);
    }
    format!("sha256:{}", &hex::encode(h.finalize())[..16])
}

/// Why the corpus could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file exists and `--force` was not given.
    #[error("{0}: already exists (use --force to overwrite)")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What [`export`] writes: the case files, and optionally the expectation files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportSet {
    Cases,
    Expectations,
}

/// Writes the built-in case files (or expectation files) below `dir` (created if missing);
/// returns the files written. Refuses to overwrite an existing file unless `force`, and checks
/// every file before writing any, so a refused export writes nothing.
pub fn export(dir: &Path, set: ExportSet, force: bool) -> Result<Vec<PathBuf>, ExportError> {
    let files = match set {
        ExportSet::Cases => CASE_FILES,
        ExportSet::Expectations => EXPECTATION_FILES,
    };
    let targets: Vec<(PathBuf, &str)> = files
        .iter()
        .map(|(rel, text)| {
            let mut p = dir.to_path_buf();
            p.extend(rel.split('/'));
            (p, *text)
        })
        .collect();
    if !force && let Some((p, _)) = targets.iter().find(|(p, _)| p.exists()) {
        return Err(ExportError::Exists(p.clone()));
    }
    let mut written = Vec::new();
    for (path, text) in targets {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| ExportError::Io {
                path: parent.to_path_buf(),
                error,
            })?;
        }
        std::fs::write(&path, text).map_err(|error| ExportError::Io {
            path: path.clone(),
            error,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Loads the default corpus ([`default_source`]): what loaded, and where it came from.
pub fn load_default() -> (Loaded, Source) {
    match default_source() {
        Source::Folder(dir) => (super::load_dir(&dir), Source::Folder(dir)),
        Source::BuiltIn => (load_builtin(), Source::BuiltIn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_corpus_loads_without_errors() {
        let loaded = load_builtin();
        assert!(loaded.errors.is_empty(), "{:#?}", loaded.errors);
        assert_eq!(loaded.cases.len(), CASE_FILES.len());
        assert!(loaded.cases.iter().any(|c| c.id == "seed/readme-image"));
    }

    /// The project's own corpus cites the spec: `spec:` is optional for users' cases only.
    #[test]
    fn every_builtin_case_names_a_spec_rule() {
        let missing: Vec<String> = load_builtin()
            .cases
            .iter()
            .filter(|c| c.spec.iter().all(|s| s.trim().is_empty()))
            .map(|c| c.file.clone())
            .collect();
        assert!(
            missing.is_empty(),
            "built-in cases without `spec:` (name at least one rule of docs/spec/aws-s3-cors.md): {missing:#?}"
        );
    }

    #[test]
    fn content_revision_ignores_order_and_sees_every_byte() {
        let a = content_revision([
            ("x.yaml".into(), b"1".to_vec()),
            ("y.yaml".into(), b"2".to_vec()),
        ]);
        let b = content_revision([
            ("y.yaml".into(), b"2".to_vec()),
            ("x.yaml".into(), b"1".to_vec()),
        ]);
        let c = content_revision([
            ("x.yaml".into(), b"1".to_vec()),
            ("y.yaml".into(), b"3".to_vec()),
        ]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(
            a.starts_with("sha256:") && a.len() == "sha256:".len() + 16,
            "{a}"
        );
    }

    #[test]
    fn export_refuses_to_overwrite_and_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("s3cors-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let written = export(&dir, ExportSet::Cases, false).unwrap();
        assert_eq!(written.len(), CASE_FILES.len());
        let first = &written[0];
        std::fs::write(first, "edited").unwrap();
        let err = export(&dir, ExportSet::Cases, false).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(first).unwrap(), "edited");
        export(&dir, ExportSet::Cases, true).unwrap();
        assert_ne!(std::fs::read_to_string(first).unwrap(), "edited");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
