//! The origin-mutation pack against the embedded server: every generated case passes.
//!
//! The expectations of the pack come from the reference model, and the embedded server is
//! built on the same model, so any failure here is either a server bug in origin handling
//! (the server grants or refuses what the model does not) or a generator bug (a case the
//! runner cannot execute). Either way it must be fixed before the pack can judge other
//! targets.

use s3cors::case::load_dir;
use s3cors::mutation::{self, Severity};
use s3cors::runner::{self, Decision, exec};
use s3cors::target::embedded::EmbeddedTarget;
use std::path::Path;
use std::sync::Arc;

#[test]
fn mutation_pack_is_generated_and_passes_on_the_embedded_server() {
    let loaded = load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/cases")));
    let pack = mutation::generate(&loaded.cases);
    assert!(
        pack.len() >= 50,
        "expected a sizeable pack from the corpus, got {} cases",
        pack.len()
    );
    // Deterministic, unique ids, all tagged.
    let again = mutation::generate(&loaded.cases);
    assert_eq!(
        pack.iter().map(|c| &c.id).collect::<Vec<_>>(),
        again.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    let mut ids: Vec<&str> = pack.iter().map(|c| c.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), pack.len(), "duplicate ids");
    for c in &pack {
        assert!(c.id.starts_with("mutation/"), "{}", c.id);
        assert!(c.tags.iter().any(|t| t == mutation::TAG), "{}", c.id);
        assert!(mutation::severity_of(&c.tags).is_some(), "{}", c.id);
    }
    assert!(
        pack.iter()
            .any(|c| mutation::severity_of(&c.tags) == Some(Severity::High))
    );
    // Some variants are refused and some granted (wildcard rules grant subdomains).
    let refused = pack
        .iter()
        .filter(|c| c.steps[0].expect.status == 403)
        .count();
    eprintln!(
        "mutation pack: {} cases ({} preflights refused by the model) from {} corpus cases",
        pack.len(),
        refused,
        loaded.cases.len()
    );
    assert!(
        refused > 0 && refused < pack.len(),
        "{refused} of {}",
        pack.len()
    );

    let rt = runner::runtime().expect("runtime");
    let target = Arc::new(
        rt.block_on(EmbeddedTarget::start("embedded"))
            .expect("server"),
    );
    let failures: Vec<String> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, case) in pack.iter().cloned().enumerate() {
            let target = target.clone();
            set.spawn(async move {
                let bucket = format!("s3cors-mutation-{i}");
                let run = exec::run_case(target.as_ref(), None, &case, &bucket).await;
                match run.decision {
                    Decision::Passed => None,
                    Decision::Failed(f) => Some(format!("{}: {}\n{}", case.id, f.label, f.diff)),
                    other => Some(format!("{}: {other:?}", case.id)),
                }
            });
            if set.len() >= 8
                && let Some(Ok(Some(f))) = set.join_next().await
            {
                return vec![f];
            }
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(Some(f)) = r {
                out.push(f);
            }
        }
        out
    });
    rt.block_on(target.shutdown());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
