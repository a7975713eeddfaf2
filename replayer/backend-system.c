/* SPDX-License-Identifier: MIT */
/* A real allocator as a replay backend: the C library's malloc, or the malloc family exported by a
 * shared object (libjemalloc, libmimalloc, ...) loaded privately, so that the tool's own
 * allocations keep using the C library. Footprint is the process's resident memory. */
#define _GNU_SOURCE
#include "backend.h"

#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sysalloc {
    void *handle;
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    size_t (*usable)(void *);
    int (*mallopt)(int, int);
} sysalloc;

static int sys_alloc(void *self, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out)
{
    sysalloc *s = self;
    (void)owner;
    void *p = NULL;
    if (size > SIZE_MAX / 2)
        return HR_ERR_LIMIT;
    if (align > 16) {
        if (s->posix_memalign(&p, align, size) != 0)
            p = NULL;
    } else {
        p = s->malloc(size);
    }
    if (!p)
        return HR_ERR_LIMIT;
    *out = (hr_mblock){(uintptr_t)p, 0, HR_BH_LARGE};
    return 0;
}

static void sys_free(void *self, const hr_mblock *b)
{
    ((sysalloc *)self)->free((void *)(uintptr_t)b->addr);
}

static int sys_realloc(void *self, hr_mblock *b, uint64_t size, uint64_t owner)
{
    sysalloc *s = self;
    (void)owner;
    if (size > SIZE_MAX / 2)
        return HR_ERR_LIMIT;
    void *p = s->realloc((void *)(uintptr_t)b->addr, size ? size : 1);
    if (!p)
        return HR_ERR_LIMIT;
    b->addr = (uintptr_t)p;
    return 0;
}

static uint8_t *sys_memory(void *self, const hr_mblock *b, int64_t *lo, int64_t *hi)
{
    sysalloc *s = self;
    void *p = (void *)(uintptr_t)b->addr;
    *lo = 0; /* only the block's own usable bytes: the allocator's metadata is its own business */
    *hi = s->usable ? (int64_t)s->usable(p) : 0;
    return p;
}

static uint64_t sys_footprint(void *self)
{
    (void)self;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int sys_mallopt(void *self, int param, int value)
{
    sysalloc *s = self;
    return s->mallopt ? s->mallopt(param, value) : 0;
}

static void sys_destroy(void *self)
{
    sysalloc *s = self;
    /* the library stays loaded: blocks it handed out may still be referenced by its own threads */
    free(s);
}

static int say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

int hr_backend_system(hr_backend *be, const char *path, char *why, size_t why_size)
{
    sysalloc *s = calloc(1, sizeof *s);
    if (!s)
        return say(why, why_size, "out of memory");
    if (!path) {
        *s = (sysalloc){NULL, malloc, free, realloc, posix_memalign, malloc_usable_size, mallopt};
        *be = (hr_backend){s,          "system",      0,           sys_alloc,  sys_free,
                           sys_realloc, sys_memory, sys_footprint, sys_destroy, sys_mallopt};
        return 0;
    }
    s->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!s->handle) {
        say(why, why_size, "cannot load allocator %s: %s", path, dlerror());
        free(s);
        return -1;
    }
    s->malloc = (void *(*)(size_t))dlsym(s->handle, "malloc");
    s->free = (void (*)(void *))dlsym(s->handle, "free");
    s->realloc = (void *(*)(void *, size_t))dlsym(s->handle, "realloc");
    s->posix_memalign = (int (*)(void **, size_t, size_t))dlsym(s->handle, "posix_memalign");
    s->usable = (size_t(*)(void *))dlsym(s->handle, "malloc_usable_size");
    s->mallopt = (int (*)(int, int))dlsym(s->handle, "mallopt");
    if (!s->malloc || !s->free || !s->realloc || !s->posix_memalign) {
        say(why, why_size, "allocator %s does not export malloc, free, realloc and posix_memalign", path);
        free(s);
        return -1;
    }
    /* dlsym also finds the symbols of the library's dependencies: its malloc must be its own */
    struct link_map *lm = NULL;
    Dl_info mine, found;
    if (dlinfo(s->handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && dladdr(lm->l_ld, &mine) &&
        dladdr((void *)s->malloc, &found) && mine.dli_fbase != found.dli_fbase) {
        say(why, why_size, "allocator %s does not define malloc itself (it would be %s's)", path,
            found.dli_fname ? found.dli_fname : "another library");
        free(s);
        return -1;
    }
    if (s->mallopt && (!dladdr((void *)s->mallopt, &found) || found.dli_fbase != mine.dli_fbase))
        s->mallopt = NULL; /* the C library's, not the allocator's */
    *be = (hr_backend){s, path, 0, sys_alloc, sys_free, sys_realloc, sys_memory, sys_footprint, sys_destroy, sys_mallopt};
    return 0;
}
