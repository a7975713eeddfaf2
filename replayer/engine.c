/* SPDX-License-Identifier: MIT */
/* The replay engine: applies a trace's allocation events, in global sequence order, to the band
 * model, keeps the trace's pointers mapped to the model's blocks, and turns what it sees into
 * findings: frees that do not name a live block (always, unless --check none), and the model's
 * header and fill damage (basic and above). It also keeps the footprint, live bytes and digest. */
#include "engine.h"

#include <heaprr/feed.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t hr_replay_mix(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static void digest_add(hr_replay *r, uint64_t v)
{
    r->digest = hr_replay_mix(r->digest ^ v) + 0x632BE59BD9B4E019ull;
}

/* ---- findings ---- */

/* A finding about the current event. */
static hr_finding finding_here(const hr_replay *r, hr_finding_kind kind, uint64_t ptr)
{
    const hr_record *rec = r->cur;
    hr_finding f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.event_kind = rec->u.event.kind;
    f.seq = rec->seq;
    f.thread = rec->thread;
    f.ptr = ptr;
    f.stack = rec->u.event.stack;
    return f;
}


static void on_damage(void *ctx, const hr_damage *d)
{
    hr_replay *r = ctx;
    if (r->npending && hr_pending_model_damage(r, d))
        return; /* the bytes of a guard zone the recorder found damaged, as the model saw them */
    hr_finding f = finding_here(r, d->kind, r->cur->u.event.ptr);
    const hr_live *e = d->owner ? hr_livemap_find(&r->live, d->owner) : NULL;
    if (e && !e->freed)
        hr_finding_with_alloc(&f, e);
    f.block = d->owner;
    f.size = d->req;
    f.offset = d->offset;
    f.bytes = d->bytes;
    hr_replay_add_finding(r, &f);
}

/* ---- set-up ---- */

static char setup_error[512];

const char *hr_replay_setup_error(void)
{
    return setup_error;
}

static int open_backend(hr_replay *r, const hr_replay_options *o)
{
    const char *a = o->allocator;
    if (!a || strcmp(a, "band") == 0) {
        int rc = hr_bh_init(&r->heap, &o->heap, o->check, o->sim_limit);
        if (rc < 0) {
            snprintf(setup_error, sizeof setup_error, "cannot set up the allocator model: %s", hr_strerror(rc));
            return rc;
        }
        r->band = 1;
        r->heap.on_damage = on_damage;
        r->heap.damage_ctx = r;
        hr_backend_band(&r->be, &r->heap);
        return 0;
    }
    if (hr_backend_system(&r->be, strcmp(a, "system") == 0 ? NULL : a, setup_error, sizeof setup_error) < 0)
        return HR_ERR_ARG;
    return 0;
}

int hr_replay_new(hr_replay **out, const hr_replay_options *o)
{
    hr_replay *r = calloc(1, sizeof *r);
    setup_error[0] = 0;
    if (!r)
        return HR_ERR_NOMEM;
    r->o = *o;
    if (!r->o.max_findings)
        r->o.max_findings = 1000;
    r->next_sample = r->o.timeline_every;
    int rc = open_backend(r, o);
    if (rc < 0) {
        free(r);
        return rc;
    }
    if ((rc = hr_livemap_init(&r->live)) < 0) {
        hr_replay_free(r);
        return rc;
    }
    if (r->o.timeline)
        fprintf(r->o.timeline, "event,seq,time_ns,footprint_bytes,live_bytes,live_blocks\n");
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    *out = r;
    return 0;
}

static void free_leftover(void *ctx, const hr_live *e)
{
    hr_replay *r = ctx;
    r->be.free(r->be.self, &(hr_mblock){e->u.b.addr, e->u.b.ref, e->band});
}

void hr_replay_free(hr_replay *r)
{
    if (!r)
        return;
    if (r->band) {
        hr_bh_destroy(&r->heap);
    } else if (r->be.destroy) {
        hr_livemap_each(&r->live, free_leftover, r); /* the trace's leaks */
        r->be.destroy(r->be.self);
    }
    hr_livemap_destroy(&r->live);
    hr_inject_free(r);
    free(r->findings);
    free(r);
}

void hr_replay_set_forked(hr_replay *r, int forked)
{
    r->forked = forked;
}

/* ---- events ---- */

static int is_malloc_family(unsigned kind)
{
    return kind != HR_NEW && kind != HR_NEW_ARRAY && kind != HR_DELETE && kind != HR_DELETE_ARRAY;
}

/* Whether a block allocated by alloc_kind may be released by the call kind. */
static int kinds_match(unsigned alloc_kind, unsigned kind)
{
    if (kind == HR_DELETE)
        return alloc_kind == HR_NEW;
    if (kind == HR_DELETE_ARRAY)
        return alloc_kind == HR_NEW_ARRAY;
    return is_malloc_family(alloc_kind);
}

static uint64_t bytes_of(const hr_event *ev)
{
    uint64_t n = ev->size;
    if (hr_kind_has_count(ev->kind)) {
        if (ev->count && n > UINT64_MAX / ev->count)
            return UINT64_MAX;
        n *= ev->count;
    }
    if (ev->kind == HR_PVALLOC)
        n = (n + HR_SIM_PAGE - 1) / HR_SIM_PAGE * HR_SIM_PAGE;
    return n;
}

static uint64_t align_of(const hr_event *ev)
{
    if (ev->kind == HR_VALLOC || ev->kind == HR_PVALLOC)
        return HR_SIM_PAGE;
    return ev->align;
}

/* The footprint now (for a real allocator: resident memory grown since the start, sampled). */
static uint64_t footprint(hr_replay *r)
{
    if (r->band)
        return r->heap.os.mapped;
    uint64_t rss = r->be.footprint(r->be.self);
    return rss > r->rss_base ? rss - r->rss_base : 0;
}

static void track_footprint(hr_replay *r)
{
    if (r->live_bytes > r->res.peak_live)
        r->res.peak_live = r->live_bytes;
    if (!r->band && (r->res.events & 4095))
        return; /* reading resident memory costs a system call */
    uint64_t fp = footprint(r);
    if (fp > r->res.peak_footprint) {
        r->res.peak_footprint = fp;
        r->res.live_at_peak_footprint = r->live_bytes;
    }
}

static int model_error(hr_replay *r, int rc, uint64_t ptr, uint64_t size)
{
    if (rc == HR_ERR_NOMEM)
        return rc;
    hr_finding f = finding_here(r, HR_FIND_OUT_OF_MEMORY, ptr);
    f.size = size;
    hr_replay_add_finding(r, &f);
    return 0;
}

static void model_free(hr_replay *r, const hr_live *e)
{
    hr_mblock b = {e->u.b.addr, e->u.b.ref, e->band};
    r->be.free(r->be.self, &b);
    r->live_bytes -= e->size;
}

/* An aligned new or delete: log2 of the alignment it passed, plus 1; 0 for any other call. */
static uint8_t align_code(const hr_event *ev)
{
    if (!(ev->xflags & HR_XF_ALIGNED) || !ev->align)
        return 0;
    return (uint8_t)(64 - __builtin_clzll(ev->align)); /* alignments are powers of two */
}

static uint64_t align_of_code(uint8_t code)
{
    return code ? 1ull << (code - 1) : 0;
}

/* Sets what e knows of the block the current event allocated. */
static void refill(hr_replay *r, hr_live *e, uint64_t size, const hr_mblock *b)
{
    const hr_record *rec = r->cur;
    e->size = size;
    e->seq = rec->seq;
    e->stack = rec->u.event.stack;
    e->thread = rec->thread;
    e->kind = (uint8_t)rec->u.event.kind;
    e->band = b->band;
    e->u.b.addr = b->addr;
    e->u.b.ref = b->ref;
    e->u.b.align_log2 = align_code(&rec->u.event);
    r->live_bytes += size;
    digest_add(r, b->addr);
    track_footprint(r);
}

/* A claimed slot that holds a live block: the trace returned a live address again, so the free
 * that made it available was not recorded (SPEC 7). It is freed now. */
static void evict_stale(hr_replay *r, hr_live *e)
{
    if (e->ptr && !e->freed) {
        model_free(r, e);
        hr_livemap_bury(&r->live, e);
    }
}

/* Fills a claimed slot (empty or a tombstone) for a block at ptr. */
static int place(hr_replay *r, hr_live *e, uint64_t ptr, uint64_t size, const hr_mblock *b)
{
    int was_empty = !e->ptr;
    e->ptr = ptr;
    e->freed = 0;
    hr_livemap_filled(&r->live, was_empty, 1);
    refill(r, e, size, b);
    return 0;
}

/* The block the trace allocated at ptr. */
static int allocate(hr_replay *r, uint64_t ptr, uint64_t size, uint64_t align)
{
    hr_live *e = hr_livemap_claim(&r->live, ptr);
    if (!e)
        return HR_ERR_NOMEM;
    evict_stale(r, e);
    hr_mblock b;
    int rc = r->be.alloc(r->be.self, size, align, ptr, &b);
    if (rc < 0)
        return model_error(r, rc, ptr, size);
    r->res.allocs++;
    return place(r, e, ptr, size, &b);
}

/* Releases live entry e (the current event frees it); it stays as a tombstone. */
static void release(hr_replay *r, hr_live *e)
{
    const hr_record *rec = r->cur;
    model_free(r, e);
    hr_livemap_bury(&r->live, e);
    e->u.f.seq = rec->seq;
    e->u.f.stack = rec->u.event.stack;
    e->u.f.thread = rec->thread;
    e->u.f.kind = (uint8_t)rec->u.event.kind;
    r->res.frees++;
}

/* A free or realloc named ptr, which is not live (e: its tombstone, if any): say what it is. */
static void not_live(hr_replay *r, const hr_live *e, uint64_t ptr, int is_realloc)
{
    if (r->o.check == HR_CHECK_NONE)
        return;
    if (e) {
        hr_finding f = finding_here(r, is_realloc ? HR_FIND_REALLOC_FREED : HR_FIND_DOUBLE_FREE, ptr);
        hr_finding_with_alloc(&f, e);
        hr_finding_with_free(&f, e);
        hr_replay_add_finding(r, &f);
        return;
    }
    const hr_live *in = hr_livemap_containing(&r->live, ptr);
    if (in) {
        hr_finding f = finding_here(r, HR_FIND_INTERIOR_FREE, ptr);
        hr_finding_with_alloc(&f, in);
        f.offset = (int64_t)(ptr - in->ptr);
        hr_replay_add_finding(r, &f);
        return;
    }
    if (r->forked) { /* a block inherited from the parent process */
        r->res.inherited_frees++;
        return;
    }
    hr_finding f = finding_here(r, HR_FIND_INVALID_FREE, ptr);
    hr_replay_add_finding(r, &f);
}

static void mismatch(hr_replay *r, const hr_live *e)
{
    if (r->o.check == HR_CHECK_NONE || kinds_match(e->kind, r->cur->u.event.kind))
        return;
    hr_finding f = finding_here(r, HR_FIND_MISMATCHED_FREE, e->ptr);
    hr_finding_with_alloc(&f, e);
    hr_replay_add_finding(r, &f);
}

/* A sized or aligned delete of live block e from new: it must pass the size new was asked for and
 * the alignment (or none) new was given. */
static void delete_args(hr_replay *r, const hr_live *e, const hr_event *ev)
{
    if (r->o.check == HR_CHECK_NONE || ev->kind == HR_FREE || !kinds_match(e->kind, ev->kind))
        return;
    if ((ev->xflags & HR_XF_SIZED) && ev->size != e->size) {
        hr_finding f = finding_here(r, HR_FIND_SIZE_MISMATCH, e->ptr);
        hr_finding_with_alloc(&f, e);
        f.passed = ev->size;
        hr_replay_add_finding(r, &f);
    }
    uint8_t want = e->u.b.align_log2, got = align_code(ev);
    if (want != got) {
        hr_finding f = finding_here(r, HR_FIND_ALIGN_MISMATCH, e->ptr);
        hr_finding_with_alloc(&f, e);
        f.passed = align_of_code(got);
        f.alloc_align = align_of_code(want);
        hr_replay_add_finding(r, &f);
    }
}

static int apply_free(hr_replay *r, const hr_event *ev)
{
    if (!ev->ptr) {
        r->res.null_frees++;
        return 0;
    }
    if (__builtin_expect(r->nghosts != 0, 0) && hr_inject_ghost(r, ev))
        return 0;
    hr_live *e = hr_livemap_find(&r->live, ev->ptr);
    if (!e || e->freed) {
        not_live(r, e, ev->ptr, 0);
        return 0;
    }
    mismatch(r, e);
    delete_args(r, e, ev);
    release(r, e);
    return 0;
}

static int apply_realloc(hr_replay *r, const hr_event *ev)
{
    uint64_t size = bytes_of(ev);
    r->res.reallocs++;
    if (!ev->old_ptr || (__builtin_expect(r->nghosts != 0, 0) && hr_inject_ghost(r, ev)))
        return ev->ptr ? allocate(r, ev->ptr, size, 0) : 0;
    hr_live *e = hr_livemap_find(&r->live, ev->old_ptr);
    if (!e || e->freed) {
        not_live(r, e, ev->old_ptr, 1);
        return ev->ptr ? allocate(r, ev->ptr, size, 0) : 0;
    }
    mismatch(r, e);
    if (!ev->ptr) { /* realloc(p, 0) freed it */
        release(r, e);
        return 0;
    }
    hr_mblock b = {e->u.b.addr, e->u.b.ref, e->band};
    int rc = r->be.realloc(r->be.self, &b, size, ev->ptr);
    if (rc < 0)
        return model_error(r, rc, ev->ptr, size);
    r->live_bytes -= e->size;
    if (ev->ptr == ev->old_ptr) {
        refill(r, e, size, &b);
        return 0;
    }
    hr_livemap_bury(&r->live, e); /* the old address is free now, its block moved */
    e->u.f.seq = r->cur->seq;
    e->u.f.stack = ev->stack;
    e->u.f.thread = r->cur->thread;
    e->u.f.kind = (uint8_t)ev->kind;
    hr_live *n = hr_livemap_claim(&r->live, ev->ptr);
    if (!n)
        return HR_ERR_NOMEM;
    evict_stale(r, n);
    return place(r, n, ev->ptr, size, &b);
}

static void sample(hr_replay *r)
{
    if (!r->o.timeline || r->res.events < r->next_sample)
        return;
    r->next_sample += r->o.timeline_every;
    fprintf(r->o.timeline, "%llu,%llu,%llu,%llu,%llu,%zu\n", (unsigned long long)r->res.events,
            (unsigned long long)r->cur->seq, (unsigned long long)r->cur->time_ns,
            (unsigned long long)footprint(r), (unsigned long long)r->live_bytes, r->live.live);
}

static int process_info(hr_replay *r, const hr_process_info *pi)
{
    if (pi->origin == HR_ORIGIN_FORK)
        r->forked = 1; /* frees of unknown blocks are of inherited ones */
    /* A trace recorded in guard mode holds overruns: check the fill areas they land on. */
    if (pi->guard_bytes && r->band && r->o.check == HR_CHECK_BASIC && !r->res.events) {
        r->o.check = HR_CHECK_BOUNDS;
        r->heap.check = HR_CHECK_BOUNDS;
    }
    return 0;
}

int hr_replay_apply(hr_replay *r, const hr_record *rec)
{
    if (rec->type == HR_REC_PROCESS_INFO)
        return process_info(r, &rec->u.process);
    if (rec->type == HR_REC_GUARD || rec->type == HR_REC_GUARD_BEFORE)
        return hr_replay_guard(r, rec);
    if (rec->type == HR_REC_FREED_WRITE)
        return hr_replay_freed_write(r, rec);
    if (rec->type == HR_REC_MALLOPT)
        return hr_replay_mallopt(r, rec);
    if (rec->type == HR_REC_ACCESS)
        return hr_replay_access(r, rec);
    if (rec->type == HR_REC_MODULE_LOAD && r->o.fail)
        hr_inject_module(r, rec);
    if (rec->type != HR_REC_EVENT)
        return 0;
    const hr_event *ev = &rec->u.event;
    r->cur = rec;
    if (!r->band && !r->res.events) /* the reader's buffers exist now: they are not the allocator's */
        r->rss_base = r->be.footprint(r->be.self);
    r->res.events++;
    int rc = 0;
    if (ev->xflags & HR_XF_INJECTED)
        r->res.recorded_injected++;
    if (__builtin_expect(r->o.fail != 0, 0) && hr_inject_event(r, rec, &rc, apply_realloc)) {
        /* failed here, on purpose */
    } else if (ev->xflags & HR_XF_FAILED) {
        r->res.failed_skipped++;
    } else if (hr_kind_is_free(ev->kind)) {
        rc = apply_free(r, ev);
    } else if (hr_kind_is_realloc(ev->kind)) {
        rc = apply_realloc(r, ev);
    } else if (ev->ptr) {
        rc = allocate(r, ev->ptr, bytes_of(ev), align_of(ev));
    } else {
        r->res.failed_skipped++; /* an allocation that never returned */
    }
    if (r->npending)
        hr_pending_found_by(r, rec);
    sample(r);
    if (rc < 0)
        return rc;
    return r->stop ? 1 : 0;
}

#define PREFETCH_AHEAD 8

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The table slot an event will look at first. */
static uint64_t key_of(const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    return hr_kind_is_realloc(ev->kind) && ev->old_ptr ? ev->old_ptr : ev->ptr;
}

static void prefetch_event(const hr_replay *r, const hr_record *rec)
{
    hr_livemap_prefetch(&r->live, key_of(rec));
}

/* The model's memory around the header of the live block the trace calls ptr, if its entry is at
 * hand. */
static void prefetch_header(const hr_replay *r, uint64_t ptr)
{
    const hr_live_slot *s = &r->live.slots[hr_livemap_slot(ptr, r->live.mask)];
    if (s->ptr != ptr)
        return;
    const hr_live *e = &r->live.ents[s->idx];
    if (!e->freed && e->u.b.addr >= 64)
        __builtin_prefetch(hr_simos_host(&r->heap.os, e->u.b.addr - 16));
}

/* Applies a batch of events, the table slots of the next ones fetched ahead. */
static int apply_batch(hr_replay *r, const hr_record *batch, size_t n)
{
    double t0 = now_seconds();
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        prefetch_event(r, &batch[i]);
    int rc = 0;
    if (r->o.max_events && n > r->o.max_events - r->res.events)
        n = (size_t)(r->o.max_events - r->res.events);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i + PREFETCH_AHEAD < n)
            prefetch_event(r, &batch[i + PREFETCH_AHEAD]);
        if (i + PREFETCH_AHEAD / 2 < n) /* its index slot is in cache by now: fetch the entry */
            hr_livemap_prefetch_entry(&r->live, key_of(&batch[i + PREFETCH_AHEAD / 2]));
        if (r->band && i + PREFETCH_AHEAD / 4 < n) /* and its entry: fetch the model's header */
            prefetch_header(r, key_of(&batch[i + PREFETCH_AHEAD / 4]));
        rc = hr_replay_apply(r, &batch[i]);
    }
    r->res.engine_seconds += now_seconds() - t0;
    return rc;
}

static int limit_reached(const hr_replay *r)
{
    return r->o.max_events && r->res.events >= r->o.max_events;
}

/* Applies a run of records: the events between other records in batches. */
static int apply_run(hr_replay *r, const hr_record *recs, size_t n)
{
    size_t first = 0;
    for (size_t i = 0; i < n && !limit_reached(r); i++) {
        if (recs[i].type == HR_REC_EVENT)
            continue;
        int rc = apply_batch(r, recs + first, i - first);
        if (rc == 0)
            rc = hr_replay_apply(r, &recs[i]);
        if (rc != 0)
            return rc;
        first = i + 1;
    }
    return apply_batch(r, recs + first, n - first);
}

/* Failure rules that look at stacks read the reader's stack table, which only the feed may use
 * while it is open: such a replay reads the records itself, one by one. */
static int run_plain(hr_replay *r, hr_reader *rd)
{
    hr_record rec;
    int rc;
    r->rd = rd;
    while (!limit_reached(r) && (rc = hr_reader_next(rd, &rec)) == 1) {
        int arc = hr_replay_apply(r, &rec);
        if (arc != 0) {
            r->res.stopped = arc == 1;
            rc = arc;
            break;
        }
    }
    r->rd = NULL;
    if (limit_reached(r))
        rc = 0;
    hr_pending_flush_all(r);
    return rc;
}

/* Records are decoded ahead on a second thread (include/heaprr/feed.h) while this one applies
 * them. */
int hr_replay_run(hr_replay *r, hr_reader *rd)
{
    if (r->o.fail && r->o.fail->needs_stack)
        return run_plain(r, rd);
    hr_feed *f = hr_feed_open(rd, NULL);
    if (!f)
        return HR_ERR_NOMEM;
    const hr_record *recs;
    size_t n;
    int rc = 0;
    while (!limit_reached(r) && (rc = hr_feed_take(f, &recs, &n)) > 0) {
        int arc = apply_run(r, recs, n);
        if (arc != 0) {
            r->res.stopped = arc == 1;
            rc = arc;
            break;
        }
    }
    if (limit_reached(r))
        rc = 0;
    hr_feed_close(f);
    hr_pending_flush_all(r);
    return rc;
}
