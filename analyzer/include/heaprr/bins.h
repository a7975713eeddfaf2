/* SPDX-License-Identifier: MIT */
/* Statistics per size bin, as QNX's allocator keeps them: a bin counts the requests of at most
 * its bound and more than the previous bin's bound (default bounds 2, 4, 8, ..., 4096 and
 * ULONG_MAX). Frees count in the bin of the block they free; a realloc frees in the old size's bin
 * and allocates in the new one's. */
#ifndef HEAPRR_BINS_H
#define HEAPRR_BINS_H

#include <heaprr/index.h>
#include <heaprr/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HR_BINS_MAX 64

typedef struct hr_bin {
    uint64_t le; /* bound: requests of at most le bytes */
    uint64_t allocs, frees, live, peak_live, bytes;
} hr_bin;

typedef struct hr_bins {
    hr_bin bins[HR_BINS_MAX];
    uint32_t n;
} hr_bins;

/* The default bounds (2, 4, ..., 4096, UINT64_MAX). */
void hr_bins_default(hr_bins *b);
/* Bounds from "2,4,8,..." (increasing; UINT64_MAX is added when missing). Returns 0, or -1 with
 * why. */
int hr_bins_parse(hr_bins *b, const char *list, char *why, size_t why_size);
/* Reads r to its end. Returns 0, or the reader's negative hr_err, or HR_ERR_NOMEM. */
int hr_bins_compute(hr_reader *r, hr_bins *b);
/* The bins in the figures of an index (with the index's bounds). */
void hr_bins_from_index(const hr_index *ix, hr_bins *b);

#ifdef __cplusplus
}
#endif
#endif
