/* SPDX-License-Identifier: MIT */
/* CTF through libbabeltrace2. */
#ifndef HEAPRR_CTF_H
#define HEAPRR_CTF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Converts trace into a CTF trace in outdir, a folder it makes (babeltrace2's sink.ctf.fs, from
 * the system's plugins): what `babeltrace2 --plugin-path=DIR trace -o ctf -w outdir` does. Returns
 * 0, or -1 with why (outdir already exists, among others). */
int hr_ctf_export(const char *trace, const char *outdir, char *why, size_t why_size);

typedef struct hr_ctf_counts {
    unsigned long long events;  /* allocation events written */
    unsigned long long modules; /* module records */
    unsigned long long skipped; /* events of other kinds, left out */
} hr_ctf_counts;

/* Reads the CTF traces under dir (babeltrace2's source.ctf.fs finds the metadata files) and writes
 * a .hrr trace to out_fd. Returns 0, or -1 with why. */
int hr_ctf_import(const char *dir, int out_fd, hr_ctf_counts *counts, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif
#endif
