/* SPDX-License-Identifier: MIT */
/* heaprr torture: what a run did with its failure (torture.h), from its exit and its root trace,
 * held against the baseline:
 *   hung         stopped after the timeout
 *   crashed      killed by a signal
 *   not reached  no failure was injected (the run took another path before the site)
 *   leaked       ended as the baseline did (same exit status) but left blocks the baseline freed:
 *                by allocation stack, more blocks live at the end than in the baseline
 *   handled      anything else: went on, or stopped with its own error (exit status, message)
 * A run that exits with an error after a failure leaves its blocks to the exit like many correct
 * programs do; those are not called leaks (the verdict still counts them). */
#include "torture.h"

#include "stacks.h"

#include <heaprr/failspec.h>
#include <heaprr/leaks.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 8192

typedef struct leak_key {
    char *key; /* the stack as module+offset frames */
    uint64_t stack, bytes, blocks;
} leak_key;

struct tt_leakset {
    leak_key *v;
    size_t n;
};

static int by_key(const void *a, const void *b)
{
    return strcmp(((const leak_key *)a)->key, ((const leak_key *)b)->key);
}

static hr_reader *open_quietly(const char *trace)
{
    hr_reader *r;
    if (hr_reader_open(&r, trace, 0) == 0)
        return r;
    hr_reader_close(r);
    return NULL;
}

/* The leaks of the trace r reads, keyed by stack and sorted; NULL when it cannot be read. r is
 * left at the end, its tables whole. */
static tt_leakset *leaks_of(hr_reader *r)
{
    hr_leaks l;
    tt_leakset *s = calloc(1, sizeof *s);
    if (!s || hr_leaks_compute(r, &l) < 0) {
        free(s);
        return NULL;
    }
    s->v = calloc(l.n ? l.n : 1, sizeof *s->v);
    for (size_t i = 0; s->v && i < l.n; i++) {
        char key[KEY_MAX];
        tt_stack_key(r, l.groups[i].stack, 256, key, sizeof key);
        char *k = strdup(key);
        if (k)
            s->v[s->n++] = (leak_key){k, l.groups[i].stack, l.groups[i].bytes, l.groups[i].blocks};
    }
    hr_leaks_free(&l);
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, by_key);
    return s;
}

tt_leakset *tt_leakset_read(const char *trace)
{
    hr_reader *r = open_quietly(trace);
    tt_leakset *s = r ? leaks_of(r) : NULL;
    hr_reader_close(r);
    return s;
}

void tt_leakset_free(tt_leakset *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        free(s->v[i].key);
    if (s)
        free(s->v);
    free(s);
}

/* Blocks of run's leaks that base does not have (several groups with one key are summed). Returns
 * the stack of the group with the most new bytes, 0 when none. */
static uint64_t new_leaks(const tt_leakset *run, const tt_leakset *base, tt_verdict *v)
{
    uint64_t worst = 0, worst_stack = 0;
    for (size_t i = 0; i < run->n;) {
        size_t j = i;
        uint64_t bytes = 0, blocks = 0;
        for (; j < run->n && strcmp(run->v[j].key, run->v[i].key) == 0; j++) {
            bytes += run->v[j].bytes;
            blocks += run->v[j].blocks;
        }
        leak_key probe = {run->v[i].key, 0, 0, 0};
        const leak_key *b = base ? bsearch(&probe, base->v, base->n, sizeof *base->v, by_key) : NULL;
        uint64_t had = b ? b->blocks : 0, more = bytes > (b ? b->bytes : 0) ? bytes - (b ? b->bytes : 0) : 0;
        if (blocks > had) {
            v->leak_blocks += blocks - had;
            v->leak_bytes += more;
            if (!worst_stack || more > worst) {
                worst = more;
                worst_stack = run->v[i].stack;
            }
        }
        i = j;
    }
    return worst_stack;
}

/* The run's leaks against the baseline's; the largest new one's site symbolized when named (a
 * symbolizer costs: only for runs that will be called leaked). */
static void judge_leaks(const char *trace, const tt_leakset *base, int name, tt_verdict *v)
{
    hr_reader *r = open_quietly(trace);
    tt_leakset *mine = r ? leaks_of(r) : NULL;
    uint64_t stack = mine ? new_leaks(mine, base, v) : 0;
    if (stack && name)
        tt_site_label(r, stack, v->leak_at, sizeof v->leak_at);
    cli_stacks_done();
    tt_leakset_free(mine);
    hr_reader_close(r);
}

/* Reads the run's trace: failures injected, and the first one's site: the site's label when its
 * stack begins with the site's frames, else symbolized (a program that went another way: --calls).
 * Returns 0, or -1 when the trace cannot be read. */
static int injected(const char *trace, const tt_site *site, tt_verdict *v)
{
    hr_reader *r = open_quietly(trace);
    if (!r)
        return -1;
    hr_record rec;
    uint64_t first = 0;
    while (hr_reader_next(r, &rec) == 1)
        if (rec.type == HR_REC_EVENT && (rec.u.event.xflags & HR_XF_INJECTED) && !v->injected++)
            first = rec.u.event.stack;
    char key[KEY_MAX];
    size_t n = strlen(site->key);
    if (!v->injected || v->failed_at[0])
        ; /* none here, or named from an earlier trace */
    else if (tt_stack_key(r, first, HR_FAIL_MAX_SITE, key, sizeof key) && strncmp(key, site->key, n) == 0 &&
             (key[n] == 0 || key[n] == '/'))
        snprintf(v->failed_at, sizeof v->failed_at, "%s", site->label);
    else
        tt_site_label(r, first, v->failed_at, sizeof v->failed_at);
    cli_stacks_done();
    hr_reader_close(r);
    return 0;
}

/* The failures injected in the run's other processes (the traces of its children, TRACE with
 * ".PID..." before the extension): a site may be reached in a child only. */
static void injected_in_children(const char *trace, const tt_site *site, tt_verdict *v)
{
    char pattern[4200];
    size_t n = strlen(trace);
    if (n < 4 || strcmp(trace + n - 4, ".hrr") != 0)
        return;
    snprintf(pattern, sizeof pattern, "%.*s.*.hrr", (int)(n - 4), trace);
    glob_t g;
    if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
        return;
    uint64_t root = v->injected;
    for (size_t i = 0; i < g.gl_pathc; i++)
        injected(g.gl_pathv[i], site, v);
    v->in_children = v->injected - root;
    globfree(&g);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

void tt_last_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        size_t n = strlen(line);
        if (n) {
            n = n < cap - 1 ? n : cap - 1;
            memcpy(out, line, n);
            out[n] = 0;
        }
    }
    if (f)
        fclose(f);
}

static enum tt_outcome outcome(const tt_run *run, const tt_run *base, const tt_verdict *v)
{
    if (run->hung)
        return TT_HUNG;
    if (run->signal || !run->exited)
        return TT_CRASHED;
    if (!v->injected)
        return TT_NOT_REACHED;
    if (run->status == base->status && v->leak_blocks)
        return TT_LEAKED;
    return TT_HANDLED;
}

void tt_judge(const tt_run *run, const tt_site *site, const tt_run *base, const tt_leakset *base_leaks,
              tt_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->same_output = same_file(run->out, base->out);
    tt_last_line(run->err, v->last_err, sizeof v->last_err);
    int readable = injected(run->trace, site, v) == 0;
    injected_in_children(run->trace, site, v);
    if (readable && !run->signal && !run->hung)
        judge_leaks(run->trace, base_leaks, run->status == base->status, v);
    v->outcome = outcome(run, base, v);
}

const char *tt_outcome_name(enum tt_outcome o)
{
    static const char *const names[] = {"handled", "crashed", "leaked", "hung", "not-reached"};
    return o < TT_OUTCOMES ? names[o] : "?";
}
