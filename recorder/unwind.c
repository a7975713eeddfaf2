/* SPDX-License-Identifier: MIT */
/* Backtraces for the hooks. The fast path walks frames with recipes from the DWARF call frame
 * information (cfi.c), cached per thread by return address, and stops early when it reaches a
 * frame it saw in the thread's previous backtrace with the same registers: if every stack word the
 * previous walk read above that point still holds the same value, the rest of the walk would be
 * the same, so it is copied (the "unchanged prefix" of the stack, checked, never assumed). A frame
 * the fast path does not understand, or a stack it cannot bound, sends the whole backtrace to
 * libunwind. HEAPRR_UNWIND_CHECK=1 compares every fast backtrace with libunwind's and reports
 * differences at exit. The recorder's own frames, which keep frame pointers, are skipped first. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include "recorder.h"
#include "unwind.h"

#include <libunwind.h>
#include <pthread.h>
#include <string.h>

#define SELF_FRAMES_MAX 16
#define CACHE_SIZE 512
#define CHAIN_MAX 128

/* One frame of a walk: its registers, and the stack words read to reach its caller: the return
 * address slot (ra_addr; the value read is ra_val) and up to two more (a saved rbp, a realigned
 * CFA). At the end of the stack ra_addr points at a zero word, so checks need no branch. */
typedef struct uframe {
    uint64_t ip, rsp, rbp;
    uint64_t ra_addr, ra_val;
    uint64_t x_addr[2], x_val[2];
    int extra; /* x_addr used */
} uframe;

static const uint64_t zero_word;

struct hr_unw {
    uint64_t stack_lo, stack_hi;
    uint32_t gen;
    int prev_complete; /* the cached chain reached the outermost frame */
    int prev_full;     /* ... and fit in the recorded depth */
    struct {
        uint64_t ip;
        hr_recipe r;
        int ok;
    } cache[CACHE_SIZE];
    uint32_t n;              /* frames in chain */
    uframe chain[CHAIN_MAX]; /* the previous backtrace, outermost frame first */
    uframe inner[CHAIN_MAX]; /* frames found by the current walk, innermost first */
};

static uint32_t cache_gen = 1;
static int check_mode;
static uint64_t checked, mismatched, fallbacks, steps, matches, verified;

void hr_unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    hr_cfi_init();
    check_mode = hr_cfg.unwind_check;
}

void hr_unwind_invalidate(void)
{
    __atomic_add_fetch(&cache_gen, 1, __ATOMIC_RELEASE);
}

hr_unw *hr_unwind_thread_new(void)
{
    if (!hr_cfi_available() || hr_cfg.unwind_libunwind)
        return NULL;
    hr_unw *u = hr_mem_alloc(sizeof *u);
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (!u)
        return NULL;
    memset(u, 0, sizeof *u);
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return u; /* no bounds: every walk falls back */
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        u->stack_lo = (uint64_t)(uintptr_t)addr;
        u->stack_hi = u->stack_lo + size;
    }
    pthread_attr_destroy(&attr);
    return u;
}

static inline int in_stack(const hr_unw *u, uint64_t addr)
{
    return addr >= u->stack_lo && addr + 8 <= u->stack_hi && !(addr & 7);
}

static int recipe(hr_unw *u, uint64_t ip, hr_recipe *r)
{
    uint32_t i = (uint32_t)((ip * 0x9E3779B97F4A7C15ull) >> 55) & (CACHE_SIZE - 1);
    if (u->cache[i].ip != ip) {
        u->cache[i].ok = hr_cfi_recipe(ip, &u->cache[i].r) == 0;
        u->cache[i].ip = ip;
    }
    *r = u->cache[i].r;
    return u->cache[i].ok ? 0 : -1;
}

/* Reads a stack word other than the return address, remembering it for the prefix check. */
static int read_extra(const hr_unw *u, uframe *f, int slot, uint64_t addr, uint64_t *out)
{
    if (!in_stack(u, addr))
        return -1;
    *out = *(const uint64_t *)(uintptr_t)addr;
    f->x_addr[slot] = addr;
    f->x_val[slot] = *out;
    f->extra = 1;
    return 0;
}

/* One step: from frame f to its caller's registers. Returns 1 at the end of the stack, 0, or -1
 * when the fast path cannot go on. */
static int step(hr_unw *u, uframe *f, uint64_t *ip, uint64_t *rsp, uint64_t *rbp)
{
    hr_recipe r;
    uint64_t cfa, ra, nrbp = *rbp;
    if (recipe(u, *ip - 1, &r) < 0) {
        if (check_mode && fallbacks < 3)
            hr_log("unwind: no recipe for %p", (void *)(uintptr_t)*ip);
        return -1;
    }
    if (r.cfa_kind == HR_CFA_END) {
        f->ra_addr = (uint64_t)(uintptr_t)&zero_word;
        return 1;
    }
    if (r.cfa_kind == HR_CFA_RSP)
        cfa = *rsp + (uint64_t)(int64_t)r.cfa_off;
    else if (r.cfa_kind == HR_CFA_RBP)
        cfa = *rbp + (uint64_t)(int64_t)r.cfa_off;
    else if (read_extra(u, f, 1, *rbp + (uint64_t)(int64_t)r.cfa_off, &cfa) < 0)
        return -1;
    if (cfa <= *rsp || !in_stack(u, cfa - 8))
        return -1;
    f->ra_addr = cfa - 8;
    f->ra_val = ra = *(const uint64_t *)(uintptr_t)(cfa - 8);
    if (r.rbp_kind == HR_RBP_AT_CFA && read_extra(u, f, 0, cfa + (uint64_t)(int64_t)r.rbp_off, &nrbp) < 0)
        return -1;
    if (r.rbp_kind == HR_RBP_AT_RBP && read_extra(u, f, 0, *rbp + (uint64_t)(int64_t)r.rbp_off, &nrbp) < 0)
        return -1;
    *ip = ra;
    *rsp = cfa;
    *rbp = nrbp;
    return ra == 0;
}

/* Whether every word the previous walk read from chain[0..j] (frame j and those outside it)
 * still holds its value. */
static int unchanged(const uframe *chain, uint32_t j)
{
    uint64_t diff = 0;
    int extra = 0;
    for (uint32_t k = 0; k <= j; k++) {
        diff |= *(const uint64_t *)(uintptr_t)chain[k].ra_addr ^ chain[k].ra_val;
        extra |= chain[k].extra;
    }
    if (diff)
        return 0;
    for (uint32_t k = 0; extra && k <= j; k++)
        for (int s = 0; s < 2; s++)
            if (chain[k].x_addr[s] && *(const uint64_t *)(uintptr_t)chain[k].x_addr[s] != chain[k].x_val[s])
                return 0;
    return 1;
}

/* Walks from the first frame outside the recorder into u->inner until it reaches a frame of the
 * cached chain whose outer part is unchanged (*match gets its index, else -1) or the end. Returns
 * the number of inner frames, or -1. */
static int walk(hr_unw *u, uint64_t ip, uint64_t rsp, uint64_t rbp, int *match, int *complete)
{
    const uframe *chain = u->chain;
    int j = (int)u->n - 1; /* cached frames from the inside out: rsp grows as j falls */
    uint32_t n = 0;
    *match = -1;
    *complete = 0;
    while (n < CHAIN_MAX) {
        while (j >= 0 && chain[j].rsp < rsp)
            j--;
        if (j >= 0 && chain[j].rsp == rsp && chain[j].ip == ip && chain[j].rbp == rbp && unchanged(chain, (uint32_t)j)) {
            *match = j;
            if (check_mode) {
                matches++;
                verified += (uint64_t)j + 1;
            }
            *complete = u->prev_complete;
            return (int)n;
        }
        if (check_mode)
            steps++;
        uframe *f = &u->inner[n++];
        f->ip = ip;
        f->rsp = rsp;
        f->rbp = rbp;
        f->ra_addr = (uint64_t)(uintptr_t)&zero_word;
        f->ra_val = 0;
        f->x_addr[0] = f->x_addr[1] = 0;
        f->extra = 0;
        int rc = step(u, f, &ip, &rsp, &rbp);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            *complete = 1;
            return (int)n;
        }
    }
    return (int)n; /* deeper than CHAIN_MAX: not complete */
}

/* Makes the cached chain: the matched outer part (chain[0..match]) stays where it is, the new inner
 * frames go after it. Returns the chain length. */
static uint32_t rebuild(hr_unw *u, int match, uint32_t inner)
{
    uint32_t base = (uint32_t)(match + 1);
    if (base + inner > CHAIN_MAX) { /* keep the innermost frames: drop outer ones */
        uint32_t drop = base + inner - CHAIN_MAX;
        memmove(u->chain, u->chain + drop, (base - drop) * sizeof *u->chain);
        base -= drop;
    }
    for (uint32_t i = 0; i < inner; i++)
        u->chain[base + inner - 1 - i] = u->inner[i];
    return base + inner;
}

static uint32_t with_libunwind(uint64_t *frames, uint32_t max)
{
    void *buf[256 + SELF_FRAMES_MAX];
    if (max > 256)
        max = 256;
    int n = unw_backtrace(buf, (int)(max + SELF_FRAMES_MAX));
    int skip = 0;
    while (skip < n && skip < SELF_FRAMES_MAX && hr_modules_is_self((uint64_t)(uintptr_t)buf[skip]))
        skip++;
    uint32_t depth = (uint32_t)(n - skip);
    if (depth > max)
        depth = max;
    memcpy(frames, buf + skip, depth * sizeof(uint64_t));
    return depth;
}

static void check(const uint64_t *frames, uint32_t depth, uint32_t max)
{
    uint64_t ref[256];
    uint32_t n = with_libunwind(ref, max);
    __atomic_add_fetch(&checked, 1, __ATOMIC_RELAXED);
    if (n != depth || memcmp(ref, frames, depth * sizeof *ref) != 0) {
        if (__atomic_add_fetch(&mismatched, 1, __ATOMIC_RELAXED) <= 3) {
            uint32_t i = 0;
            while (i < n && i < depth && ref[i] == frames[i])
                i++;
            hr_log("unwind check: depth %u vs libunwind %u, first difference at frame %u (%p vs %p)", depth, n,
                   i, (void *)(uintptr_t)(i < depth ? frames[i] : 0), (void *)(uintptr_t)(i < n ? ref[i] : 0));
        }
    }
}

/* Registers of the first frame outside the recorder, from our own frame-pointer chain. */
static int start_state(const hr_unw *u, uint64_t *ip, uint64_t *rsp, uint64_t *rbp)
{
    const uint64_t *fp = __builtin_frame_address(0);
    for (int i = 0; i < SELF_FRAMES_MAX; i++) {
        if (!in_stack(u, (uint64_t)(uintptr_t)fp) || !in_stack(u, (uint64_t)(uintptr_t)(fp + 1)))
            return -1;
        if (!hr_modules_is_self(fp[1])) {
            *ip = fp[1];
            *rsp = (uint64_t)(uintptr_t)(fp + 2);
            *rbp = fp[0];
            return 0;
        }
        fp = (const uint64_t *)(uintptr_t)fp[0];
    }
    return -1;
}

__attribute__((noinline)) uint32_t hr_unwind(hr_unw *u, uint64_t *frames, uint32_t max, int may_share, uint32_t *keep)
{
    uint64_t ip, rsp, rbp;
    int complete, match, n = -1;
    *keep = 0;
    if (u) {
        uint32_t gen = __atomic_load_n(&cache_gen, __ATOMIC_ACQUIRE);
        if (HR_UNLIKELY(u->gen != gen)) {
            memset(u->cache, 0, sizeof u->cache);
            u->n = 0;
            u->gen = gen;
        }
        if (start_state(u, &ip, &rsp, &rbp) == 0)
            n = walk(u, ip, rsp, rbp, &match, &complete);
        else if (check_mode && fallbacks < 3)
            hr_log("unwind: cannot find the caller's frame (stack %p-%p)", (void *)(uintptr_t)u->stack_lo,
                   (void *)(uintptr_t)u->stack_hi);
    }
    if (n < 0) {
        if (u)
            u->n = 0;
        __atomic_add_fetch(&fallbacks, 1, __ATOMIC_RELAXED);
        return with_libunwind(frames, max);
    }
    uint32_t kept = (uint32_t)(match + 1), total = rebuild(u, match, (uint32_t)n);
    uint32_t depth = total < max ? total : max;
    int full = complete && total <= max;
    *keep = may_share && full && u->prev_full ? kept : 0;
    u->prev_full = full;
    u->prev_complete = complete;
    u->n = total;
    uint32_t written = HR_UNLIKELY(check_mode) ? depth : depth - *keep;
    for (uint32_t i = 0; i < written; i++)
        frames[i] = u->chain[total - 1 - i].ip;
    if (HR_UNLIKELY(check_mode))
        check(frames, depth, max);
    return depth;
}

void hr_unwind_report(void)
{
    if (check_mode)
        hr_log("unwind check: %llu backtraces compared with libunwind, %llu differ, %llu fell back to it "
               "(%llu steps, %llu prefix matches over %llu frames)",
               (unsigned long long)checked, (unsigned long long)mismatched, (unsigned long long)fallbacks,
               (unsigned long long)steps, (unsigned long long)matches, (unsigned long long)verified);
}
