/* SPDX-License-Identifier: MIT */
/* summary and leaks over several traces (tree-report.h): a process tree recorded by heaprr record
 * (or any set of traces). One profile pass per trace; the processes one line each; the sites of
 * all merged by their symbolized stack (the function names, innermost first), since the same code
 * has other addresses in other processes (function, file and line of every frame). */
#include "tree-report.h"

#include "passes.h"
#include "stacks.h"

#include <heaprr/symbolize.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 16384

/* ---- sites merged by stack ---- */

typedef struct merged_site {
    char *key;   /* the frames joined by ';', innermost first (stack_key) */
    char *label; /* "f (file:line) <- g <- h" from the first process that has it */
    uint64_t calls, bytes, leaked_bytes, leaked_blocks, procs;
    size_t last_proc; /* + 1: the last process counted in procs */
} merged_site;

typedef struct process_row {
    const char *path;
    uint32_t pid, ppid;
    char cmd[512];
    uint64_t calls, allocs, frees, bytes, peak_bytes, leaked_bytes, leaked_blocks;
    int truncated, depth;
} process_row;

typedef struct merged {
    merged_site *v;
    size_t n, cap;
    size_t *slot, mask;
    process_row *procs;
    size_t nprocs;
} merged;

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static void grow(merged *m)
{
    size_t cap = m->slot ? (m->mask + 1) * 2 : 1024;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        size_t h = hash_key(m->v[i].key) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = i + 1;
    }
    free(m->slot);
    m->slot = slot;
    m->mask = cap - 1;
}

/* The stack as its frames "function (file:line)" joined by ';', innermost first: the same code
 * gives the same key in every process. */
static void stack_key(hr_reader *r, uint64_t stack, char *out, size_t cap)
{
    const hr_symframe *f;
    size_t n = stack ? cli_stack_frames(r, stack, &f) : 0, o = 0;
    out[0] = 0;
    if (!n)
        snprintf(out, cap, "(no stack)");
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char name[1024];
        cli_frame_name(&f[i], name, sizeof name);
        for (char *c = name; *c; c++)
            *c = *c == ';' ? ':' : *c;
        int k = f[i].function && f[i].file
                    ? snprintf(out + o, cap - o, "%s%s (%s:%u)", i ? ";" : "", name, f[i].file, f[i].line)
                    : snprintf(out + o, cap - o, "%s%s", i ? ";" : "", name);
        if (k < 0 || (size_t)k >= cap - o)
            break;
        o += (size_t)k;
    }
}

static merged_site *site_of(merged *m, hr_reader *r, uint64_t stack)
{
    char key[KEY_MAX];
    stack_key(r, stack, key, sizeof key);
    if ((m->n + 1) * 2 > (m->slot ? m->mask + 1 : 0))
        grow(m);
    size_t h = hash_key(key) & m->mask;
    for (; m->slot[h]; h = (h + 1) & m->mask)
        if (strcmp(m->v[m->slot[h] - 1].key, key) == 0)
            return &m->v[m->slot[h] - 1];
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->v = cli_realloc(m->v, m->cap * sizeof *m->v);
    }
    char label[2048];
    cli_site_label(r, stack, 3, label, sizeof label);
    merged_site *s = &m->v[m->n];
    *s = (merged_site){cli_strdup(key), cli_strdup(label), 0, 0, 0, 0, 0, 0};
    m->slot[h] = ++m->n;
    return s;
}

static void process(merged *m, const cli_trace_set *t, size_t i)
{
    hr_profile p;
    hr_reader *r = cli_profile_pass(t->paths[i], "summary", &p);
    const hr_header *h = hr_reader_header(r);
    process_row *row = &m->procs[m->nprocs++];
    memset(row, 0, sizeof *row);
    row->path = t->paths[i];
    row->pid = h ? h->pid : 0;
    row->ppid = h ? h->ppid : 0;
    for (size_t k = 0; h && k < h->cmdline.len && k + 1 < sizeof row->cmd; k++)
        row->cmd[k] = h->cmdline.ptr[k] ? h->cmdline.ptr[k] : ' ';
    row->calls = p.calls;
    row->allocs = p.allocs;
    row->frees = p.frees;
    row->bytes = p.bytes;
    row->peak_bytes = p.peak_bytes;
    row->leaked_bytes = p.leaked_bytes;
    row->leaked_blocks = p.leaked_blocks;
    row->truncated = p.truncated;
    row->depth = cli_trace_set_depth(t, i);
    for (size_t k = 0; k < p.nsites; k++) {
        const hr_site *s = &p.sites[k];
        merged_site *ms = site_of(m, r, s->stack);
        ms->calls += s->calls;
        ms->bytes += s->bytes;
        ms->leaked_bytes += s->live_bytes;
        ms->leaked_blocks += s->live_blocks;
        if (ms->last_proc != m->nprocs) {
            ms->procs++;
            ms->last_proc = m->nprocs;
        }
    }
    cli_profile_free(&p);
    cli_stacks_done();
    cli_pass_end(r);
}

static void merge(merged *m, const cli_trace_set *t)
{
    memset(m, 0, sizeof *m);
    m->procs = cli_realloc(NULL, t->n * sizeof *m->procs);
    for (size_t i = 0; i < t->n; i++)
        process(m, t, i);
}

static void merged_free(merged *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].label);
    }
    free(m->v);
    free(m->slot);
    free(m->procs);
}

static int by_bytes(const void *a, const void *b)
{
    const merged_site *x = a, *y = b;
    return x->bytes > y->bytes ? -1 : x->bytes < y->bytes ? 1 : strcmp(x->key, y->key);
}

static int by_leaked(const void *a, const void *b)
{
    const merged_site *x = a, *y = b;
    return x->leaked_bytes > y->leaked_bytes ? -1 : x->leaked_bytes < y->leaked_bytes ? 1 : strcmp(x->key, y->key);
}

typedef struct totals {
    uint64_t calls, allocs, frees, bytes, leaked_bytes, leaked_blocks, peak_bytes;
    size_t peak_at;
} totals;

static totals sum(const merged *m)
{
    totals t = {0};
    for (size_t i = 0; i < m->nprocs; i++) {
        const process_row *p = &m->procs[i];
        t.calls += p->calls;
        t.allocs += p->allocs;
        t.frees += p->frees;
        t.bytes += p->bytes;
        t.leaked_bytes += p->leaked_bytes;
        t.leaked_blocks += p->leaked_blocks;
        if (p->peak_bytes > t.peak_bytes) {
            t.peak_bytes = p->peak_bytes;
            t.peak_at = i;
        }
    }
    return t;
}

/* ---- summary ---- */

static void summary_text(const merged *m, const cli_trace_set *t, size_t top)
{
    totals s = sum(m);
    if (t->tree)
        printf("%zu traces: %s and its descendants\n", m->nprocs, t->paths[0]);
    else
        printf("%zu traces\n", m->nprocs);
    printf("  calls          %12" PRIu64 " (%" PRIu64 " allocations, %" PRIu64 " frees)\n", s.calls, s.allocs, s.frees);
    printf("  allocated      %12" PRIu64 " bytes\n", s.bytes);
    printf("  leaked         %12" PRIu64 " bytes in %" PRIu64 " blocks\n", s.leaked_bytes, s.leaked_blocks);
    printf("  largest peak   %12" PRIu64 " bytes (pid %u)\n", s.peak_bytes, m->nprocs ? m->procs[s.peak_at].pid : 0);
    printf("\n  %8s %8s %12s %14s %12s %12s  %s\n", "pid", "parent", "calls", "allocated", "peak", "leaked",
           "command");
    for (size_t i = 0; i < m->nprocs; i++) {
        const process_row *p = &m->procs[i];
        printf("  %8u %8u %12" PRIu64 " %14" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %*s%s%s\n", p->pid, p->ppid, p->calls,
               p->bytes, p->peak_bytes, p->leaked_bytes, 2 * p->depth, "", p->cmd,
               p->truncated ? " (trace cut short)" : "");
    }
    merged_site *v = cli_realloc(NULL, (m->n ? m->n : 1) * sizeof *v);
    if (m->n)
        memcpy(v, m->v, m->n * sizeof *v);
    qsort(v, m->n, sizeof *v, by_bytes);
    printf("\ntop %zu sites by bytes allocated, over all processes (merged by stack):\n", top < m->n ? top : m->n);
    printf("  %14s %10s %12s %6s  %s\n", "bytes", "calls", "leaked", "procs", "site");
    for (size_t i = 0; i < m->n && i < top; i++)
        printf("  %14" PRIu64 " %10" PRIu64 " %12" PRIu64 " %6" PRIu64 "  %s\n", v[i].bytes, v[i].calls, v[i].leaked_bytes,
               v[i].procs, v[i].label);
    free(v);
}

static void json_site(json *j, const merged_site *s)
{
    json_object_begin(j, NULL);
    json_cstr(j, "site", s->label);
    json_cstr(j, "stack", s->key);
    json_u64(j, "calls", s->calls);
    json_u64(j, "bytes", s->bytes);
    json_u64(j, "leaked_bytes", s->leaked_bytes);
    json_u64(j, "leaked_blocks", s->leaked_blocks);
    json_u64(j, "processes", s->procs);
    json_object_end(j);
}

static void summary_json(const merged *m, size_t top)
{
    totals s = sum(m);
    json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_object_begin(&j, "totals");
    json_u64(&j, "traces", m->nprocs);
    json_u64(&j, "calls", s.calls);
    json_u64(&j, "allocs", s.allocs);
    json_u64(&j, "frees", s.frees);
    json_u64(&j, "bytes_allocated", s.bytes);
    json_u64(&j, "leaked_bytes", s.leaked_bytes);
    json_u64(&j, "leaked_blocks", s.leaked_blocks);
    json_u64(&j, "largest_peak_bytes", s.peak_bytes);
    json_object_end(&j);
    json_array_begin(&j, "processes");
    for (size_t i = 0; i < m->nprocs; i++) {
        const process_row *p = &m->procs[i];
        json_object_begin(&j, NULL);
        json_cstr(&j, "trace", p->path);
        json_u64(&j, "pid", p->pid);
        json_u64(&j, "ppid", p->ppid);
        json_u64(&j, "depth", (uint64_t)p->depth);
        json_cstr(&j, "command", p->cmd);
        json_u64(&j, "calls", p->calls);
        json_u64(&j, "bytes_allocated", p->bytes);
        json_u64(&j, "peak_bytes", p->peak_bytes);
        json_u64(&j, "leaked_bytes", p->leaked_bytes);
        json_bool(&j, "truncated", p->truncated);
        json_object_end(&j);
    }
    json_array_end(&j);
    merged_site *v = cli_realloc(NULL, (m->n ? m->n : 1) * sizeof *v);
    if (m->n)
        memcpy(v, m->v, m->n * sizeof *v);
    qsort(v, m->n, sizeof *v, by_bytes);
    json_array_begin(&j, "top_sites");
    for (size_t i = 0; i < m->n && i < top; i++)
        json_site(&j, &v[i]);
    json_array_end(&j);
    json_object_end(&j);
    json_finish(&j);
    free(v);
}

void cli_summary_many(const cli_trace_set *t, size_t top, int as_json)
{
    merged m;
    merge(&m, t);
    if (as_json)
        summary_json(&m, top);
    else
        summary_text(&m, t, top);
    merged_free(&m);
}

/* ---- leaks ---- */

void cli_leaks_many(const cli_trace_set *t, size_t top, int as_json)
{
    merged m;
    merge(&m, t);
    totals s = sum(&m);
    if (m.n > 1)
        qsort(m.v, m.n, sizeof *m.v, by_leaked);
    size_t n = 0;
    while (n < m.n && (m.v[n].leaked_bytes || m.v[n].leaked_blocks))
        n++;
    if (as_json) {
        json j;
        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_u64(&j, "traces", m.nprocs);
        json_u64(&j, "leaked_bytes", s.leaked_bytes);
        json_u64(&j, "leaked_blocks", s.leaked_blocks);
        json_u64(&j, "groups", n);
        json_array_begin(&j, "leaks");
        for (size_t i = 0; i < n && i < top; i++)
            json_site(&j, &m.v[i]);
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("%zu traces: %" PRIu64 " bytes leaked in %" PRIu64 " blocks from %zu allocation stacks (merged over the "
               "processes)\n", m.nprocs, s.leaked_bytes, s.leaked_blocks, n);
        for (size_t i = 0; i < n && i < top; i++) {
            printf("\n%" PRIu64 " bytes in %" PRIu64 " block%s, in %" PRIu64 " process%s, allocated from:\n",
                   m.v[i].leaked_bytes, m.v[i].leaked_blocks, m.v[i].leaked_blocks == 1 ? "" : "s", m.v[i].procs,
                   m.v[i].procs == 1 ? "" : "es");
            int k = 0;
            for (char *f = m.v[i].key, *end; f && *f; f = end ? end + 1 : NULL, k++) {
                end = strchr(f, ';');
                printf("   #%-2d %.*s\n", k, end ? (int)(end - f) : (int)strlen(f), f);
            }
        }
    }
    merged_free(&m);
}
