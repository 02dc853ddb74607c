//! Shrinking a failing scenario with proptest's value trees.
//!
//! Why proptest's trees and not a hand-written reducer: the tree already knows how every
//! part of a [`super::generate::Scenario`] gets simpler (drop a step, drop a rule, drop a list
//! item, step back to an earlier pool value), and `simplify`/`complicate` is the binary
//! search proptest itself runs. We drive it by hand only because the property is async and
//! remote (one evaluation is a bucket on the target), so the number of evaluations must be
//! bounded and repeated candidates must not cost a second evaluation.

use proptest::strategy::ValueTree;
use std::collections::HashMap;

/// The smallest value found that still `fails`, and how many evaluations it took.
///
/// `tree.current()` must be failing on entry. At most `max_runs` evaluations are made;
/// candidates already evaluated are answered from a cache.
pub fn shrink<T, F>(tree: &mut T, max_runs: usize, mut fails: F) -> (T::Value, usize)
where
    T: ValueTree,
    T::Value: Clone + std::fmt::Debug,
    F: FnMut(&T::Value) -> bool,
{
    let mut best = tree.current();
    // Keyed by the Debug text: scenarios hold rules that are not `Hash`.
    let mut seen: HashMap<String, bool> = HashMap::new();
    seen.insert(format!("{best:?}"), true);
    let mut runs = 0;
    if !tree.simplify() {
        return (best, runs);
    }
    loop {
        let candidate = tree.current();
        let key = format!("{candidate:?}");
        let failed = match seen.get(&key) {
            Some(f) => *f,
            None => {
                if runs >= max_runs {
                    break;
                }
                runs += 1;
                let f = fails(&candidate);
                seen.insert(key, f);
                f
            }
        };
        let moved = if failed {
            best = candidate;
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !moved {
            break;
        }
    }
    (best, runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::strategy::Strategy;
    use proptest::test_runner::TestRunner;

    #[test]
    fn shrinks_to_the_minimal_failing_value_within_the_bound() {
        let strategy = vec(0u32..1000, 0..20);
        let mut runner = TestRunner::deterministic();
        // Find a failing start: a vector holding a value ≥ 500.
        let mut tree = loop {
            let t = strategy.new_tree(&mut runner).unwrap();
            if t.current().iter().any(|v| *v >= 500) {
                break t;
            }
        };
        let (min, runs) = shrink(&mut tree, 500, |v| v.iter().any(|x| *x >= 500));
        assert_eq!(min, vec![500]);
        assert!(runs > 0 && runs <= 500, "{runs}");
    }

    #[test]
    fn the_bound_stops_shrinking_and_keeps_a_failing_value() {
        let strategy = vec(0u32..1000, 5..20);
        let mut runner = TestRunner::deterministic();
        let mut tree = strategy.new_tree(&mut runner).unwrap();
        let (v, runs) = shrink(&mut tree, 2, |v| v.len() >= 5);
        assert!(runs <= 2);
        assert!(v.len() >= 5);
    }
}
