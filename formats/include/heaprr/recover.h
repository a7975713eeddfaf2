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

/* Recovers trace_path. Returns 0 or a negative hr_err with a one-line explanation in msg:
 * HR_ERR_STATE when the staging file's process still records (the files are left alone). A
 * staging file the process did not get to fill in (HR_RECOVER_EMPTY below) is removed and the
 * trace completed as it is. */
int hr_recover(const char *trace_path, hr_recover_report *rep, char *msg, size_t msg_size);

/* What trace_path's staging file (TRACE.stage) says, before anything is done with it. */
typedef enum hr_recover_state {
    HR_RECOVER_NO_STAGE = 0, /* none: the trace is all there is */
    HR_RECOVER_LEFT = 1,     /* left by a process that ended without completing its trace */
    HR_RECOVER_LIVE = 2,     /* its process still records (it holds the file's lock) */
    HR_RECOVER_EMPTY = 3     /* all zeros or cut inside its header: the process ended while
                              * creating it, before it recorded anything */
} hr_recover_state;
/* Returns the hr_recover_state of trace_path's staging file; *pid (when not NULL) gets the pid
 * its header names, 0 when it names none. */
int hr_recover_probe(const char *trace_path, uint32_t *pid);
/* Writes "TRACE is still being written by a running process (pid N); not completing it" into
 * msg (without "(pid N)" when pid is 0). Returns what snprintf returns. */
int hr_recover_live_message(const char *trace_path, uint32_t pid, char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif
#endif
