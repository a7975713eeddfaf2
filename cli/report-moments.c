/* SPDX-License-Identifier: MIT */
/* The HTML report's moments (report-html.h): the live heap replayed event by event (formats' live
 * set), and at MOMENTS moments evenly spread over the calls, and at the peak, the sites with the
 * most bytes live then. The page shows the moment nearest to where the timeline is clicked. */
#include "report-html.h"

#include "stacks.h"

#include <heaprr/live.h>

#include <stdlib.h>
#include <string.h>

#define MOMENTS 40
#define TOP 8

typedef struct site_live {
    uint64_t stack, bytes, blocks;
} site_live;

typedef struct moment_pass {
    site_live *v; /* open addressing by stack; stack 0 slots are empty (stack ids start at 1) */
    size_t mask;
    int has_none; /* blocks with no stack */
    site_live none;
} moment_pass;

static void count_block(void *ctx, const hr_block *b)
{
    moment_pass *m = ctx;
    site_live *s = &m->none;
    if (b->stack) {
        size_t i = (size_t)(b->stack * 0x9E3779B97F4A7C15ull >> 20) & m->mask;
        while (m->v[i].stack && m->v[i].stack != b->stack)
            i = (i + 1) & m->mask;
        s = &m->v[i];
        s->stack = b->stack;
    } else {
        m->has_none = 1;
    }
    s->bytes += b->size;
    s->blocks++;
}

static int by_bytes(const void *a, const void *b)
{
    const site_live *x = a, *y = b;
    return x->bytes > y->bytes ? -1 : x->bytes < y->bytes ? 1 : (x->stack > y->stack) - (x->stack < y->stack);
}

static void moment(json *j, hr_reader *r, hr_heap *h, uint64_t t, uint64_t events, int peak)
{
    size_t blocks = hr_heap_live_blocks(h), cap = 64;
    while (cap < blocks * 2 + 2)
        cap *= 2;
    moment_pass m = {calloc(cap, sizeof(site_live)), cap - 1, 0, {0, 0, 0}};
    if (!m.v)
        cli_die(1, "out of memory");
    hr_heap_each(h, count_block, &m);
    size_t n = 0;
    for (size_t i = 0; i <= m.mask; i++)
        if (m.v[i].stack)
            m.v[n++] = m.v[i];
    if (m.has_none)
        m.v[n++] = m.none;
    qsort(m.v, n, sizeof *m.v, by_bytes);
    json_object_begin(j, NULL);
    json_u64(j, "t", t);
    json_u64(j, "n", events);
    json_u64(j, "live", hr_heap_live_bytes(h));
    if (peak)
        json_bool(j, "peak", 1);
    json_array_begin(j, "top");
    for (size_t i = 0; i < n && i < TOP; i++) {
        char label[2048];
        cli_site_label(r, m.v[i].stack, 3, label, sizeof label);
        json_object_begin(j, NULL);
        json_u64(j, "bytes", m.v[i].bytes);
        json_u64(j, "blocks", m.v[i].blocks);
        json_cstr(j, "site", label);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
    free(m.v);
}

void cli_report_moments(json *j, const char *path, const hr_profile *p)
{
    hr_reader *r = cli_open_trace(path, 0);
    hr_heap *h = hr_heap_new(NULL);
    if (!h)
        cli_die(1, "out of memory");
    uint64_t step = p->calls / MOMENTS ? p->calls / MOMENTS : 1, events = 0;
    hr_record rec;
    int rc;
    json_array_begin(j, "snapshots");
    while ((rc = hr_reader_next(r, &rec)) == 1) {
        if (hr_heap_apply(h, &rec, NULL) < 0)
            cli_die(1, "out of memory");
        if (rec.type != HR_REC_EVENT)
            continue;
        events++;
        if (rec.seq == p->peak_seq && hr_heap_live_bytes(h) == p->peak_bytes)
            moment(j, r, h, rec.time_ns, events, 1);
        else if (events % step == 0)
            moment(j, r, h, rec.time_ns, events, 0);
    }
    cli_pass_done(rc, r, path);
    if (events % step)
        moment(j, r, h, p->duration_ns, events, 0);
    json_array_end(j);
    hr_heap_free(h);
    cli_stacks_done();
    hr_reader_close(r);
}
