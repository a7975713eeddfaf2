/* SPDX-License-Identifier: MIT */
/* A look at a trace without reading it: the fixed header fields (pid, parent pid, start time) and
 * the record counts of its last trailer, found by hopping from frame header to frame header,
 * nothing decompressed. For tools that read a trace only when it holds records of some type
 * (heaprr record looks for FORK, EXEC and SPAWN in every trace of a run). */
#ifndef HEAPRR_PEEK_H
#define HEAPRR_PEEK_H

#include <heaprr/format.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_peek {
    uint32_t pid, ppid;
    uint64_t start_realtime_ns;
    int complete;                   /* it ends with a trailer whose CRC holds: the counts are set */
    uint64_t events[HR_KIND_COUNT]; /* per event kind, over the whole file */
    uint64_t typed[128];            /* per typed record type */
} hr_peek;

/* Fills *out from path's header and, when the trace is complete, its last trailer (a truncated
 * trace, or frame headers that do not add up, leave complete 0: read it to know). Returns 0, or a
 * negative hr_err when it cannot be read or is not a trace of this major version. */
int hr_peek_trace(const char *path, hr_peek *out);

#ifdef __cplusplus
}
#endif
#endif
