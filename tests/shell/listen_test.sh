#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `ebb up --listen` refuses a non-loopback address (exit 2, saying why and naming
# --insecure-listen), and serves there with --insecure-listen.
set -euo pipefail
ebb=${1:?usage: listen_test.sh EBB_BINARY}
tmp=$(mktemp -d /tmp/ebb-listen-test-XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

set +e
"$ebb" up --data-dir "$tmp/data" --listen "0.0.0.0:$port" >"$tmp/refused.log" 2>&1
rc=$?
set -e
[[ $rc == 2 ]] || { cat "$tmp/refused.log"; echo "FAIL: --listen 0.0.0.0 exited $rc, want 2"; exit 1; }
for want in "not a loopback address" "plain HTTP" "--insecure-listen"; do
  grep -q -- "$want" "$tmp/refused.log" || { cat "$tmp/refused.log"; echo "FAIL: the error lacks \"$want\""; exit 1; }
done
[[ ! -e $tmp/data/token ]] || { echo "FAIL: a refused ebb up created its data directory"; exit 1; }

"$ebb" up --data-dir "$tmp/data" --listen "0.0.0.0:$port" --insecure-listen --max-jobs 1 \
  --no-drain-wait >"$tmp/up.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then cat "$tmp/up.log"; echo "FAIL: ebb up --insecure-listen exited"; exit 1; fi
  if (( SECONDS > deadline )); then cat "$tmp/up.log"; echo "FAIL: no /healthz in 60 s"; exit 1; fi
  sleep 0.2
done
grep -q "insecure-listen" "$tmp/up.log" || { cat "$tmp/up.log"; echo "FAIL: no warning about plain HTTP"; exit 1; }
echo "PASS: non-loopback --listen refused without --insecure-listen, served with it"
