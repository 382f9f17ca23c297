# syntax=docker/dockerfile:1
# SPDX-License-Identifier: Apache-2.0
#
# ebb's container images, built from this checkout (docs/kubernetes.md):
#   docker build --target controller -t ebb-controller:dev .
#   docker build --target worker     -t ebb-worker:dev .
# controller: `ebb up --kubernetes` (controller, API, web UI, /metrics); no
#   libtorch. deploy/kubernetes/ebb/40-deployment.yaml runs it.
# worker: `ebb worker` with the inference binary ebb-diffusion (Debian's CPU
#   libtorch, OpenMP OpenBLAS) and the bundled model ebb-shapes; the demo's
#   ScaledJob (deploy/kubernetes/demo/30-scaledjob.yaml) runs it.
# Both: Debian 12, ebb as the entrypoint, uid 65532 (not root), state in
# /var/lib/ebb. Needs BuildKit (docker 23+, or buildah/podman) for RUN --mount.
# Never built on the project's machines (no container engine there):
# tests/packaging/check_dockerfile.py checks what can be checked without one
# (ctest: dockerfile_check).

ARG DEBIAN=debian:12
ARG DEBIAN_SLIM=debian:12-slim

# ---- build stages: the compilers and -dev packages of scripts/setup.sh ----

FROM ${DEBIAN} AS build-base
COPY scripts/setup.sh /src/scripts/setup.sh
COPY scripts/lib/ /src/scripts/lib/
RUN /src/scripts/setup.sh --build-only --no-torch \
 && rm -rf /var/lib/apt/lists/*

# ebb and ebb-supervise, without libtorch (the controller's). Only the targets
# that `cmake --install` installs are built (not the model tools).
FROM build-base AS build-controller
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DEBB_WITH_TORCH=OFF -DEBB_BUILD_TESTS=OFF -DEBB_BUILD_BENCH=OFF \
 && cmake --build /build --target ebb ebb-supervise \
 && DESTDIR=/install cmake --install /build --prefix /usr/local

# ebb and the inference binary ebb-diffusion, with Debian's libtorch-dev.
FROM build-base AS build-worker
RUN /src/scripts/setup.sh --build-only \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DEBB_WITH_TORCH=ON -DEBB_BUILD_TESTS=OFF -DEBB_BUILD_BENCH=OFF \
 && cmake --build /build --target ebb ebb-supervise ebb-diffusion \
 && DESTDIR=/install cmake --install /build --prefix /usr/local

# ---- runtime stages ----

# The shared libraries `ebb` links (ldd, then dpkg -S: the check keeps this
# list complete), CA certificates for S3 over HTTPS, and the user ebb.
FROM ${DEBIAN_SLIM} AS runtime-base
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libabsl20220623 libcpp-httplib0.11 libcurl4 libfmt9 \
      libpng16-16 librabbitmq4 libspdlog1.10 libsqlite3-0 libssl3 \
      libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 ebb \
 && useradd --uid 65532 --gid 65532 --home-dir /var/lib/ebb --no-create-home \
      --shell /usr/sbin/nologin ebb \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/ebb
ENV EBB_DATA_DIR=/var/lib/ebb
LABEL org.opencontainers.image.licenses="Apache-2.0"

# The worker: libtorch's runtime libraries (libtorch1.13, not -dev) and the
# OpenMP OpenBLAS selected as libblas.so.3, as scripts/setup.sh selects it.
FROM runtime-base AS worker
RUN --mount=type=bind,source=scripts/lib/openblas.sh,target=/tmp/openblas.sh \
    apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libtorch1.13 libopenblas0-openmp \
 && rm -rf /var/lib/apt/lists/* \
 && . /tmp/openblas.sh && ebb_select_openmp_openblas
COPY --from=build-worker /install/usr/local/bin/ebb /usr/local/bin/ebb
COPY --from=build-worker /install/usr/local/libexec/ebb/ /usr/local/libexec/ebb/
COPY --from=build-worker /install/usr/local/share/ebb/models/ /usr/local/share/ebb/models/
LABEL org.opencontainers.image.title="ebb worker" \
      org.opencontainers.image.description="ebb worker: takes one prompt, renders it (libtorch), stores the PNGs and record, then acks"
USER 65532:65532
WORKDIR /var/lib/ebb
ENTRYPOINT ["/usr/local/bin/ebb"]
CMD ["worker"]

# The controller (the default target): `ebb up`, its per-job supervisor and
# the web UI's files, found relative to the binary (share/ebb/web).
FROM runtime-base AS controller
COPY --from=build-controller /install/usr/local/bin/ebb /install/usr/local/bin/ebb-supervise /usr/local/bin/
COPY --from=build-controller /install/usr/local/share/ebb/web/ /usr/local/share/ebb/web/
LABEL org.opencontainers.image.title="ebb controller" \
      org.opencontainers.image.description="ebb up: KEDA ScaledJob semantics, API, web UI and Prometheus metrics"
USER 65532:65532
WORKDIR /var/lib/ebb
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ebb"]
CMD ["up", "--help"]
