/* SPDX-License-Identifier: MIT */
/* The analyses on real recordings: exact per-bin counts of a known size distribution, summary
 * figures, flame graph lines, diff, plots that are valid PNG and SVG, report folders, bad input. */
#include "e2e.h"

#include <sys/stat.h>

static void expect_bin(const char *json, unsigned long long le, unsigned allocs, unsigned frees, unsigned live,
                       unsigned long long bytes)
{
    char want[256];
    snprintf(want, sizeof want, "\"le\": %llu,\n      \"allocs\": %u,\n      \"frees\": %u,\n      \"live\": %u,", le,
             allocs, frees, live);
    const char *at = strstr(json, want);
    CHECK(at != NULL);
    if (!at) {
        fprintf(stderr, "bin %llu: expected %s\n", le, want);
        return;
    }
    char b[64];
    snprintf(b, sizeof b, "\"bytes\": %llu", bytes);
    const char *end = strchr(at, '}');
    const char *hit = strstr(at, b);
    CHECK(hit && hit < end);
}

static int file_starts(const char *path, const char *magic, size_t n)
{
    char buf[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return got == n && memcmp(buf, magic, n) == 0;
}

static int svg_complete(const char *path)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, "<svg") && strstr(buf, "</svg>") && strstr(buf, "<title>");
}

/* Whether the file at path holds exactly text. */
static int file_is(const char *path, const char *text)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* Writes the first half of the file at from to to. */
static int cut_in_half(const char *from, const char *to)
{
    static char buf[1 << 20];
    FILE *f = fopen(from, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    FILE *o = fopen(to, "wb");
    if (!o)
        return -1;
    size_t w = fwrite(buf, 1, n / 2, o);
    return fclose(o) == 0 && w == n / 2 ? 0 : -1;
}

int main(void)
{
    char trace[4096], other[4096], out[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "sizes.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-sizes"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK_FATAL(r.exited && r.code == 0);

    /* bins: requests of at most le bytes and more than the previous bound */
    char *bins[] = {(char *)e2e_heaprr(), "bins", "--json", trace, NULL};
    CHECK_FATAL(e2e_run(&r, bins, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    expect_bin(r.out, 2, 5, 5, 0, 5);
    expect_bin(r.out, 4, 7, 7, 0, 21);
    expect_bin(r.out, 16, 1, 1, 0, 16);      /* the 16 before its realloc */
    expect_bin(r.out, 128, 12, 11, 1, 1200); /* 9 x 100 and 3 callocs of 100 */
    expect_bin(r.out, 1024, 1, 1, 0, 600);   /* the realloc's result */
    expect_bin(r.out, 4096, 2, 2, 0, 8192);
    expect_bin(r.out, 18446744073709551615ull, 4, 0, 4, 20000);
    char *custom[] = {(char *)e2e_heaprr(), "bins", "--json", "--bins", "8,4096", trace, NULL};
    CHECK_FATAL(e2e_run(&r, custom, NULL) == 0);
    expect_bin(r.out, 8, 12, 12, 0, 26);
    expect_bin(r.out, 4096, 16, 15, 1, 10008);
    char *badbins[] = {(char *)e2e_heaprr(), "bins", "--bins", "8,4,2", trace, NULL};
    CHECK_FATAL(e2e_run(&r, badbins, NULL) == 0);
    CHECK(r.exited && r.code == 2);

    /* summary */
    char *sum[] = {(char *)e2e_heaprr(), "summary", "--json", trace, NULL};
    CHECK_FATAL(e2e_run(&r, sum, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "\"allocs\": 32,") != NULL); /* 27 mallocs, 3 callocs, malloc + realloc */
    CHECK(strstr(r.out, "\"leaked\": {\n    \"bytes\": 20100,\n    \"blocks\": 5\n") != NULL);
    CHECK(strstr(r.out, "\"top_by_bytes\"") && strstr(r.out, "\"top_by_peak\"") && strstr(r.out, "\"rate\""));
    CHECK(strstr(r.out, "\"function\": \"main\"") != NULL);
    char *sumt[] = {(char *)e2e_heaprr(), "summary", trace, NULL};
    CHECK_FATAL(e2e_run(&r, sumt, NULL) == 0);
    CHECK(strstr(r.out, "leaked                20100 bytes in 5 blocks") != NULL);
    CHECK(strstr(r.out, "main (wl-sizes.c:") != NULL);

    /* flame: one line per stack, outermost first, weights that add up */
    char *flame[] = {(char *)e2e_heaprr(), "flame", "--weight", "leaked", trace, NULL};
    CHECK_FATAL(e2e_run(&r, flame, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    unsigned long long total = 0, w;
    for (char *line = r.out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *sp = strrchr(line, ' ');
        char *nl = strchr(line, '\n');
        if (sp && (!nl || sp < nl) && sscanf(sp, " %llu", &w) == 1)
            total += w;
        CHECK(strncmp(line, "_start;", 7) == 0);
    }
    CHECK_EQ_U64(total, 20100);

    /* diff against a second run of the same program: nothing changed but the addresses */
    e2e_path(other, sizeof other, "sizes2.hrr");
    char *rec2[] = {(char *)e2e_heaprr(), "record", "-q", "-o", other, "--", (char *)e2e_workload("wl-sizes"), NULL};
    CHECK_FATAL(e2e_run(&r, rec2, NULL) == 0);
    char *diff[] = {(char *)e2e_heaprr(), "diff", "--json", trace, other, NULL};
    CHECK_FATAL(e2e_run(&r, diff, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "\"change\": 1") == NULL && strstr(r.out, "\"change\": -") == NULL);
    CHECK(strstr(r.out, "\"leaked\": {\n      \"old\": 20100,\n      \"new\": 20100,\n      \"change\": 0") != NULL);
    char *leaky[] = {(char *)e2e_heaprr(), "diff", trace, (char *)e2e_workload("leaks-none"), NULL};
    CHECK_FATAL(e2e_run(&r, leaky, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "leaks-none"));

    /* plots: valid PNG and SVG files, titled */
    static const char *const kinds[] = {"heap", "bins", "frag", "rate"};
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.png", kinds[i]);
        e2e_path(out, sizeof out, name);
        char *png[] = {(char *)e2e_heaprr(), "plot", "--kind", (char *)kinds[i], "-o", out, trace, NULL};
        CHECK_FATAL(e2e_run(&r, png, NULL) == 0);
        CHECK(r.exited && r.code == 0);
        CHECK(file_starts(out, "\x89PNG\r\n\x1a\n", 8));
        snprintf(name, sizeof name, "%s.svg", kinds[i]);
        e2e_path(out, sizeof out, name);
        char *svg[] = {(char *)e2e_heaprr(), "plot", "--kind", (char *)kinds[i], "-o", out, trace, NULL};
        CHECK_FATAL(e2e_run(&r, svg, NULL) == 0);
        CHECK(r.exited && r.code == 0);
        CHECK(svg_complete(out));
    }
    char *badplot[] = {(char *)e2e_heaprr(), "plot", "--kind", "heap", "-o", "x.gif", trace, NULL};
    CHECK_FATAL(e2e_run(&r, badplot, NULL) == 0);
    CHECK(r.exited && r.code == 2 && strstr(r.err, ".png or .svg"));

    /* report: every part in one folder */
    e2e_path(out, sizeof out, "report");
    char *rep[] = {(char *)e2e_heaprr(), "report", "-o", out, trace, NULL};
    CHECK_FATAL(e2e_run(&r, rep, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    static const char *const parts[] = {"summary.txt",  "leaks.json", "bins.txt", "replay.json",
                                        "flame.folded", "heap.svg",   "frag.png", "rate.svg", "index.html"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        char p[4200];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", out, parts[i]);
        CHECK(stat(p, &sb) == 0 && sb.st_size > 0);
    }
    /* the parts print from passes the report shares: the same as each command on its own */
    char *const alone[][4] = {{"summary.txt", "summary"}, {"summary.json", "summary", "--json"},
                              {"leaks.txt", "leaks"},     {"leaks.json", "leaks", "--json"},
                              {"bins.txt", "bins"},       {"bins.json", "bins", "--json"},
                              {"flame.folded", "flame"},  {"flame-leaked.folded", "flame", "--weight", "leaked"}};
    for (size_t i = 0; i < sizeof alone / sizeof *alone; i++) {
        char *argv[8] = {(char *)e2e_heaprr()}, p[4200];
        size_t k = 1;
        for (size_t a = 1; a < 4 && alone[i][a]; a++)
            argv[k++] = alone[i][a];
        argv[k] = trace;
        CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
        snprintf(p, sizeof p, "%s/%s", out, alone[i][0]);
        CHECK(r.exited && r.code == 0 && file_is(p, r.out));
    }

    /* a trace cut short: every analysis reads what it holds and says so in one line; a report once */
    char cut[4096];
    e2e_path(cut, sizeof cut, "cut.hrr");
    CHECK_FATAL(cut_in_half(trace, cut) == 0);
    e2e_path(out, sizeof out, "cut.svg");
    char *const cut_cmds[][8] = {{"stats", cut},
                                 {"summary", cut},
                                 {"leaks", cut},
                                 {"bins", cut},
                                 {"flame", cut},
                                 {"replay", cut},
                                 {"plot", "--kind", "heap", "-o", out, cut},
                                 {"export", "--to", "mtrace", "-o", "-", cut},
                                 {"export", "--to", "speedscope", "-o", "-", cut},
                                 {"export", "--to", "massif", "-o", "-", cut},
                                 {"export", "--to", "pprof", "-o", out, cut},
                                 {"diff", trace, cut}};
    for (size_t i = 0; i < sizeof cut_cmds / sizeof *cut_cmds; i++) {
        char *argv[10] = {(char *)e2e_heaprr()};
        for (size_t k = 0; cut_cmds[i][k]; k++)
            argv[k + 1] = cut_cmds[i][k];
        CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
        CHECK(r.exited && r.code == 0);
        CHECK(strstr(r.err, "cut.hrr: trace truncated at byte ") != NULL);
        CHECK(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
    }
    e2e_path(out, sizeof out, "cut-report");
    char *cut_rep[] = {(char *)e2e_heaprr(), "report", "-o", out, cut, NULL};
    CHECK_FATAL(e2e_run(&r, cut_rep, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    if (!r.exited || r.code != 0)
        fprintf(stderr, "report of the cut trace:\n%s%s", r.out, r.err);
    const char *note = strstr(r.err, "trace truncated");
    CHECK(note != NULL && strstr(note + 1, "trace truncated") == NULL);
    return check_done("e2e-analyze");
}
