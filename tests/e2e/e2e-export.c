/* SPDX-License-Identifier: MIT */
/* heaprr export --to pprof, --to speedscope and --to massif on a recorded program
 * (tests/workloads/wl-leaks and its plugin): go tool pprof reads the pprof file, and its totals of
 * alloc_space, inuse_space (and with --at-peak, at the peak) are the trace's, with the C++ leak of
 * 5000 bytes under its demangled function; the speedscope file holds four profiles whose totals are the trace's (bytes
 * allocated, calls, live at the peak, leaked, as heaprr stats says), every sample a valid stack,
 * outermost frame first, with the C++ leak of 5000 bytes under its demangled function; valgrind's
 * own ms_print reads the massif file, whose peak snapshot holds the trace's peak and names the
 * same function. The moments of report --html's timeline: the peak's is the trace's peak, the
 * last holds the leaks by site; --no-replay leaves the findings out. A bad format exits 2, an unreadable trace 1 and leaves no file. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char trace[4096];

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char text[4 << 20];
    *n = fread(text, 1, sizeof text - 1, f);
    text[*n] = 0;
    fclose(f);
    return text;
}

static int export_to(const char *to, const char *out, run_result *r)
{
    char *argv[] = {(char *)e2e_heaprr(), "export", "--to", (char *)to, trace, "-o", (char *)out, NULL};
    return e2e_run(r, argv, NULL) == 0 && r->exited ? r->code : -1;
}

static double sum_weights(const jv *profile)
{
    double s = 0;
    for (const jv *w = jv_get(profile, "weights")->child; w; w = w->next)
        s += w->number;
    return s;
}

/* Every sample's frames exist; the weight of the sample whose innermost frame is name (or -1),
 * whose outermost must be _start. */
static double check_samples(const jv *profile, const jv *frames, size_t nframes, const char *name)
{
    double found = -1;
    const jv *w = jv_get(profile, "weights")->child;
    for (const jv *s = jv_get(profile, "samples")->child; s && w; s = s->next, w = w->next) {
        const jv *last = NULL;
        for (const jv *i = s->child; i; i = i->next) {
            CHECK(i->number >= 0 && (size_t)i->number < nframes);
            last = i;
        }
        CHECK_FATAL(s->child && last);
        const jv *outer = frames->child, *inner = frames->child;
        for (size_t k = 0; k < (size_t)s->child->number; k++)
            outer = outer->next;
        for (size_t k = 0; k < (size_t)last->number; k++)
            inner = inner->next;
        if (strncmp(e2e_json_str(inner, "name"), name, strlen(name)) == 0) {
            found = w->number;
            CHECK(strcmp(e2e_json_str(outer, "name"), "_start") == 0);
        }
    }
    return found;
}

static void speedscope(const jv *stats)
{
    char out[4096];
    run_result r;
    e2e_path(out, sizeof out, "leaks.speedscope.json");
    CHECK_FATAL(export_to("speedscope", out, &r) == 0);
    size_t n;
    char *text = slurp(out, &n), why[256];
    CHECK_FATAL(text != NULL);
    jv *root = jv_parse(text, n, why, sizeof why);
    CHECK_FATAL(root != NULL);
    CHECK_TEXT(e2e_json_str(root, "$schema"), "https://www.speedscope.app/file-format-schema.json");
    const jv *frames = jv_get(root, "shared.frames");
    CHECK_FATAL(frames && frames->type == JV_ARRAY);
    size_t nframes = 0;
    for (const jv *f = frames->child; f; f = f->next)
        nframes++;
    static const char *const totals[] = {"total_bytes", "calls", "peak_live_bytes", "leaked_bytes"};
    size_t k = 0;
    for (const jv *p = jv_get(root, "profiles")->child; p; p = p->next, k++) {
        CHECK_TEXT(e2e_json_str(p, "type"), "sampled");
        CHECK_EQ_U64((uint64_t)e2e_json_num(p, "endValue"), (uint64_t)sum_weights(p));
        if (k != 1) /* "calls" counts frees too; the allocations profile is checked below */
            CHECK_EQ_U64((uint64_t)e2e_json_num(p, "endValue"), e2e_json_u64(stats, totals[k]));
        double grow = check_samples(p, frames, nframes, "ns::Cache::grow");
        if (k == 0 || k == 3) /* allocated and leaked: the cache's 5000 bytes */
            CHECK_EQ_U64((uint64_t)grow, 5000);
        if (k == 1)
            CHECK_EQ_U64((uint64_t)grow, 1);
    }
    CHECK_EQ_U64(k, 4);
    jv_free(root);
}

static void massif(const jv *stats)
{
    char out[4096], printed[4096];
    run_result r;
    e2e_path(out, sizeof out, "leaks.massif");
    CHECK_FATAL(export_to("massif", out, &r) == 0);
    size_t n;
    char *text = slurp(out, &n);
    CHECK_FATAL(text != NULL);
    const char *peak = strstr(text, "heap_tree=peak");
    CHECK_FATAL(peak != NULL);
    const char *heap = peak; /* the snapshot's mem_heap_B comes before its heap_tree */
    while (heap > text && strncmp(heap, "mem_heap_B=", 11) != 0)
        heap--;
    CHECK_EQ_U64(strtoull(heap + 11, NULL, 10), e2e_json_u64(stats, "peak_live_bytes"));
    CHECK(strstr(peak, ": ns::Cache::grow(int) (") != NULL);
    e2e_path(printed, sizeof printed, "ms_print.txt");
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "ms_print '%s' > '%s' 2>&1", out, printed);
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    CHECK_FATAL(e2e_run(&r, sh, NULL) == 0 && r.exited);
    CHECK_EQ_U64(r.code, 0);
    text = slurp(printed, &n);
    CHECK_FATAL(text != NULL);
    CHECK(strstr(text, "Massif arguments:   heaprr export --to massif") != NULL);
    CHECK(strstr(text, " (peak)]") != NULL);
    CHECK(strstr(text, "ns::Cache::grow(int)") != NULL);
}

/* go tool pprof -top -sample_index=INDEX on the file: the total it prints, and whether the
 * report names function. */
static uint64_t pprof_total(const char *file, const char *index, const char *function)
{
    char cmd[8400], printed[4096];
    e2e_path(printed, sizeof printed, "pprof-top.txt");
    snprintf(cmd, sizeof cmd, "go tool pprof -top -unit=B -sample_index=%s '%s' > '%s' 2>&1", index, file, printed);
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, sh, NULL) == 0 && r.exited);
    size_t n;
    char *text = slurp(printed, &n);
    CHECK_FATAL(text != NULL);
    if (r.code != 0)
        fprintf(stderr, "go tool pprof: %s\n", text);
    CHECK_EQ_U64(r.code, 0);
    CHECK(strstr(text, function) != NULL);
    const char *t = strstr(text, "B total"); /* "Showing nodes accounting for X, P% of TOTALB total" */
    if (!t)
        fprintf(stderr, "go tool pprof -sample_index=%s printed: %s\n", index, text);
    CHECK_FATAL(t != NULL);
    while (t > text && t[-1] >= '0' && t[-1] <= '9')
        t--;
    return strtoull(t, NULL, 10);
}

static void pprof(const jv *stats)
{
    char out[4096], peak[4096];
    run_result r;
    e2e_path(out, sizeof out, "leaks.pb.gz");
    CHECK_FATAL(export_to("pprof", out, &r) == 0);
    CHECK_EQ_U64(pprof_total(out, "alloc_space", "ns::Cache::grow"), e2e_json_u64(stats, "total_bytes"));
    CHECK_EQ_U64(pprof_total(out, "inuse_space", "ns::Cache::grow"), e2e_json_u64(stats, "leaked_bytes"));
    CHECK_EQ_U64(pprof_total(out, "inuse_objects", "make_nodes"), e2e_json_u64(stats, "leaked_blocks"));
    e2e_path(peak, sizeof peak, "leaks-peak.pb.gz");
    char *argv[] = {(char *)e2e_heaprr(), "export", "--to", "pprof", "--at-peak", trace, "-o", peak, NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited && r.code == 0);
    CHECK_EQ_U64(pprof_total(peak, "inuse_space", "ns::Cache::grow"), e2e_json_u64(stats, "peak_live_bytes"));
}

/* The bytes live at one of the page's moments: its top sites, largest first, adding up to at
 * most what was live; returns their sum. */
static uint64_t moment_sites(const jv *m)
{
    uint64_t sum = 0;
    double last = -1;
    for (const jv *t = jv_get(m, "top")->child; t; t = t->next) {
        double b = e2e_json_num(t, "bytes");
        CHECK(b > 0 && (last < 0 || b <= last));
        last = b;
        sum += (uint64_t)b;
    }
    CHECK(sum <= (uint64_t)e2e_json_num(m, "live"));
    return sum;
}

/* The moments of report --html's timeline: the peak's is the trace's peak; the last is what
 * leaked, and its top sites (7 leaking stacks: all of them) add up to it and name the C++ leak. */
static void html_moments(const jv *stats)
{
    char page[4096];
    e2e_path(page, sizeof page, "leaks.html");
    char *argv[] = {(char *)e2e_heaprr(), "report", "--html", trace, "-o", page, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited && r.code == 0);
    size_t n;
    char *text = slurp(page, &n);
    CHECK_FATAL(text != NULL);
    char *start = strstr(text, "id=\"data\">"), *end = start ? strstr(start, "</script>") : NULL;
    CHECK_FATAL(start && end);
    start += strlen("id=\"data\">");
    char *w = start; /* "<\/" back to "</" */
    for (char *c = start; c < end; c++)
        if (!(c[0] == '\\' && c[1] == '/' && c > start && c[-1] == '<'))
            *w++ = *c;
    char why[256];
    jv *data = jv_parse(start, (size_t)(w - start), why, sizeof why);
    CHECK_FATAL(data != NULL);
    const jv *snaps = jv_get(data, "snapshots"), *last = NULL;
    CHECK_FATAL(snaps && snaps->child);
    int peaks = 0;
    for (const jv *m = snaps->child; m; m = m->next) {
        last = m;
        moment_sites(m);
        if (jv_get(m, "peak")) {
            peaks++;
            CHECK_EQ_U64((uint64_t)e2e_json_num(m, "live"), e2e_json_u64(stats, "peak_live_bytes"));
        }
    }
    CHECK(peaks == 1);
    CHECK_EQ_U64((uint64_t)e2e_json_num(last, "live"), e2e_json_u64(stats, "leaked_bytes"));
    CHECK_EQ_U64(moment_sites(last), e2e_json_u64(stats, "leaked_bytes"));
    int named = 0;
    for (const jv *t = jv_get(last, "top")->child; t; t = t->next)
        named |= strstr(e2e_json_str(t, "site"), "ns::Cache::grow") != NULL;
    CHECK(named);
    CHECK(jv_get(data, "findings") != NULL); /* replayed: its heap errors, none here */
    jv_free(data);
    /* --no-replay: the same page without the replay's findings; only for --html */
    char *noreplay[] = {(char *)e2e_heaprr(), "report", "--html", "--no-replay", trace, "-o", page, NULL};
    CHECK_FATAL(e2e_run(&r, noreplay, NULL) == 0 && r.exited && r.code == 0);
    text = slurp(page, &n);
    CHECK_FATAL(text != NULL);
    CHECK(strstr(text, "\"snapshots\":[") != NULL && strstr(text, "\"findings\":[") == NULL);
    char *misuse[] = {(char *)e2e_heaprr(), "report", "--no-replay", "-o", page, trace, NULL};
    CHECK_FATAL(e2e_run(&r, misuse, NULL) == 0 && r.exited);
    CHECK(r.code == 2 && strstr(r.err, "--no-replay is for --html") != NULL);
}

static void bad_input(void)
{
    char out[4096];
    run_result r;
    e2e_path(out, sizeof out, "never.json");
    CHECK_EQ_U64(export_to("bogus", out, &r), 2);
    char *peak[] = {(char *)e2e_heaprr(), "export", "--to", "massif", "--at-peak", trace, "-o", out, NULL};
    CHECK_FATAL(e2e_run(&r, peak, NULL) == 0);
    CHECK(r.exited && r.code == 2 && strstr(r.err, "--at-peak is for --to pprof"));
    char *argv[] = {(char *)e2e_heaprr(), "export", "--to", "massif", "/nonexistent/t.hrr", "-o", out, NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "/nonexistent/t.hrr"));
    CHECK(access(out, F_OK) != 0);
}

int main(void)
{
    char plugin[4096];
    e2e_path(trace, sizeof trace, "leaks.hrr");
    snprintf(plugin, sizeof plugin, "%s", e2e_workload("libwl-plugin.so"));
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-leaks"), plugin,
                   NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0 && r.exited && r.code == 0);
    int status;
    jv *stats = e2e_heaprr_json("stats", "", trace, &status);
    CHECK_FATAL(stats != NULL);
    pprof(stats);
    speedscope(stats);
    massif(stats);
    html_moments(stats);
    bad_input();
    jv_free(stats);
    return check_done("e2e-export");
}
