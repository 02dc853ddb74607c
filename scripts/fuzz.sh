#!/usr/bin/env bash
# Bounded fuzz run of every cargo-fuzz target in fuzz/: scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 30, what CI uses); TARGETs default to all three:
#   cors_xml        CorsConfiguration::from_xml (+ to_xml round trip)
#   case_loader     s3cors::case::parse_case (YAML case files)
#   server_request  raw bytes as an HTTP request to the embedded server over loopback
# Exits non-zero when any target crashes (the reproducer is in fuzz/artifacts/<target>/);
# every crash must become a regression test (tests/hostile_*.rs or the owner's tests).
#
# Only stable Rust exists here: cargo-fuzz needs nightly flags (-Zsanitizer, sancov), which
# RUSTC_BOOTSTRAP=1 unlocks on the stable compiler. FUZZ_SANITIZER=none skips ASan (a much
# faster build; the fuzzed code is safe Rust, ASan mostly watches unsafe dependencies). The working corpus (fuzz/corpus/) is
# kept between runs and gitignored; checked-in seeds live in fuzz/seeds/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${1:-30}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(cors_xml case_loader server_request)
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
cd fuzz
SAN=(-s "${FUZZ_SANITIZER:-address}")
cargo fuzz build -O "${SAN[@]}"
failed=()
for t in "${TARGETS[@]}"; do
  corpus=corpus/$t
  mkdir -p "$corpus" "artifacts/$t"
  if [ "$t" = case_loader ]; then
    # The real corpus is the best seed for the loader.
    find "$ROOT/cases" -name '*.yaml' -exec cp {} "$corpus/" \;
  fi
  opts=(-max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1)
  [ -f "$t.dict" ] && opts+=(-dict="$t.dict")
  # The server target keeps a tokio runtime alive across inputs: per-input leak checks
  # would flag its allocations, so leak detection is off there.
  [ "$t" = server_request ] && opts+=(-detect_leaks=0)
  echo "=== fuzz $t for ${SECS}s"
  if ! cargo fuzz run -O "${SAN[@]}" "$t" "$corpus" "seeds/$t" -- "${opts[@]}" 2>"$ROOT/fuzz/artifacts/$t.log"; then
    grep -a -A3 -E "panicked|ERROR|SUMMARY" "$ROOT/fuzz/artifacts/$t.log" | head -40 >&2
    failed+=("$t")
  else
    grep -E "^stat::number_of_executed_units|^Done" "$ROOT/fuzz/artifacts/$t.log" || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crash in: ${failed[*]} (reproducers in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: no crash in ${TARGETS[*]} (${SECS}s each)"
