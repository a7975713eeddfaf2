/* SPDX-License-Identifier: MIT */
/* The shape of every intercepted call, shared by the C and C++ entry points: prepare the record
 * (kind, sizes, backtrace) at the ring head before calling the real function, so that a crash
 * inside the allocator still leaves it behind as pending; fill in the result and publish after. */
#ifndef HEAPRR_HOOK_CALL_H
#define HEAPRR_HOOK_CALL_H

#include "recorder.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef struct hr_call {
    hr_tls *t;
    hr_stage_rec *r;
} hr_call;

static inline uint64_t *hr_call_frames(hr_stage_rec *r)
{
    return (uint64_t *)(r + 1);
}

/* Writes the caller's backtrace into r: only the frames it does not share with the thread's
 * previous unwound record, which the ring holds (formats/include/heaprr/stage.h). */
static inline void hr_unwind_into(hr_tls *t, hr_stage_rec *r)
{
    uint32_t keep;
    r->depth = (uint16_t)hr_unwind(t->unw, hr_call_frames(r), hr_cfg.depth, t->unwound, &keep);
    r->s1 = HR_STAGE_UNWOUND;
    r->s2 = keep;
    r->len = hr_stage_rec_size(r->depth - keep, 0, 0);
    t->unwound = 1;
}

/* Starts recording an allocation call. On return c->r is NULL if this call is not recorded.
 * hr_alloc_end must follow (it releases the overflow ring's lock). */
static inline void hr_alloc_begin(hr_call *c, unsigned kind, uint64_t size, uint64_t aux, uint32_t xflags)
{
    c->t = hr_thread_get();
    if (c->t && HR_UNLIKELY(c->t->shared))
        hr_shared_lock(c->t);
    c->r = c->t ? hr_ring_reserve(c->t, hr_ring_max_event()) : NULL;
    if (!c->r)
        return;
    hr_stage_rec *r = c->r;
    memset(r, 0, HR_STAGE_REC_FIXED);
    r->type = (uint8_t)kind;
    r->xflags = (uint8_t)xflags;
    r->a[2] = size;
    r->a[3] = aux;
    hr_unwind_into(c->t, r);
    hr_ring_pending(c->t, 1);
}

/* Failure injection (inject.c): whether the allocation call being recorded in c (kind, size bytes)
 * fails on purpose. Then errno is ENOMEM and c's record is marked INJECTED. */
static inline int hr_injected(hr_call *c, unsigned kind, uint64_t size)
{
    if (HR_LIKELY(!hr_cfg.fail))
        return 0;
    int whole = c->r && !hr_stage_rec_shared(c->r); /* the record holds the whole backtrace */
    if (!hr_inject_now(kind, size, whole ? hr_call_frames(c->r) : NULL, whole ? c->r->depth : 0))
        return 0;
    if (c->r)
        c->r->xflags |= HR_XF_INJECTED;
    errno = ENOMEM;
    return 1;
}

/* Finishes an allocation call: result ptr, and err when it failed. */
static inline void hr_alloc_end(hr_call *c, uint64_t ptr, int failed, int err)
{
    hr_stage_rec *r = c->r;
    if (r) {
        r->a[0] = ptr;
        if (failed) {
            r->xflags |= HR_XF_FAILED;
            r->a[4] = (uint64_t)err;
        }
        r->seq = hr_seq_take(c->t);
        r->time = hr_clock_now();
        hr_ring_publish(c->t, r);
        c->r = NULL;
    }
    if (c->t && HR_UNLIKELY(c->t->shared))
        hr_shared_unlock(c->t);
}

static inline void hr_free_record_in(hr_tls *t, unsigned kind, uint64_t ptr, uint64_t size, uint64_t align,
                                     uint32_t xflags, void *caller);

/* Records a free-kind call before the real free runs. caller is the hook's return address. */
static inline void hr_free_record(unsigned kind, uint64_t ptr, uint64_t size, uint64_t align, uint32_t xflags,
                                  void *caller)
{
    hr_tls *t = hr_thread_get();
    if (!t)
        return;
    if (HR_UNLIKELY(t->shared)) {
        hr_shared_lock(t);
        hr_free_record_in(t, kind, ptr, size, align, xflags, caller);
        hr_shared_unlock(t);
        return;
    }
    hr_free_record_in(t, kind, ptr, size, align, xflags, caller);
}

static inline void hr_free_record_in(hr_tls *t, unsigned kind, uint64_t ptr, uint64_t size, uint64_t align,
                                     uint32_t xflags, void *caller)
{
    uint32_t max = hr_cfg.free_stacks ? hr_ring_max_event() : HR_STAGE_REC_FIXED + 8;
    hr_stage_rec *r = hr_ring_reserve(t, max);
    if (!r)
        return;
    memset(r, 0, HR_STAGE_REC_FIXED);
    r->type = (uint8_t)kind;
    r->xflags = (uint8_t)xflags;
    r->a[0] = ptr;
    r->a[2] = size;
    r->a[3] = align;
    if (hr_cfg.free_stacks) {
        hr_unwind_into(t, r);
    } else {
        r->depth = 1;
        hr_call_frames(r)[0] = (uint64_t)(uintptr_t)caller;
        r->len = hr_stage_rec_size(1, 0, 0);
    }
    r->seq = hr_seq_take(t);
    r->time = hr_clock_now();
    hr_ring_publish(t, r);
}

/* While a real operator new runs (hr_self.in_new), whether an allocation call made from caller is
 * the operator's own, which passes through: its first one, and later ones from the same place (its
 * second try after its new_handler ran). Others (the new_handler's work, an exception object) are
 * the program's. Telling them apart by where they come from holds whoever's operator that is
 * (another preload's in front of libstdc++'s included). */
static inline int hr_new_underneath(const void *caller)
{
    if (hr_self.in_new == HR_NEW_STARTED) {
        hr_self.in_new = HR_NEW_ALLOCATED;
        hr_self.new_caller = caller;
        return 1;
    }
    return caller == hr_self.new_caller;
}

/* Entry test for a hook: 1 to record (busy is then set), 0 to pass through.
 * hr_self.busy is 0 outside the recorder and non-zero inside it (nested calls pass through). While a
 * real operator new runs (hr_self.in_new), its own allocation calls pass through, its second try
 * after a new_handler ran too; others (an exception object, the new_handler's work) are the
 * program's and are recorded. Always inlined: the return address is the hook's caller's. */
static inline __attribute__((always_inline)) int hr_hook_enter(void)
{
    if (HR_LIKELY(hr_should_record())) {
        if (HR_UNLIKELY(hr_self.in_new | hr_self.forking)) {
            if (hr_self.in_new && hr_new_underneath(__builtin_return_address(0)))
                return 0;
            /* A child of fork, before its atfork handler made it a trace of its own (another
             * library's handler may run first): the rings are still its parent's. */
            if (hr_self.forking && getpid() != (pid_t)hr_sess.pid)
                return 0;
        }
        hr_self.busy = 1;
        return 1;
    }
    if (hr_self.in_new && hr_new_underneath(__builtin_return_address(0)))
        return 0;
    hr_park_if_finished();
    if (__atomic_load_n(&hr_state, __ATOMIC_RELAXED) == HR_UNINIT && !hr_self.busy && hr_init_check()) {
        hr_self.busy = 1;
        return 1;
    }
    return 0;
}

static inline void hr_hook_leave(int saved_errno)
{
    hr_self.busy = 0;
    errno = saved_errno;
}

#endif
