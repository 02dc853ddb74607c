//! The YAML case model: what a case file may say, loading it with `file:line` errors, and
//! the JSON Schema editors validate case files with.
//!
//! Two layers on purpose: [`model`] mirrors the YAML exactly (serde + schemars, so the
//! schema and the parser can never disagree), and [`load`] validates what serde cannot and
//! produces [`Case`]s the runner executes. The format is documented in
//! `docs/case-format.md`.

pub mod corpus;
pub mod load;
pub mod model;
pub mod ordered;

pub use load::{
    Action, Case, CaseStep, LoadError, LoadErrorKind, Loaded, is_cors_surface, load_dir,
    load_paths, parse_case,
};
pub use model::{Capability, CaseFile};
pub use ordered::OrderedMap;

/// The JSON Schema of a case file (`docs/case.schema.json`), pretty-printed with a final
/// newline. `s3cors schema` prints it.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(model::CaseFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/case.schema.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::schema_json(),
            "docs/case.schema.json is stale: regenerate it with `cargo run -- schema > docs/case.schema.json`"
        );
    }
}
