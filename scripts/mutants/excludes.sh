# Sourced by scripts/mutants/cors-score.sh and scripts/mutants-sample.sh: fills the array EXCLUDES
# with `--exclude-re RE` for each accepted equivalent mutant in .cargo/mutants.toml (exclude_re),
# so that runs in the small crate scripts/mutants/cors-mini (which has no config of its own) leave
# them out too. Needs ROOT (the repository) to be set.
EXCLUDES=()
while IFS= read -r re; do [ -n "$re" ] && EXCLUDES+=(--exclude-re "$re"); done < <(
  python3 -c 'import sys, tomllib; [print(r) for r in tomllib.load(open(sys.argv[1], "rb")).get("exclude_re", [])]' \
    "$ROOT/.cargo/mutants.toml"
)
