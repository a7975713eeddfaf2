/* SPDX-License-Identifier: MIT */
/* heaprr stats: per-kind counts, threads, failures, peak and leaked bytes, in one pass. */
#include <heaprr/analyze.h>

#include <string.h>

static void count_event(hr_stats *s, const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    s->events[ev->kind]++;
    s->calls++;
    if (ev->xflags & HR_XF_FAILED)
        s->failed_calls++;
    if (ev->xflags & HR_XF_INCOMPLETE)
        s->incomplete_calls++;
    if (hr_kind_is_free(ev->kind) && ev->ptr == 0)
        s->null_frees++;
}

static void count_typed(hr_stats *s, const hr_record *rec)
{
    switch (rec->type) {
    case HR_REC_THREAD_START: s->threads++; break;
    case HR_REC_MODULE_LOAD: s->modules++; break;
    case HR_REC_MARK: s->marks++; break;
    case HR_REC_FORK: s->forks++; break;
    case HR_REC_EXEC: s->execs++; break;
    default: break;
    }
}

static void track(hr_stats *s, const hr_heap *h, const hr_record *rec, const hr_heap_change *c)
{
    if (c->allocated)
        s->total_bytes += c->alloc.size;
    if (c->unknown_free)
        s->unknown_frees++;
    if (c->conflict)
        s->conflicts++;
    uint64_t live = hr_heap_live_bytes(h);
    if (live > s->peak_live_bytes) {
        s->peak_live_bytes = live;
        s->peak_live_blocks = hr_heap_live_blocks(h);
        s->peak_seq = rec->seq;
        s->peak_time_ns = rec->time_ns;
    }
}

typedef struct stats_pass {
    hr_stats *s;
    hr_heap *h;
} stats_pass;

static void on_record(void *ctx, const hr_record *rec, const hr_heap_change *c)
{
    stats_pass *p = ctx;
    hr_stats *s = p->s;
    if (rec->type == HR_REC_EVENT || hr_rec_type_is_ordered(rec->type)) {
        if (!s->first_seq)
            s->first_seq = rec->seq;
        if (rec->time_ns > s->duration_ns)
            s->duration_ns = rec->time_ns;
    }
    if (rec->type != HR_REC_EVENT) {
        count_typed(s, rec);
        return;
    }
    count_event(s, rec);
    track(s, p->h, rec, c);
}

int hr_stats_compute(hr_reader *r, hr_stats *s)
{
    memset(s, 0, sizeof *s);
    hr_heap *h = hr_heap_new();
    if (!h)
        return HR_ERR_NOMEM;
    stats_pass p = {s, h};
    int rc = hr_heap_run(r, h, on_record, &p);
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    s->truncated = st.truncated;
    s->complete = st.complete;
    s->records = st.records;
    s->last_seq = st.last_seq;
    s->stack_nodes = hr_reader_node_count(r);
    s->leaked_bytes = hr_heap_live_bytes(h);
    s->leaked_blocks = hr_heap_live_blocks(h);
    hr_heap_free(h);
    return rc < 0 ? rc : 0;
}
