/* SPDX-License-Identifier: MIT */
/* The C allocation entry points. Each records one event of its own kind and calls the next
 * allocator; a call made while this thread is already inside the recorder (the real operator new
 * calling malloc, reallocarray calling realloc, the recorder's own needs) passes straight through,
 * so every program call is recorded exactly once, as the outermost call. errno is what the real
 * function left. */
#define _GNU_SOURCE
#include "hook-call.h"

#include <heaprr/heaprr.h>

#include <malloc.h>
#include <stdlib.h>

/* The real function, resolving it first; while dlsym runs, the bootstrap buffer serves. */
static inline int ready(void)
{
    if (HR_LIKELY(__atomic_load_n(&hr_real_ready, __ATOMIC_ACQUIRE)))
        return 1;
    hr_real_init();
    return __atomic_load_n(&hr_real_ready, __ATOMIC_ACQUIRE);
}

static int failed_ptr(const void *p, int *err)
{
    *err = errno;
    return p == NULL;
}

HR_EXPORT void *malloc(size_t size)
{
    if (!ready())
        return hr_boot_alloc(size, 16);
    if (!hr_hook_enter())
        return HR_UNLIKELY(hr_self.boot) ? hr_boot_alloc(size, 16) : hr_next.malloc(size);
    hr_call c;
    int err;
    hr_alloc_begin(&c, HR_MALLOC, size, 0, 0);
    size_t ask = hr_cfg.guard ? hr_guard_ask(size, 0) : 0;
    void *p = hr_injected(&c, HR_MALLOC, size) ? NULL : hr_next.malloc(ask ? ask : size);
    int failed = failed_ptr(p, &err);
    if (ask)
        p = hr_guard_arm(p, size, 0, HR_MALLOC);
    else
        hr_check_alloc(p, size, HR_MALLOC);
    hr_alloc_end(&c, (uintptr_t)p, failed, err);
    hr_writer_start_due();
    hr_hook_leave(err);
    return p;
}

static void *boot_calloc(size_t n, size_t size)
{
    size_t total;
    return __builtin_mul_overflow(n, size, &total) ? NULL : hr_boot_alloc(total, 16); /* static memory is zeroed */
}

HR_EXPORT void *calloc(size_t n, size_t size)
{
    if (!ready())
        return boot_calloc(n, size);
    if (!hr_hook_enter())
        return HR_UNLIKELY(hr_self.boot) ? boot_calloc(n, size) : hr_next.calloc(n, size);
    hr_call c;
    int err;
    hr_alloc_begin(&c, HR_CALLOC, size, n, 0);
    size_t total;
    int overflow = __builtin_mul_overflow(n, size, &total);
    size_t ask = hr_cfg.guard && !overflow ? hr_guard_ask(total, 0) : 0;
    void *p = hr_injected(&c, HR_CALLOC, overflow ? SIZE_MAX : total) ? NULL
              : ask ? hr_next.calloc(1, ask)
                    : hr_next.calloc(n, size);
    int failed = failed_ptr(p, &err);
    if (ask)
        p = hr_guard_arm(p, total, 0, HR_CALLOC);
    else if (!failed)
        hr_check_alloc(p, total, HR_CALLOC);
    hr_alloc_end(&c, (uintptr_t)p, failed, err);
    hr_writer_start_due();
    hr_hook_leave(err);
    return p;
}

HR_EXPORT void free(void *p)
{
    if (HR_UNLIKELY(hr_boot_owns(p)))
        return;
    if (!ready())
        return;
    if (!hr_hook_enter()) {
        hr_next.free(hr_guard_base(p));
        return;
    }
    int saved = errno, error, damage = 0;
    hr_blk taken;
    void *base = hr_check_release(p, HR_FREE, &taken, &error);
    /* in guard mode only blocks it knows: another pointer may be one into a guarded block */
    uint64_t fill = hr_cfg.ckfreed && base && (!hr_cfg.guard || taken.ptr) ? hr_quarantine_room(base, &damage) : 0;
    hr_free_record(HR_FREE, (uintptr_t)p, 0, 0, 0, __builtin_return_address(0));
    if ((base || !p) && !hr_quarantine_put(base, p, fill, &taken)) /* free(NULL) too: a preload behind us may count it */
        hr_next.free(base);
    hr_check_act(error ? error : damage ? HR_CK_USE_AFTER_FREE : 0, HR_FREE, p, __builtin_return_address(0));
    hr_hook_leave(saved);
}

/* A bootstrap block the program reallocates (it got it while dlsym ran, before recording): the
 * new block comes from malloc, recorded like any, so that the trace knows it when it is freed. */
static void *boot_realloc(void *old, size_t size)
{
    void *p = ready() && !hr_self.boot ? malloc(size) : hr_boot_alloc(size, 16);
    if (p && old) {
        size_t n = hr_boot_size(old);
        memcpy(p, old, n < size ? n : size);
    }
    return p;
}

/* realloc and reallocarray: a number before the call (when the old block may be released) and one
 * after (when the result exists); the event sits at the second (formats/SPEC.md 7). */
static void *realloc_common(unsigned kind, void *old, size_t n, size_t size, uint64_t total)
{
    hr_call c;
    int err, error, damage = 0;
    hr_blk ob; /* the old block's entry, taken now: put back if realloc fails */
    void *base = hr_check_release(old, kind, &ob, &error);
    /* Realloc torture: room in the quarantine is made before the record (blocks leaving it may be
     * found damaged, which is recorded before this call). */
    int move = hr_torture_moves(old, base, total);
    uint64_t fill = move && (!hr_cfg.guard || ob.ptr) ? hr_quarantine_room(base, &damage) : 0;
    hr_alloc_begin(&c, kind, size, n, 0);
    if (c.r) {
        c.r->a[1] = (uintptr_t)old;
        if (old) {
            c.r->a[5] = hr_seq_take(c.t);
            hr_seq_release(c.t);
        }
    }
    void *p;
    /* The result is guarded when the block was (or is new), except for realloc(p, 0), which keeps
     * its meaning. A guarded block too large to stay guarded fails: its bytes sit after the zone. */
    int guarded = hr_cfg.guard && (!old || base != old);
    size_t ask = guarded && total && total != SIZE_MAX ? hr_guard_ask(total, 0) : 0;
    size_t front0 = hr_guard_front(0);
    if (old && !base) /* freed already, or (check mode) no live block of ours: hr_check_act says */
        p = NULL;
    else if (total && hr_injected(&c, kind, total)) /* realloc(p, 0) frees: never made to fail */
        p = NULL;
    else if (move || (ask && ob.ptr && ob.front != front0)) /* or an aligned block: its bytes are further in */
        p = hr_move_block(base, old, hr_torture_old_size(base, &ob), total, ask ? ask : total, ask ? front0 : 0,
                          fill, &ob);
    else if (ask)
        p = hr_next.realloc(base, ask);
    else if (guarded && old && total == 0)
        p = hr_next.realloc(base, 0);
    else if (guarded && (old || total == SIZE_MAX))
        p = NULL;
    else
        p = kind == HR_REALLOC ? hr_next.realloc(old, size) : hr_next.reallocarray(old, n, size);
    err = old && !base ? EINVAL : p || !guarded || ask || total == 0 ? errno : ENOMEM;
    int freed = old && !p && total == 0; /* realloc(p, 0) frees and returns NULL */
    int failed = !p && !freed;
    if (failed && ob.ptr)
        hr_blocks_put(&ob); /* the old block is still the program's */
    if (!failed && ask) {
        void *real = p;
        p = hr_guard_arm(real, total, 0, kind);
        if (p == real && old) /* left unguarded (no memory): its bytes move to where it starts */
            memmove(p, (uint8_t *)p + front0, ob.size < total ? ob.size : total);
    } else if (!failed) {
        hr_check_alloc(p, total, kind);
    }
    if (c.r && old && !failed && p != old)
        c.r->xflags |= HR_XF_FREE_SEQ;
    hr_alloc_end(&c, (uintptr_t)p, failed, err);
    hr_check_act(error ? error : damage ? HR_CK_USE_AFTER_FREE : 0, kind, old, __builtin_return_address(0));
    hr_hook_leave(err);
    return p;
}

HR_EXPORT void *realloc(void *old, size_t size)
{
    if (HR_UNLIKELY(hr_boot_owns(old)))
        return boot_realloc(old, size);
    if (!ready())
        return hr_boot_alloc(size, 16);
    if (!hr_hook_enter()) {
        if (HR_UNLIKELY(hr_self.boot && !old))
            return hr_boot_alloc(size, 16);
        int done;
        void *p = hr_guard_realloc_plain(old, size, &done);
        return done ? p : hr_next.realloc(old, size);
    }
    return realloc_common(HR_REALLOC, old, 1, size, size);
}

HR_EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t total;
    if (HR_UNLIKELY(hr_boot_owns(old)))
        return __builtin_mul_overflow(n, size, &total) ? NULL : boot_realloc(old, total);
    if (!ready() || !hr_next.reallocarray) {
        if (__builtin_mul_overflow(n, size, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return realloc(old, total);
    }
    if (!hr_hook_enter()) {
        int done = 0;
        void *p = NULL;
        if (!__builtin_mul_overflow(n, size, &total))
            p = hr_guard_realloc_plain(old, total, &done);
        return done ? p : hr_next.reallocarray(old, n, size); /* an overflow fails there */
    }
    if (__builtin_mul_overflow(n, size, &total))
        total = SIZE_MAX;
    return realloc_common(HR_REALLOCARRAY, old, n, size, total);
}

/* memalign, aligned_alloc, valloc, pvalloc: same shape, different real function. */
#define ALIGNED_HOOK(name, kind, params, args, gargs, size_expr, align_expr) \
    HR_EXPORT void *name params                                            \
    {                                                                      \
        if (!ready())                                                      \
            return hr_boot_alloc(size_expr, align_expr);                   \
        if (!hr_hook_enter())                                              \
            return hr_next.name args;                                      \
        hr_call c;                                                         \
        int err;                                                           \
        hr_alloc_begin(&c, kind, size_expr, align_expr, 0);                \
        /* pvalloc's block is whole pages the program may use: not guarded */ \
        size_t ask = hr_cfg.guard && kind != HR_PVALLOC ? hr_guard_ask(size_expr, align_expr) : 0; \
        void *p = hr_injected(&c, kind, size_expr) ? NULL : ask ? hr_next.name gargs : hr_next.name args; \
        int failed = failed_ptr(p, &err);                                  \
        if (ask)                                                           \
            p = hr_guard_arm(p, size_expr, align_expr, kind);              \
        else                                                               \
            hr_check_alloc(p, size_expr, kind);                            \
        hr_alloc_end(&c, (uintptr_t)p, failed, err);                       \
        hr_writer_start_due();                                             \
        hr_hook_leave(err);                                                \
        return p;                                                          \
    }

ALIGNED_HOOK(memalign, HR_MEMALIGN, (size_t align, size_t size), (align, size), (align, ask), size,
             align)
ALIGNED_HOOK(aligned_alloc, HR_ALIGNED_ALLOC, (size_t align, size_t size), (align, size),
             (align, ask), size, align)
ALIGNED_HOOK(valloc, HR_VALLOC, (size_t size), (size), (ask), size, 4096)
ALIGNED_HOOK(pvalloc, HR_PVALLOC, (size_t size), (size), (ask), size, 4096)

HR_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!ready()) {
        *out = hr_boot_alloc(size, align);
        return *out ? 0 : ENOMEM;
    }
    if (!hr_hook_enter())
        return hr_next.posix_memalign(out, align, size);
    hr_call c;
    int saved = errno;
    hr_alloc_begin(&c, HR_POSIX_MEMALIGN, size, align, 0);
    size_t ask = hr_cfg.guard ? hr_guard_ask(size, align) : 0;
    int rc = hr_injected(&c, HR_POSIX_MEMALIGN, size) ? ENOMEM : hr_next.posix_memalign(out, align, ask ? ask : size);
    if (rc == 0 && ask)
        *out = hr_guard_arm(*out, size, align, HR_POSIX_MEMALIGN);
    else if (rc == 0)
        hr_check_alloc(*out, size, HR_POSIX_MEMALIGN);
    hr_alloc_end(&c, rc == 0 ? (uintptr_t)*out : 0, rc != 0, rc);
    hr_writer_start_due();
    hr_hook_leave(saved);
    return rc;
}

HR_EXPORT size_t malloc_usable_size(void *p)
{
    if (HR_UNLIKELY(hr_boot_owns(p)))
        return hr_boot_size(p);
    if (!ready() || !hr_next.malloc_usable_size)
        return 0;
    size_t usable;
    if (hr_guard_usable(p, &usable))
        return usable;
    if (hr_cfg.ckaccess && p)
        hr_blocks_widen((uintptr_t)p); /* the program may use all it is told */
    return hr_next.malloc_usable_size(p);
}

/* heaprr.h gives programs the QNX names for the commands a MALLOPT record knows. */
_Static_assert(MALLOC_ARENA_CACHE_MAXBLK == HR_MALLOPT_ARENA_CACHE_MAXBLK && MALLOC_CKCHAIN == HR_MALLOPT_CKCHAIN &&
                   HEAPRR_MALLOPT_BASE == HR_MALLOPT_BASE && HEAPRR_MALLOPT_LAST == HR_MALLOPT_LAST,
               "heaprr.h and the format disagree on the mallopt commands");

/* mallopt: recorded, the QNX commands of heaprr.h kept from the C library (answered 1). */
HR_EXPORT int mallopt(int param, int value)
{
    int ours = hr_mallopt_is_qnx(param);
    if (!ready() || !hr_hook_enter())
        return ours ? 1 : hr_next.mallopt ? hr_next.mallopt(param, value) : 0;
    int result = ours ? 1 : hr_next.mallopt ? hr_next.mallopt(param, value) : 0, err = errno;
    hr_tls *t = hr_thread_get();
    if (t) {
        const uint64_t a[4] = {(uint64_t)(int64_t)param, (uint64_t)(int64_t)value, (uint64_t)(int64_t)result, 0};
        hr_ring_typed(t, HR_REC_MALLOPT, a, NULL, 0, NULL, 0);
    }
    hr_hook_leave(err);
    return result;
}
