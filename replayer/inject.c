/* SPDX-License-Identifier: MIT */
/* Failure injection in the replay (heaprr replay --fail RULES, the grammar of HEAPRR_FAIL): the
 * allocation calls the rules pick fail on the replay's allocator, so that configurations can be
 * compared under memory pressure. The trace goes on as it was recorded, so:
 *   - an allocation made to fail gives no block: its pointer becomes a ghost, and the free (or
 *     realloc) that later names it releases nothing (counted, never a finding);
 *   - a realloc made to fail leaves the old block as it was: it is kept, at its old size, under the
 *     pointer the trace says the program went on with.
 * Calls are numbered as the recorder numbers them (every call that can fail, a call that failed in
 * the recorded run included), so nth= picks the same call in both. func=, at= and site= are
 * resolved from the trace's module records. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* ---- ghosts: pointers of allocations the replay failed, open addressing, linear probing ---- */

static size_t home(uint64_t p, size_t mask)
{
    return hr_livemap_slot(p, mask);
}

static int ghost_grow(hr_replay *r)
{
    size_t cap = r->ghost_mask ? (r->ghost_mask + 1) * 2 : 1024;
    uint64_t *g = calloc(cap, sizeof *g);
    if (!g)
        return HR_ERR_NOMEM;
    for (size_t i = 0; r->ghosts && i <= r->ghost_mask; i++) {
        if (!r->ghosts[i])
            continue;
        size_t j = home(r->ghosts[i], cap - 1);
        while (g[j])
            j = (j + 1) & (cap - 1);
        g[j] = r->ghosts[i];
    }
    free(r->ghosts);
    r->ghosts = g;
    r->ghost_mask = cap - 1;
    return 0;
}

static int ghost_add(hr_replay *r, uint64_t p)
{
    if (!p)
        return 0;
    if ((r->nghosts + 1) * 2 > (r->ghosts ? r->ghost_mask + 1 : 0) && ghost_grow(r) < 0)
        return HR_ERR_NOMEM;
    size_t i = home(p, r->ghost_mask);
    while (r->ghosts[i] && r->ghosts[i] != p)
        i = (i + 1) & r->ghost_mask;
    r->nghosts += !r->ghosts[i];
    r->ghosts[i] = p;
    return 0;
}

/* Removes p; returns whether it was a ghost. Backward-shift deletion keeps the probes whole. */
static int ghost_take(hr_replay *r, uint64_t p)
{
    if (!r->nghosts || !p)
        return 0;
    size_t i = home(p, r->ghost_mask), m = r->ghost_mask;
    while (r->ghosts[i] && r->ghosts[i] != p)
        i = (i + 1) & m;
    if (!r->ghosts[i])
        return 0;
    for (size_t j = (i + 1) & m; r->ghosts[j]; j = (j + 1) & m) {
        size_t h = home(r->ghosts[j], m);
        if (((j - h) & m) >= ((j - i) & m)) { /* its home is at or before the hole */
            r->ghosts[i] = r->ghosts[j];
            i = j;
        }
    }
    r->ghosts[i] = 0;
    r->nghosts--;
    return 1;
}

void hr_inject_free(hr_replay *r)
{
    free(r->ghosts);
    free(r->injected);
}

/* ---- which calls fail ---- */

static int picked(hr_replay *r, const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    uint64_t n = ++r->fail_calls, ips[256], size = ev->size;
    if (hr_kind_has_count(ev->kind) && __builtin_mul_overflow(ev->size, ev->count, &size))
        size = UINT64_MAX;
    size_t depth = 0;
    if (r->o.fail->needs_stack && r->rd && ev->stack)
        depth = hr_reader_stack(r->rd, ev->stack, ips, 256);
    return !(ev->xflags & HR_XF_FAILED) && hr_failspec_fails(r->o.fail, n, ev->kind, size, ips, (uint32_t)depth);
}

static void keep_failure(hr_replay *r, const hr_record *rec)
{
    r->res.injected++;
    if (r->ninjected >= r->o.max_findings)
        return;
    if (r->ninjected == r->capinjected) {
        size_t cap = r->capinjected ? r->capinjected * 2 : 16;
        hr_injected_call *n = realloc(r->injected, cap * sizeof *n);
        if (!n)
            return; /* counted, not kept */
        r->injected = n;
        r->capinjected = cap;
    }
    const hr_event *ev = &rec->u.event;
    r->injected[r->ninjected++] = (hr_injected_call){rec->seq, ev->stack, ev->size, rec->thread, ev->kind};
}

/* ---- applying ---- */

/* A realloc made to fail: the old block stays as it was, under the pointer the program went on
 * with (the trace's result). */
static int keep_old(hr_replay *r, const hr_event *ev, int (*realloc_fn)(hr_replay *, const hr_event *))
{
    if (ghost_take(r, ev->old_ptr))
        return ghost_add(r, ev->ptr);
    hr_live *e = hr_livemap_find(&r->live, ev->old_ptr);
    if (!e || e->freed || !ev->ptr)
        return realloc_fn(r, ev); /* the checker's business: as recorded */
    hr_event same = *ev;
    same.size = e->size;
    same.count = 1;
    return realloc_fn(r, &same);
}

int hr_inject_event(hr_replay *r, const hr_record *rec, int *rc,
                    int (*realloc_fn)(hr_replay *, const hr_event *))
{
    const hr_event *ev = &rec->u.event;
    if (!hr_event_can_fail(ev) || !picked(r, rec))
        return 0;
    keep_failure(r, rec);
    if (hr_kind_is_realloc(ev->kind) && ev->old_ptr)
        *rc = keep_old(r, ev, realloc_fn);
    else
        *rc = ghost_add(r, ev->ptr);
    return 1;
}

int hr_inject_ghost(hr_replay *r, const hr_event *ev)
{
    uint64_t p = hr_kind_is_realloc(ev->kind) ? ev->old_ptr : ev->ptr;
    if (!ghost_take(r, p))
        return 0;
    r->res.injected_frees++;
    return 1;
}

void hr_inject_module(hr_replay *r, const hr_record *rec)
{
    const hr_module_info *m = &rec->u.module;
    char path[4096];
    if (!m->path.len || m->path.len >= sizeof path)
        return;
    memcpy(path, m->path.ptr, m->path.len);
    path[m->path.len] = 0;
    hr_failspec_module(r->o.fail, path, m->bias);
}

const hr_injected_call *hr_replay_injected(const hr_replay *r, size_t *n)
{
    *n = r->ninjected;
    return r->injected;
}
