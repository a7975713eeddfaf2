/* SPDX-License-Identifier: MIT */
/* After heaprr record's run: every process that should have written a trace did. A FORK, a
 * SPAWN that started its child and an EXEC that did not fail each promise the trace of a new
 * process image (formats/SPEC.md 5.2), found by its pid and the parent trace it names; a promise
 * without its trace is a process the recorder did not start in, said in one line. Promises whose
 * record carries image flags were said by the recorder already, on the spot. Only traces that may
 * hold promises are read (their trailer says): the others are matched by their header first. */
#define _GNU_SOURCE
#include "cli.h"
#include "record.h"

#include <heaprr/peek.h>
#include <heaprr/reader.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LINES 10 /* missing processes named one by one; the rest are counted */

typedef struct trace_info {
    const char *path;
    uint32_t pid, ppid;    /* header */
    uint64_t start_ns;     /* header */
    char *exe, *parent;    /* header exe, PROCESS_INFO parent_trace (NULL: not read) */
    int has_info;          /* PROCESS_INFO read (a live process may not have written it yet) */
    dev_t dev, parent_dev; /* identities of the file and of its parent trace (0, 0: unknown) */
    ino_t ino, parent_ino;
} trace_info;

typedef struct promise {
    uint32_t pid;
    unsigned type; /* HR_REC_FORK, HR_REC_SPAWN or HR_REC_EXEC */
    size_t from;   /* the trace holding the record */
    char *what;    /* the program the new image runs; NULL: an exec the trace was not read for */
} promise;

typedef struct expect {
    trace_info *traces;
    size_t ntraces;
    size_t *by_pid; /* trace indexes in pid order */
    promise *p;
    size_t n, cap;
} expect;

static char *dup_str(hr_str s)
{
    char *p = strndup(s.ptr ? s.ptr : "", s.len);
    if (!p)
        cli_die(EXIT_USAGE, "out of memory");
    return p;
}

static void promise_add(expect *e, uint32_t pid, unsigned type, size_t from, const char *what, size_t len)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        if (!(e->p = realloc(e->p, e->cap * sizeof *e->p)))
            cli_die(EXIT_USAGE, "out of memory");
    }
    e->p[e->n++] = (promise){pid, type, from, what ? dup_str((hr_str){what, len}) : NULL};
}

/* The exec in progress: an EXEC that succeeded unless an EXEC of the same image with an error
 * follows it. */
typedef struct exec_state {
    int pending;
    unsigned flags;
    char path[PATH_MAX];
} exec_state;

static void note_record(expect *e, size_t from, const hr_record *rec, exec_state *x)
{
    const trace_info *t = &e->traces[from];
    if (rec->type == HR_REC_FORK) {
        promise_add(e, rec->u.fork.child_pid, HR_REC_FORK, from, t->exe, strlen(t->exe));
    } else if (rec->type == HR_REC_SPAWN && rec->u.exec.result == 0 && rec->u.exec.flags == 0) {
        promise_add(e, rec->u.exec.child_pid, HR_REC_SPAWN, from, rec->u.exec.path.ptr, rec->u.exec.path.len);
    } else if (rec->type == HR_REC_EXEC && rec->u.exec.result == 0) {
        x->pending = 1;
        x->flags = rec->u.exec.flags;
        snprintf(x->path, sizeof x->path, "%.*s", (int)rec->u.exec.path.len, rec->u.exec.path.ptr);
    } else if (rec->type == HR_REC_EXEC && x->pending && rec->u.exec.path.len == strlen(x->path) &&
               memcmp(rec->u.exec.path.ptr, x->path, rec->u.exec.path.len) == 0) {
        x->pending = 0; /* that exec failed: the process went on in this image */
    }
}

static void identify(trace_info *t)
{
    struct stat sb;
    if (stat(t->path, &sb) == 0) {
        t->dev = sb.st_dev;
        t->ino = sb.st_ino;
    }
    if (t->parent && t->parent[0] && stat(t->parent, &sb) == 0) {
        t->parent_dev = sb.st_dev;
        t->parent_ino = sb.st_ino;
    }
}

/* Reads a trace up to its PROCESS_INFO, or to its end when all is set: its promises too. A trace
 * that does not read gives what it gave before the error (its recovery said why). */
static void read_trace(expect *e, size_t i, int all)
{
    trace_info *t = &e->traces[i];
    hr_reader *r;
    hr_record rec;
    exec_state x = {0};
    free(t->exe);
    free(t->parent);
    t->exe = NULL;
    t->parent = dup_str((hr_str){"", 0});
    int rc = hr_reader_open(&r, t->path, 0);
    if (rc == 0) {
        const hr_header *h = hr_reader_header(r);
        t->pid = h->pid;
        t->ppid = h->ppid;
        t->start_ns = h->start_realtime_ns;
        t->exe = dup_str(h->exe);
        while ((rc = hr_reader_next(r, &rec)) == 1) {
            if (rec.type == HR_REC_PROCESS_INFO) {
                t->has_info = 1;
                free(t->parent);
                t->parent = dup_str(rec.u.process.parent_trace);
                if (!all)
                    break;
            }
            if (all)
                note_record(e, i, &rec, &x);
        }
    }
    hr_reader_close(r);
    if (!t->exe)
        t->exe = dup_str((hr_str){"", 0});
    if (x.pending && x.flags == 0)
        promise_add(e, t->pid, HR_REC_EXEC, i, x.path, strlen(x.path));
    identify(t);
}

/* A complete trace whose trailer counts no FORK and no SPAWN is not read yet: its header is enough
 * until a promise needs to know its parent. Its EXEC records come in pairs for each exec that
 * failed (before and after), so an odd count is an exec that replaced the image: the promise of
 * its trace, for its own pid, is noted without the path, and the trace read only if that image
 * wrote none. */
static void scan(expect *e, size_t i)
{
    trace_info *t = &e->traces[i];
    hr_peek pk;
    if (hr_peek_trace(t->path, &pk) < 0 || !pk.complete || pk.typed[HR_REC_FORK] || pk.typed[HR_REC_SPAWN]) {
        read_trace(e, i, 1);
        return;
    }
    t->pid = pk.pid;
    t->ppid = pk.ppid;
    t->start_ns = pk.start_realtime_ns;
    identify(t);
    if (pk.typed[HR_REC_EXEC] % 2)
        promise_add(e, t->pid, HR_REC_EXEC, i, NULL, 0);
}

/* Whether trace c names trace p as its parent (a trace that does not say yet may be its child). */
static int child_of(const trace_info *c, const trace_info *p)
{
    if (!c->has_info)
        return 1;
    if (c->parent_dev || c->parent_ino)
        return c->parent_dev == p->dev && c->parent_ino == p->ino;
    return c->parent[0] && strcmp(c->parent, p->path) == 0;
}

/* What the header of a trace not read says: a forked or spawned child's parent is the process
 * that started it; an exec'd image has the same parent as the image before it, and started
 * after it. */
static int header_says_child(const trace_info *c, const trace_info *p, unsigned type)
{
    if (type == HR_REC_EXEC)
        return c->ppid == p->ppid && c->start_ns >= p->start_ns;
    return c->ppid == p->pid;
}

static int cmp_pid(const void *a, const void *b, void *traces)
{
    const trace_info *t = traces;
    uint32_t x = t[*(const size_t *)a].pid, y = t[*(const size_t *)b].pid;
    return x < y ? -1 : x > y;
}

static void index_pids(expect *e)
{
    if (e->ntraces && !(e->by_pid = malloc(e->ntraces * sizeof *e->by_pid)))
        cli_die(EXIT_USAGE, "out of memory");
    for (size_t i = 0; i < e->ntraces; i++)
        e->by_pid[i] = i;
    if (e->ntraces)
        qsort_r(e->by_pid, e->ntraces, sizeof *e->by_pid, cmp_pid, e->traces);
}

/* The first position in by_pid of a trace with this pid (ntraces if none). */
static size_t first_of(const expect *e, uint32_t pid)
{
    size_t lo = 0, hi = e->ntraces;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->traces[e->by_pid[mid]].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->ntraces && e->traces[e->by_pid[lo]].pid == pid ? lo : e->ntraces;
}

/* A trace of pid p->pid, other than the one that promised it, that names it as its parent; one
 * not read yet is read when its header does not settle it (its parent ended before it started). */
static int kept(expect *e, const promise *p)
{
    const trace_info *from = &e->traces[p->from];
    size_t first = first_of(e, p->pid);
    for (size_t k = first; k < e->ntraces && e->traces[e->by_pid[k]].pid == p->pid; k++) {
        trace_info *c = &e->traces[e->by_pid[k]];
        if (e->by_pid[k] == p->from)
            continue;
        if (!c->parent && header_says_child(c, from, p->type))
            return 1;
        if (!c->parent)
            read_trace(e, e->by_pid[k], 0);
        if (child_of(c, from))
            return 1;
    }
    return 0;
}

static int has_pid(const expect *e, uint32_t pid)
{
    return first_of(e, pid) < e->ntraces;
}

static void missing(size_t *count, uint32_t pid, const char *what)
{
    char shown[512];
    if ((*count)++ < MAX_LINES)
        fprintf(stderr, "heaprr: process %u (%s) produced no trace: the recorder did not start in it\n", pid,
                hr_printable(what, 200, shown, sizeof shown));
}

static void release(expect *e)
{
    for (size_t i = 0; i < e->ntraces; i++) {
        free(e->traces[i].exe);
        free(e->traces[i].parent);
    }
    for (size_t i = 0; i < e->n; i++)
        free(e->p[i].what);
    free(e->traces);
    free(e->by_pid);
    free(e->p);
}

void cli_expect_traces(const cli_traces *t, const cli_root *root)
{
    expect e = {0};
    size_t count = 0;
    e.ntraces = t->n;
    if (t->n && !(e.traces = calloc(t->n, sizeof *e.traces)))
        cli_die(EXIT_USAGE, "out of memory");
    for (size_t i = 0; i < t->n; i++) {
        e.traces[i].path = t->paths[i];
        scan(&e, i);
    }
    index_pids(&e);
    if (root->pid > 0 && !root->reported && !has_pid(&e, (uint32_t)root->pid))
        missing(&count, (uint32_t)root->pid, root->name);
    for (size_t i = 0; i < e.n; i++) { /* e.n grows when a trace is read for its exec below */
        if (kept(&e, &e.p[i]))
            continue;
        if (e.p[i].what)
            missing(&count, e.p[i].pid, e.p[i].what);
        else
            read_trace(&e, e.p[i].from, 1); /* adds the exec's promise with its path, if it has one */
    }
    if (count > MAX_LINES)
        fprintf(stderr, "heaprr: and %zu more processes produced no trace\n", count - MAX_LINES);
    release(&e);
}
