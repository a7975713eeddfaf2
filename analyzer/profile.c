/* SPDX-License-Identifier: MIT */
/* The one-pass profile (include/heaprr/profile.h). Live bytes per site at the peak: when a new
 * peak is reached only a counter (the epoch) moves; a site saves what it had at the latest peak
 * the first time it changes afterwards, so the figures at the final peak cost O(1) per event. */
#include <heaprr/analyze.h>
#include <heaprr/bigmem.h>
#include <heaprr/keyed.h>
#include <heaprr/profile.h>

#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUCKET_NS 10000000ull

typedef struct per_thread {
    uint64_t last_alloc; /* the sequence number of the thread's last allocation + 1 (unique to its block); 0: none */
    uint32_t figures;    /* its entry in the profile's threads + 1; 0: none yet */
} per_thread;

typedef struct pass {
    hr_profile *p;
    hr_heap *heap;
    uint64_t *index; /* stack + 1 -> site + 1, open addressing over pairs */
    size_t mask, used;
    uint64_t epoch; /* peaks reached so far */
    per_thread *pt; /* by thread index */
    size_t npt;
    size_t cap_sites;
} pass;

static int grow_index(pass *s)
{
    uint64_t *idx = hr_keyed_grow(s->index, &s->mask, 2 * sizeof *idx, 1024);
    if (!idx)
        return HR_ERR_NOMEM;
    s->index = idx;
    return 0;
}

static hr_site *site_of(pass *s, uint64_t stack)
{
    if ((s->used + 1) * 2 > (s->index ? s->mask + 1 : 0) && grow_index(s) < 0)
        return NULL;
    uint64_t *e = hr_keyed_probe(s->index, s->mask, 2 * sizeof *e, stack + 1);
    if (e[0])
        return &s->p->sites[e[1] - 1];
    hr_profile *p = s->p;
    if (p->nsites == s->cap_sites) {
        size_t cap = s->cap_sites ? s->cap_sites * 2 : 64;
        hr_site *n = realloc(p->sites, cap * sizeof *n);
        if (!n)
            return NULL;
        p->sites = n;
        s->cap_sites = cap;
    }
    hr_site *site = &p->sites[p->nsites++];
    memset(site, 0, sizeof *site);
    site->stack = stack;
    e[0] = stack + 1;
    e[1] = p->nsites;
    s->used++;
    return site;
}

/* Saves what the site held at the latest peak before it changes. */
static void touch(const pass *s, hr_site *site)
{
    if (site->snap_epoch != s->epoch) {
        site->snap_bytes = site->live_bytes;
        site->snap_blocks = site->live_blocks;
        site->snap_epoch = s->epoch;
    }
}

static per_thread *per_thread_of(pass *s, uint32_t thread)
{
    if (thread >= s->npt) {
        size_t n = (size_t)thread + 64;
        per_thread *t = realloc(s->pt, n * sizeof *t);
        if (!t)
            return NULL;
        memset(t + s->npt, 0, (n - s->npt) * sizeof *t);
        s->pt = t;
        s->npt = n;
    }
    return &s->pt[thread];
}

static hr_thread_figures *thread_of(pass *s, const hr_record *rec)
{
    hr_profile *p = s->p;
    per_thread *pt = per_thread_of(s, rec->thread);
    if (!pt)
        return NULL;
    if (pt->figures)
        return &p->threads[pt->figures - 1];
    hr_thread_figures *n = realloc(p->threads, (p->nthreads + 1) * sizeof *n);
    if (!n)
        return NULL;
    p->threads = n;
    hr_thread_figures *t = &p->threads[p->nthreads++];
    memset(t, 0, sizeof *t);
    t->index = rec->thread;
    pt->figures = (uint32_t)p->nthreads;
    return t;
}

static uint64_t *last_of(pass *s, uint32_t thread)
{
    per_thread *pt = per_thread_of(s, thread);
    return pt ? &pt->last_alloc : NULL;
}

static hr_sample *sample_at(pass *s, uint64_t time_ns)
{
    hr_profile *p = s->p;
    size_t b = (size_t)(time_ns / p->bucket_ns);
    if (b >= (size_t)1 << 26)
        b = ((size_t)1 << 26) - 1; /* absurd times share the last bucket */
    if (b >= p->nsamples) {
        size_t cap = 64;
        while (cap <= b)
            cap *= 2;
        hr_sample *n = realloc(p->samples, cap * sizeof *n);
        if (!n)
            return NULL;
        uint64_t carry = p->nsamples ? n[p->nsamples - 1].live_end : 0;
        for (size_t i = p->nsamples; i < cap; i++)
            n[i] = (hr_sample){0, 0, carry, carry};
        p->samples = n;
        p->nsamples = b + 1;
    }
    return &p->samples[b];
}

static int on_alloc(pass *s, const hr_record *rec, const hr_block *b, hr_thread_figures *t)
{
    hr_site *site = site_of(s, b->stack);
    uint64_t *last = last_of(s, rec->thread);
    hr_sample *smp = sample_at(s, rec->time_ns);
    if (!site || !last || !smp)
        return HR_ERR_NOMEM;
    touch(s, site);
    site->calls++;
    site->bytes += b->size;
    site->live_bytes += b->size;
    site->live_blocks++;
    t->allocs++;
    t->bytes += b->size;
    *last = b->seq + 1;
    smp->allocs++;
    smp->bytes += b->size;
    s->p->allocs++;
    s->p->bytes += b->size;
    return 0;
}

static int on_free(pass *s, const hr_record *rec, const hr_block *b, hr_thread_figures *t)
{
    hr_site *site = site_of(s, b->stack);
    uint64_t *last = last_of(s, rec->thread);
    if (!site || !last)
        return HR_ERR_NOMEM;
    touch(s, site);
    site->frees++;
    site->live_bytes -= b->size;
    site->live_blocks--;
    t->frees++;
    s->p->frees++;
    if (*last == b->seq + 1 && hr_kind_is_free(rec->u.event.kind)) {
        /* freed with nothing allocated on this thread since: a temporary allocation */
        site->temporary++;
        t->temporary++;
        s->p->temporary++;
    }
    *last = 0;
    return 0;
}

static void after(pass *s, const hr_record *rec)
{
    hr_profile *p = s->p;
    uint64_t live = hr_heap_live_bytes(s->heap);
    hr_sample *smp = sample_at(s, rec->time_ns);
    if (smp) {
        if (live > smp->live_max)
            smp->live_max = live;
        smp->live_end = live;
    }
    if (live > p->peak_bytes) {
        p->peak_bytes = live;
        p->peak_blocks = hr_heap_live_blocks(s->heap);
        p->peak_seq = rec->seq;
        p->peak_time_ns = rec->time_ns;
        s->epoch++;
    }
}

static int event(pass *s, const hr_record *rec)
{
    hr_heap_change c;
    hr_profile *p = s->p;
    hr_thread_figures *t = thread_of(s, rec);
    if (!t)
        return HR_ERR_NOMEM;
    p->calls++;
    t->calls++;
    if (rec->u.event.xflags & HR_XF_FAILED)
        p->failed++;
    int rc = hr_heap_apply(s->heap, rec, &c);
    if (rc == 0 && c.released)
        rc = on_free(s, rec, &c.freed, t);
    if (rc == 0 && c.allocated)
        rc = on_alloc(s, rec, &c.alloc, t);
    if (rc == 0)
        after(s, rec);
    return rc;
}

static void thread_info(pass *s, const hr_record *rec)
{
    hr_thread_figures *t = thread_of(s, rec);
    if (!t)
        return;
    if (rec->type == HR_REC_THREAD_START)
        t->tid = rec->u.thread.tid;
    size_t n = rec->u.thread.name.len < sizeof t->name - 1 ? rec->u.thread.name.len : sizeof t->name - 1;
    if (n) {
        memcpy(t->name, rec->u.thread.name.ptr, n);
        t->name[n] = 0;
    }
}

/* The peak figures of every site, from their snapshots. */
static void finish(pass *s)
{
    hr_profile *p = s->p;
    for (size_t i = 0; i < p->nsites; i++) {
        hr_site *site = &p->sites[i];
        int changed = site->snap_epoch == s->epoch; /* it changed since the final peak */
        site->peak_bytes = changed ? site->snap_bytes : site->live_bytes;
        site->peak_blocks = changed ? site->snap_blocks : site->live_blocks;
        p->leaked_bytes += site->live_bytes;
        p->leaked_blocks += site->live_blocks;
    }
}

int hr_profile_compute(hr_reader *r, uint64_t bucket_ns, hr_profile *p)
{
    memset(p, 0, sizeof *p);
    p->bucket_ns = bucket_ns ? bucket_ns : DEFAULT_BUCKET_NS;
    pass s = {p, hr_heap_new(), NULL, 0, 0, 0, NULL, 0, 0};
    if (!s.heap)
        return HR_ERR_NOMEM;
    hr_feed *f = hr_feed_open(r, s.heap);
    if (!f) {
        hr_heap_free(s.heap);
        return HR_ERR_NOMEM;
    }
    const hr_record *rec;
    int rc;
    while ((rc = hr_feed_next(f, &rec)) > 0) {
        if (rec->type == HR_REC_EVENT)
            rc = event(&s, rec);
        else if (rec->type == HR_REC_THREAD_START || rec->type == HR_REC_THREAD_NAME)
            thread_info(&s, rec);
        if (rec->time_ns > p->duration_ns)
            p->duration_ns = rec->time_ns;
        if (rc < 0)
            break;
    }
    hr_feed_close(f);
    if (rc == 0) {
        finish(&s);
        hr_reader_status st;
        hr_reader_status_get(r, &st);
        p->truncated = st.truncated;
    }
    hr_heap_free(s.heap);
    hr_big_free(s.index);
    free(s.pt);
    if (rc < 0)
        hr_profile_free(p);
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
