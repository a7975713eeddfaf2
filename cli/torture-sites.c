/* SPDX-License-Identifier: MIT */
/* heaprr torture: the allocation sites of the baseline run (torture.h). A site is the innermost
 * frames of a call's stack, named as module+offset so that they name the same code in every run,
 * whatever address the modules load at; its rule (site=..., count=1) fails the first call there. */
#include "torture.h"

#include "stacks.h"

#include <heaprr/failspec.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define RULE_MAX 4096

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The module holding ip (the latest loaded, when several did over time), or NULL. */
static const hr_module_info *module_of(const hr_reader *r, uint64_t ip)
{
    for (uint64_t id = hr_reader_module_limit(r); id-- > 0;) {
        int unloaded;
        const hr_module_info *m = hr_reader_module(r, id, &unloaded);
        if (m && ip >= m->start && ip < m->end)
            return m;
    }
    return NULL;
}

unsigned tt_stack_key(const hr_reader *r, uint64_t stack, unsigned depth, char *out, size_t cap)
{
    uint64_t ips[256];
    size_t n = stack ? hr_reader_stack(r, stack, ips, depth < 256 ? depth : 256) : 0, o = 0;
    unsigned named = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const hr_module_info *m = module_of(r, ips[i]);
        char name[256];
        if (!m || !m->path.len || m->path.len >= sizeof name)
            break;
        memcpy(name, m->path.ptr, m->path.len);
        name[m->path.len] = 0;
        const char *b = base_name(name);
        if (strpbrk(b, ",;/"))
            break;
        int k = snprintf(out + o, cap - o, "%s%s+0x%" PRIx64, i ? "/" : "", b, ips[i] - m->bias);
        if (k < 0 || (size_t)k >= cap - o) {
            out[o] = 0;
            break;
        }
        o += (size_t)k;
        named++;
    }
    return named;
}

/* The innermost frame of a key, into where. */
static void first_frame(const char *key, char *where, size_t cap)
{
    size_t n = strcspn(key, "/");
    snprintf(where, cap, "%.*s", (int)n, key);
}

void tt_site_label(hr_reader *r, uint64_t stack, char *out, size_t cap)
{
    char origin[512];
    cli_site_label(r, stack, 2, out, cap);
    cli_site_origin(r, stack, 2, origin, sizeof origin);
    size_t n = strlen(out);
    if (origin[0] && n + 5 < cap)
        snprintf(out + n, cap - n, " ... %s", origin);
}

/* ---- sites by rule: an open-addressing table of indexes into the list ---- */

typedef struct site_table {
    size_t *slot; /* index + 1, 0 empty */
    size_t cap;
} site_table;

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static size_t *table_find(site_table *t, const tt_sites *s, const char *rule)
{
    for (size_t i = hash_text(rule) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
        if (!t->slot[i] || strcmp(s->v[t->slot[i] - 1].rule, rule) == 0)
            return &t->slot[i];
}

static void table_grow(site_table *t, const tt_sites *s)
{
    site_table g = {calloc(t->cap ? t->cap * 2 : 256, sizeof(size_t)), t->cap ? t->cap * 2 : 256};
    if (!g.slot)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i])
            *table_find(&g, s, s->v[t->slot[i] - 1].rule) = t->slot[i];
    free(t->slot);
    *t = g;
}

/* ---- reading the baseline ---- */

typedef struct sites_pass {
    hr_reader *r;
    unsigned depth;
    tt_sites *out;
    site_table table;
    size_t *of_stack; /* stack id -> site index + 1 (0: not seen yet) */
    size_t nstacks;
} sites_pass;

static size_t add_site(sites_pass *p, const char *rule, const char *key, const char *where, const hr_record *rec)
{
    tt_sites *s = p->out;
    if ((s->n + 1) * 2 > p->table.cap)
        table_grow(&p->table, s);
    size_t *slot = table_find(&p->table, s, rule);
    if (*slot)
        return *slot - 1;
    s->v = cli_realloc(s->v, (s->n + 1) * sizeof *s->v);
    char label[1024];
    tt_site_label(p->r, rec->u.event.stack, label, sizeof label);
    s->v[s->n] = (tt_site){cli_strdup(rule), cli_strdup(label), cli_strdup(where), cli_strdup(key), 0, rec->seq,
                           rec->u.event.kind};
    *slot = ++s->n;
    return s->n - 1;
}

/* The site of an event's stack, SIZE_MAX when no rule can name it. */
static size_t site_of(sites_pass *p, const hr_record *rec)
{
    uint64_t id = rec->u.event.stack;
    if (id < p->nstacks && p->of_stack[id])
        return p->of_stack[id] - 1;
    char key[RULE_MAX], rule[RULE_MAX + 32], where[512];
    if (!tt_stack_key(p->r, id, p->depth, key, sizeof key))
        return SIZE_MAX;
    snprintf(rule, sizeof rule, "site=%s,count=1", key);
    first_frame(key, where, sizeof where);
    size_t i = add_site(p, rule, key, where, rec);
    if (id >= p->nstacks) {
        size_t n = id * 2 + 64;
        p->of_stack = cli_realloc(p->of_stack, n * sizeof *p->of_stack);
        memset(p->of_stack + p->nstacks, 0, (n - p->nstacks) * sizeof *p->of_stack);
        p->nstacks = n;
    }
    p->of_stack[id] = i + 1;
    return i;
}

void tt_sites_read(const char *trace, unsigned depth, tt_sites *out)
{
    memset(out, 0, sizeof *out);
    sites_pass p = {cli_open_trace(trace, 0), depth, out, {0}, NULL, 0};
    hr_record rec;
    int rc;
    while ((rc = hr_reader_next(p.r, &rec)) == 1) {
        if (rec.type != HR_REC_EVENT || !hr_event_can_fail(&rec.u.event))
            continue;
        out->calls++;
        size_t i = site_of(&p, &rec);
        if (i != SIZE_MAX)
            out->v[i].calls++;
    }
    cli_pass_done(rc, p.r, trace);
    free(p.table.slot);
    free(p.of_stack);
    cli_stacks_done();
    hr_reader_close(p.r);
}

void tt_sites_calls(const char *trace, uint64_t n, tt_sites *out)
{
    memset(out, 0, sizeof *out);
    hr_reader *r = cli_open_trace(trace, 0);
    hr_record rec;
    int rc;
    while ((rc = hr_reader_next(r, &rec)) == 1) {
        if (rec.type != HR_REC_EVENT || !hr_event_can_fail(&rec.u.event))
            continue;
        if (++out->calls > n)
            continue;
        char rule[64], label[1024], where[512], key[RULE_MAX];
        snprintf(rule, sizeof rule, "nth=%" PRIu64, out->calls);
        tt_site_label(r, rec.u.event.stack, label, sizeof label);
        tt_stack_key(r, rec.u.event.stack, HR_FAIL_MAX_SITE, key, sizeof key);
        first_frame(key, where, sizeof where);
        out->v = cli_realloc(out->v, (out->n + 1) * sizeof *out->v);
        out->v[out->n++] =
            (tt_site){cli_strdup(rule), cli_strdup(label), cli_strdup(where), cli_strdup(key), 1, rec.seq, rec.u.event.kind};
    }
    cli_pass_done(rc, r, trace);
    cli_stacks_done();
    hr_reader_close(r);
}

void tt_sites_keep(tt_sites *s, size_t n)
{
    for (size_t i = n; i < s->n; i++) {
        free(s->v[i].rule);
        free(s->v[i].label);
        free(s->v[i].where);
        free(s->v[i].key);
    }
    if (n < s->n)
        s->n = n;
}

void tt_sites_free(tt_sites *s)
{
    tt_sites_keep(s, 0);
    free(s->v);
    memset(s, 0, sizeof *s);
}
