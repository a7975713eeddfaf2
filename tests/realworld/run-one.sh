#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One program of the real-program corpus (programs/NAME.sh): runs it natively, under
# `heaprr record` with the counting preload behind the recorder, and under valgrind memcheck where
# it can, each time in the same fresh directory, and checks
#   [output]    same exit status and stdout as natively (stderr too where it is deterministic,
#               less heaprr's own "heaprr:" lines), same files written
#   [complete] [counts] [frees] [replay]   the traces, by check-traces.py
#   [valgrind]  memcheck's invalid and mismatched frees equal heaprr replay's findings
# A hang is a failure: every run has a time limit, and timeout kills the whole process group.
#   run-one.sh NAME
# ctest sets RW_HEAPRR (heaprr), RW_COUNTER (libhrcount.so), RW_DUMP (hrcount-dump), RW_SPAWN
# (rw-spawn). RW_KEEP=1 keeps the temporary directory for a look afterwards. RW_RECORD_OPTS: options
# for heaprr record (the checker's modes, e.g. --guard); memcheck is then left out (the plain run
# compares with it).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${1:?usage: run-one.sh NAME (a file of $here/programs)}

# ---- the program's definition: the defaults, then programs/NAME.sh ----
rw_cmd=()
rw_env=()         # VAR=VALUE exported for every run
rw_files=()       # files the program writes in its directory, compared with the native run's
rw_stderr=compare # ignore: stderr may differ from run to run (the program says why)
rw_valgrind=no    # yes: also run it under memcheck
rw_limit=45       # seconds for the native and the recorded run before it counts as a hang
rw_valgrind_limit=150 # the same under memcheck
rw_setup() { :; } # prepares the fresh directory (the current one) before each run
# shellcheck disable=SC2034 # for programs/*.sh
rw_data=$here/data
def=$here/programs/$name.sh
if [[ ! -f $def ]]; then
    echo "run-one: no program '$name': $def does not exist"
    exit 2
fi
# shellcheck source=/dev/null
source "$def"
read -r -a record_opts <<<"${RW_RECORD_OPTS:-}"
[[ ${#record_opts[@]} -gt 0 ]] && rw_valgrind=no
case " ${RW_RECORD_OPTS:-} " in *" --guard "* | *" --check-freed "* | *" --torture=realloc "*) export RW_QUARANTINE=1 ;; esac
case " ${RW_RECORD_OPTS:-} " in *" --torture=realloc "*) export RW_TORTURE=1 ;; esac

failed=()
fail() { # CHECK MESSAGE...
    failed+=("$1")
    printf 'FAIL [%s] %s\n' "$1" "${*:2}"
}

# ---- what it needs ----
for v in RW_HEAPRR RW_COUNTER RW_DUMP RW_SPAWN; do
    if [[ -z ${!v:-} || ! -e ${!v} ]]; then
        echo "run-one: $v is not set to a built file (run through ctest, or set it): '${!v:-}'"
        exit 2
    fi
done
need=("${rw_cmd[0]}")
[[ $rw_valgrind == yes ]] && need+=(valgrind)
for prog in "${need[@]}"; do
    if ! command -v "$prog" >/dev/null && [[ ! -x $prog && $prog != ./* ]]; then
        echo "FAIL [setup] $prog is not installed: scripts/deps.sh installs it (HEAPRR_DEPS_PACKAGES)"
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/heaprr-rw-$name.XXXXXX") || exit 1
if [[ ${RW_KEEP:-0} == 1 ]]; then
    trap 'echo "run-one: kept $tmp"' EXIT
else
    trap 'rm -rf "$tmp"' EXIT
fi
work=$tmp/work
mkdir -p "$tmp/native" "$tmp/record" "$tmp/valgrind" "$tmp/traces" "$tmp/counts" "$tmp/vglogs" "$tmp/tmp"
export RW_SPAWN

# Runs CMD in a fresh $work with the program's environment, stdin from /dev/null, within the time
# limit; leaves stdout, stderr, status and the program's files in OUT.
run_fresh() { # OUT LIMIT CMD...
    local out=$1 limit=$2 start=$SECONDS status=0
    shift 2
    if ! { rm -rf "$work" && mkdir "$work" && (cd "$work" && rw_setup); }; then
        fail setup "preparing $work for $name failed"
        return 1
    fi
    (
        cd "$work" || exit 1
        export LC_ALL=C TZ=UTC HOME="$work" TMPDIR="$tmp/tmp"
        ((${#rw_env[@]})) && export "${rw_env[@]}"
        exec timeout -k 10 "$limit" "$@"
    ) </dev/null >"$out/stdout" 2>"$out/stderr" || status=$?
    echo "$status" >"$out/status"
    echo "$limit" >"$out/limit"
    echo "$((SECONDS - start))" >"$out/seconds"
    local f
    for f in "${rw_files[@]}"; do
        [[ -e $work/$f ]] && cp -a "$work/$f" "$out/file-$f"
    done
    return 0
}

hang_or_status() { # OUT: "exit status N", or says the run was killed for its time limit
    local s
    s=$(cat "$1/status")
    if [[ $s == 124 || $s == 137 ]]; then
        echo "no end after $(cat "$1/limit") s (killed by timeout: a hang), status $s"
    else
        echo "exit status $s"
    fi
}

# Shows how two outputs differ: a unified diff of text, the first differing byte of binary.
show_diff() { # A B
    if grep -qI . "$1" "$2" 2>/dev/null || [[ ! -s $1 && ! -s $2 ]]; then
        diff -u --label native --label recorded "$1" "$2" | head -40 | sed 's/^/      /'
    else
        echo "      $(cmp "$1" "$2" 2>&1 | head -1); sizes $(stat -c %s "$1") and $(stat -c %s "$2") bytes"
    fi
}

# ---- 1. native, then recorded: same status, same output ----
echo "==== $name: ${rw_cmd[*]}"
run_fresh "$tmp/native" "$rw_limit" "${rw_cmd[@]}"
echo "native:   $(hang_or_status "$tmp/native") after $(cat "$tmp/native/seconds") s"
asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 # the counter precedes a sanitized heaprr's runtime
run_fresh "$tmp/record" "$rw_limit" env LD_PRELOAD="$RW_COUNTER" HRCOUNT_DIR="$tmp/counts" ASAN_OPTIONS="$asan" \
    "$RW_HEAPRR" record "${record_opts[@]}" -o "$tmp/traces/t.hrr" -- "${rw_cmd[@]}"
echo "recorded: $(hang_or_status "$tmp/record") after $(cat "$tmp/record/seconds") s"
grep '^heaprr:' "$tmp/record/stderr" | grep -v '^heaprr: trace ' | sed 's/^/  note: /' | head -20

check_output() {
    local ok=1 ns rs
    ns=$(cat "$tmp/native/status") rs=$(cat "$tmp/record/status")
    if [[ $ns != 0 ]]; then
        fail output "the native run itself failed ($(hang_or_status "$tmp/native")): stderr:"
        sed 's/^/      /' "$tmp/native/stderr" | head -20
        ok=0
    fi
    if [[ $ns != "$rs" ]]; then
        fail output "exit status: native $ns, recorded $rs ($(hang_or_status "$tmp/record")); recorded stderr:"
        grep -v '^heaprr: trace ' "$tmp/record/stderr" | sed 's/^/      /' | head -20
        ok=0
    fi
    if ! cmp -s "$tmp/native/stdout" "$tmp/record/stdout"; then
        fail output "stdout differs:"
        show_diff "$tmp/native/stdout" "$tmp/record/stdout"
        ok=0
    fi
    grep -v '^heaprr:' "$tmp/native/stderr" >"$tmp/native/stderr.cmp"
    grep -v '^heaprr:' "$tmp/record/stderr" >"$tmp/record/stderr.cmp"
    if [[ $rw_stderr == compare ]] && ! cmp -s "$tmp/native/stderr.cmp" "$tmp/record/stderr.cmp"; then
        fail output "stderr differs (heaprr's own lines left out):"
        show_diff "$tmp/native/stderr.cmp" "$tmp/record/stderr.cmp"
        ok=0
    fi
    local f
    for f in "${rw_files[@]}"; do
        if [[ ! -e $tmp/native/file-$f || ! -e $tmp/record/file-$f ]]; then
            fail output "$f: written natively: $([[ -e $tmp/native/file-$f ]] && echo yes || echo no)," \
                "under heaprr record: $([[ -e $tmp/record/file-$f ]] && echo yes || echo no)"
            ok=0
        elif ! cmp -s "$tmp/native/file-$f" "$tmp/record/file-$f"; then
            fail output "$f differs from the one written natively:"
            show_diff "$tmp/native/file-$f" "$tmp/record/file-$f"
            ok=0
        fi
    done
    ((ok)) && echo "ok   [output] exit status $ns, stdout$([[ $rw_stderr == compare ]] && echo ", stderr")" \
        "${rw_files[*]:+and ${rw_files[*]} }as natively"
}
check_output

# ---- 2-4. the traces ----
python3 "$here/check-traces.py" "$RW_HEAPRR" "$RW_DUMP" "$tmp/traces" "$tmp/counts" "$tmp/findings.json" 2>&1 |
    tee "$tmp/check.log"
checker=${PIPESTATUS[0]}
grep -o '^FAIL \[[a-z]*\]' "$tmp/check.log" | sort -u | while read -r _ c; do echo "$c"; done >"$tmp/check.failed"
while read -r c; do failed+=("${c//[\[\]]/}"); done <"$tmp/check.failed"
if [[ $checker != 0 && ! -s $tmp/check.failed ]]; then
    fail traces "check-traces.py exited with status $checker without naming a failed check (see above)"
fi
[[ -s $tmp/findings.json ]] || fail replay "check-traces.py wrote no findings summary"

# ---- 5. valgrind memcheck: the same verdict on frees ----
check_valgrind() {
    run_fresh "$tmp/valgrind" "$rw_valgrind_limit" valgrind -q --tool=memcheck --trace-children=yes --error-limit=no \
        --log-file="$tmp/vglogs/vg.%p" "${rw_cmd[@]}"
    echo "valgrind: $(hang_or_status "$tmp/valgrind") after $(cat "$tmp/valgrind/seconds") s"
    local ns vs
    ns=$(cat "$tmp/native/status") vs=$(cat "$tmp/valgrind/status")
    if [[ $ns != "$vs" ]]; then
        fail valgrind "under memcheck the program ended differently: native $ns, $(hang_or_status "$tmp/valgrind")"
        sed 's/^/      /' "$tmp/valgrind/stderr" | head -20
        return
    fi
    local vg_invalid vg_mismatched hr_invalid hr_mismatched
    vg_invalid=$(cat "$tmp"/vglogs/vg.* 2>/dev/null | grep -c 'Invalid free() / delete / delete\[\] / realloc()')
    vg_mismatched=$(cat "$tmp"/vglogs/vg.* 2>/dev/null | grep -c 'Mismatched free() / delete / delete \[\]')
    read -r hr_invalid hr_mismatched < <(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
print(sum(t[k] for k in ("invalid-free", "double-free", "interior-free", "realloc-freed")), t["mismatched-free"])
' "$tmp/findings.json" 2>/dev/null || echo "? ?")
    if [[ $vg_invalid != "$hr_invalid" || $vg_mismatched != "$hr_mismatched" ]]; then
        fail valgrind "memcheck and heaprr replay disagree: invalid frees $vg_invalid and $hr_invalid," \
            "mismatched frees $vg_mismatched and $hr_mismatched (heaprr's are under [replay] above)"
        if ((vg_invalid + vg_mismatched)); then
            echo "      memcheck's first:"
            cat "$tmp"/vglogs/vg.* | grep -A12 -m1 -e 'Invalid free' -e 'Mismatched free' | sed 's/^/      /'
        fi
        return
    fi
    echo "ok   [valgrind] memcheck and heaprr replay agree: $vg_invalid invalid frees, $vg_mismatched mismatched"
}
[[ $rw_valgrind == yes ]] && check_valgrind

if ((${#failed[@]})); then
    echo "realworld $name: FAIL ($(printf '%s\n' "${failed[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'))"
    exit 1
fi
echo "realworld $name: pass"
