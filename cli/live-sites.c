/* SPDX-License-Identifier: MIT */
/* Bytes live per allocation stack through a trace (live-sites.h). */
#include "live-sites.h"

#include "cli.h"

#include <heaprr/feed.h>

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const cli_live_sites *s, uint64_t stack)
{
    size_t i = (size_t)(stack * 0x9E3779B97F4A7C15ull >> 20) & s->mask;
    while (s->v[i].stack && s->v[i].stack != stack)
        i = (i + 1) & s->mask;
    return i;
}

static void init(cli_live_sites *s, size_t cap)
{
    s->v = cli_realloc(NULL, cap * sizeof *s->v);
    memset(s->v, 0, cap * sizeof *s->v);
    s->mask = cap - 1;
}

static void grow(cli_live_sites *s)
{
    cli_live_sites g = *s;
    init(&g, 2 * (s->mask + 1));
    for (size_t i = 0; i <= s->mask; i++)
        if (s->v[i].stack)
            g.v[slot_of(&g, s->v[i].stack)] = s->v[i];
    free(s->v);
    *s = g;
}

static cli_site_live *site(cli_live_sites *s, uint64_t stack)
{
    if (!stack)
        return &s->none;
    if (2 * (s->used + 1) > s->mask + 1)
        grow(s);
    cli_site_live *e = &s->v[slot_of(s, stack)];
    if (!e->stack) {
        e->stack = stack;
        s->used++;
    }
    return e;
}

static void count_change(cli_live_sites *s, const hr_heap_change *c)
{
    if (c->released) {
        cli_site_live *e = site(s, c->freed.stack);
        e->bytes -= c->freed.size;
        e->blocks--;
    }
    if (c->allocated) {
        cli_site_live *e = site(s, c->alloc.stack);
        e->bytes += c->alloc.size;
        e->blocks++;
    }
}

int cli_live_follow(hr_reader *r, cli_live_event_fn fn, void *ctx)
{
    hr_heap *h = hr_heap_new(NULL);
    hr_feed *f = h ? hr_feed_open(r, h) : NULL;
    if (!f)
        cli_die(1, "out of memory");
    cli_live_sites s = {NULL, 0, 0, {0, 0, 0}};
    init(&s, 1024);
    const hr_record *rec;
    int rc;
    while ((rc = hr_feed_next(f, &rec)) == 1) {
        if (rec->type != HR_REC_EVENT)
            continue;
        hr_heap_change c;
        if (hr_heap_apply(h, rec, &c) < 0)
            cli_die(1, "out of memory");
        count_change(&s, &c);
        fn(ctx, rec, &c, h, &s);
    }
    hr_feed_close(f);
    fn(ctx, NULL, NULL, h, &s);
    hr_heap_free(h);
    free(s.v);
    return rc;
}

void cli_live_sites_each(const cli_live_sites *s, void (*fn)(void *ctx, const cli_site_live *e), void *ctx)
{
    for (size_t i = 0; i <= s->mask; i++)
        if (s->v[i].stack && s->v[i].blocks)
            fn(ctx, &s->v[i]);
    if (s->none.blocks)
        fn(ctx, &s->none);
}
