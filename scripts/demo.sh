#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# ebb's main job on this machine, from nothing: installs what is missing, builds
# ebb, starts `ebb up` (the single-node product: embedded queue, local jobs, web
# UI), submits prompts, shows jobs scaling up to 4 and back to 0 as images arrive,
# and leaves the web UI running until Ctrl-C.
#   scripts/demo.sh              # single node, web UI; Ctrl-C to stop
#   scripts/demo.sh --exit       # stop once the prompts are done
#   scripts/demo.sh --rabbitmq   # the seed's KEDA ScaledJob on a private RabbitMQ
#   PROMPTS=12 scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/checkout.sh
mode=single
stay=1
for arg in "$@"; do
  case "$arg" in
    --exit) stay=0 ;;
    --rabbitmq) mode=rabbitmq ;;
    --keep) stay=1 ;;
    -h|--help) sed -n '3,12p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
[ -t 0 ] || stay=0  # no terminal to press Ctrl-C in: stop when done
prompts=${PROMPTS:-8}
# This checkout's own state folder: a demo of another checkout is never touched.
demo=${EBB_DEMO_DIR:-$(ebb_checkout_dir "${TMPDIR:-/tmp}/ebb-demo")}

if [ -t 1 ]; then
  say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
else
  say() { printf 'demo: %s\n' "$*"; }
fi
port_free() { ! (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    port_free "$p" && echo "$p" && return
  done
}

say "installing what is missing and building ebb (first run: 5-20 minutes on 2 cores)"
build_log=${TMPDIR:-/tmp}/ebb-demo-build.log
# Only what the demo runs; scripts/test.sh builds the rest. Progress: ninja's [n/N].
if ! scripts/build.sh ebb ebb-supervise 2>&1 | tee "$build_log" |
  awk -F'[][/]' '/^\[[0-9]+\/[0-9]+\]/ { printf "\r  building: %d of %d steps", $2, $3; fflush() }
                END { print "" }'; then
  echo "build failed; see $build_log" >&2
  exit 1
fi
ebb=$PWD/build/src/cli/ebb

# A demo of this checkout left running (an earlier run, or one still open in
# another terminal) is stopped first: its ebb up, then its broker. The pid file is
# trusted only if that pid still runs this checkout's ebb.
old_pid=$(cat "$demo/ebb.pid" 2>/dev/null || true)
if ebb_pid_runs "$old_pid" "$ebb"; then
  say "stopping this checkout's earlier demo (ebb up, pid $old_pid)"
  kill -INT "$old_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do ebb_pid_runs "$old_pid" "$ebb" || break; sleep 0.1; done
  ebb_pid_runs "$old_pid" "$ebb" && kill -KILL "$old_pid" 2>/dev/null || true
fi
[ -d "$demo/rabbitmq" ] && scripts/rabbitmq.sh stop "$demo/rabbitmq" >/dev/null 2>&1 || true
rm -rf "$demo"
mkdir -p "$demo"
api_port=8080
port_free $api_port || api_port=$(free_port)
export EBB_SERVER=http://127.0.0.1:$api_port EBB_DATA_DIR=$demo/data

ebb_pid=""
cleanup() {
  [ -n "$ebb_pid" ] && kill -INT "$ebb_pid" 2>/dev/null && wait "$ebb_pid" 2>/dev/null || true
  [ "$mode" = rabbitmq ] && scripts/rabbitmq.sh stop "$demo/rabbitmq" >/dev/null 2>&1 || true
}
trap cleanup EXIT

up_args=(up --listen 127.0.0.1:$api_port)
if [ "$mode" = rabbitmq ]; then
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
  say "starting a private RabbitMQ on 127.0.0.1:$amqp_port (data in $demo/rabbitmq)"
  scripts/rabbitmq.sh start "$demo/rabbitmq" "$amqp_port" >/dev/null
  say "validating the seed's manifests"
  "$ebb" validate -f "$manifests" | sed 's/^/    /'
  up_args+=(-f "$manifests")
  say "ebb up -f $manifests  (log: $demo/ebb-up.log)"
else
  up_args+=(--max-jobs 4)
  say "ebb up  (single node: embedded queue, up to 4 jobs; log: $demo/ebb-up.log)"
fi
"$ebb" "${up_args[@]}" >"$demo/ebb-up.log" 2>&1 &
ebb_pid=$!
echo "$ebb_pid" >"$demo/ebb.pid"
for _ in $(seq 1 100); do
  curl -fsS "$EBB_SERVER/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# Prompts the bundled model knows (models/ebb-shapes/README.md): one coloured
# shape on a background of another colour.
subjects=("a red circle on a blue background" "a yellow triangle on a purple background"
  "a white square on a black background" "a big orange circle on green"
  "blue triangle, yellow background" "a small green square on a white background"
  "a purple circle on a yellow background" "a black triangle on a white background"
  "a green circle on an orange background" "a blue square on a red background"
  "a white triangle on a green background" "an orange square on a blue background")
say "submitting $prompts prompts with \`ebb submit\`"
for i in $(seq 0 $((prompts - 1))); do
  "$ebb" submit "${subjects[$((i % ${#subjects[@]}))]}" >/dev/null
done

# One line a second, in plain words: prompts waiting in the queue, worker processes
# alive (ebb starts one per waiting prompt, at most 4 here, and none when the queue is
# empty), images finished, and what the autoscaler did last.
say "every second: prompts waiting, workers alive (max 4), images done, and why"
results=$demo/data/results
peak=0
start=$(date +%s%N)
while :; do
  done_n=$( (ls "$results" 2>/dev/null || true) | grep -c "\.json$" || true)
  jobs=$("$ebb" jobs 2>/dev/null | grep -cE ' (pending|running) ' || true)
  [ "$jobs" -gt "$peak" ] && peak=$jobs
  ms=$((($(date +%s%N) - start) / 1000000))
  t=$(printf '%3d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
  # ebb status columns: SCALEDJOB STRATEGY QUEUE JOBS PENDING MAX AGO DECISION...;
  # the decision's reason (KEDA's terms) is told in plain words.
  status=$("$ebb" status 2>/dev/null | awk 'NR==2' || true)
  waiting=$(echo "$status" | awk '{print $3}')
  why=$(echo "$status" | awk '{ r = ""; for (i = 8; i <= NF; i++) r = r " " $i; print r }')
  case "$why" in
    *creating*)
      n=$(echo "$why" | sed -E 's/.*creating ([0-9]+).*/\1/')
      if [ "$n" = 1 ]; then why="started 1 worker for a waiting prompt"
      else why="started $n workers, one per waiting prompt"; fi ;;
    *"effective max is 0"*) why="every worker slot is busy: the rest wait their turn" ;;
    *"not active"*) why="nothing waiting: no new workers" ;;
    *"no new jobs"* | *"create 0"*) why="no new workers needed" ;;
  esac
  printf '  t=%ss  waiting %s  workers %d  done %d/%d  %s\n' "$t" "${waiting:-?}" "$jobs" "$done_n" "$prompts" \
    "$(echo "$why" | sed 's/^ *//' | cut -c1-80)"
  if [ "$done_n" -ge "$prompts" ] && [ "$jobs" -eq 0 ]; then break; fi
  sleep 1
done
say "$done_n/$prompts prompts done; at most $peak workers ran at once (max 4); now none (scaled to zero)"
say "results in $results:"
ls -1 "$results" | head -n 4 | sed 's/^/    /'
echo "    ..."
if [ $stay = 1 ]; then
  say "ebb is still running. Open the web UI in a browser:"
  echo "    $EBB_SERVER/login?token=$(cat "$EBB_DATA_DIR/token")"
  say "other terminals: export EBB_SERVER=$EBB_SERVER EBB_DATA_DIR=$EBB_DATA_DIR; $ebb status"
  say "press Ctrl-C to stop"
  wait "$ebb_pid" || true
  ebb_pid=""
fi
