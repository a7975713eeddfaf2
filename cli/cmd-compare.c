/* SPDX-License-Identifier: MIT */
/* heaprr compare BASE.json NEW.json: two 'heaprr replay --json' reports side by side, and an exit
 * status for CI: 1 when the new one regresses beyond the allowed percentage. */
#include "cli.h"
#include "jsonread.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: heaprr compare [--max-regression PCT] [--ignore METRIC,...] BASE.json NEW.json\n"
    "\n"
    "Compares two reports of 'heaprr replay --json' (the same trace on two allocator\n"
    "configurations, or two versions of a program): footprint, fragmentation, time and errors side\n"
    "by side. Exits 1 when NEW is worse than BASE by more than PCT percent (default 10) on peak\n"
    "footprint, fragmentation (either measure) or time, or has more errors; 0 otherwise.\n"
    "\n"
    "  --max-regression PCT  allowed worsening, in percent\n"
    "  --ignore LIST         metrics not to judge: footprint, fragmentation, time, errors\n"
    "                        (time is noisy on a shared machine)\n";

typedef struct metric {
    const char *label, *path, *group;
    int judged;   /* a regression here fails the comparison */
    int integer;  /* print without decimals */
} metric;

static const metric metrics[] = {
    {"events", "events", NULL, 0, 1},
    {"peak footprint (bytes)", "peak_footprint_bytes", "footprint", 1, 1},
    {"peak live (bytes)", "peak_live_bytes", NULL, 0, 1},
    {"fragmentation at peak", "fragmentation.at_peak_footprint", "fragmentation", 1, 0},
    {"fragmentation peak/peak", "fragmentation.peak_vs_peak", "fragmentation", 1, 0},
    {"final footprint (bytes)", "final_footprint_bytes", NULL, 0, 1},
    {"seconds", "seconds", "time", 1, 0},
    {"errors", "error_count", "errors", 1, 1},
};
#define NMETRICS (sizeof metrics / sizeof *metrics)

static jv *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        cli_die(1, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *more = cap < (256u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!more) {
                free(buf);
                fclose(f);
                cli_die(1, "%s: too large for a replay report", path);
            }
            buf = more;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err)
        cli_die(1, "%s: cannot read it", path);
    char why[256];
    jv *v = jv_parse(buf, len, why, sizeof why);
    free(buf);
    if (!v)
        cli_die(1, "%s: not JSON: %s", path, why);
    if (v->type != JV_OBJECT || !jv_get(v, "allocator") || !jv_get(v, "peak_footprint_bytes"))
        cli_die(1, "%s: not a report of 'heaprr replay --json'", path);
    return v;
}

static int number_at(const jv *root, const char *path, double *out)
{
    const jv *v = jv_get(root, path);
    if (!v || v->type != JV_NUMBER)
        return -1;
    *out = v->number;
    return 0;
}

static int ignored(const char *list, const char *group)
{
    if (!list || !group)
        return 0;
    size_t n = strlen(group);
    for (const char *p = list; (p = strstr(p, group)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

static void check_ignore_list(const char *list)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, "footprint") && strcmp(t, "fragmentation") && strcmp(t, "time") && strcmp(t, "errors"))
            cli_usage("compare", "--ignore: unknown metric '%s' (footprint, fragmentation, time, errors)", t);
}

/* Whether new is worse than base by more than pct percent (errors: any increase beyond it). */
static int regressed(double base, double now, double pct, int integer)
{
    if (now <= base)
        return 0;
    if (base <= 0)
        return integer ? now > 0 : now > pct / 100.0;
    return (now - base) / base * 100.0 > pct;
}

static void print_value(double v, int integer)
{
    if (integer)
        printf(" %16.0f", v);
    else
        printf(" %16.4f", v);
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {{"max-regression", required_argument, NULL, 'm'},
                                         {"ignore", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    double pct = 10;
    const char *ignore = NULL;
    int c;
    while ((c = cli_getopt("compare", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'm')
            pct = (double)cli_number("compare", "--max-regression", optarg, 0, 100000);
        else if (c == 'i')
            check_ignore_list(ignore = optarg);
    }
    if (optind != argc - 2)
        cli_usage("compare", "expects two reports: BASE.json NEW.json");
    jv *base = load(argv[optind]), *now = load(argv[optind + 1]);
    const jv *ba = jv_get(base, "allocator"), *na = jv_get(now, "allocator");
    printf("%-26s %16s %16s %9s\n", "", "base", "new", "change");
    printf("%-26s %16s %16s\n", "allocator", ba->type == JV_STRING ? ba->string : "?",
           na->type == JV_STRING ? na->string : "?");
    int regressions = 0;
    for (size_t i = 0; i < NMETRICS; i++) {
        const metric *m = &metrics[i];
        double b, n;
        if (number_at(base, m->path, &b) < 0 || number_at(now, m->path, &n) < 0)
            continue;
        printf("%-26s", m->label);
        print_value(b, m->integer);
        print_value(n, m->integer);
        if (b != 0)
            printf(" %+8.1f%%", (n - b) / fabs(b) * 100.0);
        else
            printf(" %9s", n == 0 ? "=" : "new");
        int bad = m->judged && !ignored(ignore, m->group) && regressed(b, n, pct, m->integer);
        regressions += bad;
        printf("%s\n", bad ? "  REGRESSION" : "");
    }
    double be, ne;
    if (number_at(base, "events", &be) == 0 && number_at(now, "events", &ne) == 0 && be != ne)
        printf("note: the reports replayed different numbers of events: different traces?\n");
    printf("%s (allowed worsening %.0f%%)\n", regressions ? "regression" : "no regression", pct);
    jv_free(base);
    jv_free(now);
    return regressions ? 1 : 0;
}
