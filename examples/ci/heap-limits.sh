#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A CI recipe: fail the build when a program leaks, or its heap or its number of allocation calls
# grows past a budget, or it makes a heap error; and give the CI system a JUnit report to show.
#
# Records the program, with every child it starts, under heaprr record, then holds all the traces
# against the limits with heaprr check (exit 1 and one line per limit broken).
#
#   examples/ci/heap-limits.sh [BUILD_DIR [PROGRAM ARGS...]]   (default: the leaky example)
#   MAX_LEAKED, MAX_PEAK (bytes, K/M/G allowed), MAX_CALLS   the budget (defaults: 64K, 16M, 1000000)
#   JUNIT                                                   the report (default BUILD_DIR/heap-limits.xml)
# The traces stay in BUILD_DIR/heap-limits/ (keep them as CI artifacts: heaprr leaks, summary and
# replay read them on any machine).
set -euo pipefail
build=${1:-build}
shift || true
[[ $# -gt 0 ]] || set -- "$build/examples/leaky"
heaprr=$build/cli/heaprr
out=$build/heap-limits
rm -rf "$out"
mkdir -p "$out"

# The program's own exit status is its test's business: a non-zero one is reported, not fatal here.
"$heaprr" record -q -o "$out/run.hrr" -- "$@" >"$out/stdout" || echo "heap-limits: $1 exited with status $?"
"$heaprr" check "$out"/run*.hrr --max-leaked "${MAX_LEAKED:-64K}" --max-peak "${MAX_PEAK:-16M}" \
    --max-calls "${MAX_CALLS:-1000000}" --no-errors --junit "${JUNIT:-$build/heap-limits.xml}"
