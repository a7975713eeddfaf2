/* SPDX-License-Identifier: MIT */
/* Damage the recorder found in the live program (formats/SPEC.md 5.2): a GUARD or GUARD_BEFORE
 * record (a block's guard zone written past the end of its request, or before its start) or a
 * FREED_WRITE record (a freed block written
 * while the recorder held it in quarantine). Each comes just before the record of the call that
 * found it, on the same thread, though other threads' records may come in between; its finding
 * waits here until that thread's next event, which it names as the faulting call. A trace that
 * ends first (damage found at exit) reports it without a call. */
#include "engine.h"

#include <string.h>

static void report(hr_replay *r, size_t i)
{
    hr_finding f = r->pending[i];
    r->pending[i] = r->pending[--r->npending];
    if (r->o.check != HR_CHECK_NONE)
        hr_replay_add_finding(r, &f);
}

/* A new waiting finding for thread (the oldest is reported first when all slots are taken). */
static hr_finding *wait_for(hr_replay *r, uint32_t thread)
{
    for (size_t i = 0; i < r->npending; i++)
        if (r->pending[i].thread == thread)
            report(r, i--); /* its call never came: no record of that thread in between */
    if (r->npending == HR_PENDING_MAX)
        report(r, 0);
    hr_finding *f = &r->pending[r->npending++];
    memset(f, 0, sizeof *f);
    f->thread = thread;
    return f;
}

/* The expected byte at offset off from the start of block e, in the zone a GUARD (after the
 * block) or GUARD_BEFORE (before it) record holds. */
static uint8_t expected(const hr_record *rec, uint64_t i)
{
    uint64_t len = rec->u.guard.found.len;
    return rec->type == HR_REC_GUARD ? hr_guard_byte(i) : hr_guard_byte_before(len - 1 - i);
}

/* The offset from the block's start of byte i of the zone. */
static int64_t zone_offset(const hr_record *rec, const hr_live *e, uint64_t i)
{
    if (rec->type == HR_REC_GUARD)
        return (int64_t)(e->size + i);
    return (int64_t)i - (int64_t)rec->u.guard.found.len;
}

/* The overrun or underrun: the first damaged byte (lowest address) and the count. */
static void guard_finding(hr_finding *f, const hr_record *rec, const hr_live *e)
{
    f->kind = rec->type == HR_REC_GUARD ? HR_FIND_OVERRUN : HR_FIND_UNDERRUN;
    f->guard = 1;
    hr_finding_with_alloc(f, e);
    const uint8_t *found = (const uint8_t *)rec->u.guard.found.ptr;
    int64_t first = -1;
    for (uint64_t i = 0; i < rec->u.guard.found.len; i++) {
        if (found[i] == expected(rec, i))
            continue;
        if (first < 0)
            first = (int64_t)i;
        f->bytes++;
    }
    f->offset = zone_offset(rec, e, first < 0 ? 0 : (uint64_t)first);
}

/* The zone's bytes go into the model's block at the same distance from the end of the request, so
 * that the checker finds what they hit when the free comes. */
int hr_replay_guard(hr_replay *r, const hr_record *rec)
{
    const hr_live *e = hr_livemap_find(&r->live, rec->u.guard.ptr);
    if (!e || e->freed)
        return 0;
    guard_finding(wait_for(r, rec->thread), rec, e);
    hr_mblock b = {e->u.b.addr, e->u.b.ref, e->band};
    int64_t lo, hi;
    uint8_t *at = r->be.memory(r->be.self, &b, &lo, &hi);
    const uint8_t *found = (const uint8_t *)rec->u.guard.found.ptr;
    for (uint64_t i = 0; i < rec->u.guard.found.len; i++) {
        int64_t off = zone_offset(rec, e, i);
        if (found[i] != expected(rec, i) && off >= lo && off < hi)
            at[off] = found[i];
    }
    r->res.guard_records++;
    return 0;
}

int hr_replay_freed_write(hr_replay *r, const hr_record *rec)
{
    hr_finding *f = wait_for(r, rec->thread);
    f->kind = HR_FIND_USE_AFTER_FREE;
    const hr_live *e = hr_livemap_find(&r->live, rec->u.freed.ptr);
    if (e && e->freed) { /* the block's tombstone: who allocated and who freed it */
        hr_finding_with_alloc(f, e);
        hr_finding_with_free(f, e);
    }
    f->block = rec->u.freed.ptr;
    f->offset = (int64_t)rec->u.freed.offset;
    f->bytes = rec->u.freed.bytes;
    return 0;
}

int hr_pending_model_damage(hr_replay *r, const hr_damage *d)
{
    for (size_t i = 0; i < r->npending; i++) {
        hr_finding *g = &r->pending[i];
        if (g->thread != r->cur->thread || !g->guard || g->model_seen)
            continue;
        g->model_seen = 1;
        g->model_kind = d->kind;
        g->model_block = d->owner;
        g->model_offset = d->offset;
        g->model_bytes = d->bytes;
        return 1;
    }
    return 0;
}

void hr_pending_found_by(hr_replay *r, const hr_record *rec)
{
    for (size_t i = 0; i < r->npending; i++) {
        hr_finding *f = &r->pending[i];
        if (f->thread != rec->thread)
            continue;
        f->event_kind = rec->u.event.kind;
        f->seq = rec->seq;
        f->stack = rec->u.event.stack;
        f->ptr = hr_kind_is_realloc(rec->u.event.kind) ? rec->u.event.old_ptr : rec->u.event.ptr;
        report(r, i--);
    }
}

void hr_pending_flush_all(hr_replay *r)
{
    while (r->npending)
        report(r, 0);
}
