#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden tests: runs each case of cases.txt on the checked-in sample.hrr and compares the output
# with expected/NAME.txt (timing lines of replay reports left out). GOLDEN_UPDATE=1 rewrites the
# expected files instead (check them by hand against golden-gen.c's script before committing).
# With TRACE, the cases run on that trace instead of sample.hrr (its name printed as sample.hrr),
# all but dump, whose first line names the format version: an older trace gives the same answers.
#   run-golden.sh HEAPRR [TRACE]
set -uo pipefail
heaprr=$(realpath "${1:?usage: run-golden.sh HEAPRR [TRACE]}")
trace=${2:-sample.hrr}
cd "$(dirname "$0")" || exit 1
failed=0
while IFS='|' read -r name args; do
    [[ -z $name || $name == \#* ]] && continue
    [[ $trace != sample.hrr && $name == dump ]] && continue
    args=${args//sample.hrr/$trace}
    # shellcheck disable=SC2086 # args are words on purpose
    out=$("$heaprr" $args 2>&1 | grep -v -e '"seconds"' -e '"events_per_second"' -e '"engine_' -e '"peak_rss_bytes"' |
        sed "s/$trace/sample.hrr/g")
    if [[ ${GOLDEN_UPDATE:-0} == 1 ]]; then
        printf '%s\n' "$out" >"expected/$name.txt"
        continue
    fi
    if ! diff -u "expected/$name.txt" <(printf '%s\n' "$out") >/dev/null; then
        echo "golden: $name differs (heaprr $args):"
        diff -u "expected/$name.txt" <(printf '%s\n' "$out") | head -40
        failed=1
    fi
done <cases.txt
[[ $failed == 0 ]] && echo "golden: all cases match"
exit $failed
