#!/bin/bash
# Rebuild the published compatibility report in reports/ (see docs/reports.md):
#   1. start every peer with the project's own scripts (scripts/peers/<peer>/start.sh PORT; installs on first use),
#   2. run the whole corpus against the embedded server and all peers in ONE `s3cors run` (known deviations from
#      expectations/<peer>.yaml applied),
#   3. record each implementation's version (most peers do not say it in a Server header) and this script as the
#      reproducing command, and render what is published: report.md (the summary, <= 300 KB), details/<target>.md,
#      report.html and results.json.gz (`s3cors report` and `s3cors diff` read it as is). No junit.xml: it is for
#      CI systems, and 4 MB. The folder must stay under 10 MB (checked at the end),
#   4. stop every peer it started (also on failure or Ctrl-C).
#
# usage: scripts/publish-reports.sh [OUT_DIR=reports]
# env:   PEERS="localstack:4566 s3rver:4568 ..." (default: all six below), PEERS_HOME (peer installs, see
#        scripts/peers/README.md), S3CORS (binary; default target/release/s3cors, built if missing),
#        PEERS_ENV_DIR (use peers that are already running: for each peer, read DIR/<name>.env
#        (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION) instead of starting
#        it, and leave it running; a peer without an env file is left out of the report).
# exit:  the `s3cors run` exit code (0 = every difference is a known deviation; 1 = a new deviation or a stale
#        entry; 4 = a harness/target error), 5 when a peer cannot be started, 6 when the reports are over budget.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-reports}
PEERS=${PEERS:-"localstack:4566 s3rver:4568 moto:5000 radosgw:7480 garage:3900 s3s-fs:8014"}
S3CORS=${S3CORS:-target/release/s3cors}
export PEERS_HOME=${PEERS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/s3-peers}

if [ ! -x "$S3CORS" ]; then
  echo "[publish] building $S3CORS" >&2
  cargo build --release --quiet
fi

STARTED=()
stop_all() {
  local p
  for p in "${STARTED[@]}"; do
    scripts/peers/"${p%%:*}"/stop.sh "${p##*:}" >&2 || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

upper() { echo "$1" | tr 'a-z-' 'A-Z_'; }

# version VAR: what the peer's own tooling says it is
peer_version() {
  case $1 in
    localstack) echo "localstack-core $("$PEERS_HOME/localstack/venv/bin/pip" show localstack-core 2>/dev/null | sed -n 's/^Version: //p')" ;;
    moto) echo "moto $("$PEERS_HOME/moto/venv/bin/pip" show moto 2>/dev/null | sed -n 's/^Version: //p')" ;;
    s3rver) echo "s3rver $(node -p "require('$PEERS_HOME/s3rver/node_modules/s3rver/package.json').version" 2>/dev/null)" ;;
    radosgw) radosgw --version 2>/dev/null | sed -E 's/^ceph version ([^ ]+) \([0-9a-f]+\) ([a-z]+).*/ceph radosgw \1 (\2)/' ;;
    garage) "$PEERS_HOME/garage/bin/garage" --version 2>/dev/null | head -1 ;;
    s3s-fs) "$PEERS_HOME/s3s-fs/bin/s3s-fs" --version 2>/dev/null | head -1 ;;
    *) echo "" ;;
  esac
}

# Workaround for a race in scripts/peers/garage/start.sh on a loaded machine: it asks for the node id (answered
# locally) and then runs `garage layout assign` before the server's RPC listener is up ("Connection refused"),
# and dies leaving the server running. Finish its set-up here, once the RPC answers (same steps and key).
garage_finish_setup() {
  local port=$1 state="$PEERS_HOME/garage/run-$1" g="$PEERS_HOME/garage/bin/garage" i node b
  local key_id=GK746573746b65790000000000
  local secret=7465737473656372657400000000000000000000000000000000000000000000
  gc() { "$g" -c "$state/garage.toml" "$@"; }
  for ((i = 0; i < 60; i++)); do gc status >/dev/null 2>&1 && break; sleep 1; done
  gc status >/dev/null 2>&1 || { echo "[publish] garage RPC never answered" >&2; return 1; }
  echo "[publish] garage: finishing the set-up start.sh could not (RPC was not up yet)" >&2
  node=$(gc node id -q | cut -d@ -f1)
  gc layout assign -z dc1 -c 1G "$node" >/dev/null && gc layout apply --version 1 >/dev/null &&
    gc key import --yes -n peer "$key_id" "$secret" >/dev/null && gc key allow --create-bucket peer >/dev/null || return 1
  for b in corsbucket nocorsbucket; do
    gc bucket create "$b" >/dev/null && gc bucket allow --read --write --owner "$b" --key peer >/dev/null || return 1
  done
  printf 'S3_ENDPOINT=http://127.0.0.1:%s\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_DEFAULT_REGION=us-east-1\n' \
    "$port" "$key_id" "$secret"
}

ARGS=(--target embedded)
VERSIONS="embedded="
for p in $PEERS; do
  name=${p%%:*} port=${p##*:}
  if [ -n "${PEERS_ENV_DIR:-}" ]; then
    if [ ! -f "$PEERS_ENV_DIR/$name.env" ]; then
      echo "[publish] $name: no $PEERS_ENV_DIR/$name.env, left out" >&2
      continue
    fi
    echo "[publish] using the running $name ($PEERS_ENV_DIR/$name.env)" >&2
    env_out=$(cat "$PEERS_ENV_DIR/$name.env")
  else
    echo "[publish] starting $name on $port" >&2
    STARTED+=("$p")
  fi
  if [ -z "${PEERS_ENV_DIR:-}" ] && ! env_out=$(scripts/peers/"$name"/start.sh "$port"); then
    if [ "$name" = garage ]; then
      env_out=$(garage_finish_setup "$port") || exit 5
    else
      echo "[publish] $name did not start" >&2
      exit 5
    fi
  fi
  S3_ENDPOINT=$(sed -n 's/^S3_ENDPOINT=//p' <<<"$env_out")
  N=$(upper "$name")
  export "S3CORS_${N}_ACCESS_KEY_ID=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' <<<"$env_out")"
  export "S3CORS_${N}_SECRET_ACCESS_KEY=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' <<<"$env_out")"
  export "S3CORS_${N}_REGION=$(sed -n 's/^AWS_DEFAULT_REGION=//p' <<<"$env_out")"
  if [ "$name" = garage ]; then
    # Garage applies bucket CORS to preflights only for buckets made with its CLI (scripts/peers/garage/NOTES.md).
    export S3CORS_GARAGE_CREATE_BUCKET_CMD="scripts/peers/garage/bucket.sh $port {bucket}"
  fi
  ARGS+=(--target "$name=endpoint=$S3_ENDPOINT")
  VERSIONS+=$'\n'"$name=$(peer_version "$name")"
done
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

mkdir -p "$OUT"
echo "[publish] $S3CORS run ${ARGS[*]} --report-dir $OUT" >&2
set +e
"$S3CORS" run "${ARGS[@]}" --report-dir "$OUT" --quiet --color never >"$OUT/run.log" 2>&1
rc=$?
set -e
grep -E '^(results|warning|error)' "$OUT/run.log" >&2 || true

# Versions and the reproducing command into results.json; one folder per target; re-render everything.
VERSIONS=$VERSIONS OUT=$OUT python3 - <<'PY'
import json, os
out = os.environ["OUT"]
path = os.path.join(out, "results.json")
r = json.load(open(path))
versions = dict(l.split("=", 1) for l in os.environ["VERSIONS"].splitlines() if "=" in l)
for t in r["targets"]:
    v = versions.get(t["info"]["name"], "").strip()
    told = t["info"].get("version")
    if v:
        t["info"]["version"] = v + (f" (Server: {told})" if told and told not in v else "")
r["command"] = "scripts/publish-reports.sh  # starts the peers, then: " + r["command"]
json.dump(r, open(path, "w"), separators=(",", ":"))
open(path, "a").write("\n")
PY
# One combined report (the HTML filters by target; `s3cors diff $OUT/results.json#A
# $OUT/results.json#B` compares two targets).
rm -rf "$OUT/details" "$OUT/junit.xml" "$OUT/results.json.gz"
"$S3CORS" report "$OUT/results.json" --format md,html >&2
gzip -9 -n "$OUT/results.json"
md_kb=$(du -k "$OUT/report.md" | cut -f1) all_kb=$(du -sk "$OUT" | cut -f1)
echo "[publish] report.md ${md_kb} KB, $OUT/ ${all_kb} KB" >&2
if [ "$md_kb" -gt 300 ] || [ "$all_kb" -gt 10240 ]; then
  echo "[publish] over budget: report.md must stay <= 300 KB and $OUT/ <= 10 MB (docs/reports.md)" >&2
  exit 6
fi
echo "[publish] done: $OUT/report.md (s3cors run exit $rc)" >&2
exit $rc
