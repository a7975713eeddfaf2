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
/* Recipes cached per thread, in two levels: a small table that stays in the L1 cache in front of
 * a big one, as big interpreters have thousands of call sites. */
#define HOT_BITS 9
#define CACHE_BITS 12
#define CACHE_SIZE (1u << CACHE_BITS)
#define CHAIN_MAX 128

/* A stack word a walk read, and the value it read. */
typedef struct uword {
    uint64_t addr, val;
} uword;

/* One frame of a walk: its registers, and the stack words read to reach its caller: the return
 * address slot (w[0]) and up to two more (a saved rbp, a realigned CFA). Words not read point at
 * a zero word with value 0, so that checks need no branch. */
typedef struct uframe {
    uint64_t ip, rsp, rbp;
    uword w[3];
} uframe;

/* The previous backtrace is kept split by use, so that the scans of every walk touch little
 * memory: registers to find a frame, the words read to check that it did not change. */
typedef struct ukey {
    uint64_t rsp, ip, rbp;
} ukey;

/* A cached recipe, packed in 16 bytes (recipes whose rbp offset does not fit are not cached). */
typedef struct urecipe {
    uint64_t ip;
    int32_t cfa_off;
    int16_t rbp_off;
    uint8_t kinds; /* cfa_kind | rbp_kind << 4 */
    uint8_t ok;
} urecipe;

static const uint64_t zero_word;

struct hr_unw {
    uint64_t stack_lo, stack_hi; /* the thread's stack */
    uint64_t floor;              /* the current walk's own lowest frame: nothing below it is read */
    uint32_t gen;
    int prev_complete; /* the cached chain reached the outermost frame */
    int prev_full;     /* ... and fit in the recorded depth */
    urecipe hot[1u << HOT_BITS];
    urecipe cache[CACHE_SIZE];
    uint32_t n;                /* frames in the chain: the previous backtrace, outermost first */
    ukey key[CHAIN_MAX];       /* ... their registers */
    uword words[CHAIN_MAX][3]; /* ... the stack words read to step from each */
    uframe inner[CHAIN_MAX];   /* frames found by the current walk, innermost first */
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
    if (!u)
        return NULL;
    /* hr_mem_alloc's pages are zero: no bounds yet, empty caches (and no page touched for them) */
    uint64_t lo, hi;
    if (hr_stack_bounds(&lo, &hi) == 0)
        hr_unwind_set_stack(u, lo, hi);
    return u;
}

void hr_unwind_set_stack(hr_unw *u, uint64_t lo, uint64_t hi)
{
    if (!u)
        return;
    u->stack_lo = lo;
    u->stack_hi = hi;
    u->n = 0;
}

static inline int in_stack(const hr_unw *u, uint64_t addr)
{
    return addr >= u->floor && addr + 8 <= u->stack_hi && !(addr & 7);
}

/* The cached recipe for ip, or NULL. */
static inline const urecipe *cached(hr_unw *u, uint64_t ip)
{
    uint64_t h = ip * 0x9E3779B97F4A7C15ull;
    urecipe *hot = &u->hot[h >> (64 - HOT_BITS)];
    if (HR_LIKELY(hot->ip == ip))
        return hot;
    urecipe *e = &u->cache[h >> (64 - CACHE_BITS)];
    if (e->ip != ip)
        return NULL;
    *hot = *e;
    return hot;
}

/* Finds the recipe for ip and caches it. Returns 0 or -1 (none). */
static int find_recipe(hr_unw *u, uint64_t ip, hr_recipe *r)
{
    int ok = hr_cfi_recipe(ip, r) == 0;
    if (ok && (int16_t)r->rbp_off != r->rbp_off)
        return 0;
    uint64_t h = ip * 0x9E3779B97F4A7C15ull;
    urecipe e = {ip, r->cfa_off, (int16_t)r->rbp_off, (uint8_t)(r->cfa_kind | r->rbp_kind << 4), (uint8_t)ok};
    u->cache[h >> (64 - CACHE_BITS)] = u->hot[h >> (64 - HOT_BITS)] = e;
    return ok ? 0 : -1;
}

/* Reads a stack word other than the return address, remembering it for the prefix check. */
static inline int read_extra(const hr_unw *u, uframe *f, int slot, uint64_t addr, uint64_t *out)
{
    if (!in_stack(u, addr))
        return -1;
    *out = *(const uint64_t *)(uintptr_t)addr;
    f->w[1 + slot] = (uword){addr, *out};
    return 0;
}

/* Applies a recipe: from frame f to its caller's registers. Returns 1 at the end of the stack, 0,
 * or -1 when the fast path cannot go on. */
static inline __attribute__((always_inline)) int apply(const hr_unw *u, uframe *f, unsigned cfa_kind, unsigned rbp_kind,
                                                       int64_t cfa_off, int64_t rbp_off, uint64_t *ip, uint64_t *rsp,
                                                       uint64_t *rbp)
{
    uint64_t cfa, ra, nrbp = *rbp;
    if (cfa_kind == HR_CFA_END)
        return 1;
    if (cfa_kind == HR_CFA_RSP)
        cfa = *rsp + (uint64_t)cfa_off;
    else if (cfa_kind == HR_CFA_RBP)
        cfa = *rbp + (uint64_t)cfa_off;
    else if (read_extra(u, f, 1, *rbp + (uint64_t)cfa_off, &cfa) < 0)
        return -1;
    if (cfa <= *rsp || !in_stack(u, cfa - 8))
        return -1;
    ra = *(const uint64_t *)(uintptr_t)(cfa - 8);
    f->w[0] = (uword){cfa - 8, ra};
    if (rbp_kind == HR_RBP_AT_CFA && read_extra(u, f, 0, cfa + (uint64_t)rbp_off, &nrbp) < 0)
        return -1;
    if (rbp_kind == HR_RBP_AT_RBP && read_extra(u, f, 0, *rbp + (uint64_t)rbp_off, &nrbp) < 0)
        return -1;
    *ip = ra;
    *rsp = cfa;
    *rbp = nrbp;
    return ra == 0;
}

/* One step from frame f (whose words are all the zero word on entry). */
static int step(hr_unw *u, uframe *f, uint64_t *ip, uint64_t *rsp, uint64_t *rbp)
{
    const urecipe *e = cached(u, *ip - 1);
    if (HR_LIKELY(e && e->ok))
        return apply(u, f, e->kinds & 15u, e->kinds >> 4, e->cfa_off, e->rbp_off, ip, rsp, rbp);
    hr_recipe r;
    if (e || find_recipe(u, *ip - 1, &r) < 0) {
        if (check_mode && fallbacks < 3)
            hr_log("unwind: no recipe for %p", (void *)(uintptr_t)*ip);
        return -1;
    }
    return apply(u, f, r.cfa_kind, r.rbp_kind, r.cfa_off, r.rbp_off, ip, rsp, rbp);
}

/* Whether every word the previous walk read from frames 0..j of the chain (frame j and those
 * outside it) still holds its value. */
static int unchanged(const hr_unw *u, uint32_t j)
{
    uint64_t diff = 0;
    for (uint32_t k = 0; k <= j; k++)
        for (int s = 0; s < 3; s++)
            diff |= *(const uint64_t *)(uintptr_t)u->words[k][s].addr ^ u->words[k][s].val;
    return diff == 0;
}

/* Walks from the first frame outside the recorder into u->inner until it reaches a frame of the
 * cached chain whose outer part is unchanged (*match gets its index, else -1) or the end. Returns
 * the number of inner frames, or -1. */
static int walk(hr_unw *u, uint64_t ip, uint64_t rsp, uint64_t rbp, int *match, int *complete)
{
    const ukey *key = u->key;
    int j = (int)u->n - 1; /* cached frames from the inside out: rsp grows as j falls */
    uint32_t n = 0;
    *match = -1;
    *complete = 0;
    while (n < CHAIN_MAX) {
        while (j >= 0 && key[j].rsp < rsp)
            j--;
        if (j >= 0 && key[j].rsp == rsp && key[j].ip == ip && key[j].rbp == rbp && unchanged(u, (uint32_t)j)) {
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
        for (int s = 0; s < 3; s++) { /* field by field: a copied struct would reload the stores */
            f->w[s].addr = (uint64_t)(uintptr_t)&zero_word;
            f->w[s].val = 0;
        }
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

/* Makes the cached chain: the matched outer part (frames 0..match) stays where it is, the new inner
 * frames go after it. Returns the chain length. */
static uint32_t rebuild(hr_unw *u, int match, uint32_t inner)
{
    uint32_t base = (uint32_t)(match + 1);
    if (base + inner > CHAIN_MAX) { /* keep the innermost frames: drop outer ones */
        uint32_t drop = base + inner - CHAIN_MAX;
        memmove(u->key, u->key + drop, (base - drop) * sizeof *u->key);
        memmove(u->words, u->words + drop, (base - drop) * sizeof *u->words);
        base -= drop;
    }
    for (uint32_t i = 0; i < inner; i++) {
        const uframe *f = &u->inner[i];
        uint32_t k = base + inner - 1 - i;
        u->key[k] = (ukey){f->rsp, f->ip, f->rbp};
        memcpy(u->words[k], f->w, sizeof f->w);
    }
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
            hr_log("unwind check: depth %u vs libunwind %u, first difference at frame %u (%p vs %p)", depth, n, i,
                   (void *)(uintptr_t)(i < depth ? frames[i] : 0), (void *)(uintptr_t)(i < n ? ref[i] : 0));
        }
    }
}

/* Registers of the first frame outside the recorder, from our own frame-pointer chain. */
static int start_state(hr_unw *u, uint64_t *ip, uint64_t *rsp, uint64_t *rbp)
{
    const uint64_t *fp = __builtin_frame_address(0);
    /* Memory from here to the top of the stack is mapped, whatever the bounds say below: a walk on
     * another stack (a signal's alternate stack) is left to libunwind. */
    u->floor = (uint64_t)(uintptr_t)fp;
    if (u->floor < u->stack_lo || u->floor >= u->stack_hi)
        return -1;
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
            memset(u->hot, 0, sizeof u->hot);
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
        frames[i] = u->key[total - 1 - i].ip;
    if (HR_UNLIKELY(check_mode))
        check(frames, depth, max);
    return depth;
}

void hr_unwind_report(void)
{
    if (check_mode)
        hr_log(
            "unwind check: %llu backtraces compared with libunwind, %llu differ, %llu fell back to it "
            "(%llu steps, %llu prefix matches over %llu frames)",
            (unsigned long long)checked, (unsigned long long)mismatched, (unsigned long long)fallbacks,
            (unsigned long long)steps, (unsigned long long)matches, (unsigned long long)verified);
}
