/* SPDX-License-Identifier: MIT */
/* The recorder's own allocations (writer, zstd contexts, tables) come from mmap, so they are never
 * recorded, never recurse into the hooks, and survive a program that corrupts its heap. They are
 * few and mostly long-lived, so one mapping per allocation is simple and good enough. */
#include "recorder.h"

#include <string.h>
#include <sys/mman.h>

#define HDR 16 /* keeps 16-byte alignment; holds the mapping size */

void *hr_mem_alloc(size_t size)
{
    size_t total = size + HDR;
    if (total < size)
        return NULL;
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *(size_t *)p = total;
    return (char *)p + HDR;
}

void hr_mem_free(void *p)
{
    if (!p)
        return;
    char *base = (char *)p - HDR;
    munmap(base, *(size_t *)base);
}

char *hr_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = hr_mem_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void *hook_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return hr_mem_alloc(size);
}

static void hook_free(void *opaque, void *p)
{
    (void)opaque;
    hr_mem_free(p);
}

const hr_alloc hr_mem_hooks = {hook_alloc, hook_free, NULL, 1}; /* mmap: zero-filled */
