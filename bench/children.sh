#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The cost of child processes (issue 9, item 4; bench/README.md, "Children"): two bash loops,
# (s) COUNT $(...) subshells (fork only) and (x) COUNT runs of /bin/true (fork + exec), each run
# natively, under `heaprr record` and under heaptrack, interleaved, RUNS times; medians of wall
# time, the ratio to native, the time added per child process, and heaprr next to heaptrack.
# Targets: heaprr at most 3x native and at most 1 ms per child. It prints; it checks nothing.
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME and printf with a '.' decimal point

usage() {
    cat <<'EOF'
usage: bench/children.sh [-n RUNS] [-c COUNT]

  -n RUNS    runs of each tool on each loop (default 7)
  -c COUNT   child processes per loop (default 200)

Installs heaptrack through scripts/deps.sh when it is missing; builds the project into build/
(or $HEAPRR_BUILD) when its binaries are missing. Traces go to a temporary folder, removed.
EOF
}

RUNS=7
COUNT=200
while [ $# -gt 0 ]; do
    case "$1" in
    -n) RUNS="${2:?-n needs a number}"; shift 2 ;;
    -c) COUNT="${2:?-c needs a number}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "children.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for v in "$RUNS" "$COUNT"; do
    case "$v" in '' | *[!0-9]* | 0) echo "children.sh: -n and -c need positive numbers" >&2; exit 2 ;; esac
done

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if ! command -v heaptrack >/dev/null 2>&1; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps --heaptrack >&2
fi
BASH_BIN=/bin/bash
TRUE_BIN=/bin/true
RUN_LIMIT=60 # seconds one run of a loop may take

TMP=$(mktemp -d "${TMPDIR:-/tmp}/heaprr-children.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
RESULTS=$TMP/results.tsv # loop tool run seconds traces
: >"$RESULTS"

# loop_script L: the bash loop of loop L; exactly COUNT children, no other process.
loop_script() {
    case "$1" in
    s) echo "for ((i = 0; i < $COUNT; i++)); do x=\$(echo hi); done" ;;
    x) echo "for ((i = 0; i < $COUNT; i++)); do $TRUE_BIN; done" ;;
    esac
}

# measure L TOOL RUN: one timed run; appends a line to $RESULTS.
measure() {
    local l=$1 tool=$2 run=$3 d="$TMP/$1.$2.$3" pre=() script rc=0 t0 t1 traces=0
    mkdir -p "$d"
    case "$tool" in
    native) pre=() ;;
    heaprr) pre=("$HEAPRR" record -q -o "$d/trace.hrr" --) ;;
    heaptrack) pre=(heaptrack -o "$d/trace") ;;
    esac
    script=$(loop_script "$l")
    t0=$EPOCHREALTIME
    timeout -k 5 "$RUN_LIMIT" "${pre[@]}" "$BASH_BIN" -c "$script" >"$d/log" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    if [ "$rc" != 0 ] && [ "$tool" = heaptrack ]; then
        # heaptrack itself sometimes deadlocks at a forked child's exit (heaptrack_stop waits for a
        # lock the fork copied held): that run is left out and counted, not waited for.
        printf '%s	%s	%s	NA	0
' "$l" "$tool" "$run" >>"$RESULTS"
        rm -rf "$d"
        return
    fi
    if [ "$rc" != 0 ]; then
        echo "children.sh: ($l) $tool run $run failed with status $rc$([ "$rc" = 124 ] && echo " (no end after $RUN_LIMIT s)"):" >&2
        tail -n 20 "$d/log" >&2
        exit 1
    fi
    if [ "$tool" = heaprr ]; then
        traces=$(find "$d" -name 'trace*.hrr' | wc -l)
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$l" "$tool" "$run" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" "$traces" >>"$RESULTS"
    rm -rf "$d"
}

echo "heaprr children benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "heaprr $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), heaptrack $(dpkg-query -W -f '${Version}' heaptrack 2>/dev/null || echo '?'), bash $BASH_VERSION, $COUNT children a loop, $RUNS runs each, interleaved"
for l in s x; do
    "$BASH_BIN" -c "$(loop_script "$l")" >/dev/null 2>&1 # warms the page cache
    for ((r = 1; r <= RUNS; r++)); do
        for tool in native heaprr heaptrack; do
            [ -t 2 ] && printf '\r  (%s) run %d/%d: %-9s' "$l" "$r" "$RUNS" "$tool" >&2
            measure "$l" "$tool" "$r"
        done
    done
    if [ -t 2 ]; then printf '\r%*s\r' 40 '' >&2; else echo "  ($l) done" >&2; fi
done

# --- report ------------------------------------------------------------------------------------
# row L TOOL: the wall times of one loop and tool, in run order.
row() {
    awk -F'\t' -v l="$1" -v t="$2" '$1 == l && $2 == t { print $4 }' "$RESULTS" | tr '\n' ' '
}
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "PASS" : "MISS") }'; }
declare -A MED
summary=()
for l in s x; do
    case "$l" in
    s) echo; echo "(s) bash: $COUNT \$(...) subshells (each a fork of bash, no exec)" ;;
    x) echo; echo "(x) bash: $COUNT runs of $TRUE_BIN (each a fork of bash and an exec)" ;;
    esac
    printf '  %-14s %9s %9s %9s   %s\n' "" "median s" "x native" "ms/child" "runs (s)"
    for tool in native heaprr heaptrack; do
        MED[$tool]=$(awk -F'\t' -v l="$l" -v t="$tool" '$1 == l && $2 == t && $4 != "NA" { print $4 }' "$RESULTS" | median)
    done
    for tool in native heaprr heaptrack; do
        name=$([ "$tool" = heaprr ] && echo "heaprr record" || echo "$tool")
        read -r ratio per < <(awk -v t="${MED[$tool]}" -v n="${MED[native]}" -v c="$COUNT" \
            'BEGIN { printf "%.2f %.3f\n", t / n, 1000 * (t - n) / c }')
        [ "$tool" = native ] && per="-"
        printf '  %-14s %9.3f %9s %9s   %s\n' "$name" "${MED[$tool]}" "$ratio" "$per" "$(row "$l" "$tool")"
    done
    hung=$(awk -F'\t' -v l="$l" '$1 == l && $2 == "heaptrack" && $4 == "NA"' "$RESULTS" | wc -l)
    [ "$hung" -gt 0 ] && echo "  heaptrack: $hung of $RUNS runs hung or failed (NA), left out of its median"
    traces=$(awk -F'\t' -v l="$l" '$1 == l && $2 == "heaprr" { print $5 }' "$RESULTS" | sort -u | tr '\n' ' ')
    read -r rh rt per q < <(awk -v h="${MED[heaprr]}" -v t="${MED[heaptrack]}" -v n="${MED[native]}" -v c="$COUNT" \
        'BEGIN { printf "%.2f %.2f %.3f %.2f\n", h / n, t / n, 1000 * (h - n) / c, (h / n) / (t / n) }')
    what=$([ "$l" = s ] && echo "the shell and its $COUNT children" || echo "the shell, its $COUNT children and the $COUNT images they exec'd")
    echo "  heaprr wrote ${traces% } traces a run ($what)"
    echo "  x native:   heaprr ${rh}x (<= 3.00)  $(verdict "$(awk -v r="$rh" 'BEGIN { print r <= 3 }')"), heaptrack ${rt}x, heaprr/heaptrack $q"
    echo "  per child:  heaprr adds $per ms (<= 1.000)  $(verdict "$(awk -v p="$per" 'BEGIN { print p <= 1 }')")"
    summary+=("$l $rh $rt $q $per")
done

echo
echo "summary  x native            heaprr/   ms/child"
echo "         heaprr heaptrack   heaptrack  heaprr"
for s in "${summary[@]}"; do
    read -r l rh rt q per <<<"$s"
    printf '  (%s) %6.2fx %8.2fx   %8.2f  %6.3f %s %s\n' "$l" "$rh" "$rt" "$q" "$per" \
        "$(verdict "$(awk -v r="$rh" 'BEGIN { print r <= 3 }')")" "$(verdict "$(awk -v p="$per" 'BEGIN { print p <= 1 }')")"
done
