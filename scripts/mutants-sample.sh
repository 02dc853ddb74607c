#!/usr/bin/env bash
# A bounded cargo-mutants sample of src/cors: one shard of the mutants (a different shard
# each day of the year, or MUTANTS_SHARD=k), each tested with `cargo test --lib --test
# conformance` (.cargo/mutants.toml). Fails when a sampled mutant survives, unless it is listed
# as an accepted equivalent (exclude_re in .cargo/mutants.toml) — so the score cannot silently
# fall. See docs/fuzzing.md for the full-run command and the measured score.
#
# Runs in place (mutates the checkout, restores every file afterwards) so the warm target/
# dir is reused: a copied tree would start with a cold build. Do not edit src/ while it runs.
#
#   MUTANTS_SHARDS=N   number of shards (default 48)
#   MUTANTS_SHARD=k    the shard to run (default: day of year mod N)
#   MUTANTS_FILES=glob files to mutate (default 'src/cors/*.rs')
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${MUTANTS_SHARDS:-48}
day=$(date -u +%j)
shard=${MUTANTS_SHARD:-$(( 10#$day % shards ))}
files=${MUTANTS_FILES:-src/cors/*.rs}
if ! cargo mutants --version >/dev/null 2>&1; then
  cargo install --locked cargo-mutants@27.1.0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "cargo mutants --in-place --file '$files' --shard $shard/$shards (test suite: .cargo/mutants.toml)"
set +e
cargo mutants --in-place --baseline skip --no-shuffle --timeout 300 \
  --file "$files" --shard "$shard/$shards" --output "$out" -- -- --skip difffuzz
rc=$?
set -e
for f in caught missed timeout unviable; do
  n=$(wc -l <"$out/mutants.out/$f.txt" 2>/dev/null || echo 0)
  echo "$f: $n"
done
if [ -s "$out/mutants.out/missed.txt" ]; then
  echo "surviving mutants (kill them with a test or a case, or list them as accepted equivalents in .cargo/mutants.toml with the reason):" >&2
  cat "$out/mutants.out/missed.txt" >&2
fi
exit "$rc"
