/* SPDX-License-Identifier: MIT */
/* hr_index: the figures almost every report of a trace needs, computed in one pass over its
 * records: totals, the peak, per allocation site (stack) calls, bytes, frees, temporary
 * allocations, what was live at the peak and what is live at the end, per thread, per size bin,
 * and the allocation rate over time. hr_indexer computes them from records fed in file order; the
 * writer runs one while it records and stores the result in the trace (formats/SPEC.md section
 * 6.1), so that an analysis of a complete trace need not read its events again. */
#ifndef HEAPRR_INDEX_H
#define HEAPRR_INDEX_H

#include <heaprr/live.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HR_INDEX_BINS_MAX 64
#define HR_INDEX_BUCKET_NS 10000000ull /* the default time resolution of the samples: 10 ms */
#define HR_INDEX_SAMPLES_MAX ((size_t)1 << 26) /* later times share the last bucket */

typedef struct hr_ix_site {
    uint64_t stack;                   /* stack id */
    uint64_t calls;                   /* successful allocations (realloc included) */
    uint64_t bytes;                   /* bytes they asked for */
    uint64_t frees;                   /* of blocks from here */
    uint64_t temporary;               /* freed by the same thread with no allocation in between */
    uint64_t live_bytes, live_blocks; /* at the end */
    uint64_t live_first_seq;          /* the oldest of those blocks' sequence numbers (0: none) */
    uint64_t peak_bytes, peak_blocks; /* live at the moment of the peak */
} hr_ix_site;

typedef struct hr_ix_thread {
    uint32_t index, tid;
    hr_str name; /* the latest name (into the index's own memory) */
    uint64_t calls, allocs, frees, bytes, temporary;
} hr_ix_thread;

typedef struct hr_ix_sample {
    uint64_t allocs, bytes; /* allocations in the bucket */
    uint64_t live_max;      /* the most live bytes seen in it */
    uint64_t live_end;      /* live bytes at its end */
} hr_ix_sample;

typedef struct hr_ix_bin {
    uint64_t le; /* bound: requests of at most le bytes (and more than the previous bin's) */
    uint64_t allocs, frees, live, peak_live, bytes;
} hr_ix_bin;

typedef struct hr_index {
    uint64_t events[HR_KIND_COUNT]; /* per kind */
    uint64_t calls;                 /* all events */
    uint64_t allocs, frees;         /* blocks created and released */
    uint64_t failed, incomplete, null_frees, unknown_frees, conflicts;
    uint64_t bytes;     /* asked for by successful allocations */
    uint64_t temporary; /* allocations freed by their thread before it allocated again */
    uint64_t peak_bytes, peak_blocks, peak_seq, peak_time_ns;
    uint64_t leaked_bytes, leaked_blocks; /* live at the end */
    uint64_t first_seq, duration_ns;      /* of the ordered records */
    uint64_t thread_starts, module_loads, marks, forks, execs;
    uint64_t injected; /* failed on purpose (HR_XF_INJECTED); 0 in indexes written before it */
    hr_ix_site *sites; /* in the order their stacks first appear */
    size_t nsites;
    hr_ix_thread *threads; /* in the order they first appear */
    size_t nthreads;
    uint64_t bucket_ns;
    hr_ix_sample *samples; /* one per bucket_ns of trace time, to the last event's */
    size_t nsamples;
    hr_ix_bin bins[HR_INDEX_BINS_MAX];
    uint32_t nbins;
    const hr_alloc *mem; /* where the arrays and names come from */
} hr_index;

/* The default bins: bounds 2, 4, 8, ..., 4096 and UINT64_MAX (QNX's). */
uint32_t hr_index_default_bins(uint64_t *bounds);

typedef struct hr_indexer hr_indexer;

typedef struct hr_indexer_config {
    const hr_alloc *alloc; /* NULL: large tables straight from mmap */
    uint64_t bucket_ns;    /* 0: HR_INDEX_BUCKET_NS */
    const uint64_t *bins;  /* increasing bounds, the last UINT64_MAX; NULL: the default bins */
    uint32_t nbins;
    size_t memory_limit; /* 0: none; beyond it hr_indexer_add fails with HR_ERR_LIMIT */
} hr_indexer_config;

/* Returns 0, HR_ERR_ARG for bad bins or HR_ERR_NOMEM; *out is NULL on error. */
int hr_indexer_new(hr_indexer **out, const hr_indexer_config *cfg);
void hr_indexer_free(hr_indexer *x);
/* Takes the next record of the trace (every kind, in file order). change, when not NULL, gets what
 * the record did to the live set. Returns 0, HR_ERR_NOMEM or HR_ERR_LIMIT; after an error the
 * indexer is stuck and every later call returns it again. */
int hr_indexer_add(hr_indexer *x, const hr_record *rec, hr_heap_change *change);
/* hr_indexer_add with the chunk's pointer model's refs for every event (hr_heap_apply_refs), and
 * hr_indexer_chunk_end after each chunk's last record. hr_indexer_chunk_end fails with HR_ERR_LIMIT
 * when the figures cannot be exact (a conflict with an older block, hr_heap_chunk_end). */
int hr_indexer_add_refs(hr_indexer *x, const hr_record *rec, const hr_heap_refs *refs, hr_heap_change *change);
int hr_indexer_chunk_end(hr_indexer *x);
/* A hint that the event rec, with those refs, comes soon (hr_heap_prefetch_refs). */
void hr_indexer_prefetch_refs(const hr_indexer *x, const hr_record *rec, const hr_heap_refs *refs);
/* The figures of the records taken so far; valid until the next call on x. The indexer may go on
 * taking records. Returns NULL without memory. */
const hr_index *hr_indexer_result(hr_indexer *x);
/* The live set, as the records taken so far left it. */
const hr_heap *hr_indexer_heap(const hr_indexer *x);
/* Bytes of memory the indexer holds. */
size_t hr_indexer_memory(const hr_indexer *x);

/* Moves the figures out of x into *out (x can then only be freed); with hr_index_free. */
int hr_indexer_take(hr_indexer *x, hr_index *out);
void hr_index_free(hr_index *ix);

/* ---- the index frame's payload (formats/SPEC.md 6.1) ---- */

/* Bytes hr_index_encode writes for ix. */
size_t hr_index_encoded_size(const hr_index *ix);
/* Writes ix into buf (hr_index_encoded_size bytes); returns the bytes written. */
size_t hr_index_encode(const hr_index *ix, uint8_t *buf);
/* plain (an hr_index_encode payload, version 1) as a version 2 payload: zstd-compressed, in memory
 * from a. Returns 0, HR_ERR_NOMEM or HR_ERR_ZSTD. hr_index_decode reads both versions. */
int hr_index_pack(const uint8_t *plain, size_t len, const hr_alloc *a, uint8_t **out, size_t *out_len);
/* Reads an index payload into *ix (arrays from malloc; free with hr_index_free). Returns 0,
 * HR_ERR_CORRUPT or HR_ERR_VERSION with *why set, or HR_ERR_NOMEM; *ix is empty on error. */
int hr_index_decode(const uint8_t *buf, size_t len, hr_index *ix, const char **why);

#ifdef __cplusplus
}
#endif
#endif
