#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything ebb needs to build and test: Debian packages with apt, and
# the npm test tools of package-lock.json. Idempotent: what is present is skipped.
# Run as root (or with sudo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Build: compilers and the C++ libraries. libssl-dev: SHA-256 for S3 signing.
# rabbitmq-server: the integration tests' broker (started by the tests).
# awscli: the S3 tests read back with the `aws` CLI, and its vendored botocore is the
# reference SigV4 signer of the verifying proxy (tests call /usr/bin/aws: another
# aws-cli may come first on PATH).
# libtorch-dev: the diffusion backend (src/inference/diffusion, linked only by the
# worker-side inference binary). libopenblas0-openmp: Debian's libtorch calls
# whatever libblas.so.3 is selected, and the reference BLAS it defaults to is ~20x
# slower for linear layers and attention. The OpenMP build of OpenBLAS shares
# libtorch's OpenMP threads; the pthread build adds its own spinning threads
# beside them, which made a training step of the bundled model 2.2x slower and
# one at 1 thread burn 1.9 CPUs (BENCHMARKS.md). Selected below even where the
# pthread build is installed too.
# python3-kubernetes: the generated Kubernetes API models (V1Job, ...) that check
# every Job the Kubernetes executor renders (src/executors/kubernetes/testing/
# check_v1job.py), an implementation independent of ebb's.
PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-format curl
  libabsl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev librabbitmq-dev libcurl4-openssl-dev libssl-dev
  libcpp-httplib-dev libsqlite3-dev libpng-dev libgtest-dev libgmock-dev
  libbenchmark-dev libtorch-dev libopenblas0-openmp
  rabbitmq-server awscli python3-kubernetes
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
# The browser test (tests/browser) drives Debian's Chromium with playwright-core,
# which downloads no browser (never run `npx playwright install`). Node is checked by
# command, not package: machines may carry another vendor's nodejs.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi

# libblas.so.3, liblapack.so.3 and libopenblas.so.0 from the OpenMP OpenBLAS
# (the pthread build, if installed, has a higher priority in auto mode).
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
arch=$(uname -m)-linux-gnu
for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  want=/usr/lib/$arch/openblas-openmp/$lib
  link=$(readlink -f "/usr/lib/$arch/$lib" 2>/dev/null || true)
  if [ -e "$want" ] && [ "$link" != "$(readlink -f "$want")" ]; then
    echo "setup: selecting the OpenMP OpenBLAS for $lib"
    $SUDO update-alternatives --set "$lib-$arch" "$want" >/dev/null
  fi
done

# npm test tools: playwright-core (browser test) and s3rver (the S3 peer).
if [ ! -d "$ROOT/node_modules/playwright-core" ] || [ ! -d "$ROOT/node_modules/s3rver" ]; then
  echo "setup: npm ci (playwright-core, s3rver)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
