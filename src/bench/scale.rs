//! Generated corpora for the scaling measurement: the real corpus copied until it has the
//! wanted size, each copy renamed (`scale/<copy>/<id>`) and with its origins perturbed.
//!
//! The perturbation is a consistent text substitution in the case source (`example` becomes
//! `example<copy>` everywhere: in the bucket's `AllowedOrigin`s, in the request `Origin`s and
//! in the expected `Access-Control-Allow-Origin`s alike), so each copy still passes and the
//! scaling run measures the harness, not failure rendering. The copies are parsed with the
//! real loader, so they are exactly what `s3cors run` would execute.

use crate::case::{Case, parse_case};

/// Builds `n` cases from `corpus` (fewer if the corpus is empty or its files are unreadable).
pub fn corpus_of(corpus: &[Case], n: usize) -> Vec<Case> {
    let sources: Vec<(&Case, String)> = corpus
        .iter()
        .filter_map(|c| std::fs::read_to_string(&c.file).ok().map(|s| (c, s)))
        .collect();
    let mut out = Vec::with_capacity(n);
    if sources.is_empty() {
        return out;
    }
    let mut copy = 0usize;
    while out.len() < n {
        for (case, src) in &sources {
            if out.len() >= n {
                break;
            }
            let text = if copy == 0 {
                src.clone()
            } else {
                src.replace("example", &format!("example{copy}"))
            };
            let id = format!("scale/{copy}/{}", case.id);
            if let Ok(c) = parse_case(&id, &case.file, &text) {
                out.push(c);
            }
        }
        copy += 1;
    }
    out
}
