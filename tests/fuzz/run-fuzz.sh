#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang in their own build directory and runs each for a while,
# starting from its seeds (corpus/) and regression inputs (regress/) and keeping what it learns in
# BUILD_DIR/fuzz-corpus/; inputs that crash, leak, hang or run out of memory are saved to
# tests/fuzz/crashes/. Usage:
#   tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]   (default: 60 s each, every target)
# Environment: BUILD_DIR (default build-fuzz), JOBS (parallel builds), FUZZ_ARGS (extra libFuzzer
# options), KEEP_GOING=1 (fork mode: keep fuzzing after a crash instead of stopping at the first).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(reader records recover writer bandcfg json replay analyzer-args mtrace)
build=${BUILD_DIR:-$src/build-fuzz}
crashes=$here/crashes
mkdir -p "$crashes"

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEAPRR_FUZZ=ON >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]/#/fuzz-}"

# The replay target reads the records target's traces.
corpus_of()
{
  [[ $1 == replay ]] && echo records || echo "$1"
}

status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz-$t
  work=$build/fuzz-corpus/$t # grows from run to run; the seeds stay as they are
  mkdir -p "$work"
  log=$build/fuzz-$t.log
  before=$(find "$crashes" -name "$t-*" | wc -l)
  regress=()
  [[ ! -d $here/regress/$t ]] || regress=("$here/regress/$t")
  mode=()
  [[ ${KEEP_GOING:-0} != 1 ]] || mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  echo "== fuzz-$t for ${secs}s (log: $log)"
  # shellcheck disable=SC2086
  "$bin" "${mode[@]}" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 -max_len=16384 \
    -dict="$here/heaprr.dict" -artifact_prefix="$crashes/$t-" -print_final_stats=1 \
    ${FUZZ_ARGS:-} "$work" "$here/corpus/$(corpus_of "$t")" "${regress[@]}" >"$log" 2>&1 || status=1
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  [[ -n $runs ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true) # fork mode
  found=$(($(find "$crashes" -name "$t-*" | wc -l) - before))
  runs=${runs:-0}
  summary+=("fuzz-$t: $runs runs in ${secs}s ($((runs / secs)) exec/s), $found new artifact(s)")
  tail -n 3 "$log"
done
printf '%s\n' "${summary[@]}"
[[ $status == 0 ]] || echo "run-fuzz: a fuzzer stopped on a finding: see the logs and $crashes" >&2
exit $status
