#!/usr/bin/env bash
# Validate JUnit XML files against tests/data/junit.xsd (the Jenkins "junit-10.xsd" shape that
# GitLab, Jenkins and the GitHub test-report actions accept).
#
#   scripts/validate-junit.sh [JUNIT.xml ...]
#
# With no arguments it renders the synthetic report used by the unit tests (through the
# report_junit integration test, which writes target/report-junit-sample/junit.xml) and
# validates that. Needs xmllint (Debian: libxml2-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
XSD=tests/data/junit.xsd

if ! command -v xmllint >/dev/null 2>&1; then
  echo "validate-junit: xmllint not found (apt-get install libxml2-utils)" >&2
  exit 2
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  out=target/report-junit-sample
  S3CORS_JUNIT_SAMPLE_DIR="$out" cargo test -q --test it -- report_junit::write_sample_for_xmllint >/dev/null
  files=("$out/junit.xml")
fi

status=0
for f in "${files[@]}"; do
  if xmllint --noout --schema "$XSD" "$f"; then
    :
  else
    status=1
  fi
done
exit $status
