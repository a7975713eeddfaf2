#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A CI recipe: does an allocator configuration change make the heap worse on our workloads?
#
# Records each program of a small corpus once (or reuses traces kept as CI artifacts), replays
# every trace on the current band configuration and on the proposed one, and fails when the
# proposal regresses footprint, fragmentation or errors by more than MAX_REGRESSION percent.
# Time is left out: CI machines are too noisy for it.
#
#   examples/ci/regress-band-config.sh [BUILD_DIR]
#   BASE_BANDS / NEW_BANDS   MALLOC_BAND_CONFIG_STR values to compare (defaults below)
#   MAX_REGRESSION           allowed worsening in percent (default 5)
set -euo pipefail
build=${1:-build}
heaprr=$build/cli/heaprr
base_bands=${BASE_BANDS:-8:16,32,0:24,32,0:32,32,0:48,32,0:64,32,0:80,32,0:96,32,0:128,32,0}
new_bands=${NEW_BANDS:-4:16,64,0:32,64,0:64,64,0:128,64,0}
max=${MAX_REGRESSION:-5}
out=$build/ci-regress
mkdir -p "$out"

corpus=(leaky threads cxx-containers)
failed=0
for prog in "${corpus[@]}"; do
    trace=$out/$prog.hrr
    [[ -s $trace ]] || "$heaprr" record -q -o "$trace" -- "$build/examples/$prog" >/dev/null
    # exit status 3 means the checker found errors: the report says how many, compare judges them
    "$heaprr" replay --json --band-config "$base_bands" "$trace" >"$out/$prog.base.json" || (($? == 3))
    "$heaprr" replay --json --band-config "$new_bands" "$trace" >"$out/$prog.new.json" || (($? == 3))
    echo "== $prog"
    if ! "$heaprr" compare --ignore time --max-regression "$max" "$out/$prog.base.json" "$out/$prog.new.json"; then
        failed=1
    fi
done
if ((failed)); then
    echo "the proposed band configuration regresses at least one workload" >&2
    exit 1
fi
echo "the proposed band configuration is no worse on ${#corpus[@]} workloads"
