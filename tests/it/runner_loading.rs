//! A broken case directory: every broken file is reported with its file and line, and the
//! good files still load.

use crate::util;

const GOOD: &str = "title: fine\nspec: [\"3.2\"]\nsteps:\n  - request: {method: OPTIONS}\n    expect: {status: 400}\n";

#[test]
fn broken_files_are_all_reported_and_good_ones_load() {
    let dir = util::scratch("loading");
    let cases = util::write_files(
        &dir.path().join("cases"),
        &[
            ("broken/a-good.yaml", GOOD),
            (
                "broken/bad-yaml.yaml",
                "title: x\nspec: [\"3.2\"\nsteps: []\n",
            ),
            (
                "broken/unknown-field.yaml",
                "title: x\nspec: [\"3.2\"]\nsteps:\n  - request: {method: GET}\n    expect:\n      statuss: 200\n",
            ),
            (
                "broken/wrong-type.yaml",
                "title: x\nspec: [\"3.2\"]\nsteps:\n  - request: {method: GET}\n    expect:\n      status: two hundred\n",
            ),
            ("broken/not-a-case.txt", "ignored"),
        ],
    );

    let loaded = s3cors::case::load_dir(&cases);
    let ids: Vec<&str> = loaded.cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["broken/a-good"]);
    let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");

    let find = |name: &str| {
        errors
            .iter()
            .find(|e| e.contains(name))
            .cloned()
            .unwrap_or_else(|| panic!("no error for {name}: {errors:#?}"))
    };
    let bad = find("bad-yaml.yaml");
    assert!(bad.contains("bad-yaml.yaml:"), "{bad}");
    assert!(
        loaded.errors.iter().all(|e| e.line.is_some()),
        "{errors:#?}"
    );
    let unknown = find("unknown-field.yaml");
    assert!(
        unknown.contains("unknown-field.yaml:6: unknown field 'statuss'"),
        "{unknown}"
    );
    assert!(
        unknown.contains("status"),
        "names the expected fields: {unknown}"
    );
    let wrong = find("wrong-type.yaml");
    assert!(wrong.contains("wrong-type.yaml:6:"), "{wrong}");
}

/// An error with a known position is shown with an excerpt and a caret under the column, the
/// way rustc and Hurl show them; its kind says what sort of problem it is.
#[test]
fn errors_show_the_source_line_with_a_caret() {
    let src = "title: x\nspec: [\"3.2\"]\nsteps:\n  - request: {method: GET}\n    expect:\n      statuss: 200\n";
    let errors = s3cors::case::parse_case("x", "cases/x.yaml", src)
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(e.kind, s3cors::case::LoadErrorKind::Syntax);
    assert_eq!((e.line, e.column), (Some(6), Some(7)), "{e}");
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines[0].starts_with("cases/x.yaml:6: unknown field 'statuss'"),
        "{shown}"
    );
    assert_eq!(
        lines[1..],
        [
            " --> cases/x.yaml:6:7",
            "  |",
            "6 |       statuss: 200",
            "  |       ^^^^^^^",
        ],
        "{shown}"
    );

    // A rule of the format (not YAML) points at the step.
    let src = "title: t\nsteps:\n  - request: {method: GET}\n    get_bucket_cors: {}\n    expect: {status: 200}\n";
    let errors = s3cors::case::parse_case("x", "f.yaml", src)
        .err()
        .unwrap_or_default();
    let e = &errors[0];
    assert_eq!(e.kind, s3cors::case::LoadErrorKind::Invalid);
    let shown = e.to_string();
    assert!(
        shown.ends_with("3 |   - request: {method: GET}\n  |     ^^^^^^^"),
        "{shown}"
    );
}
