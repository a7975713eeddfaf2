#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The views of a big trace (bench/README.md, "Views"): time, peak RSS and output size of
# `heaprr report --html` and `heaprr export --to pprof|massif|speedscope` on heaprr's trace of
# workloads (b) (CPython) and (n) (Node.js), RUNS times each, medians; side by side with what
# heaptrack offers for the same program: `heaptrack_print` (its whole text report: summary, peaks,
# leaks, the analysis its GUI shows) against `heaprr report --html`, `heaptrack_print -M` (its
# massif file) against `heaprr export --to massif`, and `heaptrack_print -F` (its flame graph
# stacks) against `heaprr flame`, each on its own tool's trace of the same run of the workload.
# Then (t), a process tree (bash running CPython 50 times): summary, the page, the pprof export and
# the plot of all its traces, with --tree.
# Targets: the page at most 4 MiB (the HTML report issue); massif and flame at most the time
# heaptrack_print takes for its own. The page against heaptrack_print's text report has no target:
# the page also replays the trace on the band model and its checker (for the findings it shows:
# timed alone as `heaprr replay`) and takes the live heap's top sites at 41 moments, work heaptrack
# does not do; the ratio is printed with and without the replay's part.
set -euo pipefail
export LC_ALL=C

RUNS=3
while [ $# -gt 0 ]; do
    case "$1" in
    -n) RUNS="${2:?-n needs a number}"; shift 2 ;;
    -h | --help) echo "usage: bench/views.sh [-n RUNS]"; exit 0 ;;
    *) echo "views.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case "$RUNS" in '' | *[!0-9]* | 0) echo "views.sh: -n needs a positive number" >&2; exit 2 ;; esac

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if ! command -v heaptrack_print >/dev/null 2>&1 || [ ! -x /usr/bin/time ] || ! command -v node >/dev/null 2>&1; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps --heaptrack >&2
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for w in b n; do
    bench_trace $w
    [ -s "$TRACES/$w.ht.zst" ] || bench_workload $w heaptrack -o "$TRACES/$w.ht" >/dev/null 2>&1
done

# timed FILE CMD...: "seconds peak_kb bytes" of one run of CMD, whose output is FILE
timed() {
    local file=$1 t0 t1 rss
    shift
    rm -f "$file"
    t0=$EPOCHREALTIME
    /usr/bin/time -o "$OUT/time" -f '%M' "$@" >/dev/null 2>&1
    t1=$EPOCHREALTIME
    rss=$(tail -1 "$OUT/time")
    awk -v a="$t0" -v b="$t1" -v r="$rss" -v s="$(stat -c %s "$file")" 'BEGIN {printf "%.4f %s %s\n", b - a, r, s}'
}

# view NAME FILE CMD...: RUNS timed runs of CMD; prints NAME's line and sets SECONDS_OF[NAME]
declare -A SECONDS_OF SIZE_OF
view() {
    local name=$1 file=$2 ts=() rs=() s r z
    shift 2
    for ((i = 0; i < RUNS; i++)); do
        read -r s r z < <(timed "$file" "$@")
        ts+=("$s")
        rs+=("$r")
    done
    s=$(printf '%s\n' "${ts[@]}" | median)
    r=$(printf '%s\n' "${rs[@]}" | median)
    SECONDS_OF[$name]=$s
    SIZE_OF[$name]=$z
    awk -v n="$name" -v s="$s" -v r="$r" -v z="$z" \
        'BEGIN {printf "  %-40s %9.3f %12.1f %12.1f\n", n, s, r / 1024, z / 1024}'
}

# verdict WHAT A B: "WHAT: A / B = x (target <= 1: PASS|MISS)"
verdict() {
    awk -v w="$1" -v a="${SECONDS_OF[$2]}" -v b="${SECONDS_OF[$3]}" \
        'BEGIN {printf "  %s: %.2f (target <= 1: %s)\n", w, a / b, (a <= b) ? "PASS" : "MISS"}'
}

echo "heaprr views benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, heaprr $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $RUNS runs each"
for w in b n; do
    T=$TRACES/$w.hrr H=$TRACES/$w.ht.zst
    events=$("$HEAPRR" stats --json "$T" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"])')
    echo
    case $w in
    b) echo "(b) CPython json round trip, $events calls, trace $(($(stat -c %s "$T") / 1024)) KiB" ;;
    n) echo "(n) Node.js $(node --version), $events calls, trace $(($(stat -c %s "$T") / 1024)) KiB" ;;
    esac
    printf "  %-40s %9s %12s %12s\n" "" "seconds" "peak RSS MiB" "output KiB"
    view "heaprr report --html" "$OUT/r.html" "$HEAPRR" report --html "$T" -o "$OUT/r.html"
    view "heaptrack_print (its text report)" "$OUT/h.txt" sh -c 'heaptrack_print -f "$0" > "$1"' "$H" "$OUT/h.txt"
    view "heaprr replay (the findings shown)" "$OUT/rp.txt" sh -c '"$0" replay "$1" > "$2"; [ $? -ne 1 ]' "$HEAPRR" "$T" "$OUT/rp.txt"
    view "heaprr export --to pprof" "$OUT/p.pb.gz" "$HEAPRR" export --to pprof "$T" -o "$OUT/p.pb.gz"
    view "heaprr export --to speedscope" "$OUT/s.json" "$HEAPRR" export --to speedscope "$T" -o "$OUT/s.json"
    view "heaprr export --to massif" "$OUT/m.massif" "$HEAPRR" export --to massif "$T" -o "$OUT/m.massif"
    view "heaptrack_print -M (massif)" "$OUT/hm.massif" heaptrack_print -f "$H" -M "$OUT/hm.massif"
    view "heaprr flame" "$OUT/f.folded" sh -c '"$0" flame "$1" > "$2"' "$HEAPRR" "$T" "$OUT/f.folded"
    view "heaptrack_print -F (flame graph stacks)" "$OUT/hf.txt" heaptrack_print -f "$H" -F "$OUT/hf.txt"
    awk -v z="${SIZE_OF[heaprr report --html]}" \
        'BEGIN {printf "  HTML page: %.0f KiB (target <= 4096 KiB: %s)\n", z / 1024, (z <= 4 * 1048576) ? "PASS" : "MISS"}'
    verdict "heaprr massif / heaptrack_print massif" "heaprr export --to massif" "heaptrack_print -M (massif)"
    verdict "heaprr flame / heaptrack_print flame" "heaprr flame" "heaptrack_print -F (flame graph stacks)"
    awk -v a="${SECONDS_OF[heaprr report --html]}" -v r="${SECONDS_OF[heaprr replay (the findings shown)]}" \
        -v b="${SECONDS_OF[heaptrack_print (its text report)]}" \
        'BEGIN {printf "  heaprr report --html / heaptrack_print: %.2f, without the replay: %.2f (no target)\n", a / b, (a - r) / b}'
done
# (t) a process tree: bash running CPython TREE_RUNS times, a trace per process
TREE_RUNS=50
TREE=$OUT/tree
mkdir -p "$TREE"
"$HEAPRR" record -q -o "$TREE/t.hrr" -- /bin/bash -c \
    "for i in \$(seq $TREE_RUNS); do /usr/bin/python3 -S -c 'a = [0] * 100000'; done" >/dev/null
ntraces=$(find "$TREE" -name 't*.hrr' | wc -l)
echo
echo "(t) bash running python3 $TREE_RUNS times: $ntraces traces"
printf "  %-40s %9s %12s %12s\n" "" "seconds" "peak RSS MiB" "output KiB"
view "heaprr summary --tree" "$OUT/t.txt" sh -c '"$0" summary --tree "$1" > "$2"' "$HEAPRR" "$TREE/t.hrr" "$OUT/t.txt"
view "heaprr report --html --tree" "$OUT/t.html" "$HEAPRR" report --html --tree "$TREE/t.hrr" -o "$OUT/t.html"
view "heaprr export --to pprof --tree" "$OUT/t.pb.gz" "$HEAPRR" export --to pprof --tree "$TREE/t.hrr" -o "$OUT/t.pb.gz"
view "heaprr plot --kind heap --tree" "$OUT/t.svg" "$HEAPRR" plot --kind heap --tree "$TREE/t.hrr" -o "$OUT/t.svg"
awk -v s="${SECONDS_OF[heaprr summary --tree]}" -v n="$ntraces" \
    'BEGIN {printf "  summary --tree: %.1f ms a trace\n", 1000 * s / n}'

echo
echo "heaptrack_print reads heaptrack's own trace of the same workload (recorded once, kept in $TRACES)."
echo "seconds and peak RSS: medians; output: the size of the file written."
