/* SPDX-License-Identifier: MIT */
/* libheaprr_analyze: passes over the event stream of a trace. Memory grows with the live set and
 * the number of distinct stacks, never with the length of the trace. */
#ifndef HEAPRR_ANALYZE_H
#define HEAPRR_ANALYZE_H

#include <heaprr/format.h>
#include <heaprr/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the heap as the events describe it ---- */

typedef struct hr_block {
    uint64_t ptr;   /* 0 marks an empty slot inside the map */
    uint64_t size;  /* bytes requested (calloc: count * size) */
    uint64_t seq;   /* sequence number of the allocating event */
    uint64_t stack; /* allocation stack id */
} hr_block;

typedef struct hr_heap hr_heap;

/* What hr_heap_apply() saw an event do, for callers that care. */
typedef struct hr_heap_change {
    int allocated;     /* a block was created: *alloc */
    int released;      /* a block was released: *freed (copied before removal) */
    int unknown_free;  /* a free or realloc named a pointer not live in this trace */
    int conflict;      /* an allocation returned a live address (treated as released) */
    hr_block alloc, freed;
} hr_heap_change;

hr_heap *hr_heap_new(void);
void hr_heap_free(hr_heap *h);
/* Applies one record (only events change the heap). Returns 0 or HR_ERR_NOMEM. */
int hr_heap_apply(hr_heap *h, const hr_record *rec, hr_heap_change *change);
uint64_t hr_heap_live_bytes(const hr_heap *h);
/* A hint that an event naming ptr comes soon. */
void hr_heap_prefetch(const hr_heap *h, uint64_t ptr);
uint64_t hr_heap_live_blocks(const hr_heap *h);
/* Calls fn for every live block (in no particular order). */
void hr_heap_each(const hr_heap *h, void (*fn)(void *ctx, const hr_block *b), void *ctx);
/* Bytes a successful allocation event asked for (count * size, saturating). */
uint64_t hr_event_bytes(const hr_event *ev);

/* ---- feeding a pass: records decoded a batch ahead on a second thread, heap slots fetched
 * ahead. While a feed is open only it uses the reader. ---- */

typedef struct hr_feed hr_feed;

hr_feed *hr_feed_open(hr_reader *r, const hr_heap *h);
/* Like hr_reader_next, but *rec points into the feed (valid until the next call). */
int hr_feed_next(hr_feed *f, const hr_record **rec);
/* Stops the feed; the reader is the caller's again. */
void hr_feed_close(hr_feed *f);
/* A progress callback for the passes this thread runs (every pass reads through a feed): called
 * now and then with the bytes of the trace read so far. NULL: none. */
void hr_set_progress(void (*fn)(void *ctx, uint64_t done), void *ctx);

/* Reads r to its end, applying every record to h; fn (when set) sees each record and what it
 * changed. Returns 0, or the reader's negative hr_err, or HR_ERR_NOMEM. */
int hr_heap_run(hr_reader *r, hr_heap *h, void (*fn)(void *ctx, const hr_record *rec, const hr_heap_change *c),
                void *ctx);

/* ---- stats: counts and a summary (heaprr stats) ---- */

typedef struct hr_stats {
    uint64_t events[HR_KIND_COUNT];
    uint64_t calls;            /* all events */
    uint64_t threads;          /* thread-start records */
    uint64_t failed_calls;     /* events with HR_XF_FAILED */
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

#ifdef __cplusplus
}
#endif
#endif
