#!/usr/bin/env bash
# A bounded sample of the mutation score of src/cors for CI (issue 16): one shard of the mutants
# (a different shard each day of the year, or MUTANTS_SHARD=k), each tested against the CORS
# model's unit tests in the small crate scripts/mutants/cors-mini: stage 1 of
# scripts/mutants/cors-score.sh, a few seconds per mutant.
#
# Every mutant of src/cors is caught in stage 1 today (docs/fuzzing.md, "Mutation score"), so a
# survivor in the sample means a test was lost, or the model changed without a test: the step
# fails and names it. Kill it with a test, or list it in .cargo/mutants.toml (exclude_re) as an
# equivalent mutant with the reason. A mutant that hangs the tests counts as caught.
#
# Runs in place (mutates the checkout through the crate's `src` link and restores every file):
# do not edit src/ while it runs.
#
#   MUTANTS_SHARDS=N   number of shards (default 6: about 27 mutants)
#   MUTANTS_SHARD=k    the shard to run (default: day of year mod N)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
shards=${MUTANTS_SHARDS:-6}
day=$(date -u +%j)
shard=${MUTANTS_SHARD:-$(( 10#$day % shards ))}
if ! cargo mutants --version >/dev/null 2>&1; then
  cargo install --locked --quiet cargo-mutants@27.1.0
fi
. "$ROOT/scripts/mutants/excludes.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "cargo mutants --in-place --file 'src/cors/*.rs' --shard $shard/$shards in scripts/mutants/cors-mini"
set +e
(cd scripts/mutants/cors-mini && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/cors-mini" \
  cargo mutants --in-place --no-shuffle --timeout 30 --file 'src/cors/*.rs' "${EXCLUDES[@]}" \
  --shard "$shard/$shards" --output "$out")
rc=$?
set -e
for f in caught missed timeout unviable; do
  echo "$f: $(wc -l <"$out/mutants.out/$f.txt" 2>/dev/null || echo 0)"
done
# cargo-mutants exits 2 when a mutant survived, 3 when the only trouble was a hang (caught).
case $rc in
  0 | 3) exit 0 ;;
  2)
    echo "surviving mutants (kill them with a test, or list them as equivalents in .cargo/mutants.toml with the reason):" >&2
    cat "$out/mutants.out/missed.txt" >&2
    exit 1 ;;
  *) echo "cargo mutants failed (exit $rc)" >&2; exit "$rc" ;;
esac
