/* SPDX-License-Identifier: MIT */
/* The band/arena model as a replay backend. */
#include "backend.h"

static int band_alloc(void *self, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out)
{
    return hr_bh_alloc(self, size, align, owner, out);
}

static void band_free(void *self, const hr_mblock *b)
{
    hr_bh_free(self, b);
}

static int band_realloc(void *self, hr_mblock *b, uint64_t size, uint64_t owner)
{
    return hr_bh_realloc(self, b, size, owner);
}

static uint8_t *band_memory(void *self, const hr_mblock *b, int64_t *lo, int64_t *hi)
{
    hr_bandheap *h = self;
    uint64_t a, z;
    hr_bh_span(h, b, &a, &z);
    *lo = (int64_t)a - (int64_t)b->addr;
    *hi = (int64_t)z - (int64_t)b->addr;
    return hr_simos_host(&h->os, b->addr);
}

static uint64_t band_footprint(void *self)
{
    return ((hr_bandheap *)self)->os.mapped;
}

static void band_destroy(void *self)
{
    (void)self; /* the heap belongs to the engine */
}

void hr_backend_band(hr_backend *be, hr_bandheap *h)
{
    *be = (hr_backend){h, "band", 1, band_alloc, band_free, band_realloc, band_memory, band_footprint, band_destroy, NULL};
}
