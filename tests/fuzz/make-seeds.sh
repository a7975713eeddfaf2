#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the seed corpora of tests/fuzz/corpus/ by recording tiny programs with the built
# tools: run it again whenever the trace or staging format changes. Usage:
#   tests/fuzz/make-seeds.sh [BUILD_DIR]     (default: build; needs heaprr, libheaprr.so, fuzz-seed-tool)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
heaprr=$build/cli/heaprr
lib=$build/recorder/libheaprr.so
tool=$build/tests/fuzz/fuzz-seed-tool
for f in "$heaprr" "$lib" "$tool"; do
  [[ -x $f || -f $f ]] || { echo "make-seeds: missing $f (build the project first)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/heaprr-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
reader=$here/corpus/reader records=$here/corpus/records recover=$here/corpus/recover
writer=$here/corpus/writer
rm -rf "$reader" "$records" "$recover" "$writer"
mkdir -p "$reader" "$records" "$recover" "$writer"

# Small rings and chunks keep staging files small; a shallow depth keeps stacks small.
export HEAPRR_RING_KB=64 HEAPRR_CHUNK_KB=16 HEAPRR_QUIET=1
depth=4

cat >"$work/seed.c" <<'EOF'
/* Tiny workloads for fuzz seeds: one mode per argv[1]. */
#define _GNU_SOURCE
#include <heaprr/heaprr.h>

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile keep; /* where leaked blocks go (malloc results must be used) */

static void *worker(void *arg)
{
    pthread_setname_np(pthread_self(), (const char *)arg);
    void *p = malloc(24);
    free(p);
    return malloc(8); /* freed by main */
}

static void kinds(void)
{
    void *p = calloc(3, 8), *q;
    p = realloc(p, 4096);
    p = reallocarray(p, 2, 16);
    free(p);
    p = memalign(64, 100);
    free(p);
    if (posix_memalign(&q, 32, 40) == 0)
        free(q);
    if (posix_memalign(&q, 3, 40) != 0) /* EINVAL: a failed call */
        errno = 0;
    free(aligned_alloc(16, 64));
    free(valloc(10));
    free(pvalloc(10));
    free(malloc((size_t)1 << 62)); /* fails with ENOMEM */
    free(NULL);
    if (heaprr_mark)
        heaprr_mark("kinds done");
    keep = malloc(77); /* a leak */
}

/* Guard mode and the quarantine (MALLOC_CKBOUNDS=1, a 1 MiB quarantine): writes past a block, before
 * one and into a freed one, found at a free and at exit: GUARD, GUARD_BEFORE and FREED_WRITE. */
#pragma GCC diagnostic ignored "-Wstringop-overflow" /* the writes out of bounds are the point */
static void guarded(void)
{
    mallopt(MALLOC_ARENA_CACHE_MAXBLK, 2); /* MALLOPT records: a QNX command and glibc's */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    char *p = malloc(10), *q = malloc(24), *r = malloc(40);
    memset(p, 'o', 13);
    memset(q - 2, 'u', 2);
    free(p);
    free(q);
    free(r);
    r[8] = 'f';
    for (int i = 0; i < 300; i++)
        free(malloc(4000)); /* r leaves the quarantine */
    char *s = malloc(16);
    free(s);
    s[0] = 'x'; /* found at exit */
}

/* The access checks (MALLOC_CKACCESS=1 with the quarantine): a memcpy past a block's end, a strcpy
 * reading past one, and a memset into a freed block: ACCESS records. */
static void access_errors(void)
{
    volatile size_t n = 20, m = 8;
    char *p = malloc(16), *q = malloc(24), dst[64];
    memcpy(p, "0123456789abcdefghijklmnop", n);
    memset(q, 'x', 24);
    memcpy(dst, q, n + m + 4);
    free(q);
    memset(q, 0, m);
    free(p);
}

/* Allocates from `levels` frames deeper: staged records grow by 8 bytes a frame. */
static __attribute__((noinline)) void *deep(int levels, size_t n)
{
    void *p = levels ? deep(levels - 1, n) : malloc(n);
    __asm__ volatile("" ::: "memory"); /* no tail call */
    return p;
}

static void killed(int n, int flush, int delay_ms, int threads, int levels)
{
    pthread_t th[4];
    for (int i = 0; i < n; i++)
        keep = deep(levels, 48);
    if (flush && heaprr_flush)
        heaprr_flush();
    for (int i = 0; i < threads && i < 4; i++)
        pthread_create(&th[i], NULL, worker, "killed-worker");
    for (int i = 0; i < threads && i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < n; i++)
        free(malloc(32));
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* the writer thread drains what passed half a ring meanwhile */
    for (int i = 0; i < 3; i++)
        keep = malloc(56);
    raise(SIGKILL);
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "min";
    if (!strcmp(m, "min")) {
        free(malloc(16));
    } else if (!strcmp(m, "kinds")) {
        kinds();
    } else if (!strcmp(m, "threads")) {
        pthread_t a, b;
        void *ra, *rb;
        pthread_create(&a, NULL, worker, "seed-a");
        pthread_create(&b, NULL, worker, "seed-b");
        pthread_join(a, &ra);
        pthread_join(b, &rb);
        free(ra);
        free(rb);
    } else if (!strcmp(m, "fork")) {
        free(malloc(10));
        pid_t pid = fork();
        if (pid == 0) {
            free(malloc(20));
            _exit(0);
        }
        waitpid(pid, NULL, 0);
    } else if (!strcmp(m, "exec")) {
        free(malloc(10));
        execl("/nonexistent/heaprr-seed", "x", (char *)NULL); /* fails: an exec record */
        execl("/proc/self/exe", argv[0], "min", (char *)NULL);
    } else if (!strcmp(m, "dlopen")) {
        void *h = dlopen("libz.so.1", RTLD_NOW);
        if (!h)
            h = dlopen("libm.so.6", RTLD_NOW);
        free(malloc(12));
        if (h)
            dlclose(h);
    } else if (!strcmp(m, "guarded")) {
        guarded();
    } else if (!strcmp(m, "access")) {
        access_errors();
    } else if (!strcmp(m, "abort")) {
        keep = malloc(40);
        abort();
    } else if (!strcmp(m, "killed")) {
        killed(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
    }
    return 0;
}
EOF
cc -std=gnu11 -O0 -g -pthread -I"$src/recorder/include" -o "$work/seed" "$work/seed.c" -ldl

# Records `seed MODE` with heaprr record; every trace it writes is copied as NAME-0, NAME-1, ...
# (the .hrr extension is gitignored).
record() {
  local name=$1 mode=$2 i=0 t
  mkdir -p "$work/$name"
  "$heaprr" record -q --depth "$depth" ${3:+"$3"} -o "$work/$name/t.hrr" -- "$work/seed" "$mode" >/dev/null 2>&1 || true
  for t in "$work/$name"/t*.hrr; do
    cp "$t" "$reader/$name-$i"
    "$tool" records "$t" "$records/$name-$i"
    i=$((i + 1))
  done
}

# Runs `seed killed N FLUSH DELAY_MS THREADS LEVELS` under the preload library with backtraces of
# BTDEPTH frames until it kills itself; leaves NAME.hrr and NAME.hrr.stage in $work.
run_killed() {
  local name=$1 btdepth=$2
  shift 2
  (env LD_PRELOAD="$lib" MALLOC_TRACE="$work/$name.hrr" MALLOC_TRACEBTDEPTH="$btdepth" \
    "$work/seed" killed "$@" >/dev/null 2>&1 || true) 2>/dev/null
  [[ -f $work/$name.hrr.stage ]] || { echo "make-seeds: $name left no staging file" >&2; exit 1; }
}

u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
poke() { printf '%b' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
le32() { local v=$1 i; for i in 0 8 16 24; do printf '\\x%02x' $(((v >> i) & 255)); done; }
# A fuzz-recover input of a trace alone: u32 length, then the trace (no staging file).
trace_only() { printf '%b' "$(le32 "$(stat -c %s "$1")")" >"$2"; cat "$1" >>"$2"; }

# ---- reader and records seeds: complete traces ----
record min min
record kinds kinds
record threads threads
record fork fork
record exec exec
record dlopen dlopen
record abort abort
HEAPRR_QUARANTINE_MB=1 record guarded guarded --guard
MALLOC_CKFREED=1 record access access --check-access
HEAPRR_FAIL="nth=1" record injected min                # events failed on purpose (xflags bit 6)
HEAPRR_TORTURE=realloc record torture kinds             # every realloc moved, the old block held

# ---- reader seeds: damaged variants of the kinds trace ----
t=$reader/kinds-0
hs=$(u32 "$t" 12)
f1=$((hs + 16 + $(u32 "$t" $((hs + 4)))))
: >"$reader/bad-empty"
head -c 8 "$t" >"$reader/bad-magic-only"
head -c 47 "$t" >"$reader/bad-short-header"
head -c "$hs" "$t" >"$reader/cut-after-header"
head -c $((hs + 30)) "$t" >"$reader/cut-in-frame"
head -c "$f1" "$t" >"$reader/cut-after-frame"
cp "$t" "$reader/bad-major"; poke "$reader/bad-major" 8 '\x02'
cp "$t" "$reader/bad-magic"; poke "$reader/bad-magic" 1 'X'
cp "$t" "$reader/bad-frame-type"; poke "$reader/bad-frame-type" "$hs" '\x07'
cp "$t" "$reader/unknown-frame-type"; poke "$reader/unknown-frame-type" "$hs" '\x07' # skipped if its CRC is right
dd if="$t" of="$reader/unknown-frame-type" bs=1 skip=$((hs + 4)) seek=$((hs + 8)) count=4 conv=notrunc status=none
cp "$t" "$reader/bad-chunk-byte"; poke "$reader/bad-chunk-byte" $((hs + 40)) '\xff'
cp "$t" "$reader/bad-trailer-count"; poke "$reader/bad-trailer-count" $((f1 + 18)) '\x7f'
cp "$t" "$reader/bad-header-size"; poke "$reader/bad-header-size" 12 '\xff\xff\x00\x00'
"$tool" records "$reader/cut-in-frame" "$records/cut-in-frame"

# ---- recover seeds: processes killed with their staging file left ----
run_killed rings $depth 3 0 0 0 0       # killed at once: records still in the rings
run_killed chunk $depth 150 0 400 0 0   # half a ring: the writer drained most into the chunk
run_killed wrap 64 110 0 400 0 40       # deep stacks: the ring wrapped around (padding record)
run_killed flushed $depth 3 1 0 0 0     # frames in the trace, then rings
run_killed threads $depth 1 0 0 2 0     # several rings
for n in rings chunk wrap flushed threads; do
  "$tool" recover "$work/$n.hrr" "$work/$n.hrr.stage" "$recover/killed-$n"
done
# The trace alone, without a staging file (u32 length, trace).
trace_only "$work/rings.hrr" "$recover/trace-only-rings"
trace_only "$work/flushed.hrr" "$recover/trace-only-flushed"
trace_only "$reader/kinds-0" "$recover/trace-complete"
k=$recover/killed-flushed
tl=$(u32 "$k" 0)
cp "$k" "$recover/owner-running"; poke "$recover/owner-running" $((4 + tl + 4 + 6 + 12)) '\x01\x00\x00\x00'
cp "$k" "$recover/stage-bad-magic"; poke "$recover/stage-bad-magic" $((4 + tl + 4 + 6)) 'X'
head -c $((4 + tl + 4 + 6 + 64)) "$k" >"$recover/stage-cut"
cp "$k" "$recover/trace-raw"; poke "$recover/trace-raw" 3 '\x80' # bit 31: trace kept as it is

# ---- writer seeds: event scripts (layout in fuzz-writer.c) ----
# bytes N...: one byte each; q V: a u64le; an event: kind xflags PTR OLD size count log2-align errno
# gap time-delta stack free-seq-distance, where PTR/OLD is `2 $(q V)` (raw), `0+4*i` (recent i),
# `1+4*i D` or 3 (null).
bytes() { local v; for v in "$@"; do printf '\\x%02x' $((v & 255)); done; }
q() { printf '%s' "$(le32 $(($1 & 0xffffffff)))$(le32 $((($1 >> 32) & 0xffffffff)))"; }
script() { printf '%b' "$2" >"$writer/$1"; }
script malloc-free "$(bytes 0 0 2)$(q 0x555555559000)$(bytes 3 24 0 0 0 0 1 5 1)$(bytes 4 0 0 3 0 0 0 0 0 1 6 1)\
$(bytes 0 0 0 3 24 0 0 0 0 1 5 1)$(bytes 2 2 1 16 0 100 0 0 0 1 2 9 1)$(bytes 1 0 2)$(q 0x55555555a000)\
$(bytes 3 8 3 0 0 0 0 13 1)$(bytes 0x80 0 1 255 3 48 0 0 0 0 0 1 1)$(bytes 4 8 0 3 48 0 0 0 0 0 1 1)"
script kinds "$(for k in 0 1 2 3 4 5 6 7 8 9 10 11 12 13; do bytes $k 0 1 $((4 * k)) 3 $((k * 3)) 2 4 0 0 1 7 1; done)"
script flags "$(for x in 1 2 4 8 16 32 3 12; do
  bytes 2 "$x" 2 && q $((0x7f0000001000 + x * 4096)) && bytes 0 40 2 4 12 1 2 6 1
done)"

big=$(find "$reader" "$records" "$recover" "$writer" -type f -size +4k)
[[ -z $big ]] || echo "make-seeds: note: seeds over 4 KiB: $big" >&2
echo "make-seeds: $(find "$reader" -type f | wc -l) reader, $(find "$records" -type f | wc -l) records," \
  "$(find "$recover" -type f | wc -l) recover, $(find "$writer" -type f | wc -l) writer seeds"
