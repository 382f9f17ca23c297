#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The whole main job on this machine, from nothing: installs what is missing,
# builds ebb, starts a private RabbitMQ on loopback, runs the seed's KEDA
# ScaledJob (examples/stable-diffusion) with `ebb up`, submits prompts, and shows
# jobs scaling up to maxReplicaCount (4) and back to 0 as images arrive.
#   scripts/demo.sh            # run, then stop everything
#   scripts/demo.sh --keep     # leave ebb up and the broker running afterwards
#   PROMPTS=12 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep" ] && keep=1
prompts=${PROMPTS:-8}
demo=${EBB_DEMO_DIR:-/tmp/ebb-demo}

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

say "installing what is missing and building (first run: a few minutes)"
scripts/build.sh >"${TMPDIR:-/tmp}/ebb-demo-build.log" 2>&1 || {
  echo "build failed; see ${TMPDIR:-/tmp}/ebb-demo-build.log" >&2
  exit 1
}
ebb=$PWD/build/src/cli/ebb

rm -rf "$demo"
mkdir -p "$demo"
port_free() { ! (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    port_free "$p" && echo "$p" && return
  done
}

# The seed's Secret points at amqp://guest:guest@127.0.0.1:5672/. Use that port
# when it is free, so the seed's manifests run unedited; else a free port and a
# copy of the manifests whose Secret points there.
manifests=examples/stable-diffusion
if port_free 5672; then
  amqp_port=5672
else
  amqp_port=$(free_port)
  mkdir -p "$demo/manifests"
  sed "s#amqp://guest:guest@127.0.0.1:5672/#amqp://guest:guest@127.0.0.1:$amqp_port/#" \
    examples/stable-diffusion/manifests.yaml >"$demo/manifests/manifests.yaml"
  cp examples/stable-diffusion/ebb-local.yaml "$demo/manifests/"
  manifests=$demo/manifests
  say "port 5672 is taken; using $amqp_port (manifests copied to $manifests)"
fi
api_port=8080
port_free $api_port || api_port=$(free_port)
export EBB_SERVER=http://127.0.0.1:$api_port EBB_DATA_DIR=$demo/data

ebb_pid=""
cleanup() {
  [ $keep = 1 ] && return
  [ -n "$ebb_pid" ] && kill -INT "$ebb_pid" 2>/dev/null && wait "$ebb_pid" 2>/dev/null || true
  scripts/rabbitmq.sh stop "$demo/rabbitmq" >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "starting a private RabbitMQ on 127.0.0.1:$amqp_port (data in $demo/rabbitmq)"
scripts/rabbitmq.sh start "$demo/rabbitmq" "$amqp_port" >/dev/null

say "validating the seed's manifests"
"$ebb" validate -f "$manifests" | sed 's/^/    /'

say "ebb up -f $manifests  (log: $demo/ebb-up.log)"
"$ebb" up -f "$manifests" --listen 127.0.0.1:$api_port >"$demo/ebb-up.log" 2>&1 &
ebb_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$EBB_SERVER/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

subjects=("a lighthouse at dusk" "a red fox in fresh snow" "a quiet harbour at dawn"
  "a mountain lake under stars" "a field of sunflowers" "an old stone bridge"
  "a desert at noon" "a forest in autumn" "a city skyline in fog" "a glacier at sunset"
  "a meadow after rain" "a volcano at night")
say "submitting $prompts prompts with \`ebb submit\`"
for i in $(seq 0 $((prompts - 1))); do
  "$ebb" submit "${subjects[$((i % ${#subjects[@]}))]}" >/dev/null
done

results=$demo/data/results
peak=0
start=$(date +%s%N)
while :; do
  done_n=$( (ls "$results" 2>/dev/null || true) | grep -c "\.json$" || true)
  jobs=$("$ebb" jobs 2>/dev/null | grep -cE ' (pending|running) ' || true)
  [ "$jobs" -gt "$peak" ] && peak=$jobs
  ms=$((($(date +%s%N) - start) / 1000000))
  t=$(printf '%3d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
  # ebb status columns: SCALEDJOB STRATEGY QUEUE RUNNING PENDING MAX TIME DECISION...
  last=$("$ebb" status 2>/dev/null | awk 'NR==2 {
    printf "queue %s, running %s, pending %s | last decision:", $3, $4, $5
    for (i = 8; i <= NF; i++) printf " %s", $i }')
  printf '  t=%ss  results %d/%d  %s\n' "$t" "$done_n" "$prompts" "$(echo "$last" | cut -c1-120)"
  if [ "$done_n" -ge "$prompts" ] && [ "$jobs" -eq 0 ]; then break; fi
  sleep 1
done
say "$done_n/$prompts requests done; peak $peak jobs at once (maxReplicaCount 4); now 0 jobs"
say "results in $results:"
ls -1 "$results" | head -n 6 | sed 's/^/    /'
[ "$(ls "$results" | wc -l)" -gt 6 ] && echo "    ..."
if [ $keep = 1 ]; then
  say "left running: ebb up (pid $ebb_pid, $EBB_SERVER) and RabbitMQ on :$amqp_port"
  say "try: EBB_SERVER=$EBB_SERVER EBB_DATA_DIR=$EBB_DATA_DIR $ebb submit \"a cat\""
fi
