#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replay throughput (bench/README.md, "Replay"): replays the traces of the recording benchmark's
# workloads (a) and (b) on the band model at every check level, on the C library's malloc and on
# jemalloc, RUNS times each (decoding ahead on a second thread, applying on one), and prints medians: events per second of the whole replay
# (decoding included) and of the engine alone (decoding left out), with the targets of the replay
# issue (engine, --check none >= 20 M events/s, basic >= 10 M) marked PASS or MISS.
set -euo pipefail
export LC_ALL=C

RUNS=3
CHAIN_EVENTS=20000
while [ $# -gt 0 ]; do
    case "$1" in
    -n) RUNS="${2:?-n needs a number}"; shift 2 ;;
    -h | --help)
        echo "usage: bench/replay.sh [-n RUNS]   (traces are recorded once into \$BUILD/bench-traces/)"
        exit 0 ;;
    *) echo "replay.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case "$RUNS" in '' | *[!0-9]* | 0) echo "replay.sh: -n needs a positive number" >&2; exit 2 ;; esac

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
if [ ! -e "$JEMALLOC" ] || [ ! -x /usr/bin/python3 ]; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps >&2
fi
bench_trace a
bench_trace b

# field FILE KEY: a number from a replay report
field() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# run LABEL ARGS...: RUNS replays; prints "events total_eps engine_eps"
run() {
    local out=$TRACES/report.json i
    local total=() engine=() events=0
    for ((i = 0; i < RUNS; i++)); do
        "$HEAPRR" replay --json "$@" >"$out" || [ $? = 3 ]
        events=$(field "$out" events)
        total+=("$(field "$out" events_per_second)")
        engine+=("$(field "$out" engine_events_per_second)")
    done
    printf '%s %s %s\n' "$events" "$(printf '%s\n' "${total[@]}" | median)" "$(printf '%s\n' "${engine[@]}" | median)"
}

verdict() { # verdict VALUE TARGET
    awk -v v="$1" -v t="$2" 'BEGIN {print (v >= t) ? "PASS" : "MISS"}'
}

echo "heaprr replay benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, heaprr $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $RUNS runs each"
for w in a b; do
    trace=$TRACES/$w.hrr
    case $w in
    a) echo; echo "(a) storm: 4 million malloc/free calls of random sizes, 1 thread" ;;
    b) echo; echo "(b) CPython json round trip, 13.4 million calls, 200 MiB peak heap" ;;
    esac
    printf '  %-22s %11s %14s %14s\n' "replay on" "events" "M events/s" "engine M ev/s"
    declare -A eng=()
    for mode in none basic bounds chain system jemalloc; do
        case $mode in
        system) args=(--allocator system --check none) ;;
        jemalloc) args=(--allocator "$JEMALLOC" --check none) ;;
        chain) args=(--check chain --stop-after "$CHAIN_EVENTS") ;;
        *) args=(--check "$mode") ;;
        esac
        read -r events total engine < <(run "${args[@]}" "$trace")
        eng[$mode]=$engine
        label="band, check $mode"
        [ "$mode" = system ] && label="glibc malloc"
        [ "$mode" = jemalloc ] && label="jemalloc"
        [ "$mode" = chain ] && label="band, check chain*"
        awk -v l="$label" -v e="$events" -v t="$total" -v g="$engine" \
            'BEGIN {printf "  %-22s %11d %14.4g %14.4g\n", l, e, t / 1e6, g / 1e6}'
    done
    awk -v n="${eng[none]}" -v s="${eng[system]}" -v j="${eng[jemalloc]}" \
        'BEGIN {printf "  engine speed of the band model (check none) / glibc malloc: %.2f, / jemalloc: %.2f\n", n / s, n / j}'
    echo "  targets (engine, one core): check none >= 20 M/s $(verdict "${eng[none]}" 20e6), basic >= 10 M/s $(verdict "${eng[basic]}" 10e6)"
    unset eng
done
echo
echo "* chain walks every arena and band after each operation: the first $CHAIN_EVENTS events only."
echo "Engine: applying the events (allocator, checker, bookkeeping); M events/s: the whole replay, decoding included."
