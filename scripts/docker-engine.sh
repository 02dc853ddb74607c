#!/bin/bash
# Start or stop a Docker engine for CI on a Debian machine (as root).
#
#   scripts/docker-engine.sh start   install docker.io (+ debootstrap) when missing, start
#                                    dockerd when no engine answers, wait until `docker info`
#                                    works. Prints "started" or "already running".
#   scripts/docker-engine.sh stop    stop the dockerd that `start` started (never one it did
#                                    not start: an engine that was already running stays).
#
# State in ${S3CORS_ENGINE_STATE:-/tmp/s3cors-docker-engine} (pid of the dockerd we started,
# its log). Safe to call twice.
set -euo pipefail
STATE=${S3CORS_ENGINE_STATE:-/tmp/s3cors-docker-engine}
log() { echo "[docker-engine] $*" >&2; }
die() { echo "[docker-engine] error: $*" >&2; exit 1; }

start() {
  mkdir -p "$STATE"
  if docker info >/dev/null 2>&1; then
    log "an engine already answers; leaving it alone"; echo "already running"; return
  fi
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    log "installing docker.io and debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null \
      || die "apt-get install docker.io debootstrap failed"
  fi
  # Only the socket; no TCP listener.
  nohup dockerd >"$STATE/dockerd.log" 2>&1 &
  echo $! >"$STATE/pid"
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && { log "dockerd $(cat "$STATE/pid") is up"; echo started; return; }
    kill -0 "$(cat "$STATE/pid")" 2>/dev/null || { tail -20 "$STATE/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.5
  done
  tail -20 "$STATE/dockerd.log" >&2; die "dockerd did not answer within 60 s"
}

stop() {
  [ -f "$STATE/pid" ] || { log "no engine started by this script"; return; }
  local pid; pid=$(cat "$STATE/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "dockerd $pid stopped"
  fi
  rm -f "$STATE/pid"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
