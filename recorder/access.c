/* SPDX-License-Identifier: MIT */
/* Access checks (MALLOC_CKACCESS=1), as librcheck's: libheaprr-access.so, preloaded after this
 * library, puts itself in front of memcpy, strcpy and the other functions that copy, fill or append
 * (recorder/access/), and asks here, before each call runs, about the ranges the call will write and
 * read. A range that starts inside a block the program allocated while recorded and ends past the
 * block's end (its request; what malloc_usable_size said, once the program asked), or that starts
 * inside a block it freed that the quarantine still holds, is staged as an ACCESS record with the
 * call's backtrace (formats/SPEC.md 5.2); with MALLOC_ACTION set, the action follows. The call then
 * runs as it would have. The block holding an address comes from the range index (ranges.c). */
#include "hook-call.h"

#include <heaprr/heaprr.h>

/* Read by libheaprr-access.so before it works out a call's ranges: MALLOC_CKACCESS=1 (env.c). */
HR_EXPORT int heaprr__access_active;

/* The limit of accesses inside block b. */
static uint64_t limit_of(const hr_blk *b)
{
    if (b->wide && !b->freed && hr_next.malloc_usable_size) {
        size_t usable = hr_next.malloc_usable_size((void *)(uintptr_t)(b->ptr - b->front));
        return usable > b->front ? usable - b->front : b->size;
    }
    return b->size;
}

/* Leaves out the frames above the function's caller: the wrapper of libheaprr-access.so. */
static uint32_t from_caller(uint64_t *frames, uint32_t depth, uint64_t caller)
{
    for (uint32_t i = 0; i < depth && i < 3; i++) {
        if (frames[i] != caller && frames[i] != caller - 1)
            continue;
        for (uint32_t j = i; j < depth; j++)
            frames[j - i] = frames[j];
        return depth - i;
    }
    return depth;
}

/* Stages the ACCESS record on thread t, with the call's backtrace in whole. */
static void stage(hr_tls *t, const hr_blk *b, uint64_t at, uint64_t len, unsigned what, uint64_t caller)
{
    if (HR_UNLIKELY(t->shared))
        hr_shared_lock(t);
    hr_stage_rec *r = hr_ring_reserve(t, hr_ring_max_event());
    if (r) {
        memset(r, 0, HR_STAGE_REC_FIXED);
        r->type = HR_REC_ACCESS;
        r->a[0] = b->ptr;
        r->a[1] = b->size;
        r->a[2] = at;
        r->a[3] = len;
        r->a[4] = what;
        uint32_t keep, depth = hr_unwind(t->unw, hr_call_frames(r), hr_cfg.depth, 0, &keep);
        r->depth = (uint16_t)from_caller(hr_call_frames(r), depth, caller);
        r->len = hr_stage_rec_size(r->depth, 0, 0);
        t->unwound = 0; /* the unwinder's last chain is now this one: the next event shares nothing */
        r->seq = hr_seq_take(t);
        r->time = hr_clock_now();
        hr_ring_publish(t, r);
    }
    if (HR_UNLIKELY(t->shared))
        hr_shared_unlock(t);
}

/* Checks the len bytes from p the call touches (what: the function and HR_ACCESS_WRITE or not).
 * Returns the error found, HR_CK_NONE if none. */
static int check_range(unsigned what, const void *p, size_t len, uint64_t caller)
{
    hr_blk b;
    uint64_t a = (uintptr_t)p;
    if (!len)
        return HR_CK_NONE;
    if (HR_UNLIKELY(hr_cfg.stats))
        __atomic_add_fetch(&hr_stats.access_ranges, 1, __ATOMIC_RELAXED);
    if (hr_blocks_at(a, &b) < 0)
        return HR_CK_NONE;
    if (HR_UNLIKELY(hr_cfg.stats))
        __atomic_add_fetch(&hr_stats.access_in_block, 1, __ATOMIC_RELAXED);
    if (!b.freed && len <= limit_of(&b) - (a - b.ptr))
        return HR_CK_NONE;
    hr_tls *t = hr_thread_get();
    if (t)
        stage(t, &b, a, len, what | (b.freed ? HR_ACCESS_FREED : 0), caller);
    return b.freed ? HR_CK_ACCESS_FREED : HR_CK_ACCESS_OVERRUN;
}

/* Called by libheaprr-access.so (the name is not an API): fn is an hr_access_fn; the call will
 * write wlen bytes from dst and read rlen bytes from src; caller is where the program called it. */
HR_EXPORT void heaprr__check_access(unsigned fn, void *dst, size_t wlen, const void *src, size_t rlen, void *caller)
{
    /* not from inside the recorder, nor while this thread holds a lock of the checker's tables (a
     * call passing through, or the recorder's own copies) */
    if (!hr_cfg.ckaccess || !hr_should_record() || hr_self.forking || hr_self.locks)
        return;
    int saved = errno;
    hr_self.busy = 1;
    if (HR_UNLIKELY(hr_cfg.stats))
        __atomic_add_fetch(&hr_stats.access_calls, 1, __ATOMIC_RELAXED);
    const void *bad = dst;
    int error = check_range(fn | HR_ACCESS_WRITE, dst, wlen, (uintptr_t)caller);
    if (!error) {
        bad = src;
        error = check_range(fn, src, rlen, (uintptr_t)caller);
    }
    hr_check_act_call(error, hr_access_fn_name(fn), bad, caller);
    hr_hook_leave(saved);
}
