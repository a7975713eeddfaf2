/* SPDX-License-Identifier: MIT */
/* libheaprr-lttng.so: the allocation entry points of libheaprr.so, each call emitted as an
 * LTTng-UST tracepoint of the heaprr provider instead of being staged into a trace file. The
 * backtrace is only taken when a session enabled the event (lttng_ust_tracepoint_enabled), so
 * without a session the library costs a test per call. A call made inside another (operator new
 * calling malloc) is emitted once, as the outer call; calls made from LTTng-UST's own code (its
 * threads, its buffers) are not emitted. Build with -fexceptions: a real operator new that throws
 * still leaves the per-thread state clean. */
#define _GNU_SOURCE
#include "heaprr-tp.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_DEPTH 256

/* ---- the functions we wrap, resolved on first use; a static buffer serves dlsym's needs ---- */

static void *(*next_malloc)(size_t), *(*next_calloc)(size_t, size_t), *(*next_realloc)(void *, size_t);
static void *(*next_reallocarray)(void *, size_t, size_t), *(*next_memalign)(size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t), *(*next_valloc)(size_t), *(*next_pvalloc)(size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void (*next_free)(void *);
static int resolving, resolved;

static _Alignas(64) unsigned char boot[64 << 10];
static size_t boot_used;

static void *boot_alloc(size_t size)
{
    size_t at = __atomic_fetch_add(&boot_used, (size + 63) & ~(size_t)63, __ATOMIC_RELAXED);
    return at + size <= sizeof boot ? boot + at : NULL; /* zeroed: static memory */
}

static int is_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof boot;
}

static void resolve(void)
{
    if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE) || __atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL))
        return;
    next_malloc = dlsym(RTLD_NEXT, "malloc");
    next_calloc = dlsym(RTLD_NEXT, "calloc");
    next_realloc = dlsym(RTLD_NEXT, "realloc");
    next_reallocarray = dlsym(RTLD_NEXT, "reallocarray");
    next_free = dlsym(RTLD_NEXT, "free");
    next_memalign = dlsym(RTLD_NEXT, "memalign");
    next_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    next_valloc = dlsym(RTLD_NEXT, "valloc");
    next_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
    next_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
}

static int ready(void)
{
    if (__builtin_expect(__atomic_load_n(&resolved, __ATOMIC_ACQUIRE), 1))
        return 1;
    resolve();
    return __atomic_load_n(&resolved, __ATOMIC_ACQUIRE);
}

/* ---- per thread: inside a wrapped call (nested calls pass through) ---- */

static __thread int busy __attribute__((tls_model("initial-exec")));

/* ---- LTTng-UST's own code: its calls are not the program's ---- */

typedef struct range {
    uintptr_t lo, hi;
} range;
static range tracer[16];
static int ntracer = -1;

static int add_tracer(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "liblttng-ust") || ntracer >= 16)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && ntracer < 16)
            tracer[ntracer++] = (range){info->dlpi_addr + ph->p_vaddr, info->dlpi_addr + ph->p_vaddr + ph->p_memsz};
    }
    return 0;
}

static int from_tracer(const void *caller)
{
    if (__atomic_load_n(&ntracer, __ATOMIC_ACQUIRE) < 0) {
        int zero = 0;
        ntracer = 0;
        dl_iterate_phdr(add_tracer, &zero);
    }
    for (int i = 0; i < ntracer; i++)
        if ((uintptr_t)caller >= tracer[i].lo && (uintptr_t)caller < tracer[i].hi)
            return 1;
    return 0;
}

/* ---- emitting ---- */

static int depth_limit(void)
{
    static int limit;
    if (!limit) {
        const char *s = getenv("MALLOC_TRACEBTDEPTH");
        int v = s ? atoi(s) : 64;
        limit = v < 1 ? 1 : v > MAX_DEPTH - 1 ? MAX_DEPTH - 1 : v;
    }
    return limit;
}

/* The caller's backtrace, innermost first, without the wrapper's own frame. */
static __attribute__((always_inline)) inline uint32_t backtrace_of(uint64_t *out)
{
    void *ips[MAX_DEPTH];
    int n = unw_backtrace(ips, depth_limit() + 1);
    uint32_t k = 0;
    for (int i = 1; i < n; i++)
        out[k++] = (uint64_t)(uintptr_t)ips[i];
    return k;
}

/* Emits heaprr:name when a session wants it (and the call is the program's). */
#define EMIT(name, caller, ptr, old, size, count, align, failed, err)                                 \
    do {                                                                                           \
        if (lttng_ust_tracepoint_enabled(heaprr, name) && !from_tracer(caller)) {                   \
            uint64_t st_[MAX_DEPTH];                                                               \
            uint32_t d_ = backtrace_of(st_);                                                       \
            lttng_ust_do_tracepoint(heaprr, name, (uintptr_t)(ptr), (uintptr_t)(old), (size), (count), \
                                    (align), (failed), (err), st_, d_);                            \
        }                                                                                          \
    } while (0)

/* The shape of every C entry point: pass through when nested or not ready, else call and emit. */
#define ALLOC_HOOK(name, params, call, boot_expr, size_e, count_e, align_e)                          \
    EXPORT void *name params                                                                        \
    {                                                                                               \
        if (!ready())                                                                               \
            return boot_expr;                                                                       \
        if (busy)                                                                                   \
            return call;                                                                            \
        busy = 1;                                                                                   \
        void *p = call;                                                                             \
        int err = errno;                                                                            \
        EMIT(name, __builtin_return_address(0), p, 0, (size_e), (count_e), (align_e), p == NULL, p ? 0 : err); \
        busy = 0;                                                                                   \
        errno = err;                                                                                \
        return p;                                                                                   \
    }

ALLOC_HOOK(malloc, (size_t size), next_malloc(size), boot_alloc(size), size, 0, 0)
ALLOC_HOOK(calloc, (size_t n, size_t size), next_calloc(n, size), boot_alloc(n * size), size, n, 0)
ALLOC_HOOK(memalign, (size_t align, size_t size), next_memalign(align, size), boot_alloc(size), size, 0, align)
ALLOC_HOOK(aligned_alloc, (size_t align, size_t size), next_aligned_alloc(align, size), boot_alloc(size), size, 0,
           align)
ALLOC_HOOK(valloc, (size_t size), next_valloc(size), boot_alloc(size), size, 0, 4096)
ALLOC_HOOK(pvalloc, (size_t size), next_pvalloc(size), boot_alloc(size), size, 0, 4096)

EXPORT void free(void *p)
{
    if (is_boot(p) || !ready())
        return;
    if (busy) {
        next_free(p);
        return;
    }
    busy = 1;
    int err = errno;
    EMIT(free, __builtin_return_address(0), p, 0, 0, 0, 0, 0, 0); /* before: the address may be reused */
    next_free(p);
    busy = 0;
    errno = err;
}

static void *realloc_common(int array, void *old, size_t n, size_t size, const void *caller)
{
    void *p = array ? next_reallocarray(old, n, size) : next_realloc(old, size);
    int err = errno;
    size_t total = n * size;
    int failed = !p && !(old && total == 0); /* realloc(p, 0) freed p */
    if (array)
        EMIT(reallocarray, caller, p, old, size, n, 0, failed, failed ? err : 0);
    else
        EMIT(realloc, caller, p, old, size, 0, 0, failed, failed ? err : 0);
    errno = err;
    return p;
}

EXPORT void *realloc(void *old, size_t size)
{
    if (is_boot(old)) { /* a bootstrap block: copy it out */
        void *p = malloc(size);
        if (p && old)
            memcpy(p, old, size < (size_t)(boot + sizeof boot - (unsigned char *)old) ? size
                                                                                  : (size_t)(boot + sizeof boot - (unsigned char *)old));
        return p;
    }
    if (!ready())
        return boot_alloc(size);
    if (busy)
        return next_realloc(old, size);
    busy = 1;
    void *p = realloc_common(0, old, 1, size, __builtin_return_address(0));
    busy = 0;
    return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    if (!ready() || !next_reallocarray || is_boot(old)) {
        size_t total;
        if (__builtin_mul_overflow(n, size, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return realloc(old, total);
    }
    if (busy)
        return next_reallocarray(old, n, size);
    busy = 1;
    void *p = realloc_common(1, old, n, size, __builtin_return_address(0));
    busy = 0;
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!ready()) {
        *out = boot_alloc(size);
        return *out ? 0 : ENOMEM;
    }
    if (busy)
        return next_posix_memalign(out, align, size);
    busy = 1;
    int saved = errno;
    int rc = next_posix_memalign(out, align, size);
    EMIT(posix_memalign, __builtin_return_address(0), rc == 0 ? *out : NULL, 0, size, 0, align, rc != 0, rc);
    busy = 0;
    errno = saved;
    return rc;
}

/* ---- C++ operators, under their mangled names ---- */

#pragma GCC diagnostic ignored "-Wmissing-prototypes"

static void *sym(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* Leaves busy as it was when the scope ends, exception or not. */
static void unbusy(int *was)
{
    busy = *was;
}

#define NEW_HOOK(mangled, tp, params, args, size_e, align_e, fallback)                                  \
    EXPORT void *mangled params                                                                      \
    {                                                                                                \
        static void *(*real) params;                                                                 \
        if (!real)                                                                                   \
            real = (void *(*)params)sym(#mangled);                                                   \
        if (busy)                                                                                    \
            return real ? real args : fallback;                                                      \
        int was __attribute__((cleanup(unbusy))) = 0;                                                \
        busy = 1;                                                                                    \
        void *p = real ? real args : fallback;                                                       \
        EMIT(tp, __builtin_return_address(0), p, 0, (size_e), 0, (align_e), p == NULL, p ? 0 : ENOMEM); \
        return p;                                                                                    \
    }

#define DEL_HOOK(mangled, tp, params, args, size_e, align_e)                                          \
    EXPORT void mangled params                                                                       \
    {                                                                                                \
        static void (*real) params;                                                                  \
        if (!real)                                                                                   \
            real = (void (*)params)sym(#mangled);                                                    \
        if (busy) {                                                                                  \
            if (real)                                                                                \
                real args;                                                                           \
            else                                                                                     \
                free(p);                                                                             \
            return;                                                                                  \
        }                                                                                            \
        int was __attribute__((cleanup(unbusy))) = 0;                                                \
        busy = 1;                                                                                    \
        EMIT(tp, __builtin_return_address(0), p, 0, (size_e), 0, (align_e), 0, 0);                   \
        if (real)                                                                                    \
            real args;                                                                               \
        else                                                                                         \
            next_free(p);                                                                            \
    }

NEW_HOOK(_Znwm, new, (size_t size), (size), size, 0, malloc(size))
NEW_HOOK(_Znam, new_array, (size_t size), (size), size, 0, malloc(size))
NEW_HOOK(_ZnwmRKSt9nothrow_t, new, (size_t size, const void *nt), (size, nt), size, 0, malloc(size))
NEW_HOOK(_ZnamRKSt9nothrow_t, new_array, (size_t size, const void *nt), (size, nt), size, 0, malloc(size))
NEW_HOOK(_ZnwmSt11align_val_t, new, (size_t size, size_t al), (size, al), size, al, aligned_alloc(al, size))
NEW_HOOK(_ZnamSt11align_val_t, new_array, (size_t size, size_t al), (size, al), size, al, aligned_alloc(al, size))
NEW_HOOK(_ZnwmSt11align_val_tRKSt9nothrow_t, new, (size_t size, size_t al, const void *nt), (size, al, nt), size, al,
         aligned_alloc(al, size))
NEW_HOOK(_ZnamSt11align_val_tRKSt9nothrow_t, new_array, (size_t size, size_t al, const void *nt), (size, al, nt), size,
         al, aligned_alloc(al, size))

DEL_HOOK(_ZdlPv, delete, (void *p), (p), 0, 0)
DEL_HOOK(_ZdaPv, delete_array, (void *p), (p), 0, 0)
DEL_HOOK(_ZdlPvm, delete, (void *p, size_t size), (p, size), size, 0)
DEL_HOOK(_ZdaPvm, delete_array, (void *p, size_t size), (p, size), size, 0)
DEL_HOOK(_ZdlPvSt11align_val_t, delete, (void *p, size_t al), (p, al), 0, al)
DEL_HOOK(_ZdaPvSt11align_val_t, delete_array, (void *p, size_t al), (p, al), 0, al)
DEL_HOOK(_ZdlPvmSt11align_val_t, delete, (void *p, size_t size, size_t al), (p, size, al), size, al)
DEL_HOOK(_ZdaPvmSt11align_val_t, delete_array, (void *p, size_t size, size_t al), (p, size, al), size, al)
DEL_HOOK(_ZdlPvRKSt9nothrow_t, delete, (void *p, const void *nt), (p, nt), 0, 0)
DEL_HOOK(_ZdaPvRKSt9nothrow_t, delete_array, (void *p, const void *nt), (p, nt), 0, 0)
DEL_HOOK(_ZdlPvSt11align_val_tRKSt9nothrow_t, delete, (void *p, size_t al, const void *nt), (p, al, nt), 0, al)
DEL_HOOK(_ZdaPvSt11align_val_tRKSt9nothrow_t, delete_array, (void *p, size_t al, const void *nt), (p, al, nt), 0, al)

EXPORT size_t malloc_usable_size(void *p)
{
    static size_t (*real)(void *);
    if (is_boot(p))
        return 0;
    if (!real)
        real = (size_t(*)(void *))sym("malloc_usable_size");
    return real ? real(p) : 0;
}
