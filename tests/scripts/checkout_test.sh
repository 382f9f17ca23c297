#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# scripts/lib/checkout.sh: one checkout's demo and build never touch another's.
#   tests/scripts/checkout_test.sh   (ctest: scripts_checkout)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/checkout.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ebb-checkout-test.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Two checkouts get two demo folders; one checkout always the same one.
mkdir -p "$tmp/a" "$tmp/b"
da=$(ebb_checkout_dir /tmp/ebb-demo "$tmp/a")
db=$(ebb_checkout_dir /tmp/ebb-demo "$tmp/b")
[ "$da" != "$db" ] || fail "two checkouts share $da"
[ "$da" = "$(ebb_checkout_dir /tmp/ebb-demo "$tmp/a")" ] || fail "not stable"
case $da in /tmp/ebb-demo-*) ;; *) fail "unexpected name $da" ;; esac

# A pid file naming a process that is not this checkout's ebb is not trusted:
# another checkout's ebb (same name, other path), or a reused pid.
cp /bin/sleep "$tmp/a/ebb"
cp /bin/sleep "$tmp/b/ebb"
"$tmp/b/ebb" 300 & pids+=($!)
other=$!
sleep 300 & pids+=($!)
stranger=$!
"$tmp/a/ebb" 300 & pids+=($!)
mine=$!
ebb_pid_runs "$mine" "$tmp/a/ebb" || fail "own ebb (pid $mine) not recognised"
ebb_pid_runs "$other" "$tmp/a/ebb" && fail "another checkout's ebb taken as ours"
ebb_pid_runs "$stranger" "$tmp/a/ebb" && fail "an unrelated process taken as ours"
ebb_pid_runs "" "$tmp/a/ebb" && fail "empty pid accepted"
ebb_pid_runs "abc" "$tmp/a/ebb" && fail "non-numeric pid accepted"
# Rebuilt since it started (the running file replaced): still ours.
rm "$tmp/a/ebb" && cp /bin/sleep "$tmp/a/ebb"
ebb_pid_runs "$mine" "$tmp/a/ebb" || fail "own ebb not recognised after a rebuild"
kill "$mine"; wait "$mine" 2>/dev/null || true
ebb_pid_runs "$mine" "$tmp/a/ebb" && fail "a finished pid taken as running"

# A build folder configured in another checkout (a copy) is replaced; one
# configured here is kept.
mkdir -p "$tmp/a/build" "$tmp/b/build"
echo "CMAKE_HOME_DIRECTORY:INTERNAL=$tmp/b" >"$tmp/a/build/CMakeCache.txt"
echo "CMAKE_HOME_DIRECTORY:INTERNAL=$tmp/b" >"$tmp/b/build/CMakeCache.txt"
msg=$(ebb_reset_foreign_build "$tmp/a/build" "$tmp/a" 2>&1)
[ ! -e "$tmp/a/build" ] || fail "foreign build folder kept"
case $msg in *"configured for $tmp/b"*) ;; *) fail "no reason given: $msg" ;; esac
msg=$(ebb_reset_foreign_build "$tmp/b/build" "$tmp/b" 2>&1)
[ -f "$tmp/b/build/CMakeCache.txt" ] || fail "own build folder removed"
[ -z "$msg" ] || fail "spoke about its own build folder: $msg"
ebb_reset_foreign_build "$tmp/none/build" "$tmp/a" || fail "absent build folder"
echo "checkout_test: ok"
