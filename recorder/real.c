/* SPDX-License-Identifier: MIT */
/* Finds the allocator we interpose on (the next definition after libheaprr.so, usually glibc's,
 * possibly another preloaded allocator) with dlsym(RTLD_NEXT). dlsym itself may allocate, so
 * calls made while it runs are served from a static bootstrap buffer and never reach the real
 * allocator; frees of those blocks are recognised and ignored. */
#define _GNU_SOURCE
#include "recorder.h"

#include <dlfcn.h>
#include <string.h>

hr_real hr_next;
hr_libc_fns hr_libc;
int hr_real_ready;

static int resolving;

#define BOOT_SIZE (256u << 10)
static _Alignas(64) unsigned char boot_buf[BOOT_SIZE];
static size_t boot_used;

void *hr_boot_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    for (;;) {
        size_t used = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
        size_t start = (used + 16 + align - 1) & ~(align - 1); /* 16 bytes before: the size */
        if (start + size > BOOT_SIZE || start + size < start)
            return NULL;
        if (__atomic_compare_exchange_n(&boot_used, &used, start + size, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            *(size_t *)(boot_buf + start - 16) = size;
            return boot_buf + start; /* static memory is zero: calloc semantics hold */
        }
    }
}

int hr_boot_owns(const void *p)
{
    return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + BOOT_SIZE;
}

size_t hr_boot_size(const void *p)
{
    return *(const size_t *)((const unsigned char *)p - 16);
}

void *hr_real_sym(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

#define RESOLVE(field, name) hr_next.field = (__typeof__(hr_next.field))dlsym(RTLD_NEXT, name)
#define RESOLVE_LIBC(field, name) hr_libc.field = (__typeof__(hr_libc.field))dlsym(RTLD_NEXT, name)

/* Everything else the hooks wrap, resolved here too: a lookup that fails allocates (dlerror's
 * message), which here lands in the bootstrap buffer instead of the program's heap. */
static void resolve_libc(void)
{
    RESOLVE_LIBC(pthread_create, "pthread_create");
    RESOLVE_LIBC(pthread_exit, "pthread_exit");
    RESOLVE_LIBC(pthread_setname_np, "pthread_setname_np");
    RESOLVE_LIBC(fork, "fork");
    RESOLVE_LIBC(fork_nohandlers, "_Fork");
    RESOLVE_LIBC(dlopen, "dlopen");
    RESOLVE_LIBC(dlmopen, "dlmopen");
    RESOLVE_LIBC(dlclose, "dlclose");
    RESOLVE_LIBC(execve, "execve");
    RESOLVE_LIBC(execvpe, "execvpe");
    RESOLVE_LIBC(fexecve, "fexecve");
    RESOLVE_LIBC(posix_spawn, "posix_spawn");
    RESOLVE_LIBC(posix_spawnp, "posix_spawnp");
}

void hr_real_init(void)
{
    if (__atomic_load_n(&hr_real_ready, __ATOMIC_ACQUIRE))
        return;
    int expected = 0;
    if (!__atomic_compare_exchange_n(&resolving, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return; /* another thread (or this one, recursively) is resolving: callers use boot */
    RESOLVE(malloc, "malloc");
    RESOLVE(free, "free");
    RESOLVE(calloc, "calloc");
    RESOLVE(realloc, "realloc");
    RESOLVE(reallocarray, "reallocarray");
    RESOLVE(memalign, "memalign");
    RESOLVE(posix_memalign, "posix_memalign");
    RESOLVE(aligned_alloc, "aligned_alloc");
    RESOLVE(valloc, "valloc");
    RESOLVE(pvalloc, "pvalloc");
    RESOLVE(malloc_usable_size, "malloc_usable_size");
    RESOLVE(mallopt, "mallopt");
    resolve_libc();
    if (!hr_next.malloc || !hr_next.free || !hr_next.calloc || !hr_next.realloc) {
        hr_log("cannot find the malloc family after libheaprr.so; is it linked against libc?");
        return; /* stay in bootstrap mode: better than crashing */
    }
    __atomic_store_n(&hr_real_ready, 1, __ATOMIC_RELEASE);
}
