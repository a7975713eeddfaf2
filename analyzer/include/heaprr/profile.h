/* SPDX-License-Identifier: MIT */
/* The profile of a trace, in one streaming pass: per allocation site (stack) calls, bytes, frees,
 * temporary allocations, what is live at the end and what was live at the moment of the peak;
 * per thread; the live heap and the allocation rate over time. Memory grows with the number of
 * stacks and the live set (and one sample per time bucket), never with the trace's length. */
#ifndef HEAPRR_PROFILE_H
#define HEAPRR_PROFILE_H

#include <heaprr/index.h>
#include <heaprr/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_site {
    uint64_t stack;                    /* the reader's stack id */
    uint64_t calls;                    /* successful allocations (realloc included) */
    uint64_t bytes;                    /* bytes they asked for */
    uint64_t frees;                    /* of blocks from here */
    uint64_t temporary;                /* freed by the same thread with no allocation in between */
    uint64_t live_bytes, live_blocks;  /* at the end: leaked */
    uint64_t peak_bytes, peak_blocks;  /* live at the moment of the peak */
} hr_site;

typedef struct hr_thread_figures {
    uint32_t index, tid;
    char name[32];
    uint64_t calls, allocs, frees, bytes, temporary;
} hr_thread_figures;

typedef hr_ix_sample hr_sample; /* allocs, bytes, live_max, live_end of one bucket */

typedef struct hr_profile {
    hr_site *sites;
    size_t nsites;
    hr_thread_figures *threads;
    size_t nthreads;
    hr_sample *samples; /* one per bucket_ns of trace time */
    size_t nsamples;
    uint64_t bucket_ns;
    uint64_t calls, allocs, frees, failed, bytes, temporary;
    uint64_t injected; /* of the failed calls, those failed on purpose (HEAPRR_FAIL) */
    uint64_t peak_bytes, peak_blocks, peak_seq, peak_time_ns;
    uint64_t leaked_bytes, leaked_blocks;
    uint64_t duration_ns;
    int truncated;
} hr_profile;

/* Reads r to its end (progress through hr_set_progress). bucket_ns: the time resolution of the
 * samples (0: 10 ms). Returns 0, or the reader's negative hr_err, or HR_ERR_NOMEM. */
int hr_profile_compute(hr_reader *r, uint64_t bucket_ns, hr_profile *p);
/* The profile in the figures of an index (truncated: whether its trace was cut short). Returns 0
 * or HR_ERR_NOMEM. */
int hr_profile_from_index(const hr_index *ix, int truncated, hr_profile *p);
void hr_profile_free(hr_profile *p);
/* Sorts the sites: by calls, bytes, peak bytes or leaked bytes, largest first. */
typedef enum hr_site_order { HR_BY_CALLS, HR_BY_BYTES, HR_BY_PEAK, HR_BY_LEAKED } hr_site_order;
void hr_profile_sort(hr_profile *p, hr_site_order order);

#ifdef __cplusplus
}
#endif
#endif
