#!/usr/bin/env bash
# The work of the s3cors GitHub Action (action.yml), as a plain script so it runs the same in
# any CI and is tested in s3cors's own CI (.ci/run, step "action script").
#
# Runs the built-in corpus (plus your own cases) against one S3 endpoint and leaves
# results.json, report.md, details/, report.html and junit.xml in the report folder. Under
# GitHub Actions, s3cors itself appends the summary to $GITHUB_STEP_SUMMARY and prints
# ::error annotations; this script writes the step outputs to $GITHUB_OUTPUT when set.
#
# Inputs (environment):
#   S3CORS_ENDPOINT      required: the store's S3 endpoint, e.g. http://127.0.0.1:9000
#   S3CORS_TARGET_NAME   name in reports and trial names (default: store); a name with a file
#                        expectations/<name>.yaml (yours, or a built-in one such as localstack)
#                        gets those known deviations
#   S3CORS_CASES         your own case folders, separated by newlines (optional)
#   S3CORS_ONLY_CASES    true: run only S3CORS_CASES, not the built-in corpus (default false)
#   S3CORS_EXPECTATIONS  folder of <name>.yaml known-deviation files (optional)
#   S3CORS_REPORT_DIR    where the reports go (default: s3cors-reports)
#   S3CORS_ARGS          more `s3cors run` arguments, split on whitespace (optional)
#   S3CORS_FAIL_ON       failures (default: any failure or error fails the step),
#                        errors (only harness errors and broken case files), never
#   S3CORS_BIN           the s3cors binary (default: s3cors on PATH)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION: the store's credentials
# Exit: s3cors's own exit code (0 ok, 1 differences, 2 usage, 3 case files, 4 harness
# error), or 0 where S3CORS_FAIL_ON lets it pass.
set -euo pipefail

bin=${S3CORS_BIN:-s3cors}
endpoint=${S3CORS_ENDPOINT:-}
name=${S3CORS_TARGET_NAME:-store}
report_dir=${S3CORS_REPORT_DIR:-s3cors-reports}
fail_on=${S3CORS_FAIL_ON:-failures}

die() { echo "s3cors action: $*" >&2; exit 2; }
[ -n "$endpoint" ] || die "S3CORS_ENDPOINT (input 'endpoint') is empty: give the S3 endpoint URL of the store to test"
case $endpoint in http://* | https://*) ;; *) die "S3CORS_ENDPOINT must start with http:// or https://, got '$endpoint'" ;; esac
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "S3CORS_TARGET_NAME must be letters, digits, '.', '_' or '-', got '$name'"
case $fail_on in failures | errors | never) ;; *) die "S3CORS_FAIL_ON must be failures, errors or never, got '$fail_on'" ;; esac
command -v "$bin" >/dev/null 2>&1 || die "cannot find the s3cors binary '$bin' (install it, or set S3CORS_BIN)"

args=(run --target "$name=endpoint=$endpoint" --report-dir "$report_dir" --color never)
while IFS= read -r dir; do
  dir=${dir#"${dir%%[![:space:]]*}"}
  dir=${dir%"${dir##*[![:space:]]}"}
  [ -z "$dir" ] && continue
  [ -e "$dir" ] || die "S3CORS_CASES names '$dir', which does not exist"
  args+=(--cases "$dir")
done <<<"${S3CORS_CASES:-}"
case ${S3CORS_ONLY_CASES:-false} in
  true) args+=(--no-default-cases) ;;
  false | "") ;;
  *) die "S3CORS_ONLY_CASES must be true or false, got '${S3CORS_ONLY_CASES}'" ;;
esac
if [ -n "${S3CORS_EXPECTATIONS:-}" ]; then
  [ -d "$S3CORS_EXPECTATIONS" ] || die "S3CORS_EXPECTATIONS names '$S3CORS_EXPECTATIONS', which is not a folder"
  args+=(--expectations "$S3CORS_EXPECTATIONS")
fi
if [ -n "${S3CORS_ARGS:-}" ]; then
  read -r -a extra <<<"$S3CORS_ARGS"
  args+=("${extra[@]}")
fi

echo "s3cors action: $bin ${args[*]}" >&2
set +e
"$bin" "${args[@]}"
rc=$?
set -e

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$rc"
    echo "report-dir=$report_dir"
    echo "junit=$report_dir/junit.xml"
    echo "results=$report_dir/results.json"
  } >>"$GITHUB_OUTPUT"
fi

case $fail_on:$rc in
  *:0) exit 0 ;;
  never:*) echo "s3cors action: exit $rc ignored (fail-on: never)" >&2; exit 0 ;;
  errors:1) echo "s3cors action: differences found (exit 1), not failing (fail-on: errors)" >&2; exit 0 ;;
  *) exit "$rc" ;;
esac
