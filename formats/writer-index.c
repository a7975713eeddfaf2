/* SPDX-License-Identifier: MIT */
/* The index a writer keeps of what it writes (formats/SPEC.md 6.1): every record goes to an
 * indexer exactly as a reader will read it back, and hr_writer_finish puts the result in an index
 * frame before the trailer. An indexer that fails (its memory limit, no memory) is dropped with
 * all its memory: the trace is then analysed by reading its events, as one without an index. */
#include <heaprr/index.h>

#include "internal.h"

int hr_windex_open(hr_indexer **x, const hr_alloc *a, size_t memory_limit)
{
    *x = NULL;
    if (!memory_limit)
        return 0;
    hr_indexer_config cfg = {.alloc = a, .memory_limit = memory_limit};
    return hr_indexer_new(x, &cfg);
}

void hr_windex_drop(hr_indexer **x)
{
    hr_indexer_free(*x);
    *x = NULL;
}

static void add(hr_indexer **x, const hr_record *rec)
{
    if (hr_indexer_add(*x, rec, NULL) < 0)
        hr_windex_drop(x);
}

void hr_windex_event(hr_indexer **x, uint64_t unit_ns, uint32_t thread, uint64_t seq, uint64_t time,
                     const hr_event *ev)
{
    if (!*x)
        return;
    hr_record rec = {.type = HR_REC_EVENT, .thread = thread, .seq = seq, .time_ns = time * unit_ns};
    hr_event_as_read(ev, &rec.u.event);
    add(x, &rec);
}

void hr_windex_typed(hr_indexer **x, uint64_t unit_ns, unsigned type, const hr_record *rec)
{
    if (!*x)
        return;
    hr_record r = *rec;
    r.type = type;
    if (hr_rec_type_is_ordered(r.type))
        r.time_ns *= unit_ns;
    add(x, &r);
}

int hr_windex_payload(hr_indexer *x, const hr_alloc *a, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    const hr_index *ix = hr_indexer_result(x);
    size_t n = hr_index_encoded_size(ix);
    HR_RETURN_IF(n > HR_CHUNK_MAX, HR_ERR_LIMIT);
    *buf = a->alloc(a->opaque, n);
    HR_RETURN_IF(!*buf, HR_ERR_NOMEM);
    *len = hr_index_encode(ix, *buf);
    return 0;
}
