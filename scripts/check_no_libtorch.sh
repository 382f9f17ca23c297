#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Usage: check_no_libtorch.sh PATH/TO/ebb [PATH/TO/ebb-tiny-model]
# Checks that the `ebb` binary never loads libtorch (issue 8: the diffusion
# backend lives in the worker-side inference binary only): ldd of the binary,
# then /proc/PID/maps of a running single-node `ebb up` once it answers
# /healthz. With the tiny-model tool (a build with libtorch), it then starts
# `ebb worker --model DIR` against that `ebb up` and shows that the same pid
# becomes ebb-diffusion and maps libtorch. Condition-based waits with
# deadlines.
set -euo pipefail
EBB="$1"
TINY="${2:-}"
PATTERN='libtorch|libc10|libcaffe2|libgomp.*torch'

if ldd "$EBB" | grep -E "$PATTERN"; then
  echo "FAIL: $EBB is linked against libtorch" >&2
  exit 1
fi

dir="$(mktemp -d)"
pid=""
wpid=""
cleanup() {
  if [ -n "$wpid" ]; then kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$EBB" up --data-dir "$dir/data" --listen "127.0.0.1:$port" --store "$dir/store" \
  --max-jobs 1 >"$dir/log" 2>&1 &
pid=$!
deadline=$((SECONDS + 120))
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: ebb up exited before serving /healthz:" >&2
    cat "$dir/log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "FAIL: ebb up did not serve /healthz within 120 s" >&2
    cat "$dir/log" >&2
    exit 1
  fi
  sleep 0.1
done
if grep -E "$PATTERN" "/proc/$pid/maps"; then
  echo "FAIL: the running ebb up (pid $pid) has libtorch mapped" >&2
  exit 1
fi
echo "ok: ebb is not linked against libtorch and a running ebb up has none of it mapped"

if [ -z "$TINY" ] || [ ! -x "$(dirname "$EBB")/ebb-diffusion" ]; then
  echo "(no ebb-diffusion beside $EBB or no tiny-model tool: worker side not checked)"
  exit 0
fi
"$TINY" "$dir/model"
EBB_QUEUE_URL="http://127.0.0.1:$port" EBB_TOKEN="$(cat "$dir/data/token")" \
  "$EBB" worker --model "$dir/model" --store "$dir/store" --take-timeout 120 \
  >"$dir/worker.log" 2>&1 &
wpid=$!
deadline=$((SECONDS + 60))
until grep -qE "$PATTERN" "/proc/$wpid/maps" 2>/dev/null; do
  if ! kill -0 "$wpid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "FAIL: ebb worker --model DIR (pid $wpid) never mapped libtorch:" >&2
    cat "$dir/worker.log" >&2
    exit 1
  fi
  sleep 0.1
done
exe="$(readlink "/proc/$wpid/exe")"
case "$exe" in
  */ebb-diffusion) ;;
  *) echo "FAIL: worker pid $wpid runs $exe, not ebb-diffusion" >&2; exit 1 ;;
esac
if grep -qE "$PATTERN" "/proc/$pid/maps"; then
  echo "FAIL: ebb up (pid $pid) mapped libtorch after a worker started" >&2
  exit 1
fi
echo "ok: ebb worker --model DIR became $exe (same pid $wpid) and maps libtorch:"
grep -oE '[^ ]*(libtorch|libc10)[^ ]*\.so[^ ]*' "/proc/$wpid/maps" | sort -u
