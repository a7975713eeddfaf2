# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced by bench/analyze.sh and bench/replay.sh: the paths, a Release build when its binaries are
# missing, the workloads (a) and (b) of bench/run.sh at full size, (n) a Node.js program, their heaprr traces recorded once
# into $TRACES (delete a trace to record it again), and a median filter.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${HEAPRR_BUILD:-$ROOT/build}
HEAPRR=$BUILD/cli/heaprr
TRACES=$BUILD/bench-traces
if [ ! -x "$HEAPRR" ] || [ ! -x "$BUILD/bench/storm" ] || [ ! -x "$BUILD/bench/decode" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
    cmake --build "$BUILD" -j2 >&2
fi
mkdir -p "$TRACES"

# bench_workload NAME TOOL...: runs workload NAME under TOOL... (the tool's arguments included),
# with the workload's environment.
bench_workload() {
    local name=$1
    shift
    case $name in
    a) "$@" "$BUILD/bench/storm" 4000000 1 ;;
    b) PYTHONMALLOC=malloc PYTHONHASHSEED=0 "$@" /usr/bin/python3 "$ROOT/bench/jsonrt.py" 200000 ;;
    n) "$@" "$(command -v node)" "$ROOT/bench/nodeobj.js" 200000 ;;
    *) echo "bench: unknown workload '$name'" >&2; return 2 ;;
    esac
}

# bench_trace NAME: makes sure $TRACES/NAME.hrr holds heaprr's trace of workload NAME.
bench_trace() {
    [ -s "$TRACES/$1.hrr" ] || bench_workload "$1" "$HEAPRR" record -q -o "$TRACES/$1.hrr" -- >/dev/null
}

# median: the median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}
