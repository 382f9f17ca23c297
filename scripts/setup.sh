#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything ebb needs to build and test, from Debian's apt only.
# Idempotent: packages already present are skipped. Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-format curl
  libabsl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev librabbitmq-dev libcurl4-openssl-dev
  libcpp-httplib-dev libsqlite3-dev libpng-dev libgtest-dev libgmock-dev
  libbenchmark-dev
  rabbitmq-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

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

# The web UI's browser test (tests/browser): Debian's Chromium, Node.js with npm,
# and playwright-core from package-lock.json. playwright-core downloads no browser;
# never run `npx playwright install` (the test uses /usr/bin/chromium). Node is
# checked by command, not package: machines may carry another vendor's nodejs.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]} (browser test)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -d "$ROOT/node_modules/playwright-core" ]; then
  echo "setup: npm ci (playwright-core for the browser test)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The S3 tests (tests/s3): Debian's awscli (the `aws` CLI reads back what ebb
# wrote, and its vendored botocore is the reference SigV4 signer the verifying
# proxy uses; tests call /usr/bin/aws explicitly, since another aws-cli may come
# first on PATH), libssl-dev (SHA-256 for x-amz-content-sha256), and s3rver
# from package-lock.json (the S3-compatible test server).
missing=()
for p in awscli libssl-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]} (S3 tests)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d "$ROOT/node_modules/s3rver" ]; then
  echo "setup: npm ci (s3rver for the S3 tests)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
