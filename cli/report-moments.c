/* SPDX-License-Identifier: MIT */
/* The HTML report's moments (report-html.h): the trace's bytes live per allocation site
 * (live-sites.h), and at MOMENTS moments evenly spread over the calls, and at the peak, the sites
 * with the most bytes live then. The page shows the moment nearest to where the timeline is
 * clicked. Sites are named once the replay is over (while a feed is open, only it reads the trace). */
#include "report-html.h"

#include "live-sites.h"
#include "stacks.h"

#include <stdlib.h>
#include <string.h>

#define MOMENTS 40
#define TOP 8

typedef struct moment_at {
    uint64_t t, events, live;
    int peak;
    size_t ntop;
    cli_site_live top[TOP];
} moment_at;

static int before(const cli_site_live *x, const cli_site_live *y)
{
    return x->bytes > y->bytes || (x->bytes == y->bytes && x->stack < y->stack);
}

/* e among the TOP largest of m so far, in order. */
static void consider(void *ctx, const cli_site_live *e)
{
    moment_at *m = ctx;
    if (!e->bytes || (m->ntop == TOP && !before(e, &m->top[TOP - 1])))
        return;
    size_t i = m->ntop < TOP ? m->ntop++ : TOP - 1;
    while (i > 0 && before(e, &m->top[i - 1])) {
        m->top[i] = m->top[i - 1];
        i--;
    }
    m->top[i] = *e;
}

static moment_at take(const cli_live_sites *s, const hr_heap *h, uint64_t t, uint64_t events, int peak)
{
    moment_at m = {t, events, hr_heap_live_bytes(h), peak, 0, {{0, 0, 0}}};
    cli_live_sites_each(s, consider, &m);
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

typedef struct moments {
    const hr_profile *p;
    uint64_t step, events;
    moment_at at[MOMENTS + 2];
    size_t n;
} moments;

static void on_event(void *ctx, const hr_record *rec, const hr_heap_change *c, const hr_heap *h,
                     const cli_live_sites *s)
{
    (void)c;
    moments *m = ctx;
    if (!rec) { /* the end, when no step fell on it */
        if (m->events % m->step)
            m->at[m->n++] = take(s, h, m->p->duration_ns, m->events, 0);
        return;
    }
    m->events++;
    int peak = rec->seq == m->p->peak_seq && hr_heap_live_bytes(h) == m->p->peak_bytes;
    if ((peak || m->events % m->step == 0) && m->n < MOMENTS + 1)
        m->at[m->n++] = take(s, h, rec->time_ns, m->events, peak);
}

void cli_report_moments(json *j, const char *path, const hr_profile *p)
{
    hr_reader *r = cli_open_trace(path, 0);
    moments *m = cli_realloc(NULL, sizeof *m);
    *m = (moments){p, p->calls > MOMENTS ? (p->calls + MOMENTS - 1) / MOMENTS : 1, 0, {{0}}, 0};
    cli_pass_done(cli_live_follow(r, on_event, m), r, path);
    json_array_begin(j, "snapshots");
    for (size_t i = 0; i < m->n; i++)
        write_moment(j, r, &m->at[i]);
    free(m);
    json_array_end(j);
    cli_stacks_done();
    hr_reader_close(r);
}
