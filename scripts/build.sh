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
# -g1 (line tables: backtraces name functions and lines) instead of -g: a
# libtorch source file compiles in 17 s instead of 31, an httplib one in 11
# instead of 16 (CI builds everything from scratch).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build -j"$(nproc)" ${1:+--target "$@"}
