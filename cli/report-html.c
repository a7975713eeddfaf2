/* SPDX-License-Identifier: MIT */
/* heaprr report --html (report-html.h): the figures of a trace as the JSON the page reads: the
 * summary, the flame graph's tree, the live heap over time (at most TIMELINE_POINTS points, each
 * the highest of the buckets it stands for) with the peak, the moments of the timeline, the
 * largest leaks with their stacks, the size bins, and the findings of a replay on the band model
 * with their stacks. The JSON goes into the page's data element, "</" written "<\/" so that no
 * string can end the element. */
#define _GNU_SOURCE
#include "report-html.h"

#include "heapopts.h"
#include "passes.h"
#include "stacks.h"

#include <heaprr/bins.h>
#include <heaprr/replay.h>
#include <heaprr/symbolize.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TIMELINE_POINTS 1000
#define TOP_LEAKS 50
#define TOP_FINDINGS 100

/* A stack as "function (file:line)" lines, innermost first. */
static void json_frames(json *j, const char *key, hr_reader *r, uint64_t stack)
{
    const hr_symframe *f;
    size_t n = stack ? cli_stack_frames(r, stack, &f) : 0;
    json_array_begin(j, key);
    for (size_t i = 0; i < n; i++) {
        char name[1024], line[1400];
        cli_frame_name(&f[i], name, sizeof name);
        if (f[i].function && f[i].file)
            snprintf(line, sizeof line, "%s (%s:%u)%s", name, f[i].file, f[i].line, f[i].inlined ? " [inlined]" : "");
        else
            snprintf(line, sizeof line, "%s", name);
        json_cstr(j, NULL, line);
    }
    json_array_end(j);
}

static void summary(json *j, const char *path, hr_reader *r, const hr_profile *p)
{
    const hr_header *h = hr_reader_header(r);
    char cmd[4096] = "";
    for (size_t i = 0; h && i < h->cmdline.len && i + 1 < sizeof cmd; i++)
        cmd[i] = h->cmdline.ptr[i] ? h->cmdline.ptr[i] : ' ';
    json_cstr(j, "file", path);
    json_cstr(j, "cmd", cmd);
    json_u64(j, "pid", h ? h->pid : 0);
    json_object_begin(j, "summary");
    json_u64(j, "calls", p->calls);
    json_u64(j, "allocs", p->allocs);
    json_u64(j, "frees", p->frees);
    json_u64(j, "failed", p->failed);
    json_u64(j, "bytes", p->bytes);
    json_u64(j, "peak_bytes", p->peak_bytes);
    json_u64(j, "peak_blocks", p->peak_blocks);
    json_u64(j, "leaked_bytes", p->leaked_bytes);
    json_u64(j, "leaked_blocks", p->leaked_blocks);
    json_u64(j, "duration_ns", p->duration_ns);
    json_object_end(j);
}

/* [t_ns, live bytes] pairs: each the highest live heap of the buckets it stands for. */
static void timeline(json *j, const hr_profile *p)
{
    size_t per = (p->nsamples + TIMELINE_POINTS - 1) / TIMELINE_POINTS;
    per = per ? per : 1;
    json_array_begin(j, "timeline");
    json_array_begin(j, NULL);
    json_u64(j, NULL, 0);
    json_u64(j, NULL, 0);
    json_array_end(j);
    for (size_t i = 0; i < p->nsamples; i += per) {
        uint64_t live = 0;
        for (size_t k = i; k < i + per && k < p->nsamples; k++)
            live = p->samples[k].live_max > live ? p->samples[k].live_max : live;
        json_array_begin(j, NULL);
        json_u64(j, NULL, (uint64_t)(i + per) * p->bucket_ns);
        json_u64(j, NULL, live);
        json_array_end(j);
    }
    json_array_end(j);
    json_object_begin(j, "peak");
    json_u64(j, "t", p->peak_time_ns);
    json_u64(j, "bytes", p->peak_bytes);
    json_object_end(j);
}

static int by_leaked(const void *a, const void *b)
{
    const hr_site *x = *(hr_site *const *)a, *y = *(hr_site *const *)b;
    return x->live_bytes > y->live_bytes ? -1 : x->live_bytes < y->live_bytes;
}

static void leaks(json *j, hr_reader *r, const hr_profile *p)
{
    const hr_site **v = malloc((p->nsites ? p->nsites : 1) * sizeof *v);
    if (!v)
        cli_die(1, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < p->nsites; i++)
        if (p->sites[i].live_bytes || p->sites[i].live_blocks)
            v[n++] = &p->sites[i];
    qsort(v, n, sizeof *v, by_leaked);
    json_array_begin(j, "leaks");
    for (size_t i = 0; i < n && i < TOP_LEAKS; i++) {
        json_object_begin(j, NULL);
        json_u64(j, "bytes", v[i]->live_bytes);
        json_u64(j, "blocks", v[i]->live_blocks);
        json_frames(j, "stack", r, v[i]->stack);
        json_object_end(j);
    }
    json_array_end(j);
    free(v);
}

static void bins(json *j, const char *path)
{
    hr_bins b;
    hr_bins_default(&b);
    hr_reader *r = cli_bins_pass(path, &b);
    json_array_begin(j, "bins");
    for (uint32_t i = 0; i < b.n; i++) {
        json_object_begin(j, NULL);
        if (b.bins[i].le == UINT64_MAX)
            json_null(j, "le");
        else
            json_u64(j, "le", b.bins[i].le);
        json_u64(j, "allocs", b.bins[i].allocs);
        json_u64(j, "frees", b.bins[i].frees);
        json_u64(j, "live", b.bins[i].live);
        json_u64(j, "peak_live", b.bins[i].peak_live);
        json_object_end(j);
    }
    json_array_end(j);
    cli_pass_end(r);
}

/* The replay's findings on the band model with the default checker, with their three stacks. */
static void findings(json *j, const char *path)
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
    json_array_begin(j, "findings");
    for (size_t i = 0; i < n && i < TOP_FINDINGS; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s(0x%" PRIx64 ") at event #%" PRIu64 ", block 0x%" PRIx64 " of %" PRIu64 " bytes",
                 hr_kind_name(f[i].event_kind) ? hr_kind_name(f[i].event_kind) : "at exit", f[i].ptr, f[i].seq,
                 f[i].block, f[i].size);
        json_object_begin(j, NULL);
        json_cstr(j, "kind", hr_finding_name(f[i].kind));
        json_cstr(j, "text", text);
        json_frames(j, "stack", r, f[i].stack);
        json_frames(j, "alloc_stack", r, f[i].alloc_stack);
        json_frames(j, "free_stack", r, f[i].free_stack);
        json_object_end(j);
    }
    json_array_end(j);
    hr_replay_free(rp);
    cli_stacks_done();
    hr_reader_close(r);
}

/* The data, into a memory buffer. */
static char *data(const char *path, size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    if (!m)
        cli_die(1, "out of memory");
    json j;
    json_init_compact(&j, m);
    json_object_begin(&j, NULL);
    hr_profile p;
    hr_reader *r = cli_profile_pass(path, "report", &p);
    summary(&j, path, r, &p);
    cli_report_flame(&j, r, &p);
    timeline(&j, &p);
    leaks(&j, r, &p);
    cli_stacks_done();
    cli_report_moments(&j, path, &p);
    cli_profile_free(&p);
    cli_pass_end(r);
    bins(&j, path);
    findings(&j, path);
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

void cli_report_html(const char *path, FILE *out)
{
    static const char mark[] = "/*HEAPRR_DATA*/";
    const char *at = strstr(cli_report_page, mark);
    if (!at)
        cli_die(1, "the report page has no place for the data (a broken build)");
    size_t n;
    char *d = data(path, &n);
    fwrite(cli_report_page, 1, (size_t)(at - cli_report_page), out);
    write_data(out, d, n);
    fputs(at + sizeof mark - 1, out);
    free(d);
}
