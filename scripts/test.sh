#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The whole test suite: installs what is missing, builds, starts one private
# RabbitMQ node on free loopback ports for the run (each test uses its own queues),
# runs every unit and integration test with ctest, and stops the node.
#   scripts/test.sh                 # everything
#   scripts/test.sh -L unit         # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh

rmq_dir=$(mktemp -d "${TMPDIR:-/tmp}/ebb-test-rmq.XXXXXX")
cleanup() {
  scripts/rabbitmq.sh stop "$rmq_dir" || true
  rm -rf "$rmq_dir"
}
trap cleanup EXIT
echo "test.sh: starting RabbitMQ for this run in $rmq_dir"
while IFS= read -r line; do export "$line"; done < <(scripts/rabbitmq.sh start "$rmq_dir")

ctest --test-dir build --output-on-failure -j2 --timeout 300 "$@"
