#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The checker's recording modes (bench/README.md, "Checker"): one program run natively, under
# plain `heaprr record`, with MALLOC_ACTION=0 (checks at the call), under `heaprr record
# --check-freed` (the freed-block quarantine), under `heaprr record --check-access` (memcpy and
# friends checked against the live blocks), under `heaprr record --torture realloc` (every realloc
# moves its block, the old one into the quarantine), under `heaprr record --guard --check-access` (guard
# zones, the quarantine and the access checks: every check at once), and under valgrind memcheck,
# interleaved,
# RUNS times each; prints median wall times, ratios to native and to plain recording, and peak RSS.
# The program: CPython (PYTHONMALLOC=malloc) round-tripping a dict through json, at a size memcheck
# finishes in reasonable time (-s N entries, default 100000).
set -euo pipefail
export LC_ALL=C

RUNS=3
SIZE=100000
while [ $# -gt 0 ]; do
    case "$1" in
    -n) RUNS="${2:?-n needs a number}"; shift 2 ;;
    -s) SIZE="${2:?-s needs a number}"; shift 2 ;;
    -h | --help)
        echo "usage: bench/checker.sh [-n RUNS] [-s ENTRIES]"
        exit 0 ;;
    *) echo "checker.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
for v in "$RUNS" "$SIZE"; do
    case "$v" in '' | *[!0-9]* | 0) echo "checker.sh: -n and -s need positive numbers" >&2; exit 2 ;; esac
done

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if ! command -v valgrind >/dev/null || [ ! -x /usr/bin/time ] || [ ! -x /usr/bin/python3 ]; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps >&2
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

MODES=(native record action check-freed torture check-access guard all memcheck)

# one MODE: runs the program once under MODE; prints "seconds maxrss_kib"
one() {
    local tool=()
    case $1 in
    native) ;;
    record) tool=("$HEAPRR" record -q -o "$OUT/t.hrr" --) ;;
    action) tool=(env MALLOC_ACTION=0 "$HEAPRR" record -q -o "$OUT/t.hrr" --) ;;
    check-freed) tool=("$HEAPRR" record -q --check-freed -o "$OUT/t.hrr" --) ;;
    check-access) tool=("$HEAPRR" record -q --check-access -o "$OUT/t.hrr" --) ;;
    torture) tool=("$HEAPRR" record -q --torture realloc -o "$OUT/t.hrr" --) ;;
    guard) tool=("$HEAPRR" record -q --guard -o "$OUT/t.hrr" --) ;;
    all) tool=("$HEAPRR" record -q --guard --check-access -o "$OUT/t.hrr" --) ;;
    memcheck) tool=(valgrind -q --tool=memcheck --error-exitcode=0) ;;
    esac
    PYTHONMALLOC=malloc PYTHONHASHSEED=0 /usr/bin/time -f '%e %M' -o "$OUT/time" \
        "${tool[@]}" /usr/bin/python3 "$ROOT/bench/jsonrt.py" "$SIZE" >/dev/null 2>"$OUT/stderr" ||
        { echo "checker.sh: $1 run failed:" >&2; cat "$OUT/stderr" >&2; exit 1; }
    tail -1 "$OUT/time"
    rm -f "$OUT"/t*.hrr
}

declare -A secs=() rss=()
for ((i = 0; i < RUNS; i++)); do
    for m in "${MODES[@]}"; do
        read -r s k < <(one "$m")
        secs[$m]+="$s "
        rss[$m]+="$k "
    done
done

echo "heaprr checker benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, heaprr $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $RUNS runs each"
echo "program: CPython json round trip of $SIZE entries (PYTHONMALLOC=malloc)"
printf '  %-30s %9s %10s %11s %13s\n' "mode" "seconds" "x native" "x record" "peak RSS MiB"
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
native=$(med "${secs[native]}")
record=$(med "${secs[record]}")
for m in "${MODES[@]}"; do
    s=$(med "${secs[$m]}")
    k=$(med "${rss[$m]}")
    case $m in
    native) label="native" ;;
    record) label="heaprr record" ;;
    action) label="MALLOC_ACTION=0 record" ;;
    check-freed) label="heaprr record --check-freed" ;;
    check-access) label="heaprr record --check-access" ;;
    torture) label="--torture realloc" ;;
    guard) label="heaprr record --guard" ;;
    all) label="--guard --check-access" ;;
    memcheck) label="valgrind memcheck" ;;
    esac
    awk -v l="$label" -v s="$s" -v n="$native" -v r="$record" -v k="$k" \
        'BEGIN {printf "  %-30s %9.2f %10.2f %11.2f %13.1f\n", l, s, s / n, s / r, k / 1024}'
done
all=$(med "${secs[all]}")
memcheck=$(med "${secs[memcheck]}")
awk -v g="$all" -v m="$memcheck" 'BEGIN {printf "  memcheck / heaprr record --guard --check-access: %.1f\n", m / g}'
echo "--check-freed: freed blocks filled and held in a 32 MiB quarantine; --guard: that and 32-byte"
echo "guard zones before and after every block; --torture realloc: --check-freed, and every realloc moves"
echo "its block; --check-access: every memcpy, strcpy, ... checked"
echo "against the blocks live at the call. memcheck checks every load and store, heaprr only what it records."
