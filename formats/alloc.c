/* SPDX-License-Identifier: MIT */
/* Allocation through caller-supplied hooks, so that the recorder can use the writer without
 * recursing into the allocator it intercepts. */
#include "internal.h"

#include <heaprr/bigmem.h>

#include <stdlib.h>

static void *sys_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return malloc(size);
}

static void sys_free(void *opaque, void *ptr)
{
    (void)opaque;
    free(ptr);
}

const hr_alloc hr_default_alloc = {sys_alloc, sys_free, NULL, 0};

static void *big_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return hr_big_calloc(1, size);
}

static void big_free(void *opaque, void *ptr)
{
    (void)opaque;
    hr_big_free(ptr);
}

const hr_alloc hr_big_alloc = {big_alloc, big_free, NULL, 1};

void *hr_alloc_zeroed(const hr_alloc *a, size_t size)
{
    void *p = a->alloc(a->opaque, size);
    if (p && !a->zeroed)
        memset(p, 0, size);
    return p;
}
