/* SPDX-License-Identifier: MIT */
/* After heaprr record's run: finds the traces the run wrote (the names the recorder derives from
 * the template, see recorder/session.c), completes those a process left with a staging file,
 * leaves alone those a process still writes, and lists them. */
#define _GNU_SOURCE
#include "cli.h"
#include "record.h"

#include <heaprr/recover.h>

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Whether mid (len bytes) is what the recorder puts between a template's prefix and suffix:
 * nothing (the root, without %p), ".PID" (without %p) or "PID" (with %p), then maybe "-N". */
static int middle_ok(const char *mid, size_t len, int had_pid)
{
    const char *end = mid + len;
    if (!had_pid) {
        if (len == 0)
            return 1;
        if (*mid++ != '.')
            return 0;
    }
    const char *digits = mid;
    while (mid < end && *mid >= '0' && *mid <= '9')
        mid++;
    if (mid == digits)
        return 0;
    if (mid < end && *mid == '-') {
        digits = ++mid;
        while (mid < end && *mid >= '0' && *mid <= '9')
            mid++;
        if (mid == digits)
            return 0;
    }
    return mid == end;
}

static void add(cli_traces *t, const char *path)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->paths = realloc(t->paths, t->cap * sizeof *t->paths);
        if (!t->paths)
            cli_die(EXIT_USAGE, "out of memory");
    }
    if (!(t->paths[t->n++] = strdup(path)))
        cli_die(EXIT_USAGE, "out of memory");
}

/* The template's folder, and the parts of its file name before and after what the recorder
 * inserts (the pid, or ".PID" before the extension). */
typedef struct name_parts {
    char dir[PATH_MAX * 2], base[PATH_MAX * 2];
    const char *suffix;
    int had_pid, has_dir;
} name_parts;

static void split(const char *tmpl, name_parts *np)
{
    snprintf(np->dir, sizeof np->dir, "%s", tmpl);
    char *slash = strrchr(np->dir, '/');
    snprintf(np->base, sizeof np->base, "%s", slash ? slash + 1 : np->dir);
    np->has_dir = slash != NULL;
    if (slash)
        *slash = 0;
    char *pct = strstr(np->base, "%p"), *dot = strrchr(np->base, '.');
    np->had_pid = pct != NULL;
    if (pct) {
        *pct = 0;
        np->suffix = pct + 2;
    } else if (dot && dot != np->base) {
        np->suffix = tmpl + strlen(tmpl) - strlen(dot);
        *dot = 0;
    } else {
        np->suffix = "";
    }
}

static int cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cli_find_traces(const char *tmpl, time_t start, cli_traces *t)
{
    name_parts np;
    char path[PATH_MAX * 4];
    memset(t, 0, sizeof *t);
    split(tmpl, &np);
    const char *dir = np.has_dir ? (np.dir[0] ? np.dir : "/") : ".";
    size_t pl = strlen(np.base), sl = strlen(np.suffix);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < pl + sl || strncmp(e->d_name, np.base, pl) != 0 || strcmp(e->d_name + nl - sl, np.suffix) != 0 ||
            !middle_ok(e->d_name + pl, nl - pl - sl, np.had_pid))
            continue;
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", np.has_dir ? np.dir : ".", e->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime >= start)
            add(t, path);
    }
    closedir(d);
    if (t->n)
        qsort(t->paths, t->n, sizeof *t->paths, cmp_paths);
}

void cli_traces_free(cli_traces *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->paths[i]);
    free(t->paths);
    memset(t, 0, sizeof *t);
}

/* Completes one trace if a process left it with a staging file, and lists it (unless quiet). */
static void complete_one(const char *path, int quiet)
{
    char msg[PATH_MAX * 4 + 256];
    struct stat sb;
    uint32_t pid;
    const char *note = "";
    int state = hr_recover_probe(path, &pid);
    if (state == HR_RECOVER_LIVE) {
        hr_recover_live_message(path, pid, msg, sizeof msg);
        fprintf(stderr, "heaprr: %s\n", msg);
        return;
    }
    if (state != HR_RECOVER_NO_STAGE) {
        hr_recover_report rep;
        if (hr_recover(path, &rep, msg, sizeof msg) < 0) {
            fprintf(stderr, "heaprr: %s\n", msg);
            note = " (incomplete: recovery failed)";
        } else if (state == HR_RECOVER_EMPTY) {
            note = " (the process ended before it recorded anything)";
        } else if (!rep.was_complete) { /* else: a staging file left behind by a trace that is whole */
            note = " (recovered: the process did not exit normally)";
        }
    }
    if (!quiet && stat(path, &sb) == 0)
        fprintf(stderr, "heaprr: trace %s (%.1f KiB)%s\n", path, (double)sb.st_size / 1024, note);
}

void cli_complete_traces(const cli_traces *t, int quiet)
{
    for (size_t i = 0; i < t->n; i++)
        complete_one(t->paths[i], quiet);
}
