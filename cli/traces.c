/* SPDX-License-Identifier: MIT */
/* The traces an analysis command reads (traces.h): the files it is given, and with --tree the
 * traces of their descendants too. A process's trace names its parent's (PROCESS_INFO, as the
 * recorder wrote it: a forked child, an exec'd or spawned program), so the tree is found among the
 * traces beside the root, following those names back to it. */
#define _GNU_SOURCE
#include "traces.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void add(cli_trace_set *t, const char *path, const char *parent)
{
    char **p = realloc(t->paths, (t->n + 1) * sizeof *p), **q = realloc(t->parents, (t->n + 1) * sizeof *q);
    if (!p || !q)
        cli_die(1, "out of memory");
    t->paths = p;
    t->parents = q;
    t->paths[t->n] = cli_strdup(path);
    t->parents[t->n++] = parent ? cli_strdup(parent) : NULL;
}

/* The trace of named's file name beside path (the traces of one recording share a folder, which
 * may have moved since, or been copied: then that copy is the parent), resolved into out; 0 when
 * there is none. */
static int beside(const char *path, const char *named, char *out)
{
    const char *slash = strrchr(path, '/'), *base = strrchr(named, '/');
    char sibling[PATH_MAX * 3];
    int n = snprintf(sibling, sizeof sibling, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path,
                     base ? base + 1 : named);
    return n > 0 && (size_t)n < sizeof sibling && realpath(sibling, out) != NULL;
}

/* The parent trace a trace names, into out: the trace of that name beside it, else its absolute
 * path as recorded; "" when none. Traces that cannot be read name none. */
static void parent_of(const char *path, char *out, size_t cap) /* cap: PATH_MAX at least */
{
    hr_reader *r;
    hr_record rec;
    out[0] = 0;
    if (hr_reader_open(&r, path, 0) == 0) {
        for (int i = 0; i < 8 && hr_reader_next(r, &rec) == 1; i++) /* PROCESS_INFO comes first */
            if (rec.type == HR_REC_PROCESS_INFO) {
                const hr_str *s = &rec.u.process.parent_trace, *cwd = &rec.u.process.cwd;
                char named[PATH_MAX * 2];
                if (s->len && s->ptr[0] != '/') /* recorded relative to the directory it ran in */
                    snprintf(named, sizeof named, "%.*s/%.*s", (int)cwd->len, cwd->ptr, (int)s->len, s->ptr);
                else
                    snprintf(named, sizeof named, "%.*s", (int)s->len, s->ptr);
                if (named[0] && !beside(path, named, out) && !realpath(named, out)) { /* gone: kept as named */
                    size_t n = strnlen(named, cap - 1);
                    memcpy(out, named, n);
                    out[n] = 0;
                }
                break;
            }
    }
    hr_reader_close(r);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The traces beside root (in its folder, ending in .hrr) with their parents. */
static void candidates(const char *root, cli_trace_set *c)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", root);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    DIR *d = opendir(dir);
    if (!d)
        cli_die(1, "cannot read the folder of %s: %s", root, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX * 2], real[PATH_MAX], parent[PATH_MAX];
        if (!has_suffix(e->d_name, ".hrr") || e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!realpath(path, real))
            continue;
        parent_of(real, parent, sizeof parent);
        add(c, real, parent[0] ? parent : NULL);
    }
    closedir(d);
}

/* Adds the descendants of root (an absolute path) found among c, depth first. */
static void descendants(cli_trace_set *t, const cli_trace_set *c, const char *root, int depth)
{
    for (size_t i = 0; i < c->n && depth < 64; i++) {
        if (!c->parents[i] || strcmp(c->parents[i], root) != 0 || strcmp(c->paths[i], root) == 0)
            continue;
        add(t, c->paths[i], root);
        descendants(t, c, c->paths[i], depth + 1);
    }
}

void cli_trace_set_collect(const char *cmd, int argc, char **argv, int tree, cli_trace_set *out)
{
    memset(out, 0, sizeof *out);
    out->tree = tree;
    if (optind >= argc)
        cli_usage(cmd, "missing trace file");
    for (int i = optind; i < argc; i++)
        cli_trace_set_add(out, argv[i], tree);
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cli_trace_set_add(cli_trace_set *t, const char *path, int tree)
{
    hr_reader_close(cli_open_trace(path, 0)); /* an unreadable one: one line, exit 1 */
    if (!tree) {
        add(t, path, NULL);
        return;
    }
    char real[PATH_MAX];
    if (!realpath(path, real))
        cli_die(1, "%s: %s", path, strerror(errno));
    add(t, real, NULL);
    cli_trace_set c = {0};
    candidates(real, &c);
    /* the same order every time: by name, which holds the pid (out.PID.hrr) */
    char **pairs = malloc(c.n * 2 * sizeof *pairs);
    if (!pairs && c.n)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < c.n; i++)
        pairs[2 * i] = c.paths[i], pairs[2 * i + 1] = c.parents[i];
    qsort(pairs, c.n, 2 * sizeof *pairs, by_path);
    for (size_t i = 0; i < c.n; i++)
        c.paths[i] = pairs[2 * i], c.parents[i] = pairs[2 * i + 1];
    free(pairs);
    descendants(t, &c, real, 0);
    cli_trace_set_free(&c);
}

int cli_trace_set_depth(const cli_trace_set *t, size_t i)
{
    int depth = 0;
    for (const char *parent = t->parents[i]; parent && depth < 64; depth++) {
        const char *up = NULL;
        for (size_t k = 0; k < i; k++)
            if (strcmp(t->paths[k], parent) == 0)
                up = t->parents[k];
        parent = up;
    }
    return depth;
}

void cli_trace_set_free(cli_trace_set *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->paths[i]);
        free(t->parents[i]);
    }
    free(t->paths);
    free(t->parents);
    memset(t, 0, sizeof *t);
}

const char *cli_trace_set_label(const cli_trace_set *t, char *out, size_t cap)
{
    if (t->n == 1)
        return t->paths[0];
    snprintf(out, cap, "%s and %zu more trace%s", t->paths[0], t->n - 1, t->n == 2 ? "" : "s");
    return out;
}
