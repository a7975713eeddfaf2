#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The test suite as CI runs it: installs what is missing, builds everything with ASan+UBSan and
# -Werror into build-asan/, runs ctest and exits with its status. Arguments go to ctest
# (e.g. scripts/test.sh -R e2e). Works from any directory.
# shellcheck disable=SC2119 # heaprr_deps takes optional arguments, not the script's
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/deps.sh
echo "==== dependencies"
heaprr_deps

echo "==== build (ASan+UBSan, -Werror, RelWithDebInfo, build-asan/)"
cmake -S . -B build-asan -DHEAPRR_SANITIZE=ON -DHEAPRR_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-asan -j"$(nproc)"
echo "build: done after ${SECONDS} s"

echo "==== ctest"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
status=0
ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 "$@" || status=$?
echo "test.sh: ctest exited with status $status after ${SECONDS} s in all"
exit "$status"
