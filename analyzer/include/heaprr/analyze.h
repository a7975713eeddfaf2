/* SPDX-License-Identifier: MIT */
/* libheaprr_analyze: passes over the event stream of a trace. Memory grows with the live set and
 * the number of distinct stacks, never with the length of the trace. */
#ifndef HEAPRR_ANALYZE_H
#define HEAPRR_ANALYZE_H

#include <heaprr/feed.h>
#include <heaprr/format.h>
#include <heaprr/index.h>
#include <heaprr/live.h>
#include <heaprr/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the index: the figures of every report, in one pass ---- */

/* Reads r to its end, computing its index with cfg's settings, or takes the one the trace holds
 * when it has those settings (then only the tables of r are read). Returns 0, or the reader's negative
 * hr_err, or HR_ERR_NOMEM; free *out with hr_index_free. */
int hr_index_compute(hr_reader *r, const hr_indexer_config *cfg, hr_index *out);
/* Whether hr_index_compute may answer from the index a trace holds (on by default); off, every
 * analysis reads the events (HEAPRR_NO_INDEX=1 for heaprr). */
void hr_use_stored_index(int on);
/* Whether the trace r read was cut short. */
int hr_trace_truncated(const hr_reader *r);

/* ---- stats: counts and a summary (heaprr stats) ---- */

typedef struct hr_stats {
    uint64_t events[HR_KIND_COUNT];
    uint64_t calls;            /* all events */
    uint64_t threads;          /* thread-start records */
    uint64_t failed_calls;     /* events with HR_XF_FAILED */
    uint64_t injected_calls;   /* of them, failed on purpose (HR_XF_INJECTED) */
    uint64_t incomplete_calls; /* calls that never returned (crash) */
    uint64_t null_frees;       /* free(NULL) and delete of NULL */
    uint64_t unknown_frees;    /* frees of pointers this trace never allocated (e.g. inherited) */
    uint64_t conflicts;        /* allocations that returned a live address (see SPEC 7) */
    uint64_t peak_live_bytes, peak_live_blocks, peak_seq, peak_time_ns;
    uint64_t leaked_bytes, leaked_blocks; /* live at the end */
    uint64_t total_bytes;                 /* bytes requested by all successful allocations */
    uint64_t duration_ns;
    uint64_t first_seq, last_seq, records, stack_nodes, modules, marks, forks, execs;
    int truncated, complete;
} hr_stats;

/* Reads r to its end. Returns 0, or the reader's negative hr_err (hr_reader_message explains). */
int hr_stats_compute(hr_reader *r, hr_stats *s);
/* The stats in the figures of an index of the trace r has read to its end. */
void hr_stats_from_index(const hr_index *ix, const hr_reader *r, hr_stats *s);

#ifdef __cplusplus
}
#endif
#endif
