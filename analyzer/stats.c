/* SPDX-License-Identifier: MIT */
/* heaprr stats: per-kind counts, threads, failures, peak and leaked bytes, from the index. */
#include <heaprr/analyze.h>

#include <string.h>

void hr_stats_from_index(const hr_index *ix, const hr_reader *r, hr_stats *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->events, ix->events, sizeof s->events);
    s->calls = ix->calls;
    s->threads = ix->thread_starts;
    s->failed_calls = ix->failed;
    s->injected_calls = ix->injected;
    s->incomplete_calls = ix->incomplete;
    s->null_frees = ix->null_frees;
    s->unknown_frees = ix->unknown_frees;
    s->conflicts = ix->conflicts;
    s->peak_live_bytes = ix->peak_bytes;
    s->peak_live_blocks = ix->peak_blocks;
    s->peak_seq = ix->peak_seq;
    s->peak_time_ns = ix->peak_time_ns;
    s->leaked_bytes = ix->leaked_bytes;
    s->leaked_blocks = ix->leaked_blocks;
    s->total_bytes = ix->bytes;
    s->duration_ns = ix->duration_ns;
    s->first_seq = ix->first_seq;
    s->modules = ix->module_loads;
    s->marks = ix->marks;
    s->forks = ix->forks;
    s->execs = ix->execs;
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    s->truncated = st.truncated;
    s->complete = st.complete;
    s->records = st.records;
    s->last_seq = st.last_seq;
    s->stack_nodes = hr_reader_node_count(r);
}

int hr_stats_compute(hr_reader *r, hr_stats *s)
{
    memset(s, 0, sizeof *s);
    hr_index ix;
    hr_indexer_config cfg = {0};
    int rc = hr_index_compute(r, &cfg, &ix);
    if (rc < 0)
        return rc;
    hr_stats_from_index(&ix, r, s);
    hr_index_free(&ix);
    return 0;
}
