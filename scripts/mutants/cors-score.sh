#!/usr/bin/env bash
# The mutation score of src/cors/ (issue 16), measured in two stages so it fits a 2-core machine:
#
#   1. every mutant of src/cors/*.rs is tested against the CORS model's own unit tests, in the small
#      crate scripts/mutants/cors-mini (src/cors + S3Error only: one mutant rebuilds in seconds);
#   2. every mutant that survives stage 1 is tested again in the s3cors crate itself with the whole
#      suite of .cargo/mutants.toml (`cargo test --lib --test conformance`: all unit tests and the
#      corpus against the embedded server), about a minute per mutant.
#
# A mutant is caught when either stage catches it (a mutant that makes the tests hang past the
# timeout counts as caught, as in cargo-mutants' own summary: the tests did not pass). The score equals that of one full run: the
# stage-1 tests are the same tests (the same files) that the full suite runs, so whatever stage 1
# catches, the full suite catches too, and stage 2 runs the full suite on everything else.
#
# usage: scripts/mutants/cors-score.sh [OUT_DIR=mutants.out.cors]
#   MUTANTS_FILES  files to mutate (default 'src/cors/*.rs')
# Runs in place (mutates the checkout and restores every file afterwards): do not edit src/ while it
# runs. Needs cargo-mutants (installed when missing). Exit 0 when no mutant survives that is not
# listed as an accepted equivalent in .cargo/mutants.toml (exclude_re), 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=${1:-$ROOT/mutants.out.cors}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
FILES=${MUTANTS_FILES:-'src/cors/*.rs'}
if ! cargo mutants --version >/dev/null 2>&1; then
  cargo install --locked cargo-mutants@27.1.0
fi
rm -rf "$OUT"; mkdir -p "$OUT"
# Accepted equivalents (exclude_re of the root config) apply to both stages.
. "$ROOT/scripts/mutants/excludes.sh"

start=$(date +%s)
echo "== stage 1: every mutant of $FILES against the CORS model's unit tests (scripts/mutants/cors-mini)"
set +e
(cd scripts/mutants/cors-mini && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/cors-mini" cargo mutants --in-place --no-shuffle --timeout 30 \
  --file "$FILES" "${EXCLUDES[@]}" --output "$OUT/stage1")
set -e
S1=$OUT/stage1/mutants.out
[ -f "$S1/caught.txt" ] || { echo "stage 1 produced no results (see above)" >&2; exit 2; }
s1_end=$(date +%s)

# A mutant that makes the tests hang (cargo-mutants' "timeout") is caught: the tests did not pass.
survivors=$(sed 's/^ *//' "$S1/missed.txt" 2>/dev/null | sort -u)
n_surv=$(printf '%s' "$survivors" | grep -c . || true)
echo "== stage 2: the $n_surv survivor(s) of stage 1 against the whole suite (.cargo/mutants.toml)"
if [ "$n_surv" -gt 0 ]; then
  RES=()
  while IFS= read -r name; do
    RES+=(--re "^$(printf '%s' "$name" | python3 -c 'import re, sys; print(re.escape(sys.stdin.read()))')\$")
  done <<<"$survivors"
  set +e
  cargo mutants --in-place --no-shuffle --baseline skip --timeout 600 --file "$FILES" \
    "${RES[@]}" --output "$OUT/stage2" -- -- --skip difffuzz
  set -e
fi
end=$(date +%s)

python3 - "$OUT" "$((s1_end - start))" "$((end - s1_end))" <<'PY'
import os, sys
out, t1, t2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def read(stage, kind):
    p = os.path.join(out, stage, "mutants.out", kind + ".txt")
    return [l.strip() for l in open(p)] if os.path.exists(p) else []
s1 = {k: read("stage1", k) for k in ("caught", "missed", "timeout", "unviable")}
# Stage 2 may select a few more mutants than the survivors (a name regex can match another line's
# mutant); only the survivors of stage 1 count from it.
survived1 = set(s1["missed"])
s2 = {k: [m for m in read("stage2", k) if m in survived1] for k in ("caught", "missed", "timeout", "unviable")}
not_run = sorted(survived1 - {m for v in s2.values() for m in v})
total = sum(len(v) for v in s1.values())
unviable = len(s1["unviable"])
caught = len(s1["caught"]) + len(s1["timeout"]) + len(s2["caught"]) + len(s2["timeout"])
missed = s2["missed"] + not_run  # a survivor stage 2 did not run is not counted as caught
viable = total - unviable
score = 100.0 * caught / viable if viable else 0.0
lines = [
    f"mutants: {total} ({unviable} unviable, {viable} viable)",
    f"stage 1 (unit tests of the model, {t1} s): caught {len(s1['caught'])}, hung {len(s1['timeout'])} (caught: the tests did not pass), survived {len(s1['missed'])}",
    f"stage 2 (whole suite on the survivors, {t2} s): caught {len(s2['caught'])}, timed out {len(s2['timeout'])} (counted as caught), survived {len(missed)}",
    f"score: {caught}/{viable} = {score:.1f} %",
]
if missed:
    lines.append("survivors:")
    lines += [f"  {m}" for m in missed]
open(os.path.join(out, "summary.txt"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(1 if missed else 0)
PY
