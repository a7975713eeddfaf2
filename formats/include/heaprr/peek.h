/* SPDX-License-Identifier: MIT */
/* A look at a trace without reading it: the record counts of its last trailer, found by hopping
 * from frame header to frame header, nothing decompressed. For tools that read a trace only when
 * it holds records of some type (heaprr record looks for FORK, EXEC and SPAWN). */
#ifndef HEAPRR_PEEK_H
#define HEAPRR_PEEK_H

#include <heaprr/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* When path ends with a trailer frame whose CRC holds: fills events[kind] and typed[type] with
 * its counts (they cover the whole file) and returns 1. Returns 0 when it does not (a truncated
 * trace, damaged frame headers: read it to know), a negative hr_err when it cannot be read or is
 * not a trace of this major version. */
int hr_trace_peek_counts(const char *path, uint64_t events[HR_KIND_COUNT], uint64_t typed[128]);

#ifdef __cplusplus
}
#endif
#endif
