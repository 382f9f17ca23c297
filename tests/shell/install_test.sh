#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build tree BUILD_DIR into a temporary prefix, starts the installed
# `ebb up` from an unrelated directory, and fetches the web UI's index page and
# one of its modules. Fails if the UI is not served (the installed binary must
# find PREFIX/share/ebb/web by itself).
set -euo pipefail
build_dir=${1:?usage: install_test.sh BUILD_DIR}
tmp=$(mktemp -d /tmp/ebb-install-test-XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cmake --install "$build_dir" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
for f in bin/ebb bin/ebb-supervise share/ebb/web/index.html share/ebb/web/js/main.js \
         share/ebb/examples/stable-diffusion/manifests.yaml share/doc/ebb/README.md \
         share/ebb/models/ebb-shapes/model_index.json; do
  [[ -e $tmp/prefix/$f ]] || { echo "FAIL: $f not installed"; exit 1; }
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere"
# No EBB_WEB_ROOT, no --web-root: the binary finds its UI relative to itself.
env -u EBB_WEB_ROOT "$tmp/prefix/bin/ebb" up --data-dir "$tmp/data" \
  --listen "127.0.0.1:$port" --max-jobs 1 --no-drain-wait >"$tmp/up.log" 2>&1 &
pid=$!

base="http://127.0.0.1:$port"
deadline=$((SECONDS + 60))
until curl -sf "$base/healthz" >/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null; then cat "$tmp/up.log"; echo "FAIL: ebb up exited"; exit 1; fi
  if (( SECONDS > deadline )); then cat "$tmp/up.log"; echo "FAIL: no /healthz in 60 s"; exit 1; fi
  sleep 0.2
done

index=$(curl -s -w '\n%{http_code}' "$base/")
code=${index##*$'\n'}
if [[ $code != 200 || $index != *'<title>'* ]]; then
  echo "$index" | head -5; cat "$tmp/up.log"
  echo "FAIL: GET / answered $code, not the UI's index page"; exit 1
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/js/main.js")
[[ $code == 200 ]] || { cat "$tmp/up.log"; echo "FAIL: GET /js/main.js answered $code"; exit 1; }
grep -q "web UI files from $tmp/prefix/share/ebb/web" "$tmp/up.log" || {
  cat "$tmp/up.log"; echo "FAIL: the UI was not served from the installed tree"; exit 1; }
# The jobs' default model: the installed bundled one (where the inference
# binary is installed too, i.e. a build with libtorch), read by the API.
if [[ -x $tmp/prefix/libexec/ebb/ebb-diffusion ]]; then
  model=$(curl -s -H "Authorization: Bearer $(cat "$tmp/data/token")" "$base/api/v1/model")
  [[ $model == *'"model":"ebb-shapes"'* && $model == *'"bundled":true'* ]] || {
    echo "$model"; cat "$tmp/up.log"; echo "FAIL: GET /api/v1/model is not the installed bundled model"; exit 1; }
  echo "ok: the installed ebb's jobs serve the installed bundled model"
fi
echo "PASS: installed ebb serves the UI from $tmp/prefix/share/ebb/web"
