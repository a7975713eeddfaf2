/* SPDX-License-Identifier: MIT */
/* The replay engine's findings from hand-built event sequences: double, invalid, interior and
 * mismatched frees, realloc of a freed block, check levels, stop on error, forked children,
 * determinism of the digest. */
#include "../check.h"

#include "engine.h"

#include <heaprr/replay.h>

typedef struct seqr {
    hr_replay *r;
    uint64_t seq;
} seqr;

static void start(seqr *s, hr_check_level check, int stop)
{
    hr_replay_options o;
    memset(&o, 0, sizeof o);
    hr_heapcfg_default(&o.heap, HR_LAYOUT_NATIVE);
    o.check = check;
    o.stop_on_error = stop;
    o.sim_limit = 1ull << 32;
    s->seq = 0;
    CHECK_FATAL(hr_replay_new(&s->r, &o) == 0);
}

static int ev(seqr *s, unsigned kind, uint64_t ptr, uint64_t old, uint64_t size, uint64_t stack)
{
    hr_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = HR_REC_EVENT;
    rec.seq = ++s->seq;
    rec.thread = (uint32_t)(s->seq % 3);
    rec.u.event.kind = kind;
    rec.u.event.ptr = ptr;
    rec.u.event.old_ptr = old;
    rec.u.event.size = size;
    rec.u.event.stack = stack;
    return hr_replay_apply(s->r, &rec);
}

static const hr_finding *only(seqr *s, hr_finding_kind kind)
{
    size_t n;
    const hr_finding *f = hr_replay_findings(s->r, &n);
    CHECK_EQ_U64(n, 1);
    if (n != 1)
        return NULL;
    CHECK_EQ_U64(f[0].kind, kind);
    return &f[0];
}

static void test_double_free(void)
{
    seqr s;
    start(&s, HR_CHECK_BASIC, 0);
    ev(&s, HR_MALLOC, 0x1000, 0, 40, 11);
    ev(&s, HR_FREE, 0x1000, 0, 0, 12);
    ev(&s, HR_MALLOC, 0x2000, 0, 40, 13);
    ev(&s, HR_FREE, 0x1000, 0, 0, 14);
    const hr_finding *f = only(&s, HR_FIND_DOUBLE_FREE);
    if (f) {
        CHECK_EQ_U64(f->seq, 4);
        CHECK_EQ_U64(f->stack, 14);
        CHECK_EQ_U64(f->alloc_seq, 1);
        CHECK_EQ_U64(f->alloc_stack, 11);
        CHECK_EQ_U64(f->free_seq, 2);
        CHECK_EQ_U64(f->free_stack, 12);
        CHECK_EQ_U64(f->size, 40);
        CHECK_EQ_U64(f->thread, 4 % 3);
        CHECK_EQ_U64(f->free_thread, 2 % 3);
    }
    /* reused address: freeing it again is fine */
    ev(&s, HR_MALLOC, 0x1000, 0, 8, 15);
    ev(&s, HR_FREE, 0x1000, 0, 0, 16);
    hr_replay_result res;
    hr_replay_result_get(s.r, &res);
    CHECK_EQ_U64(res.findings_total, 1);
    CHECK_EQ_U64(res.findings[HR_FIND_DOUBLE_FREE], 1);
    CHECK_EQ_U64(res.live_end, 40);
    hr_replay_free(s.r);
}

static void test_invalid_interior_realloc(void)
{
    seqr s;
    start(&s, HR_CHECK_BASIC, 0);
    ev(&s, HR_FREE, 0x7777, 0, 0, 1);
    const hr_finding *f = only(&s, HR_FIND_INVALID_FREE);
    if (f)
        CHECK_EQ_U64(f->ptr, 0x7777);
    hr_replay_free(s.r);

    start(&s, HR_CHECK_BASIC, 0);
    ev(&s, HR_MALLOC, 0x5000, 0, 100, 1);
    ev(&s, HR_FREE, 0x5008, 0, 0, 2);
    f = only(&s, HR_FIND_INTERIOR_FREE);
    if (f) {
        CHECK_EQ_U64(f->block, 0x5000);
        CHECK_EQ_U64(f->offset, 8);
        CHECK_EQ_U64(f->alloc_seq, 1);
    }
    hr_replay_free(s.r);

    start(&s, HR_CHECK_BASIC, 0);
    ev(&s, HR_MALLOC, 0x5000, 0, 100, 1);
    ev(&s, HR_FREE, 0x5000, 0, 0, 2);
    ev(&s, HR_REALLOC, 0x6000, 0x5000, 200, 3);
    f = only(&s, HR_FIND_REALLOC_FREED);
    if (f)
        CHECK_EQ_U64(f->free_seq, 2);
    ev(&s, HR_FREE, 0x6000, 0, 0, 4); /* the realloc's result is a block all the same */
    CHECK_EQ_U64(s.r->res.findings_total, 1);
    hr_replay_free(s.r);
}

static void test_mismatch(void)
{
    static const unsigned pairs[][2] = {{HR_NEW, HR_FREE},         {HR_MALLOC, HR_DELETE},
                                        {HR_NEW_ARRAY, HR_DELETE}, {HR_NEW, HR_DELETE_ARRAY},
                                        {HR_NEW, HR_REALLOC},      {HR_CALLOC, HR_DELETE_ARRAY}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        seqr s;
        start(&s, HR_CHECK_BASIC, 0);
        ev(&s, pairs[i][0], 0x9000, 0, 24, 1);
        if (pairs[i][1] == HR_REALLOC)
            ev(&s, HR_REALLOC, 0x9100, 0x9000, 48, 2);
        else
            ev(&s, pairs[i][1], 0x9000, 0, 0, 2);
        const hr_finding *f = only(&s, HR_FIND_MISMATCHED_FREE);
        if (f)
            CHECK_EQ_U64(f->alloc_kind, pairs[i][0]);
        hr_replay_free(s.r);
    }
    static const unsigned fine[][2] = {{HR_NEW, HR_DELETE}, {HR_NEW_ARRAY, HR_DELETE_ARRAY},
                                       {HR_ALIGNED_ALLOC, HR_FREE}, {HR_VALLOC, HR_FREE}};
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        seqr s;
        start(&s, HR_CHECK_BASIC, 0);
        ev(&s, fine[i][0], 0x9000, 0, 24, 1);
        ev(&s, fine[i][1], 0x9000, 0, 0, 2);
        CHECK_EQ_U64(s.r->res.findings_total, 0);
        hr_replay_free(s.r);
    }
}

static void test_levels_and_stop(void)
{
    seqr s;
    start(&s, HR_CHECK_NONE, 0);
    ev(&s, HR_MALLOC, 0x1000, 0, 40, 1);
    ev(&s, HR_FREE, 0x1000, 0, 0, 2);
    ev(&s, HR_FREE, 0x1000, 0, 0, 3);
    ev(&s, HR_FREE, 0x4444, 0, 0, 4);
    CHECK_EQ_U64(s.r->res.findings_total, 0); /* none: nothing is checked */
    hr_replay_free(s.r);

    start(&s, HR_CHECK_BASIC, 1);
    CHECK(ev(&s, HR_MALLOC, 0x1000, 0, 40, 1) == 0);
    CHECK(ev(&s, HR_FREE, 0x2000, 0, 0, 2) == 1); /* stop at the first error */
    hr_replay_free(s.r);
}

static void test_forked(void)
{
    seqr s;
    start(&s, HR_CHECK_BASIC, 0);
    hr_record pi;
    memset(&pi, 0, sizeof pi);
    pi.type = HR_REC_PROCESS_INFO;
    pi.u.process.origin = HR_ORIGIN_FORK;
    hr_replay_apply(s.r, &pi);
    ev(&s, HR_FREE, 0x3000, 0, 0, 1); /* inherited from the parent */
    CHECK_EQ_U64(s.r->res.findings_total, 0);
    CHECK_EQ_U64(s.r->res.inherited_frees, 1);
    ev(&s, HR_MALLOC, 0x3000, 0, 8, 2);
    ev(&s, HR_FREE, 0x3000, 0, 0, 3);
    ev(&s, HR_FREE, 0x3000, 0, 0, 4); /* a double free all the same */
    only(&s, HR_FIND_DOUBLE_FREE);
    hr_replay_free(s.r);
}

/* A pseudo-random workload: the digest is the same twice, and changes with the configuration. */
static uint64_t workload_digest(const char *bands)
{
    seqr s;
    start(&s, HR_CHECK_BOUNDS, 0);
    if (bands) {
        char why[128];
        hr_replay_free(s.r);
        hr_replay_options o;
        memset(&o, 0, sizeof o);
        hr_heapcfg_default(&o.heap, HR_LAYOUT_NATIVE);
        CHECK(hr_heapcfg_parse_bands(&o.heap, bands, why, sizeof why) == 0);
        o.check = HR_CHECK_BOUNDS;
        o.sim_limit = 1ull << 32;
        CHECK_FATAL(hr_replay_new(&s.r, &o) == 0);
    }
    uint64_t x = 42, live[256] = {0};
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned k = (unsigned)(x >> 56);
        if (live[k]) {
            if (x & 0x100)
                ev(&s, HR_FREE, live[k], 0, 0, 1);
            else
                ev(&s, HR_REALLOC, live[k] + 0x10000000, live[k], (x >> 20) % 3000, 2);
            live[k] = (x & 0x100) ? 0 : live[k] + 0x10000000;
        } else {
            live[k] = 0x100000 + (uint64_t)i * 0x1000;
            ev(&s, HR_MALLOC, live[k], 0, (x >> 24) % 2000, 3);
        }
    }
    hr_replay_result res;
    hr_replay_result_get(s.r, &res);
    CHECK_EQ_U64(res.findings_total, 0);
    CHECK(res.peak_footprint >= res.peak_live);
    hr_replay_free(s.r);
    return res.digest;
}

static void test_determinism(void)
{
    uint64_t a = workload_digest(NULL), b = workload_digest(NULL), c = workload_digest("2:64,10,0:256,10,0");
    CHECK_EQ_U64(a, b);
    CHECK(a != c);
}

int main(void)
{
    test_double_free();
    test_invalid_interior_realloc();
    test_mismatch();
    test_levels_and_stop();
    test_forked();
    test_determinism();
    return check_failures ? 1 : 0;
}
