/* SPDX-License-Identifier: MIT */
/* glibc's mtrace text (what MALLOC_TRACE with mtrace() writes, and what the mtrace(1) script
 * reads), to and from .hrr traces.
 *
 *   = Start
 *   @ /path/prog:[0x11a0] + 0x5580a0e2a4a0 0x64      allocation (malloc, calloc, memalign...)
 *   @ /path/prog:[0x11d8] - 0x5580a0e2a4a0           free
 *   @ /path/prog:[0x11c8] < 0x5580a0e2a4a0           realloc: the old block...
 *   @ /path/prog:[0x11c8] > 0x5580a0e2a6e0 0x12c     ...and the new one
 *   @ /lib/libc.so.6:(fn+0x1a)[0x7f0000001234] ! 0x... 0x...   failed realloc
 *   = End
 *
 * The caller ("@ ..."), when present, is a module and an offset in it, a module, symbol and
 * absolute address, or just an address. On import each event gets a one-frame stack; callers
 * given as module + offset get module records, so that they symbolize when the module's file is
 * at hand. mtrace has no threads and no times: everything is thread 1 at time 0. */
#ifndef HEAPRR_MTRACE_H
#define HEAPRR_MTRACE_H

#include <heaprr/reader.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_mtrace_counts {
    uint64_t allocs, frees, reallocs, failed, lines, skipped;
} hr_mtrace_counts;

/* Reads mtrace text from in (named name in messages) and writes a trace to out_fd. Returns 0, or
 * a negative hr_err with why: "NAME: line N: expected ..." for malformed text. */
int hr_mtrace_import(FILE *in, const char *name, int out_fd, hr_mtrace_counts *counts, char *why, size_t why_size);
/* Writes the events of r as mtrace text. Returns 0, or the reader's negative hr_err, or HR_ERR_IO
 * when out cannot be written. */
int hr_mtrace_export(hr_reader *r, FILE *out, hr_mtrace_counts *counts);

#ifdef __cplusplus
}
#endif
#endif
