/* SPDX-License-Identifier: MIT */
/* The HTML report's moments (report-html.h): the live heap replayed event by event (formats' live
 * set, read through a feed), the bytes live per allocation site kept up to date as blocks come and
 * go, and at MOMENTS moments evenly spread over the calls, and at the peak, the sites with the most
 * bytes live then. The page shows the moment nearest to where the timeline is clicked. Sites are
 * named once the replay is over (while a feed is open, only it reads the trace). */
#include "report-html.h"

#include "stacks.h"

#include <heaprr/feed.h>
#include <heaprr/live.h>

#include <stdlib.h>
#include <string.h>

#define MOMENTS 40
#define TOP 8

typedef struct site_live {
    uint64_t stack, bytes, blocks;
} site_live;

/* Bytes live per stack: open addressing, stack 0 slots empty (stack ids start at 1); blocks with
 * no stack in none. */
typedef struct site_table {
    site_live *v;
    size_t mask, used;
    site_live none;
} site_table;

typedef struct moment_at {
    uint64_t t, events, live;
    int peak;
    size_t ntop;
    site_live top[TOP];
} moment_at;

static size_t slot_of(const site_table *s, uint64_t stack)
{
    size_t i = (size_t)(stack * 0x9E3779B97F4A7C15ull >> 20) & s->mask;
    while (s->v[i].stack && s->v[i].stack != stack)
        i = (i + 1) & s->mask;
    return i;
}

static void grow(site_table *s)
{
    site_table g = {cli_realloc(NULL, 2 * (s->mask + 1) * sizeof *s->v), 2 * s->mask + 1, s->used, s->none};
    memset(g.v, 0, (g.mask + 1) * sizeof *g.v);
    for (size_t i = 0; i <= s->mask; i++)
        if (s->v[i].stack)
            g.v[slot_of(&g, s->v[i].stack)] = s->v[i];
    free(s->v);
    *s = g;
}

static site_live *site(site_table *s, uint64_t stack)
{
    if (!stack)
        return &s->none;
    if (2 * (s->used + 1) > s->mask + 1)
        grow(s);
    site_live *e = &s->v[slot_of(s, stack)];
    if (!e->stack) {
        e->stack = stack;
        s->used++;
    }
    return e;
}

/* What one event did to the bytes live per site. */
static void count_change(site_table *s, const hr_heap_change *c)
{
    if (c->released) {
        site_live *e = site(s, c->freed.stack);
        e->bytes -= c->freed.size;
        e->blocks--;
    }
    if (c->allocated) {
        site_live *e = site(s, c->alloc.stack);
        e->bytes += c->alloc.size;
        e->blocks++;
    }
}

static int before(const site_live *x, const site_live *y)
{
    return x->bytes > y->bytes || (x->bytes == y->bytes && x->stack < y->stack);
}

/* e among the TOP largest of m so far, in order. */
static void consider(moment_at *m, const site_live *e)
{
    if (!e->bytes || (m->ntop == TOP && !before(e, &m->top[TOP - 1])))
        return;
    size_t i = m->ntop < TOP ? m->ntop++ : TOP - 1;
    while (i > 0 && before(e, &m->top[i - 1])) {
        m->top[i] = m->top[i - 1];
        i--;
    }
    m->top[i] = *e;
}

static moment_at take(const site_table *s, const hr_heap *h, uint64_t t, uint64_t events, int peak)
{
    moment_at m = {t, events, hr_heap_live_bytes(h), peak, 0, {{0, 0, 0}}};
    for (size_t i = 0; i <= s->mask; i++)
        if (s->v[i].stack)
            consider(&m, &s->v[i]);
    consider(&m, &s->none);
    return m;
}

static void write_moment(json *j, hr_reader *r, const moment_at *m)
{
    json_object_begin(j, NULL);
    json_u64(j, "t", m->t);
    json_u64(j, "n", m->events);
    json_u64(j, "live", m->live);
    if (m->peak)
        json_bool(j, "peak", 1);
    json_array_begin(j, "top");
    for (size_t i = 0; i < m->ntop; i++) {
        char label[2048];
        cli_site_label(r, m->top[i].stack, 3, label, sizeof label);
        json_object_begin(j, NULL);
        json_u64(j, "bytes", m->top[i].bytes);
        json_u64(j, "blocks", m->top[i].blocks);
        json_cstr(j, "site", label);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
}

/* The moments of the trace r into at (room for MOMENTS + 2); returns how many, or a negative
 * hr_err of the reader. */
static int replay(hr_reader *r, const hr_profile *p, moment_at *at, size_t *n)
{
    hr_heap *h = hr_heap_new(NULL);
    hr_feed *f = h ? hr_feed_open(r, h) : NULL;
    site_table s = {cli_realloc(NULL, 1024 * sizeof(site_live)), 1023, 0, {0, 0, 0}};
    if (!f)
        cli_die(1, "out of memory");
    memset(s.v, 0, 1024 * sizeof *s.v);
    uint64_t step = p->calls > MOMENTS ? (p->calls + MOMENTS - 1) / MOMENTS : 1, events = 0;
    const hr_record *rec;
    int rc;
    *n = 0;
    while ((rc = hr_feed_next(f, &rec)) == 1) {
        if (rec->type != HR_REC_EVENT)
            continue;
        hr_heap_change c;
        memset(&c, 0, sizeof c);
        if (hr_heap_apply(h, rec, &c) < 0)
            cli_die(1, "out of memory");
        count_change(&s, &c);
        events++;
        int peak = rec->seq == p->peak_seq && hr_heap_live_bytes(h) == p->peak_bytes;
        if ((peak || events % step == 0) && *n < MOMENTS + 1)
            at[(*n)++] = take(&s, h, rec->time_ns, events, peak);
    }
    if (events % step && *n < MOMENTS + 2)
        at[(*n)++] = take(&s, h, p->duration_ns, events, 0);
    hr_feed_close(f);
    hr_heap_free(h);
    free(s.v);
    return rc;
}

void cli_report_moments(json *j, const char *path, const hr_profile *p)
{
    hr_reader *r = cli_open_trace(path, 0);
    moment_at at[MOMENTS + 2];
    size_t n;
    int rc = replay(r, p, at, &n);
    cli_pass_done(rc, r, path);
    json_array_begin(j, "snapshots");
    for (size_t i = 0; i < n; i++)
        write_moment(j, r, &at[i]);
    json_array_end(j);
    cli_stacks_done();
    hr_reader_close(r);
}
