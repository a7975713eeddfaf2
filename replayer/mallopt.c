/* SPDX-License-Identifier: MIT */
/* The mallopt commands a trace recorded (formats/SPEC.md, MALLOPT), applied in order. On the band
 * model, the QNX commands (HR_MALLOPT_*, MALLOC_* in heaprr.h): the arena cache's limits (0 caches nothing), trimming it now,
 * holding memory, a chain check now, and bounds or chain checking turned on or off from here (bounds
 * checking turned on fills the slack of the blocks live then, so that their frees check what comes
 * after). On a real allocator, the C library's own commands (glibc's M_*), given to its mallopt.
 * Others are counted but not applied. */
#include "engine.h"

#include <string.h>

static void fill_slack(void *ctx, uint64_t addr, uint64_t size, uint64_t req)
{
    hr_bandheap *h = ctx;
    if (size > req)
        hr_stamp_fill(hr_simos_host(&h->os, addr + req), size - req, addr + req);
}

/* The check level from the replay's own and what mallopt turned on or off. */
static void set_level(hr_replay *r)
{
    hr_check_level l = r->ck_chain ? HR_CHECK_CHAIN : r->ck_bounds ? HR_CHECK_BOUNDS : HR_CHECK_BASIC;
    r->heap.check = l;
    r->o.check = l;
}

/* A chain check now: damage is reported against this mallopt call (no event of the trace). */
static void verify(hr_replay *r, const hr_record *rec)
{
    hr_record at;
    memset(&at, 0, sizeof at);
    at.type = HR_REC_EVENT;
    at.thread = rec->thread;
    at.seq = rec->seq;
    const hr_record *cur = r->cur;
    r->cur = &at;
    hr_bh_check_all(&r->heap);
    r->cur = cur;
}

/* Applies one QNX command to the model; returns 1 when it was one. */
static int on_model(hr_replay *r, const hr_record *rec, int64_t param, int64_t value)
{
    hr_arena_cache *c = &r->heap.cache;
    int checking = r->heap.check != HR_CHECK_NONE, on = value != 0;
    switch (param) {
    case HR_MALLOPT_ARENA_CACHE_MAXBLK: c->maxblk = value > 0 ? (uint64_t)value : 0; return 1;
    case HR_MALLOPT_ARENA_CACHE_MAXSZ: c->maxsz = value > 0 ? (uint64_t)value : 0; return 1;
    case HR_MALLOPT_ARENA_CACHE_FREE_NOW: return hr_cache_trim(c, on) == 0;
    case HR_MALLOPT_MEMORY_HOLD: c->hold = on; return 1;
    case HR_MALLOPT_VERIFY:
        if (checking)
            verify(r, rec);
        return checking;
    case HR_MALLOPT_CKBOUNDS:
        if (!checking)
            return 0; /* the blocks have no headers to check against */
        if (on && !r->ck_bounds)
            hr_bh_each_live(&r->heap, fill_slack, &r->heap);
        r->ck_bounds = on;
        set_level(r);
        return 1;
    case HR_MALLOPT_CKCHAIN:
        if (!checking)
            return 0;
        r->ck_chain = on;
        set_level(r);
        return 1;
    default: return 0;
    }
}

int hr_replay_mallopt(hr_replay *r, const hr_record *rec)
{
    int64_t param = rec->u.mallopt.param, value = rec->u.mallopt.value;
    int ours = hr_mallopt_is_qnx(param);
    r->res.mallopt_calls++;
    int applied = 0;
    if (r->band && ours) {
        if (!r->ck_bounds && !r->ck_chain && r->heap.check != HR_CHECK_NONE) {
            r->ck_bounds = r->heap.check >= HR_CHECK_BOUNDS; /* the replay's own level, the first time */
            r->ck_chain = r->heap.check >= HR_CHECK_CHAIN;
        }
        applied = on_model(r, rec, param, value);
    } else if (!r->band && !ours && r->be.mallopt && param >= INT32_MIN && param <= INT32_MAX &&
               value >= INT32_MIN && value <= INT32_MAX) {
        applied = r->be.mallopt(r->be.self, (int)param, (int)value) == 1;
    }
    r->res.mallopt_applied += (uint64_t)applied;
    return 0;
}
