#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Analysis speed (bench/README.md, "Analyze"): `heaprr summary` plus `heaprr leaks` on heaprr's
# trace of workloads (a) and (b), against `heaptrack_print -l 1` (its summary, peaks, allocators,
# temporaries and leaks) on heaptrack's trace of the same program, RUNS times each, interleaved;
# medians of wall time, events per second and peak RSS. Target of the analyzer issue: heaprr at
# least 3 times faster. Also: the same two commands asked again, the same from the events alone
# (HEAPRR_NO_INDEX=1: what a trace without an index costs) and the reader alone (decode only).
# Then `heaprr flame` against `heaprr leaks` on a Node.js run (workload n: a 98 MB binary whose
# frames all need names): target flame at most twice leaks.
set -euo pipefail
export LC_ALL=C

RUNS=3
while [ $# -gt 0 ]; do
    case "$1" in
    -n) RUNS="${2:?-n needs a number}"; shift 2 ;;
    -h | --help) echo "usage: bench/analyze.sh [-n RUNS]"; exit 0 ;;
    *) echo "analyze.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case "$RUNS" in '' | *[!0-9]* | 0) echo "analyze.sh: -n needs a positive number" >&2; exit 2 ;; esac

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if ! command -v heaptrack_print >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps --heaptrack >&2
fi
if ! command -v node >/dev/null 2>&1; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps >&2 # nodejs is one of the base packages
fi
for w in a b; do # both tools' traces of one run each, kept in $TRACES
    bench_trace $w
    [ -s "$TRACES/$w.ht.zst" ] || bench_workload $w heaptrack -o "$TRACES/$w.ht" >/dev/null 2>&1
done

# timed CMD...: "seconds peak_kb" of one run
timed() {
    local t0 t1 rss out=$TRACES/time.out
    t0=$EPOCHREALTIME
    /usr/bin/time -o "$out" -f '%M' "$@" >/dev/null 2>&1
    t1=$EPOCHREALTIME
    rss=$(tail -1 "$out")
    awk -v a="$t0" -v b="$t1" -v r="$rss" 'BEGIN {printf "%.4f %s\n", b - a, r}'
}

echo "heaprr analysis benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, heaprr $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $RUNS runs each"
for w in a b; do
    events=$("$HEAPRR" stats --json "$TRACES/$w.hrr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"])')
    hs=() hr=() ts=() tr=() ds=() as=() ns=() nr=()
    for ((i = 0; i < RUNS; i++)); do
        read -r s1 r1 < <(timed "$HEAPRR" summary "$TRACES/$w.hrr")
        read -r s2 r2 < <(timed "$HEAPRR" leaks "$TRACES/$w.hrr")
        hs+=("$(awk -v a="$s1" -v b="$s2" 'BEGIN {print a + b}')")
        hr+=("$((r1 > r2 ? r1 : r2))")
        read -r s3 r3 < <(timed heaptrack_print -l 1 -f "$TRACES/$w.ht.zst")
        ts+=("$s3")
        tr+=("$r3")
        read -r s4 _ < <("$BUILD/bench/decode" "$TRACES/$w.hrr")
        ds+=("$s4")
        read -r s5 _ < <(timed "$HEAPRR" summary "$TRACES/$w.hrr")
        read -r s6 _ < <(timed "$HEAPRR" leaks "$TRACES/$w.hrr")
        as+=("$(awk -v a="$s5" -v b="$s6" 'BEGIN {print a + b}')")
        read -r s7 r7 < <(HEAPRR_NO_INDEX=1 timed "$HEAPRR" summary "$TRACES/$w.hrr")
        read -r s8 r8 < <(HEAPRR_NO_INDEX=1 timed "$HEAPRR" leaks "$TRACES/$w.hrr")
        ns+=("$(awk -v a="$s7" -v b="$s8" 'BEGIN {print a + b}')")
        nr+=("$((r7 > r8 ? r7 : r8))")
    done
    h=$(printf '%s\n' "${hs[@]}" | median)
    t=$(printf '%s\n' "${ts[@]}" | median)
    hm=$(printf '%s\n' "${hr[@]}" | median)
    tm=$(printf '%s\n' "${tr[@]}" | median)
    d=$(printf '%s\n' "${ds[@]}" | median)
    again=$(printf '%s\n' "${as[@]}" | median)
    n=$(printf '%s\n' "${ns[@]}" | median)
    nm=$(printf '%s\n' "${nr[@]}" | median)
    echo
    case $w in
    a) echo "(a) storm, $events calls" ;;
    b) echo "(b) CPython json round trip, $events calls" ;;
    esac
    awk -v h="$h" -v t="$t" -v d="$d" -v hm="$hm" -v tm="$tm" -v e="$events" -v ag="$again" -v n="$n" \
        -v nm="$nm" 'BEGIN {
        printf "  %-34s %9s %14s %12s\n", "", "seconds", "M events/s", "peak RSS MiB"
        printf "  %-34s %9.3f %14.2f %12.1f\n", "heaprr summary + heaprr leaks", h, 2 * e / h / 1e6, hm / 1024
        printf "  %-34s %9.3f %14.2f %12.1f\n", "heaptrack_print -l 1", t, e / t / 1e6, tm / 1024
        printf "  %-34s %9.3f %14.2f\n", "the same, asked again", ag, 2 * e / ag / 1e6
        printf "  %-34s %9.3f %14.2f %12.1f\n", "the same from the events", n, 2 * e / n / 1e6, nm / 1024
        printf "  %-34s %9.3f %14.2f\n", "decode only (bench/decode)", d, e / d / 1e6
        printf "  heaptrack_print / heaprr: %.2f (target >= 3: %s)\n", t / h, (t / h >= 3) ? "PASS" : "MISS"
        printf "  asked again: %.3f s (target < 0.25 s: %s)\n", ag, (ag < 0.25) ? "PASS" : "MISS"
        printf "  peak RSS heaprr / heaptrack_print: %.2f (target <= 1: %s)\n", hm / tm, (hm <= tm) ? "PASS" : "MISS"
    }'
done
bench_trace n
events=$("$HEAPRR" stats --json "$TRACES/n.hrr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"])')
fs=() ls=()
for ((i = 0; i < RUNS; i++)); do
    read -r s1 _ < <(timed "$HEAPRR" flame "$TRACES/n.hrr")
    read -r s2 _ < <(timed "$HEAPRR" leaks "$TRACES/n.hrr")
    fs+=("$s1")
    ls+=("$s2")
done
f=$(printf '%s\n' "${fs[@]}" | median)
l=$(printf '%s\n' "${ls[@]}" | median)
echo
echo "(n) Node.js $(node --version), $events calls"
awk -v f="$f" -v l="$l" 'BEGIN {
    printf "  %-34s %9s\n", "", "seconds"
    printf "  %-34s %9.3f\n", "heaprr flame", f
    printf "  %-34s %9.3f\n", "heaprr leaks", l
    printf "  flame / leaks: %.2f (target <= 2: %s)\n", f / l, (f <= 2 * l) ? "PASS" : "MISS"
}'
echo
echo "M events/s: events answered for per second (two commands: twice the trace's events)."
echo "from the events: HEAPRR_NO_INDEX=1, every event read as for a trace without an index."
echo "decode only: the streaming reader alone, the bound on any analysis of the trace."
