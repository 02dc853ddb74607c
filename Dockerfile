# s3cors in a container: the binary on a Debian base, nothing else (no Rust toolchain, no
# corpus files: the corpus is built into the binary).
#
# Build the binary first, then the image:
#   cargo build --release --locked
#   docker build -t s3cors .
# Options (build args):
#   BASE=local/debian:bookworm   a locally built base where no image registry is reachable
#                                (s3cors's own CI does this, see docs/install.md)
#   BIN=path/in/context/s3cors   another binary, e.g. target/x86_64-unknown-linux-musl/release/s3cors
# The binary must run on BASE: built on Debian 12 (glibc 2.36) or older, or statically (musl).
#
# Use:
#   docker run --rm --network host s3cors run --target endpoint=http://127.0.0.1:9000 \
#     -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY      (env flags go before the image name)
#   docker run --rm -p 9000:9000 s3cors serve --listen 0.0.0.0:9000
#   docker run --rm s3cors explain --config /work/cors.json --origin http://localhost:8000 \
#     (with -v "$PWD:/work" --user "$(id -u):$(id -g)" to read and write the current folder)
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG BIN=target/release/s3cors
COPY ${BIN} /usr/local/bin/s3cors
# The CA store, for HTTPS endpoints (real stores, AWS); plain-HTTP endpoints run without it.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null \
    && rm -rf /var/lib/apt/lists/*
# A writable working folder for reports; the default user is an unprivileged one.
RUN mkdir -p /work && chmod 1777 /work && /usr/local/bin/s3cors --version
WORKDIR /work
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/s3cors"]
CMD ["--help"]
