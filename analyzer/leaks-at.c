/* SPDX-License-Identifier: MIT */
/* Leaks at chosen points (include/heaprr/leaks.h, hr_leaks_window): the live set is followed event
 * by event up to a mark, then the blocks allocated after the other mark are grouped by stack. */
#include <heaprr/analyze.h>
#include <heaprr/leaks.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char window_error[512];

const char *hr_leaks_window_error(void)
{
    return window_error;
}

/* A mark by name: its text, and which occurrence of it (1: the first). */
typedef struct mark_name {
    const char *text;
    size_t len;
    uint64_t nth, seen;
    uint64_t seq; /* where it was found; 0: not yet */
} mark_name;

/* "TEXT#N" names the Nth mark with text TEXT; anything else the first with that text. */
static void parse_name(const char *s, mark_name *m)
{
    memset(m, 0, sizeof *m);
    m->text = s;
    m->len = strlen(s);
    m->nth = 1;
    const char *hash = strrchr(s, '#');
    if (!hash || !hash[1] || strspn(hash + 1, "0123456789") != strlen(hash + 1))
        return;
    uint64_t n = strtoull(hash + 1, NULL, 10);
    if (n > 0) {
        m->len = (size_t)(hash - s);
        m->nth = n;
    }
}

/* Whether the mark record rec is the one m names (counting occurrences). */
static int matches(mark_name *m, const hr_record *rec)
{
    if (m->seq || rec->u.text.len != m->len || memcmp(rec->u.text.ptr, m->text, m->len) != 0)
        return 0;
    if (++m->seen < m->nth)
        return 0;
    m->seq = rec->seq;
    return 1;
}

/* Groups of blocks by stack: open addressing on the stack id. */
typedef struct grouping {
    hr_leak *slots;
    size_t mask, used;
    uint64_t since_seq;
    int nomem;
} grouping;

static int grow(grouping *g)
{
    size_t n = g->slots ? (g->mask + 1) * 2 : 1024;
    hr_leak *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; g->slots && i <= g->mask; i++) {
        if (!g->slots[i].blocks)
            continue;
        size_t s = (size_t)(g->slots[i].stack * 0x9E3779B97F4A7C15ull >> 20) & (n - 1);
        while (slots[s].blocks)
            s = (s + 1) & (n - 1);
        slots[s] = g->slots[i];
    }
    free(g->slots);
    g->slots = slots;
    g->mask = n - 1;
    return 0;
}

static void add_block(void *ctx, const hr_block *b)
{
    grouping *g = ctx;
    if (b->seq <= g->since_seq || g->nomem)
        return;
    if ((!g->slots || (g->used + 1) * 2 > g->mask + 1) && grow(g) < 0) {
        g->nomem = 1;
        return;
    }
    size_t s = (size_t)(b->stack * 0x9E3779B97F4A7C15ull >> 20) & g->mask;
    while (g->slots[s].blocks && g->slots[s].stack != b->stack)
        s = (s + 1) & g->mask;
    hr_leak *l = &g->slots[s];
    if (!l->blocks) {
        *l = (hr_leak){b->stack, 0, 0, b->seq, 0};
        g->used++;
    }
    l->bytes += b->size;
    l->blocks++;
    if (b->seq < l->first_seq)
        l->first_seq = b->seq;
}

static int by_size(const void *a, const void *b)
{
    const hr_leak *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* The groups of the live blocks of h allocated after since_seq, largest first. */
static int group(const hr_heap *h, uint64_t since_seq, hr_leaks *out)
{
    grouping g = {NULL, 0, 0, since_seq, 0};
    hr_heap_each(h, add_block, &g);
    if (g.nomem) {
        free(g.slots);
        return HR_ERR_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; g.slots && i <= g.mask; i++)
        if (g.slots[i].blocks)
            g.slots[n++] = g.slots[i];
    out->groups = g.slots ? g.slots : calloc(1, sizeof *out->groups);
    out->n = n;
    if (!out->groups)
        return HR_ERR_NOMEM;
    qsort(out->groups, n, sizeof *out->groups, by_size);
    for (size_t i = 0; i < n; i++) {
        out->total_bytes += out->groups[i].bytes;
        out->total_blocks += out->groups[i].blocks;
    }
    return 0;
}

/* Follows r's events into h until the mark until (since found on the way). Returns 1 when until
 * was found, 0 at the end of the trace, or a negative hr_err. */
static int follow(hr_reader *r, hr_heap *h, mark_name *since, mark_name *until)
{
    hr_feed *f = hr_feed_open(r, h);
    if (!f)
        return HR_ERR_NOMEM;
    const hr_record *rec;
    int rc;
    while ((rc = hr_feed_next(f, &rec)) > 0) {
        if (rec->type == HR_REC_MARK) {
            if (since->text)
                matches(since, rec);
            if (until->text && matches(until, rec)) {
                rc = 1;
                break;
            }
        } else if (rec->type == HR_REC_EVENT && hr_heap_apply(h, rec, NULL) < 0) {
            rc = HR_ERR_NOMEM;
            break;
        }
    }
    hr_feed_close(f);
    return rc;
}

int hr_leaks_window(hr_reader *r, const hr_leak_window *w, hr_leaks *out)
{
    memset(out, 0, sizeof *out);
    window_error[0] = 0;
    mark_name since, until;
    memset(&since, 0, sizeof since);
    memset(&until, 0, sizeof until);
    if (w->since)
        parse_name(w->since, &since);
    if (w->until)
        parse_name(w->until, &until);
    hr_heap *h = hr_heap_new(NULL);
    if (!h)
        return HR_ERR_NOMEM;
    int rc = follow(r, h, &since, &until);
    if (rc == 0 && !w->until)
        rc = 1; /* to the end */
    if (rc == 0) {
        snprintf(window_error, sizeof window_error, "no mark '%s' in the trace", w->until);
        rc = HR_ERR_ARG;
    } else if (rc == 1 && w->since && !since.seq) {
        snprintf(window_error, sizeof window_error, "no mark '%s'%s%s%s", w->since, w->until ? " before the mark '" : "",
                 w->until ? w->until : "", w->until ? "'" : "");
        rc = HR_ERR_ARG;
    }
    if (rc == 1)
        rc = group(h, since.seq, out);
    hr_heap_free(h);
    return rc;
}
