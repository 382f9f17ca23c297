# SPDX-License-Identifier: Apache-2.0
#
# ebb_select_openmp_openblas: points libblas.so.3, liblapack.so.3 and
# libopenblas.so.0 at the OpenMP build of OpenBLAS where it is installed (the
# pthread build, if installed too, has a higher priority in auto mode). Debian's
# libtorch calls whatever libblas.so.3 is selected; why the OpenMP build is in
# scripts/setup.sh. Needs root (or SUDO=sudo). Sourced by scripts/setup.sh and
# run by the worker image (Dockerfile).
ebb_select_openmp_openblas() {
  local arch lib want link
  arch=$(uname -m)-linux-gnu
  for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    want=/usr/lib/$arch/openblas-openmp/$lib
    link=$(readlink -f "/usr/lib/$arch/$lib" 2>/dev/null || true)
    if [ -e "$want" ] && [ "$link" != "$(readlink -f "$want")" ]; then
      echo "setup: selecting the OpenMP OpenBLAS for $lib"
      ${SUDO:-} update-alternatives --set "$lib-$arch" "$want" >/dev/null
    fi
  done
}
