//! `results.json`: the results document itself, as compact JSON (one line: published runs
//! hold thousands of results; `jq .` pretty-prints it).
//!
//! Why a "renderer" for the input: `s3cors report` reads a results file and writes it back
//! normalised next to the other reports, so a report directory is always complete and
//! self-describing (the matrix and the data it came from travel together).

use crate::results::RunResults;

/// Renders `results` as compact JSON (with a trailing newline).
pub fn render(results: &RunResults) -> String {
    match serde_json::to_string(results) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // The model has only string-keyed maps, so serialisation cannot fail; if it ever
        // does, say so in the file instead of panicking mid-report.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::sample_results;

    #[test]
    fn compact_and_round_trips() {
        let r = sample_results();
        let s = render(&r);
        assert!(s.starts_with("{\"schema_version\":1,"));
        assert!(s.ends_with("}\n"));
        assert_eq!(s.lines().count(), 1);
        assert!(s.contains("\"outcome\":\"known_deviation\""));
        let back: RunResults = serde_json::from_str(&s).expect("round trip");
        assert_eq!(back, r);
    }
}
