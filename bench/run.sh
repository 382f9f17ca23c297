#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds ebb, ebb-supervise and the benchmark drivers, then runs them and
# prints the figures.
#   bench/run.sh                  # all five
#   bench/run.sh reaction launch  # a subset (reaction launch footprint queue api)
#   bench/run.sh kube             # the Kubernetes executor against the API
#                                 # server double (not in the default five)
# BUILD_DIR (default build-bench, RelWithDebInfo, tests off) is configured with
# -DEBB_BUILD_BENCH=ON. One private RabbitMQ node is started for the run
# (scripts/rabbitmq.sh) unless EBB_TEST_AMQP_URL is set, and stopped at exit.
# Extra driver flags: REACTION_FLAGS, LAUNCH_FLAGS, FOOTPRINT_FLAGS, QUEUE_FLAGS,
# API_FLAGS, KUBE_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build-bench}
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(reaction launch footprint queue api)

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEBB_BUILD_TESTS=OFF -DEBB_BUILD_BENCH=ON >/dev/null
else
  cmake -S . -B "$build" -DEBB_BUILD_BENCH=ON >/dev/null
fi
ninja -C "$build" -j"$(nproc)" ebb ebb-supervise bench_s3 bench_reaction bench_launch \
  bench_footprint bench_queue bench_api bench_kube

rmq_dir=""
cleanup() {
  if [ -n "$rmq_dir" ]; then
    scripts/rabbitmq.sh stop "$rmq_dir" || true
    rm -rf "$rmq_dir"
  fi
}
trap cleanup EXIT
if [ -z "${EBB_TEST_AMQP_URL:-}" ]; then
  rmq_dir=$(mktemp -d /tmp/ebb-bench-rmq-XXXXXX)
  eval "$(scripts/rabbitmq.sh start "$rmq_dir" | grep '^EBB_TEST_')"
  export EBB_TEST_AMQP_URL EBB_TEST_RABBITMQ_MGMT_URL
fi

echo "== machine: $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), \
$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), \
$(grep -E '^CMAKE_BUILD_TYPE' "$build/CMakeCache.txt" | cut -d= -f2), \
commit ${EBB_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty')}, \
load $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for b in "${benches[@]}"; do
  echo
  echo "== $b: load $(cut -d' ' -f1-3 /proc/loadavg)"
  case "$b" in
    reaction) "$build/bench/bench_reaction" ${REACTION_FLAGS:-} || rc=1 ;;
    launch) "$build/bench/bench_launch" ${LAUNCH_FLAGS:-} || rc=1 ;;
    footprint) "$build/bench/bench_footprint" ${FOOTPRINT_FLAGS:-} || rc=1 ;;
    queue) "$build/bench/queue/bench_queue" ${QUEUE_FLAGS:-} || rc=1 ;;
    api) "$build/bench/bench_api" ${API_FLAGS:-} || rc=1 ;;
    kube) "$build/bench/kubernetes/bench_kube" ${KUBE_FLAGS:-} || rc=1 ;;
    *) echo "unknown benchmark $b (reaction launch footprint queue api kube)" >&2
       rc=2 ;;
  esac
done
exit $rc
