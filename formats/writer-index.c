/* SPDX-License-Identifier: MIT */
/* The index a writer keeps of what it writes (formats/SPEC.md 6.1): every record goes to an
 * indexer exactly as a reader will read it back, and hr_writer_finish puts the result in an index
 * frame before the trailer. An indexer that fails (its memory limit, no memory, a conflict it
 * cannot place) is dropped with all its memory: the trace is then analysed by reading its events,
 * as one without an index.
 *
 * Events reach the indexer LAG events after the encoder coded them, with the pointer model's word
 * on which blocks of the chunk they name: the memory those blocks' figures sit in is loaded
 * meanwhile, which on a busy writer thread is most of the cost of an event. */
#include <heaprr/index.h>

#include "internal.h"

#define LAG 8 /* a power of 2 */

struct hr_windex {
    const hr_alloc *a;
    hr_indexer *x;
    hr_record rec[LAG];
    hr_heap_refs refs[LAG];
    unsigned head, n; /* the oldest event waiting, how many wait */
};

int hr_windex_open(hr_windex **w, const hr_alloc *a, size_t memory_limit)
{
    *w = NULL;
    if (!memory_limit)
        return 0;
    hr_windex *n = hr_alloc_zeroed(a, sizeof *n);
    if (!n)
        return HR_ERR_NOMEM;
    hr_indexer_config cfg = {.alloc = a, .memory_limit = memory_limit};
    int rc = hr_indexer_new(&n->x, &cfg);
    if (rc < 0) {
        a->free(a->opaque, n);
        return rc;
    }
    n->a = a;
    *w = n;
    return 0;
}

int hr_windex_adopt(hr_windex **w, const hr_alloc *a, hr_indexer *x)
{
    hr_windex_drop(w);
    hr_windex *n = hr_alloc_zeroed(a, sizeof *n);
    if (!n) {
        hr_indexer_free(x);
        return HR_ERR_NOMEM;
    }
    n->a = a;
    n->x = x;
    *w = n;
    return 0;
}

void hr_windex_drop(hr_windex **w)
{
    if (!*w)
        return;
    hr_indexer_free((*w)->x);
    (*w)->a->free((*w)->a->opaque, *w);
    *w = NULL;
}

static int take(hr_windex *w, const hr_record *rec, const hr_heap_refs *refs)
{
    return hr_indexer_add_refs(w->x, rec, refs, NULL);
}

/* Feeds the waiting events to the indexer; 0, or the indexer's error. */
static int catch_up(hr_windex *w)
{
    for (; w->n; w->n--, w->head = (w->head + 1) & (LAG - 1))
        HR_FORWARD(take(w, &w->rec[w->head], &w->refs[w->head]));
    return 0;
}

static void check(hr_windex **w, int rc)
{
    if (rc < 0)
        hr_windex_drop(w);
}

void hr_windex_event(hr_windex **w, uint64_t unit_ns, uint32_t thread, uint64_t seq, uint64_t time,
                     const hr_event *ev, const hr_heap_refs *refs)
{
    hr_windex *x = *w;
    if (!x)
        return;
    if (x->n == LAG) {
        check(w, take(x, &x->rec[x->head], &x->refs[x->head]));
        if (!*w)
            return;
        x->head = (x->head + 1) & (LAG - 1);
        x->n--;
    }
    unsigned slot = (x->head + x->n++) & (LAG - 1);
    hr_record *rec = &x->rec[slot];
    rec->type = HR_REC_EVENT;
    rec->thread = thread;
    rec->seq = seq;
    rec->time_ns = time * unit_ns;
    rec->offset = 0;
    hr_event_as_read(ev, &rec->u.event);
    x->refs[slot] = *refs;
    hr_indexer_prefetch_refs(x->x, rec, refs);
}

void hr_windex_chunk_end(hr_windex **w)
{
    if (*w)
        check(w, catch_up(*w) < 0 ? -1 : hr_indexer_chunk_end((*w)->x));
}

void hr_windex_typed(hr_windex **w, uint64_t unit_ns, unsigned type, const hr_record *rec)
{
    if (!*w)
        return;
    hr_record r = *rec; /* its strings are the caller's: taken now, after the events before it */
    r.type = type;
    if (hr_rec_type_is_ordered(r.type))
        r.time_ns *= unit_ns;
    check(w, catch_up(*w) < 0 ? -1 : take(*w, &r, NULL));
}

int hr_windex_payload(hr_windex *w, const hr_alloc *a, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    HR_FORWARD(catch_up(w));
    const hr_index *ix = hr_indexer_result(w->x);
    size_t n = hr_index_encoded_size(ix);
    HR_RETURN_IF(n > HR_CHUNK_MAX, HR_ERR_LIMIT);
    uint8_t *plain = a->alloc(a->opaque, n);
    HR_RETURN_IF(!plain, HR_ERR_NOMEM);
    size_t plain_len = hr_index_encode(ix, plain);
    int rc = hr_index_pack(plain, plain_len, a, buf, len); /* a third of the size, or less */
    a->free(a->opaque, plain);
    return rc;
}

int hr_windex_leaks(hr_windex *w, uint64_t *bytes, uint64_t *blocks, uint64_t *stacks)
{
    if (catch_up(w) < 0)
        return -1;
    const hr_index *ix = hr_indexer_result(w->x);
    *bytes = ix->leaked_bytes;
    *blocks = ix->leaked_blocks;
    *stacks = 0;
    for (size_t i = 0; i < ix->nsites; i++)
        *stacks += ix->sites[i].live_blocks > 0;
    return 0;
}
