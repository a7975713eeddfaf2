#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The cost of an out-of-memory sweep (bench/README.md, "Torture"): `heaprr torture --oom` on each
# program of examples/ and on two real ones (sqlite3 with a short script, CPython starting up).
# For each: the program's native time (median of RUNS), the sites the sweep ran, the sweep's wall
# time, and its ratio to running the program natively once per site; then the verdicts. A sweep
# that meets a hung run waits out the timeout (10 s at least): the ratio says so.
set -euo pipefail
export LC_ALL=C

RUNS=3
JOBS=2
while [ $# -gt 0 ]; do
    case "$1" in
    -n) RUNS="${2:?-n needs a number}"; shift 2 ;;
    -j) JOBS="${2:?-j needs a number}"; shift 2 ;;
    -h | --help)
        echo "usage: bench/torture.sh [-n RUNS] [-j JOBS]"
        exit 0 ;;
    *) echo "torture.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
for v in "$RUNS" "$JOBS"; do
    case "$v" in '' | *[!0-9]* | 0) echo "torture.sh: -n and -j need positive numbers" >&2; exit 2 ;; esac
done

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if ! command -v sqlite3 >/dev/null || [ ! -x /usr/bin/python3 ]; then
    # shellcheck source=../scripts/deps.sh
    source "$ROOT/scripts/deps.sh"
    heaprr_deps >&2
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

SQL="create table t(x); insert into t values(1),(2); select sum(x) from t;"
PROGRAMS=(leaky threads cxx-containers doublefree overrun sqlite3 python3)

# argv NAME: the command of program NAME, one word a line.
argv() {
    case $1 in
    sqlite3) printf '%s\n' sqlite3 :memory: "$SQL" ;;
    python3) printf '%s\n' /usr/bin/python3 -S -c 'print(sum(range(10)))' ;;
    *) printf '%s\n' "$BUILD/examples/$1" ;;
    esac
}

now() { date +%s.%N; }

echo "heaprr torture --oom benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, heaprr $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), --jobs $JOBS"
printf '  %-16s %10s %7s %10s %12s   %s\n' "program" "native s" "runs" "sweep s" "x native*runs" "handled/crashed/leaked/hung/not-reached"
for p in "${PROGRAMS[@]}"; do
    mapfile -t cmd < <(argv "$p")
    times=""
    for ((i = 0; i < RUNS; i++)); do
        t0=$(now)
        "${cmd[@]}" </dev/null >/dev/null 2>&1 || true
        t1=$(now)
        times+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') "
    done
    native=$(tr ' ' '\n' <<<"$times" | grep . | median)
    t0=$(now)
    "$HEAPRR" torture --oom --json --jobs "$JOBS" -- "${cmd[@]}" >"$OUT/$p.json" 2>"$OUT/$p.err" || true
    t1=$(now)
    /usr/bin/python3 - "$OUT/$p.json" "$p" "$native" "$t0" "$t1" <<'EOF'
import json, sys
path, name, native, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
try:
    d = json.load(open(path))
except ValueError:
    print(f"  {name:<16} the sweep failed")
    sys.exit(0)
runs, t, wall = len(d["runs"]), d["totals"], t1 - t0
ratio = wall / (native * max(runs, 1))
verdicts = "/".join(str(t[k]) for k in ("handled", "crashed", "leaked", "hung", "not-reached"))
print(f"  {name:<16} {native:10.3f} {runs:7d} {wall:10.2f} {ratio:12.1f}   {verdicts}")
EOF
done
echo "x native*runs: the sweep's wall time (baseline, runs, verdicts) over the native time of one run"
echo "times the runs; each run is the program under heaprr record, its trace read back for the verdict."
