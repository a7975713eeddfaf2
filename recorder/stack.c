/* SPDX-License-Identifier: MIT */
/* The bounds of the calling thread's stack, which the fast unwinder must not read past, found
 * without calling anything that may take a lock or allocate: pthread_getattr_np takes the thread's
 * own lock and calls realloc, and glibc itself calls malloc while holding that lock (every new JVM
 * thread does), so asking it from a hook deadlocks. A thread glibc started reads them from its
 * thread descriptor (at an offset learnt once); the main thread, and threads started some other
 * way, find the mapping around their stack pointer in /proc/self/maps, read with raw system
 * calls. */
#define _GNU_SOURCE
#include "recorder.h"

#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The main thread's stack grows on demand up to RLIMIT_STACK; nothing else is mapped below it
 * within that reach, so the reach is a safe lower bound (reads never go below the walk's own
 * frame anyway). Unlimited stacks get this much. */
#define MAIN_REACH_MAX (1ull << 30)

typedef struct maps_scan {
    uint64_t want, lo, hi, cur_lo, cur_hi;
    int field; /* 0: start address, 1: end address, 2: rest of the line */
} maps_scan;

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Feeds bytes of /proc/self/maps; remembers the mapping that holds s->want. */
static void scan_bytes(maps_scan *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        int d = hex_digit(c);
        if (c == '\n') {
            s->field = 0;
            s->cur_lo = s->cur_hi = 0;
        } else if (s->field == 0 && d >= 0) {
            s->cur_lo = s->cur_lo << 4 | (uint64_t)d;
        } else if (s->field == 0 && c == '-') {
            s->field = 1;
        } else if (s->field == 1 && d >= 0) {
            s->cur_hi = s->cur_hi << 4 | (uint64_t)d;
        } else if (s->field == 1) {
            s->field = 2;
            if (s->want >= s->cur_lo && s->want < s->cur_hi) {
                s->lo = s->cur_lo;
                s->hi = s->cur_hi;
            }
        }
    }
}

/* The mapping holding addr, from /proc/self/maps. Returns 0 or -1. */
static int mapping_of(uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    maps_scan s = {.want = addr};
    char buf[4096];
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (;;) {
        long n = syscall(SYS_read, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        scan_bytes(&s, buf, (size_t)n);
    }
    syscall(SYS_close, fd);
    if (!s.hi)
        return -1;
    *lo = s.lo;
    *hi = s.hi;
    return 0;
}

static uint64_t main_reach(void)
{
    struct rlimit rl;
    if (syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > MAIN_REACH_MAX)
        return MAIN_REACH_MAX;
    return rl.rlim_cur;
}

/* Where glibc's thread descriptor (what pthread_self() points at) keeps the stack it gave the
 * thread: the address and the size of the whole block, one after the other. The layout is
 * private to glibc, so it is learnt, not assumed: a thread whose stack is known (from
 * pthread_getattr_np at its start, hooks-thread.c) finds the pair in its own descriptor. A
 * thread's bounds read from there are used only when its stack pointer lies within them. */
static int block_off = -1;

int hr_stack_learnt(void)
{
    return __atomic_load_n(&block_off, __ATOMIC_ACQUIRE) >= 0;
}

void hr_stack_learn(uint64_t lo, uint64_t hi)
{
    /* The descriptor holds the whole block: the guard pages below lo are part of it. */
    const uint8_t *self = (const uint8_t *)pthread_self();
    for (size_t off = 0; off < 4096; off += 8) {
        uint64_t b, n;
        memcpy(&b, self + off, sizeof b);
        memcpy(&n, self + off + 8, sizeof n);
        if (b && b <= lo && lo - b <= (64u << 20) && !(b & 4095) && b + n == hi) {
            __atomic_store_n(&block_off, (int)off, __ATOMIC_RELEASE);
            return;
        }
    }
}

/* The bounds glibc gave the thread, if it is one of glibc's with a known layout. */
static int from_descriptor(uint64_t here, uint64_t *lo, uint64_t *hi)
{
    int off = __atomic_load_n(&block_off, __ATOMIC_ACQUIRE);
    if (off < 0)
        return -1;
    const uint8_t *self = (const uint8_t *)pthread_self();
    uint64_t b, n;
    memcpy(&b, self + off, sizeof b);
    memcpy(&n, self + off + 8, sizeof n);
    if (!b || here < b || here - b >= n)
        return -1; /* the main thread (no block), or not what we learnt */
    *lo = b;
    *hi = b + n;
    return 0;
}

/* The main thread's stack: the loader's __libc_stack_end is where its argc sits, above every
 * frame (the page it is on is mapped), and the stack may grow down to the reach of RLIMIT_STACK. */
extern void *__libc_stack_end;

static int main_stack(uint64_t here, uint64_t *lo, uint64_t *hi)
{
    uint64_t top = ((uint64_t)(uintptr_t)__libc_stack_end | 4095) + 1, reach = main_reach();
    if (here >= top || top - here > reach)
        return -1;
    *hi = top;
    *lo = top - reach;
    return 0;
}

int hr_stack_bounds(uint64_t *lo, uint64_t *hi)
{
    uint64_t here = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    int rc = 0;
    if (from_descriptor(here, lo, hi) == 0)
        __atomic_add_fetch(&hr_stats.stacks_descriptor, 1, __ATOMIC_RELAXED);
    else if (syscall(SYS_gettid) == syscall(SYS_getpid) && main_stack(here, lo, hi) == 0)
        __atomic_add_fetch(&hr_stats.stacks_main, 1, __ATOMIC_RELAXED);
    else if ((rc = mapping_of(here, lo, hi)) == 0)
        __atomic_add_fetch(&hr_stats.stacks_maps, 1, __ATOMIC_RELAXED);
    return rc;
}
