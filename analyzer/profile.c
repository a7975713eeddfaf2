/* SPDX-License-Identifier: MIT */
/* The profile of a trace (include/heaprr/profile.h): the figures of its index, as the reports
 * print them. */
#include <heaprr/analyze.h>
#include <heaprr/profile.h>

#include <stdlib.h>
#include <string.h>

static void *copy_of(const void *src, size_t n, size_t size, int *failed)
{
    if (!n)
        return NULL;
    void *p = malloc(n * size);
    if (!p)
        *failed = 1;
    else
        memcpy(p, src, n * size);
    return p;
}

static void sites_of(const hr_index *ix, hr_site *out)
{
    for (size_t i = 0; i < ix->nsites; i++) {
        const hr_ix_site *s = &ix->sites[i];
        out[i] = (hr_site){s->stack,      s->calls,       s->bytes,      s->frees,      s->temporary,
                           s->live_bytes, s->live_blocks, s->peak_bytes, s->peak_blocks};
    }
}

static void threads_of(const hr_index *ix, hr_thread_figures *out)
{
    for (size_t i = 0; i < ix->nthreads; i++) {
        const hr_ix_thread *t = &ix->threads[i];
        hr_thread_figures *f = &out[i];
        memset(f, 0, sizeof *f);
        f->index = t->index;
        f->tid = t->tid;
        size_t n = t->name.len < sizeof f->name - 1 ? t->name.len : sizeof f->name - 1;
        memcpy(f->name, t->name.ptr, n);
        f->calls = t->calls;
        f->allocs = t->allocs;
        f->frees = t->frees;
        f->bytes = t->bytes;
        f->temporary = t->temporary;
    }
}

int hr_profile_from_index(const hr_index *ix, int truncated, hr_profile *p)
{
    memset(p, 0, sizeof *p);
    int failed = 0;
    p->sites = ix->nsites ? malloc(ix->nsites * sizeof *p->sites) : NULL;
    p->threads = ix->nthreads ? malloc(ix->nthreads * sizeof *p->threads) : NULL;
    p->samples = copy_of(ix->samples, ix->nsamples, sizeof *ix->samples, &failed);
    if (failed || (ix->nsites && !p->sites) || (ix->nthreads && !p->threads)) {
        hr_profile_free(p);
        return HR_ERR_NOMEM;
    }
    sites_of(ix, p->sites);
    threads_of(ix, p->threads);
    p->nsites = ix->nsites;
    p->nthreads = ix->nthreads;
    p->nsamples = ix->nsamples;
    p->bucket_ns = ix->bucket_ns;
    p->calls = ix->calls;
    p->allocs = ix->allocs;
    p->frees = ix->frees;
    p->failed = ix->failed;
    p->injected = ix->injected;
    p->bytes = ix->bytes;
    p->temporary = ix->temporary;
    p->peak_bytes = ix->peak_bytes;
    p->peak_blocks = ix->peak_blocks;
    p->peak_seq = ix->peak_seq;
    p->peak_time_ns = ix->peak_time_ns;
    p->leaked_bytes = ix->leaked_bytes;
    p->leaked_blocks = ix->leaked_blocks;
    p->duration_ns = ix->duration_ns;
    p->truncated = truncated;
    return 0;
}

int hr_profile_compute(hr_reader *r, uint64_t bucket_ns, hr_profile *p)
{
    memset(p, 0, sizeof *p);
    hr_index ix;
    hr_indexer_config cfg = {.bucket_ns = bucket_ns};
    int rc = hr_index_compute(r, &cfg, &ix);
    if (rc < 0)
        return rc;
    rc = hr_profile_from_index(&ix, hr_trace_truncated(r), p);
    hr_index_free(&ix);
    return rc;
}

void hr_profile_free(hr_profile *p)
{
    free(p->sites);
    free(p->threads);
    free(p->samples);
    memset(p, 0, sizeof *p);
}

static hr_site_order sort_order;

static uint64_t key(const hr_site *s)
{
    switch (sort_order) {
    case HR_BY_CALLS: return s->calls;
    case HR_BY_BYTES: return s->bytes;
    case HR_BY_PEAK: return s->peak_bytes;
    default: return s->live_bytes;
    }
}

static int compare(const void *a, const void *b)
{
    uint64_t x = key(a), y = key(b);
    if (x != y)
        return x > y ? -1 : 1;
    uint64_t sa = ((const hr_site *)a)->stack, sb = ((const hr_site *)b)->stack;
    return sa < sb ? -1 : sa > sb;
}

void hr_profile_sort(hr_profile *p, hr_site_order order)
{
    sort_order = order;
    if (p->nsites > 1) /* none: sites may be NULL, which qsort must not get */
        qsort(p->sites, p->nsites, sizeof *p->sites, compare);
}
