/* SPDX-License-Identifier: MIT */
/* Computing a trace's index (include/heaprr/index.h) from its records. Live bytes per site at the
 * peak: when a new peak is reached only a counter (the epoch) moves; a site saves what it had at
 * the latest peak the first time it changes afterwards, so the figures at the final peak cost O(1)
 * per event. A temporary allocation is one its thread frees with no allocation of its own in
 * between. */
#include <heaprr/index.h>

#include "internal.h"

#define NAME_MAX_BYTES 255

typedef struct snapshot {
    uint64_t bytes, blocks, epoch; /* what the site held at the latest peak, if epoch is current */
} snapshot;

typedef struct site_slot {
    uint64_t key; /* stack + 1; 0: empty */
    uint64_t site;
} site_slot;

typedef struct per_thread {
    uint64_t last_alloc; /* the sequence number of the thread's last allocation + 1; 0: none */
    uint32_t figures;    /* its entry in threads + 1; 0: none yet */
} per_thread;

struct hr_indexer {
    const hr_alloc *a;
    size_t limit, memory; /* memory: besides the heap's */
    int stuck;            /* the error every call returns after a failure */
    hr_heap *heap;
    hr_index ix;
    size_t site_cap, snap_cap, thread_cap, sample_cap;
    snapshot *snaps;
    site_slot *site_index;
    size_t site_mask;
    uint64_t hot_stack, hot_site; /* the last site looked up (hot_stack = stack + 1) */
    uint64_t epoch;               /* peaks reached so far */
    per_thread *pt;               /* by thread index */
    size_t npt;
    uint8_t bin_by_len[65];        /* the bin of every size of a bit length, NO_BIN: not one */
    size_t sample_now;             /* the bucket of the last event: times [sample_lo, sample_hi) */
    uint64_t sample_lo, sample_hi;
};

#define NO_BIN 0xFF

uint32_t hr_index_default_bins(uint64_t *bounds)
{
    uint32_t n = 0;
    for (uint64_t le = 2; le <= 4096; le *= 2)
        bounds[n++] = le;
    bounds[n++] = UINT64_MAX;
    return n;
}

/* ---- memory ---- */

static void *get(hr_indexer *x, size_t bytes)
{
    void *p = hr_alloc_zeroed(x->a, bytes);
    if (p)
        x->memory += bytes;
    return p;
}

static void put(hr_indexer *x, void *p, size_t bytes)
{
    if (p) {
        x->a->free(x->a->opaque, p);
        x->memory -= bytes;
    }
}

/* Grows the array *arr of *cap elements of size bytes to hold at least need (keeping n of them). */
static int reserve(hr_indexer *x, void **arr, size_t *cap, size_t n, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *fresh = get(x, c * size);
    if (!fresh)
        return HR_ERR_NOMEM;
    if (*arr)
        memcpy(fresh, *arr, n * size);
    put(x, *arr, *cap * size);
    *arr = fresh;
    *cap = c;
    return 0;
}

static int check_bins(const uint64_t *b, uint32_t n)
{
    HR_RETURN_IF(n == 0 || n > HR_INDEX_BINS_MAX || b[n - 1] != UINT64_MAX, HR_ERR_ARG);
    for (uint32_t i = 1; i < n; i++)
        HR_RETURN_IF(b[i] <= b[i - 1], HR_ERR_ARG);
    return 0;
}

static uint32_t bin_search(const hr_index *ix, uint64_t size)
{
    uint32_t lo = 0, hi = ix->nbins - 1;
    while (lo < hi) { /* the first bin whose bound holds size */
        uint32_t mid = (lo + hi) / 2;
        if (ix->bins[mid].le >= size)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Sizes by bit length of size - 1: 0 for 0 and 1, k for (2^(k-1), 2^k]. */
static unsigned size_len(uint64_t size)
{
    return size <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(size - 1);
}

/* Power-of-two bins (the default ones) hold every size of a bit length: no search then. */
static void make_bin_lookup(hr_indexer *x)
{
    for (unsigned k = 0; k <= 64; k++) {
        uint64_t lo = k == 0 ? 0 : (1ull << (k - 1)) + 1, hi = k == 0 ? 1 : k == 64 ? UINT64_MAX : 1ull << k;
        uint32_t a = bin_search(&x->ix, lo), b = bin_search(&x->ix, hi);
        x->bin_by_len[k] = a == b ? (uint8_t)a : NO_BIN;
    }
}

static hr_ix_bin *bin_of(hr_indexer *x, uint64_t size)
{
    uint8_t b = x->bin_by_len[size_len(size)];
    return &x->ix.bins[b != NO_BIN ? b : bin_search(&x->ix, size)];
}

int hr_indexer_new(hr_indexer **out, const hr_indexer_config *cfg)
{
    *out = NULL;
    uint64_t def[HR_INDEX_BINS_MAX];
    const uint64_t *bins = cfg->bins ? cfg->bins : def;
    uint32_t nbins = cfg->bins ? cfg->nbins : hr_index_default_bins(def);
    HR_FORWARD(check_bins(bins, nbins));
    const hr_alloc *a = cfg->alloc ? cfg->alloc : &hr_big_alloc;
    hr_indexer *x = hr_alloc_zeroed(a, sizeof *x);
    if (!x)
        return HR_ERR_NOMEM;
    x->a = a;
    x->limit = cfg->memory_limit;
    x->ix.mem = a;
    x->ix.bucket_ns = cfg->bucket_ns ? cfg->bucket_ns : HR_INDEX_BUCKET_NS;
    x->ix.nbins = nbins;
    for (uint32_t i = 0; i < nbins; i++)
        x->ix.bins[i].le = bins[i];
    make_bin_lookup(x);
    if (!(x->heap = hr_heap_new(a))) {
        a->free(a->opaque, x);
        return HR_ERR_NOMEM;
    }
    *out = x;
    return 0;
}

static void free_names(hr_indexer *x, hr_index *ix)
{
    for (size_t i = 0; i < ix->nthreads; i++)
        if (ix->threads[i].name.len)
            put(x, (void *)ix->threads[i].name.ptr, ix->threads[i].name.len);
}

void hr_indexer_free(hr_indexer *x)
{
    if (!x)
        return;
    free_names(x, &x->ix);
    put(x, x->ix.sites, x->site_cap * sizeof *x->ix.sites);
    put(x, x->snaps, x->snap_cap * sizeof *x->snaps);
    put(x, x->ix.threads, x->thread_cap * sizeof *x->ix.threads);
    put(x, x->ix.samples, x->sample_cap * sizeof *x->ix.samples);
    if (x->site_index)
        put(x, x->site_index, (x->site_mask + 1) * sizeof *x->site_index);
    put(x, x->pt, x->npt * sizeof *x->pt);
    hr_heap_free(x->heap);
    x->a->free(x->a->opaque, x);
}

size_t hr_indexer_memory(const hr_indexer *x)
{
    return x->memory + hr_heap_memory(x->heap);
}

const hr_heap *hr_indexer_heap(const hr_indexer *x)
{
    return x->heap;
}

void hr_indexer_prefetch_refs(const hr_indexer *x, const hr_record *rec, const hr_heap_refs *refs)
{
    hr_heap_prefetch_refs(x->heap, rec, refs);
}

/* ---- sites ---- */

static site_slot *site_probe(site_slot *slots, size_t mask, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (size_t s = (size_t)(h ^ (h >> 29)) & mask;; s = (s + 1) & mask)
        if (slots[s].key == key || slots[s].key == 0)
            return &slots[s];
}

static int grow_site_index(hr_indexer *x)
{
    size_t n = x->site_index ? (x->site_mask + 1) * 2 : 1024;
    site_slot *fresh = get(x, n * sizeof *fresh);
    if (!fresh)
        return HR_ERR_NOMEM;
    for (size_t i = 0; x->site_index && i <= x->site_mask; i++)
        if (x->site_index[i].key)
            *site_probe(fresh, n - 1, x->site_index[i].key) = x->site_index[i];
    if (x->site_index)
        put(x, x->site_index, (x->site_mask + 1) * sizeof *x->site_index);
    x->site_index = fresh;
    x->site_mask = n - 1;
    return 0;
}

static int add_site(hr_indexer *x, uint64_t stack, site_slot *e)
{
    size_t n = x->ix.nsites;
    HR_FORWARD(reserve(x, (void **)&x->ix.sites, &x->site_cap, n, n + 1, sizeof *x->ix.sites));
    HR_FORWARD(reserve(x, (void **)&x->snaps, &x->snap_cap, n, n + 1, sizeof *x->snaps));
    x->ix.sites[n] = (hr_ix_site){.stack = stack};
    x->snaps[n] = (snapshot){0, 0, 0};
    e->key = stack + 1;
    e->site = n;
    x->ix.nsites++;
    return 0;
}

static hr_ix_site *site_of(hr_indexer *x, uint64_t stack, snapshot **snap)
{
    if (x->hot_stack != stack + 1) {
        if ((x->ix.nsites + 1) * 2 > (x->site_index ? x->site_mask + 1 : 0) && grow_site_index(x) < 0)
            return NULL;
        site_slot *e = site_probe(x->site_index, x->site_mask, stack + 1);
        if (!e->key && add_site(x, stack, e) < 0)
            return NULL;
        x->hot_stack = stack + 1;
        x->hot_site = e->site;
    }
    *snap = &x->snaps[x->hot_site];
    return &x->ix.sites[x->hot_site];
}

/* Saves what the site held at the latest peak before it changes. */
static void touch(const hr_indexer *x, const hr_ix_site *site, snapshot *snap)
{
    if (snap->epoch != x->epoch)
        *snap = (snapshot){site->live_bytes, site->live_blocks, x->epoch};
}

/* ---- threads, samples, bins ---- */

static per_thread *per_thread_of(hr_indexer *x, uint32_t thread)
{
    if (thread >= x->npt) {
        size_t cap = x->npt;
        if (reserve(x, (void **)&x->pt, &cap, x->npt, (size_t)thread + 1, sizeof *x->pt) < 0)
            return NULL;
        x->npt = cap;
    }
    return &x->pt[thread];
}

static hr_ix_thread *thread_of(hr_indexer *x, const hr_record *rec, per_thread **ptp)
{
    per_thread *pt = per_thread_of(x, rec->thread);
    if (!pt)
        return NULL;
    *ptp = pt;
    if (pt->figures)
        return &x->ix.threads[pt->figures - 1];
    size_t n = x->ix.nthreads;
    if (reserve(x, (void **)&x->ix.threads, &x->thread_cap, n, n + 1, sizeof *x->ix.threads) < 0)
        return NULL;
    x->ix.threads[n] = (hr_ix_thread){.index = rec->thread};
    pt->figures = (uint32_t)++x->ix.nthreads;
    return &x->ix.threads[n];
}

static int set_name(hr_indexer *x, hr_ix_thread *t, hr_str name)
{
    size_t n = name.len < NAME_MAX_BYTES ? name.len : NAME_MAX_BYTES;
    if (!n)
        return 0;
    char *copy = get(x, n);
    if (!copy)
        return HR_ERR_NOMEM;
    memcpy(copy, name.ptr, n);
    if (t->name.len)
        put(x, (void *)t->name.ptr, t->name.len);
    t->name = (hr_str){copy, n};
    return 0;
}

static hr_ix_sample *sample_at(hr_indexer *x, uint64_t time_ns)
{
    hr_index *ix = &x->ix;
    if (time_ns >= x->sample_lo && time_ns < x->sample_hi && x->sample_now < ix->nsamples)
        return &ix->samples[x->sample_now];
    uint64_t b64 = time_ns / ix->bucket_ns;
    size_t b = b64 >= HR_INDEX_SAMPLES_MAX ? HR_INDEX_SAMPLES_MAX - 1 : (size_t)b64;
    x->sample_now = b;
    x->sample_lo = b * ix->bucket_ns;
    if (b == HR_INDEX_SAMPLES_MAX - 1 || __builtin_mul_overflow((uint64_t)b + 1, ix->bucket_ns, &x->sample_hi))
        x->sample_hi = UINT64_MAX;
    if (b >= ix->nsamples) {
        if (reserve(x, (void **)&ix->samples, &x->sample_cap, ix->nsamples, b + 1, sizeof *ix->samples) < 0)
            return NULL;
        uint64_t carry = ix->nsamples ? ix->samples[ix->nsamples - 1].live_end : 0;
        for (size_t i = ix->nsamples; i <= b; i++)
            ix->samples[i] = (hr_ix_sample){0, 0, carry, carry};
        ix->nsamples = b + 1;
    }
    return &ix->samples[b];
}

/* ---- events ---- */

static int on_free(hr_indexer *x, const hr_record *rec, const hr_block *b, hr_ix_thread *t, per_thread *pt)
{
    snapshot *snap;
    hr_ix_site *site = site_of(x, b->stack, &snap);
    if (!site)
        return HR_ERR_NOMEM;
    touch(x, site, snap);
    site->frees++;
    site->live_bytes -= b->size;
    site->live_blocks--;
    t->frees++;
    x->ix.frees++;
    if (pt->last_alloc == b->seq + 1 && hr_kind_is_free(rec->u.event.kind)) {
        site->temporary++;
        t->temporary++;
        x->ix.temporary++;
    }
    pt->last_alloc = 0;
    hr_ix_bin *bin = bin_of(x, b->size);
    bin->frees++;
    bin->live--;
    return 0;
}

static int on_alloc(hr_indexer *x, const hr_record *rec, const hr_block *b, hr_ix_thread *t, per_thread *pt)
{
    snapshot *snap;
    hr_ix_site *site = site_of(x, b->stack, &snap);
    hr_ix_sample *smp = sample_at(x, rec->time_ns);
    if (!site || !smp)
        return HR_ERR_NOMEM;
    touch(x, site, snap);
    site->calls++;
    site->bytes += b->size;
    site->live_bytes += b->size;
    site->live_blocks++;
    t->allocs++;
    t->bytes += b->size;
    pt->last_alloc = b->seq + 1;
    smp->allocs++;
    smp->bytes += b->size;
    x->ix.allocs++;
    x->ix.bytes += b->size;
    hr_ix_bin *bin = bin_of(x, b->size);
    bin->allocs++;
    bin->bytes += b->size;
    if (++bin->live > bin->peak_live)
        bin->peak_live = bin->live;
    return 0;
}

static int after(hr_indexer *x, const hr_record *rec)
{
    hr_index *ix = &x->ix;
    uint64_t live = hr_heap_live_bytes(x->heap);
    hr_ix_sample *smp = sample_at(x, rec->time_ns);
    if (!smp)
        return HR_ERR_NOMEM;
    if (live > smp->live_max)
        smp->live_max = live;
    smp->live_end = live;
    if (live > ix->peak_bytes) {
        ix->peak_bytes = live;
        ix->peak_blocks = hr_heap_live_blocks(x->heap);
        ix->peak_seq = rec->seq;
        ix->peak_time_ns = rec->time_ns;
        x->epoch++;
    }
    return 0;
}

static void count_call(hr_index *ix, const hr_event *ev, hr_ix_thread *t)
{
    ix->calls++;
    t->calls++;
    if (ev->kind < HR_KIND_COUNT)
        ix->events[ev->kind]++;
    ix->failed += !!(ev->xflags & HR_XF_FAILED);
    ix->injected += !!(ev->xflags & HR_XF_INJECTED);
    ix->incomplete += !!(ev->xflags & HR_XF_INCOMPLETE);
    ix->null_frees += hr_kind_is_free(ev->kind) && ev->ptr == 0;
}

static int event(hr_indexer *x, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *c)
{
    per_thread *pt;
    hr_ix_thread *t = thread_of(x, rec, &pt);
    if (!t)
        return HR_ERR_NOMEM;
    HR_FORWARD(hr_heap_apply_refs(x->heap, rec, refs, c));
    count_call(&x->ix, &rec->u.event, t);
    x->ix.unknown_frees += !!c->unknown_free;
    x->ix.conflicts += !!c->conflict;
    if (c->released)
        HR_FORWARD(on_free(x, rec, &c->freed, t, pt));
    if (c->allocated)
        HR_FORWARD(on_alloc(x, rec, &c->alloc, t, pt));
    return after(x, rec);
}

static int typed(hr_indexer *x, const hr_record *rec)
{
    hr_index *ix = &x->ix;
    per_thread *pt;
    switch (rec->type) {
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME: {
        hr_ix_thread *t = thread_of(x, rec, &pt);
        if (!t)
            return HR_ERR_NOMEM;
        if (rec->type == HR_REC_THREAD_START) {
            ix->thread_starts++;
            t->tid = rec->u.thread.tid;
        }
        return set_name(x, t, rec->u.thread.name);
    }
    case HR_REC_MODULE_LOAD: ix->module_loads++; return 0;
    case HR_REC_MARK: ix->marks++; return 0;
    case HR_REC_FORK: ix->forks++; return 0;
    case HR_REC_EXEC: ix->execs++; return 0;
    default: return 0;
    }
}

static int stuck(hr_indexer *x, int rc)
{
    if (rc == 0 && x->limit && hr_indexer_memory(x) > x->limit)
        rc = HR_ERR_LIMIT;
    if (rc < 0)
        x->stuck = rc;
    return rc;
}

int hr_indexer_add_refs(hr_indexer *x, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *change)
{
    hr_heap_change local;
    hr_heap_change *c = change ? change : &local;
    if (x->stuck)
        return x->stuck;
    int ordered = rec->type == HR_REC_EVENT || hr_rec_type_is_ordered(rec->type);
    if (ordered && !x->ix.first_seq)
        x->ix.first_seq = rec->seq;
    if (ordered && rec->time_ns > x->ix.duration_ns)
        x->ix.duration_ns = rec->time_ns;
    return stuck(x, rec->type == HR_REC_EVENT ? event(x, rec, refs, c) : typed(x, rec));
}

int hr_indexer_add(hr_indexer *x, const hr_record *rec, hr_heap_change *change)
{
    return hr_indexer_add_refs(x, rec, NULL, change);
}

int hr_indexer_chunk_end(hr_indexer *x)
{
    if (x->stuck)
        return x->stuck;
    int rc = hr_heap_chunk_end(x->heap);
    return stuck(x, rc == 1 ? HR_ERR_LIMIT : rc);
}

/* ---- results ---- */

static void first_live(void *ctx, const hr_block *b)
{
    hr_indexer *x = ctx;
    snapshot *snap;
    hr_ix_site *site = site_of(x, b->stack, &snap); /* known: the block was allocated from it */
    if (site && (!site->live_first_seq || b->seq < site->live_first_seq))
        site->live_first_seq = b->seq;
}

const hr_index *hr_indexer_result(hr_indexer *x)
{
    hr_index *ix = &x->ix;
    ix->leaked_bytes = ix->leaked_blocks = 0;
    for (size_t i = 0; i < ix->nsites; i++) {
        hr_ix_site *s = &ix->sites[i];
        int changed = x->snaps[i].epoch == x->epoch; /* it changed since the final peak */
        s->peak_bytes = changed ? x->snaps[i].bytes : s->live_bytes;
        s->peak_blocks = changed ? x->snaps[i].blocks : s->live_blocks;
        s->live_first_seq = 0;
        ix->leaked_bytes += s->live_bytes;
        ix->leaked_blocks += s->live_blocks;
    }
    if (ix->leaked_blocks)
        hr_heap_each(x->heap, first_live, x);
    return ix;
}

int hr_indexer_take(hr_indexer *x, hr_index *out)
{
    if (x->stuck)
        return x->stuck;
    hr_indexer_result(x);
    *out = x->ix;
    memset(&x->ix, 0, sizeof x->ix); /* hr_indexer_free then frees only the indexer's own tables */
    x->site_cap = x->thread_cap = x->sample_cap = 0;
    return 0;
}

void hr_index_free(hr_index *ix)
{
    const hr_alloc *a = ix->mem;
    if (!a)
        return;
    for (size_t i = 0; i < ix->nthreads; i++)
        if (ix->threads[i].name.len)
            a->free(a->opaque, (void *)ix->threads[i].name.ptr);
    if (ix->sites)
        a->free(a->opaque, ix->sites);
    if (ix->threads)
        a->free(a->opaque, ix->threads);
    if (ix->samples)
        a->free(a->opaque, ix->samples);
    memset(ix, 0, sizeof *ix);
}
