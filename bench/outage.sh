#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The README's promise "jobs survive a crash of `ebb up`", for a long outage:
# runs OutageTest (tests/integration/outage_test.cc) with `ebb up` killed for
# OUTAGE seconds (default 300) and the workers' default backoff (0.5 s doubling
# to 10 s, giving up after 15 min), then prints what happened.
#   bench/outage.sh        # five minutes
#   bench/outage.sh 600    # ten
# BUILD_DIR: the build tree (default build, configured as the README says).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
outage=${1:-300}
cmake --build "$build" -j2 --target ebb ebb-supervise outage_test
EBB_TEST_OUTAGE_S=$outage EBB_TEST_OUTAGE_DEFAULT_BACKOFF=1 \
  "$build/tests/integration/outage_test" \
  --gtest_filter='OutageTest.RunningJobsRideOutAnOutageOfEbbUpAndAreAdopted'
