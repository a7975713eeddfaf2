/* SPDX-License-Identifier: MIT */
/* Helpers for the end-to-end tests: run workloads under libheaprr.so or through heaprr, capture
 * their output and status, and count what their traces hold. */
#ifndef HEAPRR_E2E_H
#define HEAPRR_E2E_H

#include "../unit/check.h"

#include <heaprr/format.h>
#include <heaprr/reader.h>

typedef struct run_result {
    int exited, code, signaled, sig;
    char out[16384], err[16384];
} run_result;

/* Build-tree paths (set by CMake). */
const char *e2e_lib(void);
const char *e2e_heaprr(void);
/* Path of a workload program by name ("wl-kinds"). */
const char *e2e_workload(const char *name);
/* A fresh temporary directory, removed at exit with everything in it. */
const char *e2e_tmpdir(void);
/* path = tmpdir/name, in a static buffer of the caller's choosing. */
void e2e_path(char *out, size_t cap, const char *name);

/* Runs argv with extra environment entries (NAME=VALUE, NULL-terminated list, may be NULL),
 * capturing stdout and stderr. Returns 0 or -1 if it could not start. */
int e2e_run(run_result *r, char *const argv[], char *const env[]);
/* Runs a workload with LD_PRELOAD=libheaprr.so MALLOC_TRACE=trace (plus env). */
int e2e_run_traced(run_result *r, const char *trace, char *const argv[], char *const env[]);

/* Per thread (by its final name) and per kind counts of a trace's events. */
typedef struct thread_counts {
    uint32_t index;
    char name[32];
    uint64_t kinds[HR_KIND_COUNT]; /* events before the thread's THREAD_END */
    uint64_t failed;
    uint64_t after_end; /* events after it (glibc's own teardown calls) */
    int ended;
} thread_counts;

typedef struct trace_summary {
    thread_counts threads[64];
    uint32_t nthreads;
    uint64_t kinds[HR_KIND_COUNT];
    uint64_t failed, incomplete, records;
    int complete, truncated, read_rc;
    hr_process_info process;
    char parent_trace[4096];
    char message[600];
} trace_summary;

/* Reads a whole trace. Returns 0 or the reader's error (message in s->message). */
int e2e_summarize(const char *path, trace_summary *s);
/* The counts of the thread named name, or NULL. */
const thread_counts *e2e_thread(const trace_summary *s, const char *name);
/* Sum of kind k over threads whose name starts with prefix. */
uint64_t e2e_sum(const trace_summary *s, const char *prefix, unsigned kind);

/* Number of events of kind with the given size (any kind when kind is 0). */
uint64_t e2e_count_size(const char *path, unsigned kind, uint64_t size);
/* Events of kind with the given size whose backtrace depth is not that of the first one plus
 * (their index among them) % period; UINT64_MAX when there are none. */
uint64_t e2e_depth_mismatches(const char *path, unsigned kind, uint64_t size, unsigned period);
/* Names of files in the temporary directory that start with prefix, sorted, at most max. */
size_t e2e_list(const char *prefix, char names[][256], size_t max);

#endif
