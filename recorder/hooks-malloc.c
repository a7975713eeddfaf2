/* SPDX-License-Identifier: MIT */
/* The C allocation entry points. Each records one event of its own kind and calls the next
 * allocator; a call made while this thread is already inside the recorder (the real operator new
 * calling malloc, reallocarray calling realloc, the recorder's own needs) passes straight through,
 * so every program call is recorded exactly once, as the outermost call. errno is what the real
 * function left. */
#define _GNU_SOURCE
#include "hook-call.h"

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
    void *p = hr_next.malloc(hr_guard_size(size));
    int failed = failed_ptr(p, &err);
    if (hr_cfg.guard)
        hr_guard_arm(p, size);
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
    int guarded = hr_cfg.guard && !__builtin_mul_overflow(n, size, &total);
    void *p = guarded ? hr_next.calloc(1, hr_guard_size(total)) : hr_next.calloc(n, size);
    int failed = failed_ptr(p, &err);
    if (guarded)
        hr_guard_arm(p, total);
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
        hr_next.free(p);
        return;
    }
    int saved = errno;
    if (hr_cfg.guard)
        hr_guard_check(p, 1);
    uint64_t fill = hr_cfg.ckfreed ? hr_quarantine_room(p) : 0;
    hr_free_record(HR_FREE, (uintptr_t)p, 0, 0, 0, __builtin_return_address(0));
    if (!hr_quarantine_put(p, fill))
        hr_next.free(p);
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
    int err;
    if (hr_cfg.guard)
        hr_guard_check(old, 0);
    hr_alloc_begin(&c, kind, size, n, 0);
    if (c.r) {
        c.r->a[1] = (uintptr_t)old;
        if (old) {
            c.r->a[5] = hr_seq_take(c.t);
            hr_seq_release(c.t);
        }
    }
    void *p;
    int guarded = hr_cfg.guard && total && total != SIZE_MAX; /* realloc(p, 0) keeps its meaning */
    if (guarded)
        p = hr_next.realloc(old, hr_guard_size(total));
    else
        p = kind == HR_REALLOC ? hr_next.realloc(old, size) : hr_next.reallocarray(old, n, size);
    err = errno;
    int freed = old && !p && total == 0; /* realloc(p, 0) frees and returns NULL */
    int failed = !p && !freed;
    if (c.r && old && !failed && p != old)
        c.r->xflags |= HR_XF_FREE_SEQ;
    if (hr_cfg.guard && !failed) {
        hr_guard_forget(old);
        if (guarded)
            hr_guard_arm(p, total);
    }
    hr_alloc_end(&c, (uintptr_t)p, failed, err);
    hr_hook_leave(err);
    return p;
}

HR_EXPORT void *realloc(void *old, size_t size)
{
    if (HR_UNLIKELY(hr_boot_owns(old)))
        return boot_realloc(old, size);
    if (!ready())
        return hr_boot_alloc(size, 16);
    if (!hr_hook_enter())
        return HR_UNLIKELY(hr_self.boot && !old) ? hr_boot_alloc(size, 16) : hr_next.realloc(old, size);
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
    if (!hr_hook_enter())
        return hr_next.reallocarray(old, n, size);
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
        void *p = hr_cfg.guard ? hr_next.name gargs : hr_next.name args;    \
        int failed = failed_ptr(p, &err);                                  \
        if (hr_cfg.guard)                                                  \
            hr_guard_arm(p, size_expr);                                    \
        hr_alloc_end(&c, (uintptr_t)p, failed, err);                       \
        hr_writer_start_due();                                             \
        hr_hook_leave(err);                                                \
        return p;                                                          \
    }

ALIGNED_HOOK(memalign, HR_MEMALIGN, (size_t align, size_t size), (align, size), (align, hr_guard_size(size)), size,
             align)
ALIGNED_HOOK(aligned_alloc, HR_ALIGNED_ALLOC, (size_t align, size_t size), (align, size),
             (align, hr_guard_size(size)), size, align)
ALIGNED_HOOK(valloc, HR_VALLOC, (size_t size), (size), (hr_guard_size(size)), size, 4096)
ALIGNED_HOOK(pvalloc, HR_PVALLOC, (size_t size), (size), (hr_guard_size(size)), size, 4096)

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
    int rc = hr_next.posix_memalign(out, align, hr_guard_size(size));
    if (rc == 0 && hr_cfg.guard)
        hr_guard_arm(*out, size);
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
    return hr_guard_usable(p, hr_next.malloc_usable_size(p));
}
