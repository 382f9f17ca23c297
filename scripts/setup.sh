#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything ebb needs to build and test: Debian packages with apt, and
# the npm test tools of package-lock.json. Idempotent: what is present is skipped.
# Run as root (or with sudo).
#   scripts/setup.sh                       # build and test (the default)
#   scripts/setup.sh --build-only          # only what a build with
#       -DEBB_BUILD_TESTS=OFF -DEBB_BUILD_BENCH=OFF needs: no test peers, no
#       browser, no npm tools (the container images' build stage, Dockerfile)
#   scripts/setup.sh --build-only --no-torch   # and without libtorch: `ebb`
#       and ebb-supervise only, not the inference binary ebb-diffusion
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_ONLY=0
NO_TORCH=0
for arg in "$@"; do
  case $arg in
    --build-only) BUILD_ONLY=1 ;;
    --no-torch) NO_TORCH=1 ;;
    *) echo "setup: unknown argument $arg (--build-only, --no-torch)" >&2; exit 2 ;;
  esac
done
if [ "$NO_TORCH" = 1 ] && [ "$BUILD_ONLY" = 0 ]; then
  echo "setup: --no-torch goes with --build-only (the tests need libtorch)" >&2
  exit 2
fi

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
# check_v1job.py), an implementation independent of ebb's; with python3-yaml
# they also check the install manifests (tests/packaging/check_manifests.py).
BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libabsl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev librabbitmq-dev libcurl4-openssl-dev libssl-dev
  libcpp-httplib-dev libsqlite3-dev libpng-dev
)
TORCH_PACKAGES=(libtorch-dev libopenblas0-openmp)
TEST_PACKAGES=(
  clang-format curl libgtest-dev libgmock-dev libbenchmark-dev
  rabbitmq-server awscli python3-kubernetes python3-yaml
)
PACKAGES=("${BUILD_PACKAGES[@]}")
[ "$NO_TORCH" = 1 ] || PACKAGES+=("${TORCH_PACKAGES[@]}")
[ "$BUILD_ONLY" = 1 ] || PACKAGES+=("${TEST_PACKAGES[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
# The browser test (tests/browser) drives Debian's Chromium with playwright-core,
# which downloads no browser (never run `npx playwright install`). Node is checked by
# command, not package: machines may carry another vendor's nodejs.
if [ "$BUILD_ONLY" = 0 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
fi

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
. "$ROOT/scripts/lib/openblas.sh"
ebb_select_openmp_openblas

# npm test tools: playwright-core (browser test) and s3rver (the S3 peer).
[ "$BUILD_ONLY" = 1 ] && exit 0
if [ ! -d "$ROOT/node_modules/playwright-core" ] || [ ! -d "$ROOT/node_modules/s3rver" ]; then
  echo "setup: npm ci (playwright-core, s3rver)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
