/* SPDX-License-Identifier: MIT */
/* heaprr report --html (report-html.h): the figures of a trace as the JSON the page reads: the
 * summary, the flame graph's tree, the live heap over time (at most TIMELINE_POINTS points, each
 * the highest of the buckets it stands for) with the peak, the moments of the timeline, the
 * largest leaks with their stacks, the size bins, and the findings of a replay on the band model
 * with their stacks. The JSON goes into the page's data element, "</" written "<\/" so that no
 * string can end the element. */
#define _GNU_SOURCE
#include "report-html.h"
#include "report-flame.h"
#include "report-moments.h"

#include "heapopts.h"
#include "passes.h"
#include "stacks.h"

#include <heaprr/bins.h>
#include <heaprr/plots.h>
#include <heaprr/replay.h>
#include <heaprr/symbolize.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TIMELINE_POINTS 1000
#define TOP_LEAKS 50
#define TOP_FINDINGS 100

/* A stack as "function (file:line)" lines, innermost first, joined by '\n' (malloc'd). */
static char *frames_text(hr_reader *r, uint64_t stack)
{
    const hr_symframe *f;
    size_t n = stack ? cli_stack_frames(r, stack, &f) : 0, len = 0;
    char *out = NULL;
    FILE *m = open_memstream(&out, &len);
    if (!m)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char name[1024];
        cli_frame_name(&f[i], name, sizeof name);
        fprintf(m, "%s%s", i ? "\n" : "", name);
        if (f[i].function && f[i].file)
            fprintf(m, " (%s:%u)%s", f[i].file, f[i].line, f[i].inlined ? " [inlined]" : "");
    }
    if (fclose(m) != 0)
        cli_die(1, "out of memory");
    return out;
}

static void json_lines(json *j, const char *key, const char *text)
{
    json_array_begin(j, key);
    for (const char *s = text; s && *s;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        json_str(j, NULL, s, n);
        s += n + (nl != NULL);
    }
    json_array_end(j);
}

static void json_frames(json *j, const char *key, hr_reader *r, uint64_t stack)
{
    char *text = frames_text(r, stack);
    json_lines(j, key, text);
    free(text);
}

/* ---- what is gathered over the traces ---- */

typedef struct leak_entry {
    uint64_t bytes, blocks;
    uint32_t pid;
    char *frames;
} leak_entry;

typedef struct process_row {
    const char *path;
    uint32_t pid, ppid;
    char cmd[1024];
    uint64_t calls, allocs, frees, failed, bytes, peak_bytes, peak_blocks, leaked_bytes, leaked_blocks, duration_ns;
} process_row;

/* What the timeline of a tree needs of each process's profile: its samples, and when it started. */
typedef struct process_time {
    hr_profile light; /* samples, nsamples, bucket_ns, duration_ns, peak_bytes only */
    uint64_t start_ns;
} process_time;

typedef struct gathered {
    process_time *times; /* several traces: one per trace */
    cli_flame *flame;
    leak_entry *leaks;
    size_t nleaks, capleaks;
    process_row *procs;
    size_t nprocs;
    hr_bins bins;
} gathered;

static void process(gathered *g, const char *path, hr_reader *r, const hr_profile *p)
{
    const hr_header *h = hr_reader_header(r);
    process_row *row = &g->procs[g->nprocs++];
    *row = (process_row){.path = path,
                         .pid = h ? h->pid : 0,
                         .ppid = h ? h->ppid : 0,
                         .calls = p->calls,
                         .allocs = p->allocs,
                         .frees = p->frees,
                         .failed = p->failed,
                         .bytes = p->bytes,
                         .peak_bytes = p->peak_bytes,
                         .peak_blocks = p->peak_blocks,
                         .leaked_bytes = p->leaked_bytes,
                         .leaked_blocks = p->leaked_blocks,
                         .duration_ns = p->duration_ns};
    for (size_t i = 0; h && i < h->cmdline.len && i + 1 < sizeof row->cmd; i++)
        row->cmd[i] = h->cmdline.ptr[i] ? h->cmdline.ptr[i] : ' ';
}

static void gather_leaks(gathered *g, hr_reader *r, const hr_profile *p, uint32_t pid)
{
    for (size_t i = 0; i < p->nsites; i++) {
        const hr_site *s = &p->sites[i];
        if (!s->live_bytes && !s->live_blocks)
            continue;
        if (g->nleaks == g->capleaks) {
            g->capleaks = g->capleaks ? g->capleaks * 2 : 64;
            g->leaks = realloc(g->leaks, g->capleaks * sizeof *g->leaks);
            if (!g->leaks)
                cli_die(1, "out of memory");
        }
        g->leaks[g->nleaks++] = (leak_entry){s->live_bytes, s->live_blocks, pid, frames_text(r, s->stack)};
    }
}

static void gather_bins(gathered *g, const char *path, int first)
{
    hr_bins b;
    hr_bins_default(&b);
    hr_reader *r = cli_bins_pass(path, &b);
    if (first)
        g->bins = b;
    else
        for (uint32_t i = 0; i < b.n && i < g->bins.n; i++) {
            g->bins.bins[i].allocs += b.bins[i].allocs;
            g->bins.bins[i].frees += b.bins[i].frees;
            g->bins.bins[i].live += b.bins[i].live;
            g->bins.bins[i].peak_live += b.bins[i].peak_live;
        }
    cli_pass_end(r);
}

/* ---- writing ---- */

/* From the first start of the processes to the last end. */
static uint64_t tree_span(const gathered *g)
{
    uint64_t first = UINT64_MAX, end = 0;
    for (size_t i = 0; i < g->nprocs; i++) {
        uint64_t start = g->times[i].start_ns, stop = start + g->times[i].light.duration_ns;
        first = start < first ? start : first;
        end = stop > end ? stop : end;
    }
    return end > first ? end - first : 0;
}

static void summary(json *j, const gathered *g)
{
    process_row sum = {0};
    for (size_t i = 0; i < g->nprocs; i++) {
        const process_row *p = &g->procs[i];
        sum.calls += p->calls;
        sum.allocs += p->allocs;
        sum.frees += p->frees;
        sum.failed += p->failed;
        sum.bytes += p->bytes;
        sum.leaked_bytes += p->leaked_bytes;
        sum.leaked_blocks += p->leaked_blocks;
        if (p->peak_bytes > sum.peak_bytes) {
            sum.peak_bytes = p->peak_bytes;
            sum.peak_blocks = p->peak_blocks;
        }
    }
    json_cstr(j, "file", g->procs[0].path);
    json_cstr(j, "cmd", g->procs[0].cmd);
    json_u64(j, "pid", g->procs[0].pid);
    json_object_begin(j, "summary");
    json_u64(j, "processes", g->nprocs);
    json_u64(j, "calls", sum.calls);
    json_u64(j, "allocs", sum.allocs);
    json_u64(j, "frees", sum.frees);
    json_u64(j, "failed", sum.failed);
    json_u64(j, "bytes", sum.bytes);
    json_u64(j, "peak_bytes", sum.peak_bytes);
    json_u64(j, "peak_blocks", sum.peak_blocks);
    json_u64(j, "leaked_bytes", sum.leaked_bytes);
    json_u64(j, "leaked_blocks", sum.leaked_blocks);
    json_u64(j, "duration_ns", g->times ? tree_span(g) : g->procs[0].duration_ns);
    json_object_end(j);
}

static void processes(json *j, const gathered *g, const cli_trace_set *t)
{
    json_array_begin(j, "processes");
    for (size_t i = 0; i < g->nprocs; i++) {
        const process_row *p = &g->procs[i];
        int depth = cli_trace_set_depth(t, i);
        json_object_begin(j, NULL);
        json_cstr(j, "trace", p->path);
        json_u64(j, "pid", p->pid);
        json_u64(j, "ppid", p->ppid);
        json_u64(j, "depth", (uint64_t)depth);
        json_cstr(j, "cmd", p->cmd);
        json_u64(j, "calls", p->calls);
        json_u64(j, "bytes", p->bytes);
        json_u64(j, "peak_bytes", p->peak_bytes);
        json_u64(j, "leaked_bytes", p->leaked_bytes);
        json_object_end(j);
    }
    json_array_end(j);
}

/* [t_ns, live bytes] pairs: each the highest of the steps it stands for. */
static void series(json *j, const uint64_t *live, size_t n, uint64_t step_ns)
{
    size_t per = (n + TIMELINE_POINTS - 1) / TIMELINE_POINTS;
    per = per ? per : 1;
    json_array_begin(j, "timeline");
    json_array_begin(j, NULL);
    json_u64(j, NULL, 0);
    json_u64(j, NULL, 0);
    json_array_end(j);
    for (size_t i = 0; i < n; i += per) {
        uint64_t most = 0;
        for (size_t k = i; k < i + per && k < n; k++)
            most = live[k] > most ? live[k] : most;
        json_array_begin(j, NULL);
        json_u64(j, NULL, (uint64_t)(i + per) * step_ns);
        json_u64(j, NULL, most);
        json_array_end(j);
    }
    json_array_end(j);
}

static void peak(json *j, uint64_t t, uint64_t bytes)
{
    json_object_begin(j, "peak");
    json_u64(j, "t", t);
    json_u64(j, "bytes", bytes);
    json_object_end(j);
}

/* The timeline of one process (the first of several given without their times). */
static void timeline(json *j, const hr_profile *p)
{
    uint64_t *live = cli_realloc(NULL, (p->nsamples ? p->nsamples : 1) * sizeof *live);
    for (size_t i = 0; i < p->nsamples; i++)
        live[i] = p->samples[i].live_max;
    series(j, live, p->nsamples, p->bucket_ns);
    free(live);
    peak(j, p->peak_time_ns, p->peak_bytes);
    json_cstr(j, "timeline_of", "first");
}

/* When in step `at` of step_ns the summed heap peaked: the peak of the process with the highest one
 * in that step (its event is where the live heap was highest), else the step's start. */
static uint64_t peak_time(const gathered *g, size_t n, const uint64_t *offsets, size_t at, uint64_t step_ns)
{
    uint64_t t = at * step_ns, best = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t pt = offsets[i] + g->times[i].light.peak_time_ns;
        if (pt >= at * step_ns && pt < (at + 1) * step_ns && g->times[i].light.peak_bytes > best) {
            best = g->times[i].light.peak_bytes;
            t = pt;
        }
    }
    return t;
}

/* The timeline of several processes: their live heaps summed on one time axis from the first start,
 * and the moments of all of them. */
static void tree_timeline(json *j, const gathered *g, const cli_trace_set *t)
{
    hr_plot_series *s = cli_realloc(NULL, t->n * sizeof *s);
    uint64_t *offsets = cli_realloc(NULL, t->n * sizeof *offsets), *durations = cli_realloc(NULL, t->n * sizeof *durations);
    uint64_t first = UINT64_MAX, *live, step_ns, span = tree_span(g);
    for (size_t i = 0; i < t->n; i++)
        first = g->times[i].start_ns < first ? g->times[i].start_ns : first;
    for (size_t i = 0; i < t->n; i++) {
        offsets[i] = g->times[i].start_ns - first;
        durations[i] = g->times[i].light.duration_ns;
        s[i] = (hr_plot_series){&g->times[i].light, g->procs[i].path, offsets[i]};
    }
    size_t n, at = 0;
    if (hr_series_live(s, t->n, &live, &n, &step_ns) < 0)
        cli_die(1, "out of memory");
    for (size_t k = 0; k < n; k++)
        at = live[k] > live[at] ? k : at;
    uint64_t when = n ? peak_time(g, t->n, offsets, at, step_ns) : 0;
    series(j, live, n, step_ns);
    peak(j, when, n ? live[at] : 0);
    json_cstr(j, "timeline_of", "all");
    cli_report_moments_tree(j, t, offsets, durations, span, when);
    free(live), free(s), free(offsets), free(durations);
}

static int by_leaked(const void *a, const void *b)
{
    const leak_entry *x = a, *y = b;
    return x->bytes > y->bytes ? -1 : x->bytes < y->bytes ? 1 : (x->pid > y->pid) - (x->pid < y->pid);
}

static void leaks(json *j, gathered *g)
{
    if (g->nleaks > 1)
        qsort(g->leaks, g->nleaks, sizeof *g->leaks, by_leaked);
    json_array_begin(j, "leaks");
    for (size_t i = 0; i < g->nleaks && i < TOP_LEAKS; i++) {
        json_object_begin(j, NULL);
        json_u64(j, "bytes", g->leaks[i].bytes);
        json_u64(j, "blocks", g->leaks[i].blocks);
        json_u64(j, "pid", g->leaks[i].pid);
        json_lines(j, "stack", g->leaks[i].frames);
        json_object_end(j);
    }
    json_array_end(j);
    for (size_t i = 0; i < g->nleaks; i++)
        free(g->leaks[i].frames);
    free(g->leaks);
}

static void bins(json *j, const hr_bins *b)
{
    json_array_begin(j, "bins");
    for (uint32_t i = 0; i < b->n; i++) {
        json_object_begin(j, NULL);
        if (b->bins[i].le == UINT64_MAX)
            json_null(j, "le");
        else
            json_u64(j, "le", b->bins[i].le);
        json_u64(j, "allocs", b->bins[i].allocs);
        json_u64(j, "frees", b->bins[i].frees);
        json_u64(j, "live", b->bins[i].live);
        json_u64(j, "peak_live", b->bins[i].peak_live);
        json_object_end(j);
    }
    json_array_end(j);
}

/* One trace's replay on the band model with the default checker: its findings with their stacks. */
static void findings(json *j, const char *path, uint32_t pid)
{
    hr_reader *r = cli_open_trace(path, 0);
    hr_replay_options o = {.check = HR_CHECK_BASIC};
    const cli_heapopts defaults = {0};
    cli_heap_config("report", &defaults, &o.heap);
    hr_replay *rp;
    if (hr_replay_new(&rp, &o) < 0)
        cli_die(1, "%s", hr_replay_setup_error());
    int rc = hr_replay_run(rp, r);
    if (rc == HR_ERR_NOMEM)
        cli_die(1, "out of memory replaying %s", path);
    if (rc < 0)
        cli_trace_error(r);
    size_t n;
    const hr_finding *f = hr_replay_findings(rp, &n);
    for (size_t i = 0; i < n && i < TOP_FINDINGS; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s(0x%" PRIx64 ") at event #%" PRIu64 ", block 0x%" PRIx64 " of %" PRIu64 " bytes",
                 hr_kind_name(f[i].event_kind) ? hr_kind_name(f[i].event_kind) : "at exit", f[i].ptr, f[i].seq,
                 f[i].block, f[i].size);
        json_object_begin(j, NULL);
        json_cstr(j, "kind", hr_finding_name(f[i].kind));
        json_cstr(j, "text", text);
        json_u64(j, "pid", pid);
        json_frames(j, "stack", r, f[i].stack);
        json_frames(j, "alloc_stack", r, f[i].alloc_stack);
        json_frames(j, "free_stack", r, f[i].free_stack);
        json_object_end(j);
    }
    hr_replay_free(rp);
    cli_stacks_done();
    hr_reader_close(r);
}

/* One trace's part: its profile into the flame graph, leaks, bins and its process line; the first
 * trace's timeline and moments are written as they come. */
static void one_trace(json *j, gathered *g, const char *path, int first)
{
    hr_profile p;
    hr_reader *r = cli_profile_pass(path, "report", &p);
    if (g->times) {
        process_time *pt = &g->times[g->nprocs];
        pt->light = (hr_profile){.nsamples = p.nsamples, .bucket_ns = p.bucket_ns, .duration_ns = p.duration_ns,
                                 .peak_bytes = p.peak_bytes, .peak_time_ns = p.peak_time_ns};
        pt->light.samples = cli_realloc(NULL, (p.nsamples ? p.nsamples : 1) * sizeof *p.samples);
        if (p.nsamples)
            memcpy(pt->light.samples, p.samples, p.nsamples * sizeof *p.samples);
        pt->start_ns = hr_reader_header(r) ? hr_reader_header(r)->start_realtime_ns : 0;
    }
    process(g, path, r, &p);
    cli_flame_add(g->flame, r, &p);
    gather_leaks(g, r, &p, g->procs[g->nprocs - 1].pid);
    cli_stacks_done();
    if (first && !g->times) {
        timeline(j, &p);
        cli_report_moments(j, path, &p);
    }
    cli_profile_free(&p);
    cli_pass_end(r);
    gather_bins(g, path, first);
}

/* The data, into a memory buffer. */
static char *data(const cli_trace_set *t, size_t *len, int replay)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    if (!m)
        cli_die(1, "out of memory");
    json j;
    json_init_compact(&j, m);
    json_object_begin(&j, NULL);
    gathered g = {NULL, cli_flame_new(), NULL, 0, 0, calloc(t->n, sizeof(process_row)), 0, {{{0}}, 0}};
    if (t->n > 1)
        g.times = calloc(t->n, sizeof *g.times);
    if (!g.procs || (t->n > 1 && !g.times))
        cli_die(1, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        one_trace(&j, &g, t->paths[i], i == 0);
    if (g.times)
        tree_timeline(&j, &g, t);
    summary(&j, &g);
    if (g.times) {
        for (size_t i = 0; i < t->n; i++)
            free(g.times[i].light.samples);
        free(g.times);
    }
    processes(&j, &g, t);
    cli_flame_write(&j, g.flame);
    cli_flame_free(g.flame);
    leaks(&j, &g);
    bins(&j, &g.bins);
    if (replay) { /* none: the page says the traces were not replayed */
        json_array_begin(&j, "findings");
        for (size_t i = 0; i < t->n; i++)
            findings(&j, t->paths[i], g.procs[i].pid);
        json_array_end(&j);
    }
    free(g.procs);
    json_object_end(&j);
    if (fclose(m) != 0)
        cli_die(1, "out of memory");
    return buf;
}

/* The JSON with "</" as "<\/": inside a script element, no string may end it. */
static void write_data(FILE *out, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputc(d[i], out);
        if (d[i] == '<' && i + 1 < n && d[i + 1] == '/')
            fputc('\\', out);
    }
}

void cli_report_html(const cli_trace_set *t, FILE *out, int replay)
{
    static const char mark[] = "/*HEAPRR_DATA*/";
    const char *at = strstr(cli_report_page, mark);
    if (!at)
        cli_die(1, "the report page has no place for the data (a broken build)");
    size_t n;
    char *d = data(t, &n, replay);
    fwrite(cli_report_page, 1, (size_t)(at - cli_report_page), out);
    write_data(out, d, n);
    fputs(at + sizeof mark - 1, out);
    free(d);
}
