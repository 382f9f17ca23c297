# SPDX-License-Identifier: Apache-2.0
#
# Shell helpers that keep one checkout's scripts from touching another's state.
# Sourced by scripts/demo.sh and scripts/build.sh; tested by
# tests/scripts/checkout_test.sh (ctest: scripts_checkout).

# Prints a directory name of BASE's unique to the checkout at SRC (default: the
# current directory), e.g. /tmp/ebb-demo-1234567890: two checkouts never share it.
ebb_checkout_dir() {
  local base=$1 src=${2:-$PWD}
  src=$(cd "$src" && pwd -P)
  echo "$base-$(printf '%s' "$src" | cksum | cut -d' ' -f1)"
}

# True when process PID runs the executable BINARY (compared by resolved path; a
# binary rebuilt since the process started still counts). A pid file can outlive
# its process and the pid be reused by anything: never signal a pid without this.
ebb_pid_runs() {
  local pid=$1 binary exe
  binary=$(readlink -f "$2") || return 1
  [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [ "$exe" = "$binary" ]
}

# When BUILD's CMakeCache.txt was made for another source directory than SRC (a
# copied or moved checkout), CMake refuses to use it: remove BUILD so that it is
# configured afresh here, and say so. Prints nothing when BUILD is fine or absent.
ebb_reset_foreign_build() {
  local build=$1 src cache home
  src=$(cd "$2" && pwd -P)
  cache=$build/CMakeCache.txt
  [ -f "$cache" ] || return 0
  home=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$cache")
  [ -n "$home" ] && [ -d "$home" ] && home=$(cd "$home" && pwd -P)
  if [ "$home" != "$src" ]; then
    echo "build: $build was configured for ${home:-an unknown source directory}," \
      "not $src; configuring a fresh one" >&2
    rm -rf "$build"
  fi
}
