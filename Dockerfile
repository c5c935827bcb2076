# veilgate as a container: build with the Rust toolchain, take ONNX Runtime from PyPI's
# onnxruntime wheel, run on slim Debian as a non-root user.
#
#   docker build -t veilgate .
#   docker run --rm -p 127.0.0.1:8787:8787 -e OPENAI_API_KEY \
#       -e VEILGATE__UPSTREAM__API_KEY_ENV=OPENAI_API_KEY veilgate
#
# Configuration: VEILGATE__SECTION__KEY variables, and/or a TOML file mounted at
# /etc/veilgate/veilgate.toml with VEILGATE_CONFIG=/etc/veilgate/veilgate.toml.
# scripts/container-smoke.sh runs the same binary, environment and layout without Docker.

# ---- the binary ----
FROM rust:1.92-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY models ./models
COPY rules ./rules
RUN cargo build --release --locked --bin veilgate \
    && install -D target/release/veilgate /out/veilgate

# ---- ONNX Runtime: the shared library of PyPI's wheel (only the library is used) ----
FROM python:3.11-slim-bookworm AS onnxruntime
RUN pip install --no-cache-dir --no-deps --target /wheel onnxruntime==1.31.1 \
    && install -D /wheel/onnxruntime/capi/libonnxruntime.so.1.31.1 /out/libonnxruntime.so.1.31.1

# ---- runtime ----
FROM debian:bookworm-slim
# The audit directory exists in the image and belongs to the user, so a named volume
# mounted there (the compose example) starts out writable by it.
RUN useradd --system --uid 10001 --home-dir /var/lib/veilgate --create-home veilgate \
    && install -d -o veilgate -g veilgate -m 0700 /var/lib/veilgate/audit
# The tagger looks for ONNX Runtime in /opt/veilgate/lib (src/onnx.rs).
COPY --from=onnxruntime /out/libonnxruntime.so.1.31.1 /opt/veilgate/lib/
COPY --from=builder /out/veilgate /usr/local/bin/veilgate
# The model and rules are embedded in the binary; these copies are for config that points
# at them (privacy.tagger_model, privacy.rules_dir) and for reading.
COPY models /opt/veilgate/models
COPY rules /opt/veilgate/rules
# Inside the container only: listen on all interfaces so the pod/compose network reaches it.
ENV VEILGATE__SERVER__LISTEN=0.0.0.0:8787
USER veilgate
WORKDIR /var/lib/veilgate
EXPOSE 8787
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["veilgate", "health"]
ENTRYPOINT ["veilgate"]
CMD ["serve"]
