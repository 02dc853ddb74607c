#!/bin/bash
# Build local images of real S3 servers (and of `s3cors serve`) from the package registries
# only: no image registry is contacted. Usage:
#
#   scripts/images/build.sh [base|moto|s3rver|s3cors|all]...     (default: all)
#
# Images (tags are the server versions, so a preset's default matches what is built):
#   local/debian:bookworm   Debian base from debootstrap (the machine's own Debian mirror)
#   local/moto:5.2.5        moto_server from PyPI, pinned by scripts/peers/moto/constraints.txt
#   local/s3rver:3.7.1      s3rver from npm, on Debian's nodejs
#   local/s3cors:<version>  `s3cors serve` (the repo's Dockerfile when present, else the
#                           built binary + the libraries ldd names, via `docker import`)
#
# Env: MIRROR (Debian mirror for debootstrap; default: the one apt uses), REBUILD=1 (rebuild
# images that exist), CARGO (default cargo), S3CORS_BIN (use this s3cors binary instead of a
# release build), S3CORS_IMAGE_ROUTE=import (binary route even when a Dockerfile exists). Needs root for debootstrap, docker, and for the
# s3cors image a Rust toolchain. Every step says what it does on stderr; a failure names the step.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
log() { echo "[images] $*" >&2; }
die() { echo "[images] error: $*" >&2; exit 1; }
have_image() { [ "${REBUILD:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }
command -v docker >/dev/null || die "no docker client (apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (scripts/docker-engine.sh start)"

# The machine's CA bundle goes into the images: pip and npm behind a TLS-inspecting proxy
# need it (see docs/targets.md).
context() {
  local dir; dir=$(mktemp -d)
  cp /etc/ssl/certs/ca-certificates.crt "$dir/host-ca.crt" 2>/dev/null || : >"$dir/host-ca.crt"
  echo "$dir"
}

build_base() {
  have_image local/debian:bookworm && { log "local/debian:bookworm exists"; return; }
  command -v debootstrap >/dev/null || die "base: need debootstrap (apt-get install debootstrap)"
  local mirror=${MIRROR:-}
  if [ -z "$mirror" ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  fi
  local rootfs; rootfs=$(mktemp -d)
  log "base: debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null || die "base: debootstrap failed"
  tar -C "$rootfs" -c . | docker import - local/debian:bookworm >/dev/null
  rm -rf "$rootfs"
  log "base: local/debian:bookworm built"
}

build_moto() {
  have_image local/moto:5.2.5 && { log "local/moto:5.2.5 exists"; return; }
  local ctx; ctx=$(context)
  cp "$REPO/scripts/peers/moto/constraints.txt" "$ctx/constraints.txt"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM local/debian:bookworm
COPY host-ca.crt /etc/ssl/certs/host-ca.crt
COPY constraints.txt /constraints.txt
ENV PIP_CERT=/etc/ssl/certs/host-ca.crt SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip python3-venv >/dev/null \
    && python3 -m venv /v && /v/bin/pip install -q --no-cache-dir -c /constraints.txt 'moto[server]==5.2.5' \
    && rm -rf /var/lib/apt/lists/*
# Same configuration as scripts/peers/moto/start.sh: no blanket flask-cors layer.
ENV PATH=/v/bin:$PATH MOTO_DISABLE_GLOBAL_CORS=true
EXPOSE 5000
CMD ["moto_server", "-H", "0.0.0.0", "-p", "5000"]
DOCKERFILE
  log "moto: building local/moto:5.2.5"
  DOCKER_BUILDKIT=0 docker build -q -t local/moto:5.2.5 "$ctx" >/dev/null || die "moto: docker build failed"
  rm -rf "$ctx"
  log "moto: local/moto:5.2.5 built"
}

build_s3rver() {
  have_image local/s3rver:3.7.1 && { log "local/s3rver:3.7.1 exists"; return; }
  local ctx; ctx=$(context)
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM local/debian:bookworm
COPY host-ca.crt /etc/ssl/certs/host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca.crt
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null \
    && mkdir -p /opt/s3rver /data \
    && npm install --prefix /opt/s3rver --no-audit --no-fund --loglevel=error s3rver@3.7.1 \
    && npm cache clean --force >/dev/null 2>&1 \
    && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/s3rver/node_modules/.bin:$PATH
EXPOSE 4568
# Same flags as scripts/peers/s3rver/start.sh; credentials are s3rver's fixed S3RVER/S3RVER.
CMD ["s3rver", "-d", "/data", "-a", "0.0.0.0", "-p", "4568"]
DOCKERFILE
  log "s3rver: building local/s3rver:3.7.1"
  DOCKER_BUILDKIT=0 docker build -q -t local/s3rver:3.7.1 "$ctx" >/dev/null || die "s3rver: docker build failed"
  rm -rf "$ctx"
  log "s3rver: local/s3rver:3.7.1 built"
}

build_s3cors() {
  local version
  version=$(awk -F'"' '/^version *=/{print $2; exit}' "$REPO/Cargo.toml")
  local tag=local/s3cors:$version
  have_image "$tag" && { log "$tag exists"; return; }
  if [ -f "$REPO/Dockerfile" ] && [ "${S3CORS_IMAGE_ROUTE:-}" != import ]; then
    log "s3cors: docker build of $REPO/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$REPO" >/dev/null || die "s3cors: docker build failed"
  else
    local target_dir bin root
    if [ -n "${S3CORS_BIN:-}" ]; then
      log "s3cors: $S3CORS_BIN + its libraries into an image"
      bin=$S3CORS_BIN
    else
      log "s3cors: cargo build --release, then the binary + its libraries into an image"
      (cd "$REPO" && ${CARGO:-cargo} build --release --bin s3cors >&2) || die "s3cors: cargo build failed"
      target_dir=$(cd "$REPO" && ${CARGO:-cargo} metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
      bin=$target_dir/release/s3cors
    fi
    [ -x "$bin" ] || die "s3cors: no binary at $bin"
    root=$(mktemp -d)
    mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc/ssl/certs"
    cp "$bin" "$root/usr/local/bin/s3cors"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
    # The dynamic loader and every library the binary links, at their own paths.
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"
    done
    tar -C "$root" -c . | docker import \
      -c 'ENTRYPOINT ["/usr/local/bin/s3cors"]' \
      -c 'CMD ["serve", "--listen", "0.0.0.0:9000", "--access-key", "test", "--secret-key", "test"]' \
      -c 'EXPOSE 9000' - "$tag" >/dev/null
    rm -rf "$root"
  fi
  log "s3cors: $tag built"
}

steps=("$@"); [ ${#steps[@]} -gt 0 ] || steps=(all)
for s in "${steps[@]}"; do
  case $s in
    base) build_base ;;
    moto) build_base; build_moto ;;
    s3rver) build_base; build_s3rver ;;
    s3cors) build_s3cors ;;
    all) build_base; build_moto; build_s3rver; build_s3cors ;;
    *) die "unknown image '$s' (base, moto, s3rver, s3cors or all)" ;;
  esac
done
