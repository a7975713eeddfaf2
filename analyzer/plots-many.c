/* SPDX-License-Identifier: MIT */
/* The plots of several processes on one time axis (include/heaprr/plots.h): their samples mapped
 * onto one grid of time steps from the first start, a step being the profiles' bucket, made
 * coarser when the processes span too long a time for MAX_STEPS steps. */
#include <heaprr/plot.h>
#include <heaprr/plots.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 200000

typedef struct grid {
    uint64_t step_ns;
    size_t n;
} grid;

static uint64_t end_ns(const hr_plot_series *s)
{
    return s->offset_ns + (uint64_t)s->p->nsamples * s->p->bucket_ns;
}

static grid grid_of(const hr_plot_series *s, size_t n)
{
    uint64_t step = 0, end = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].p->bucket_ns > step)
            step = s[i].p->bucket_ns;
        if (end_ns(&s[i]) > end)
            end = end_ns(&s[i]);
    }
    if (!step)
        step = 10000000;
    uint64_t steps = end / step + 1;
    if (steps > MAX_STEPS) {
        step *= steps / MAX_STEPS + 1;
        steps = end / step + 1;
    }
    return (grid){step, (size_t)steps};
}

/* The step of the grid that sample i of s falls in. */
static size_t step_of(const grid *g, const hr_plot_series *s, size_t i)
{
    return (size_t)((s->offset_ns + (uint64_t)i * s->p->bucket_ns) / g->step_ns);
}

/* live[k]: the most bytes s had live in step k (0 where it did not run). */
static void live_of(const grid *g, const hr_plot_series *s, uint64_t *live)
{
    for (size_t i = 0; i < s->p->nsamples; i++) {
        size_t k = step_of(g, s, i);
        if (k < g->n && s->p->samples[i].live_max > live[k])
            live[k] = s->p->samples[i].live_max;
    }
}

static int by_peak(const void *a, const void *b)
{
    const hr_plot_series *x = *(const hr_plot_series *const *)a, *y = *(const hr_plot_series *const *)b;
    return x->p->peak_bytes > y->p->peak_bytes ? -1 : x->p->peak_bytes < y->p->peak_bytes;
}

static int no_memory(char *why, size_t why_size)
{
    snprintf(why, why_size, "out of memory drawing the plot");
    return -1;
}

/* The line of one process, as data block index k, from its start to its end. */
static void series_block(FILE *d, const hr_plot_series *s)
{
    fprintf(d, "\n\n%.6f 0\n", (double)s->offset_ns / 1e9);
    for (size_t i = 0; i < s->p->nsamples; i++)
        fprintf(d, "%.6f %" PRIu64 "\n", (double)(s->offset_ns + (i + 1) * s->p->bucket_ns) / 1e9,
                s->p->samples[i].live_max);
}

int hr_series_live(const hr_plot_series *s, size_t n, uint64_t **live, size_t *steps, uint64_t *step_ns)
{
    grid g = grid_of(s, n);
    uint64_t *all = calloc(g.n, sizeof *all), *one = calloc(g.n, sizeof *one);
    if (!all || !one) {
        free(all), free(one);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        memset(one, 0, g.n * sizeof *one);
        live_of(&g, &s[i], one);
        for (size_t k = 0; k < g.n; k++)
            all[k] += one[k];
    }
    free(one);
    *live = all;
    *steps = g.n;
    *step_ns = g.step_ns;
    return 0;
}

int hr_plot_heap_many(const hr_plot_series *s, size_t n, const char *title, const char *out, char *why,
                      size_t why_size)
{
    grid g;
    uint64_t *all = NULL;
    const hr_plot_series **order = malloc((n ? n : 1) * sizeof *order);
    if (!order || hr_series_live(s, n, &all, &g.n, &g.step_ns) < 0) {
        free(order);
        return no_memory(why, why_size);
    }
    for (size_t i = 0; i < n; i++)
        order[i] = &s[i];
    qsort(order, n, sizeof *order, by_peak);
    size_t drawn = n < HR_PLOT_SERIES_DRAWN ? n : HR_PLOT_SERIES_DRAWN, peak_at = 0;
    hr_plot *pl = hr_plot_begin(out, why, why_size);
    if (!pl) {
        free(all), free(order);
        return -1;
    }
    FILE *d = hr_plot_data(pl), *c = hr_plot_commands(pl);
    fprintf(d, "0 0\n");
    for (size_t k = 0; k < g.n; k++) {
        fprintf(d, "%.6f %" PRIu64 "\n", (double)((k + 1) * g.step_ns) / 1e9, all[k]);
        if (all[k] > all[peak_at])
            peak_at = k;
    }
    for (size_t i = 0; i < drawn; i++)
        series_block(d, order[i]);
    hr_plot_title(c, title);
    fputs(HR_PLOT_BYTES_AXIS, c);
    fprintf(c,
            "set xlabel 'time (s) since the first process started'\nset ylabel 'live heap (bytes)'\n"
            "set yrange [0:*]\nset key outside below\n"
            "set label 1 sprintf('peak of all %%.1f MB at %%.3f s', %" PRIu64 " / 1e6, %.6f) at graph 0.02, graph 0.9\n"
            "plot $data index 0 using 1:2 with steps lw 2 title 'all %zu processes (most in each %.3f s)'",
            g.n ? all[peak_at] : 0, (double)((peak_at + 1) * g.step_ns) / 1e9, n, (double)g.step_ns / 1e9);
    for (size_t i = 0; i < drawn; i++) {
        fprintf(c, ", '' index %zu using 1:2 with steps lw 1 title ", i + 1);
        hr_plot_quote(c, order[i]->label);
    }
    fputc('\n', c);
    free(all);
    free(order);
    return hr_plot_end(pl, why, why_size);
}

int hr_plot_rate_many(const hr_plot_series *s, size_t n, const char *title, const char *out, char *why,
                      size_t why_size)
{
    grid g = grid_of(s, n);
    uint64_t *allocs = calloc(g.n, sizeof *allocs), *bytes = calloc(g.n, sizeof *bytes);
    if (!allocs || !bytes) {
        free(allocs), free(bytes);
        return no_memory(why, why_size);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s[i].p->nsamples; j++) {
            size_t k = step_of(&g, &s[i], j);
            if (k < g.n) {
                allocs[k] += s[i].p->samples[j].allocs;
                bytes[k] += s[i].p->samples[j].bytes;
            }
        }
    hr_plot *pl = hr_plot_begin(out, why, why_size);
    if (!pl) {
        free(allocs), free(bytes);
        return -1;
    }
    FILE *d = hr_plot_data(pl), *c = hr_plot_commands(pl);
    double sec = (double)g.step_ns / 1e9;
    for (size_t k = 0; k < g.n; k++)
        fprintf(d, "%.6f %.1f %.1f\n", (double)k * sec, (double)allocs[k] / sec, (double)bytes[k] / sec);
    hr_plot_title(c, title);
    fprintf(c, "set xlabel 'time (s) since the first process started'\nset ylabel 'allocations per second'\n"
               "set y2label 'bytes allocated per second'\n"
               "set format y '%%.1s%%c'\nset format y2 '%%.1s %%cB/s'\nset ytics nomirror\nset y2tics\n"
               "set yrange [0:*]\nset y2range [0:*]\n"
               "plot $data using 1:2 with steps lw 2 title 'allocations/s, all %zu processes', "
               "'' using 1:3 axes x1y2 with steps lw 1 dt 2 title 'bytes/s'\n",
            n);
    free(allocs);
    free(bytes);
    return hr_plot_end(pl, why, why_size);
}
