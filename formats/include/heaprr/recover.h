/* SPDX-License-Identifier: MIT */
/* Completing the trace of a process that crashed, aborted, called _exit or was killed: the
 * records left in TRACE.stage (and the chunk being built) are appended in sequence order, calls
 * that never returned are added as incomplete events, a partly written last frame is cut off, and
 * a trailer is written. A complete trace is left as it is. */
#ifndef HEAPRR_RECOVER_H
#define HEAPRR_RECOVER_H

#include <heaprr/format.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_recover_report {
    int was_complete;     /* nothing was missing: the trace is unchanged */
    int had_stage;        /* a staging file was found (and is now deleted) */
    uint64_t cut_bytes;   /* bytes of an incomplete last frame that were removed */
    uint64_t kept_records;      /* records already in complete frames */
    uint64_t recovered_records; /* records added from the staging file */
    uint64_t incomplete_calls;  /* of those, calls that never returned */
} hr_recover_report;

/* Recovers trace_path. Returns 0 or a negative hr_err with a one-line explanation in msg. */
int hr_recover(const char *trace_path, hr_recover_report *rep, char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif
#endif
