/* SPDX-License-Identifier: MIT */
/* The HTML report's moments (report-moments.h): the trace's bytes live per allocation site
 * (live-sites.h), and at MOMENTS moments evenly spread over the calls, and at the peak, the sites
 * with the most bytes live then. The page shows the moment nearest to where the timeline is
 * clicked. Sites are named once the replay is over (while a feed is open, only it reads the trace). */
#include "report-moments.h"

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

/* A moment's object up to its "top" array, which the caller fills with top_site and ends with
 * moment_end. */
static void moment_begin(json *j, uint64_t t, uint64_t events, uint64_t live, int peak)
{
    json_object_begin(j, NULL);
    json_u64(j, "t", t);
    json_u64(j, "n", events);
    json_u64(j, "live", live);
    if (peak)
        json_bool(j, "peak", 1);
    json_array_begin(j, "top");
}

static void top_site(json *j, uint64_t bytes, uint64_t blocks, const char *site)
{
    json_object_begin(j, NULL);
    json_u64(j, "bytes", bytes);
    json_u64(j, "blocks", blocks);
    json_cstr(j, "site", site);
    json_object_end(j);
}

static void moment_end(json *j)
{
    json_array_end(j);
    json_object_end(j);
}

static void write_moment(json *j, hr_reader *r, const moment_at *m)
{
    moment_begin(j, m->t, m->events, m->live, m->peak);
    for (size_t i = 0; i < m->ntop; i++) {
        char label[2048];
        cli_site_label(r, m->top[i].stack, 3, label, sizeof label);
        top_site(j, m->top[i].bytes, m->top[i].blocks, label);
    }
    moment_end(j);
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

/* ---- the moments of a process tree: at given times from the first start ---- */

/* A site live at a moment of the tree: the same label in several processes is one site. */
typedef struct named_site {
    char *site;
    uint64_t bytes, blocks;
} named_site;

typedef struct tree_moment {
    uint64_t t, events, live;
    int peak;
    named_site *v;
    size_t n;
} tree_moment;

/* One process's pass: its moments at the tree's times that fall in its life. */
typedef struct follower {
    const uint64_t *times;
    size_t ntimes, k;
    uint64_t offset, duration_ns, events;
    moment_at *at; /* at[k]: the moment at times[k] (ntop 0, live 0 outside its life) */
} follower;

static void on_tree_event(void *ctx, const hr_record *rec, const hr_heap_change *c, const hr_heap *h,
                          const cli_live_sites *s)
{
    (void)c;
    follower *f = ctx;
    uint64_t now = f->offset + (rec ? rec->time_ns : f->duration_ns);
    for (; f->k < f->ntimes && f->times[f->k] <= now; f->k++)
        f->at[f->k] = take(s, h, f->times[f->k], f->events, 0);
    f->events += rec != NULL;
}

static void add_site(tree_moment *m, const char *label, const cli_site_live *e)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].site, label) == 0) {
            m->v[i].bytes += e->bytes;
            m->v[i].blocks += e->blocks;
            return;
        }
    m->v = cli_realloc(m->v, (m->n + 1) * sizeof *m->v);
    m->v[m->n++] = (named_site){cli_strdup(label), e->bytes, e->blocks};
}

/* Process path's moments into the tree's: its live bytes, calls so far and top sites by label. */
static void follow_process(const char *path, uint64_t offset, uint64_t duration_ns, const uint64_t *times,
                           size_t ntimes, tree_moment *tm)
{
    size_t first = 0;
    while (first < ntimes && times[first] < offset)
        first++; /* before it started: nothing of it */
    hr_reader *r = cli_open_trace(path, 0);
    follower f = {times, ntimes, first, offset, duration_ns, 0, cli_realloc(NULL, ntimes * sizeof(moment_at))};
    cli_pass_done(cli_live_follow(r, on_tree_event, &f), r, path);
    for (size_t k = first; k < ntimes; k++) {
        if (k >= f.k) { /* after it ended: all its calls, nothing live */
            tm[k].events += f.events;
            continue;
        }
        tm[k].events += f.at[k].events;
        tm[k].live += f.at[k].live;
        for (size_t i = 0; i < f.at[k].ntop; i++) {
            char label[2048];
            cli_site_label(r, f.at[k].top[i].stack, 3, label, sizeof label);
            add_site(&tm[k], label, &f.at[k].top[i]);
        }
    }
    free(f.at);
    cli_stacks_done();
    hr_reader_close(r);
}

static int by_site_bytes(const void *a, const void *b)
{
    const named_site *x = a, *y = b;
    return x->bytes > y->bytes ? -1 : x->bytes < y->bytes ? 1 : strcmp(x->site, y->site);
}

static void write_tree_moment(json *j, tree_moment *m)
{
    if (m->n > 1)
        qsort(m->v, m->n, sizeof *m->v, by_site_bytes);
    moment_begin(j, m->t, m->events, m->live, m->peak);
    for (size_t i = 0; i < m->n && i < TOP; i++)
        top_site(j, m->v[i].bytes, m->v[i].blocks, m->v[i].site);
    moment_end(j);
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].site);
    free(m->v);
}

void cli_report_moments_tree(json *j, const cli_trace_set *t, const uint64_t *offsets, const uint64_t *durations,
                             uint64_t span_ns, uint64_t peak_t)
{
    uint64_t times[MOMENTS + 1];
    size_t n = 0;
    int peak_placed = 0;
    for (size_t k = 1; k <= MOMENTS; k++) { /* evenly over the span, the peak's time in its place */
        uint64_t at = span_ns / MOMENTS * k;
        if (!peak_placed && peak_t <= at) {
            if (peak_t < at || k == MOMENTS)
                times[n++] = peak_t;
            peak_placed = 1;
        }
        if (!n || times[n - 1] != at)
            times[n++] = at;
    }
    tree_moment *tm = calloc(n, sizeof *tm);
    if (!tm)
        cli_die(1, "out of memory");
    for (size_t k = 0; k < n; k++) {
        tm[k].t = times[k];
        tm[k].peak = times[k] == peak_t;
    }
    for (size_t i = 0; i < t->n; i++)
        follow_process(t->paths[i], offsets[i], durations[i], times, n, tm);
    json_array_begin(j, "snapshots");
    for (size_t k = 0; k < n; k++)
        write_tree_moment(j, &tm[k]);
    json_array_end(j);
    free(tm);
}
