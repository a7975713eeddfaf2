#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Demo: installs what is missing, builds heaprr (Release, into build/), records each program of
# examples/ with `heaprr record` and shows what heaprr is for: the top allocation sites (`heaprr
# summary`), the leak report (`heaprr leaks`) and the size bins (`heaprr bins`); replays the buggy
# ones on the allocator model and its checker (`heaprr replay`); and writes the HTML report of the
# leaky one, to open in a browser. Traces, dumps and the report are left in build/demo/. Works
# from any directory; exits non-zero on failure.
# shellcheck disable=SC2119 # heaprr_deps takes optional arguments, not the script's
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# name | exit statuses that are expected ("0", or "0 signal": may be killed by a signal) | heading
EXAMPLES=(
    "leaky|0|leaks from three call sites: 5576 bytes in 12 blocks"
    "threads|0|producers and consumers passing 2000 heap messages between 5 threads"
    "cxx-containers|0|std::vector, std::map and std::string churn through operator new and delete"
    "doublefree|0 signal|a cross-thread double free (glibc may or may not abort on it)"
    "overrun|0|writes past two blocks before freeing them (glibc does not notice)"
)
DUMP_LINES=12

section()
{
    printf '\n==== %s\n' "$*"
}

# Records one example; fails unless it exits as expected and leaves a readable trace.
record_example()
{
    local name=$1 expected=$2 trace=build/demo/$1.hrr status=0
    echo "\$ build/cli/heaprr record -o $trace -- build/examples/$name"
    build/cli/heaprr record -o "$trace" -- "build/examples/$name" || status=$?
    if ((status > 128)) && [[ $expected == *signal* ]]; then
        echo "(exit status $status: killed by signal $((status - 128)), which this example may do)"
    elif ((status != 0)); then
        echo "demo: $name exited with status $status, expected ${expected/ signal/ or a signal}" >&2
        return 1
    fi
    if [[ ! -s $trace ]]; then
        echo "demo: heaprr record left no trace at $trace" >&2
        return 1
    fi
}

# Runs one heaprr command and shows it as typed.
view()
{
    echo "\$ build/cli/heaprr $*"
    build/cli/heaprr "$@"
}

# The main reports: the summary's top sites for every example; the leak report and the size bins
# for the leaky one, with the first events of its trace.
show_example()
{
    local name=$1 trace=build/demo/$1.hrr dump=build/demo/$1.dump
    view summary --top 5 "$trace"
    [[ $name == leaky ]] || return 0
    view leaks "$trace"
    view bins "$trace"
    build/cli/heaprr dump "$trace" >"$dump"
    echo "\$ build/cli/heaprr dump $trace   (the first $DUMP_LINES events; $(wc -l <"$dump") lines in all in $dump)"
    awk -v max="$DUMP_LINES" '!/ (module-load|stack-node) / && !/^#/ && n++ < max' "$dump"
}

source scripts/deps.sh
section "dependencies"
heaprr_deps

section "build (Release, build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"

mkdir -p build/demo
rm -f build/demo/*.hrr build/demo/*.hrr.* build/demo/*.dump
for entry in "${EXAMPLES[@]}"; do
    IFS='|' read -r name expected heading <<<"$entry"
    section "$name: $heading (examples/$name.*)"
    record_example "$name" "$expected"
    show_example "$name"
done

# Replays one trace and shows the report; status 3 (errors found) is what the buggy ones give.
replay_example()
{
    local trace=$1 status=0
    shift
    echo "\$ build/cli/heaprr replay $* $trace"
    build/cli/heaprr replay "$@" "$trace" || status=$?
    if ((status != 0 && status != 3)); then
        echo "demo: heaprr replay failed on $trace (status $status)" >&2
        return 1
    fi
}

section "replay: the double free on the QNX band/arena model and its checker"
replay_example build/demo/doublefree.hrr
section "replay: the overruns, recorded in guard mode so that the replay sees what was written"
echo "\$ build/cli/heaprr record -q --guard -o build/demo/overrun-guard.hrr -- build/examples/overrun"
build/cli/heaprr record -q --guard -o build/demo/overrun-guard.hrr -- build/examples/overrun
replay_example build/demo/overrun-guard.hrr
section "replay: the C++ containers on the QNX 32-bit layout, then on jemalloc"
replay_example build/demo/cxx-containers.hrr --model qnx32
replay_example build/demo/cxx-containers.hrr --allocator /usr/lib/x86_64-linux-gnu/libjemalloc.so.2

section "the HTML report: flame graph, live heap over time, leaks, size bins and heap errors in one page"
view report --html build/demo/leaky.hrr -o build/demo/leaky.html
echo "Open it in any browser, from disk (no network needed): xdg-open build/demo/leaky.html"
echo "or file://$PWD/build/demo/leaky.html"

section "done in ${SECONDS} s: traces, dumps and the report in build/demo/"
