#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing (scripts/setup.sh) and builds ebb into build/.
#   scripts/build.sh                  # everything (tests and benchmarks too)
#   scripts/build.sh ebb ebb-supervise  # only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/checkout.sh
scripts/setup.sh
ebb_reset_foreign_build build "$PWD"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" ${1:+--target "$@"}
