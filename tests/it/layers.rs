//! Imports only point down: every `crate::<module>` a file under `src/` names must belong to a
//! lower layer than the file's own top-level module (see `docs/architecture.md`).
//!
//! The check reads the source as text: `crate::x` paths and `use crate::{x, …}` groups in code
//! lines (comments and doc comments are skipped; so is everything after a top-level
//! `#[cfg(test)]`, since unit tests may take fixtures from anywhere). A top-level module not
//! in [`LAYERS`] fails the test too, so a new module has to be placed in the table.

use crate::util;
use std::collections::BTreeSet;
use std::path::Path;

/// The layers, bottom first. A module may import only from modules in earlier rows.
const LAYERS: &[&[&str]] = &[
    &["s3"],
    &["cors", "browser"],
    &["case", "explain"],
    &["results", "server", "mutation"],
    &["target"],
    &["runner"],
    &["report", "bench", "difffuzz", "record"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// The top-level modules a piece of code names through `crate::`.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `s3cors_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Code lines of a file: no comments, nothing after a top-level `#[cfg(test)]`.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn violations(src: &Path) -> Vec<String> {
    let files = util::rust_files(src);
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let first = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if first == "lib" || first == "main" {
            continue;
        }
        let Some(own) = layer_of(&first) else {
            out.push(format!(
                "src/{}: module `{first}` is not in the layer table",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for used in crate_refs(&code_of(&text)) {
            if used == first {
                continue;
            }
            match layer_of(&used) {
                Some(l) if l < own => {}
                Some(_) => out.push(format!(
                    "src/{}: `{first}` imports `crate::{used}`, which is not in a lower layer",
                    rel.display()
                )),
                None => out.push(format!(
                    "src/{}: `crate::{used}` is not in the layer table",
                    rel.display()
                )),
            }
        }
    }
    out
}

#[test]
fn imports_only_point_down() {
    let found = violations(&util::repo().join("src"));
    assert!(
        found.is_empty(),
        "imports that run up the layers (docs/architecture.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let dir = util::scratch("layers");
    util::write_files(
        dir.path(),
        &[
            (
                "cors/bad.rs",
                "//! doc naming crate::cli is fine\nuse crate::{s3::S3Error, runner::Session};\n",
            ),
            ("s3/fine.rs", "// crate::cli in a comment\npub struct X;\n"),
            (
                "case/tested.rs",
                "use crate::cors::CorsRule;\n#[cfg(test)]\nmod tests { use crate::cli; }\n",
            ),
            ("newthing/mod.rs", "pub struct Y;\n"),
        ],
    );
    let found = violations(dir.path());
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|v| v.contains("cors/bad.rs") && v.contains("crate::runner")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.contains("module `newthing` is not in the layer table")),
        "{found:#?}"
    );
}
