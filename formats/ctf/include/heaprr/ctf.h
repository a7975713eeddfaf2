/* SPDX-License-Identifier: MIT */
/* CTF through libbabeltrace2. */
#ifndef HEAPRR_CTF_H
#define HEAPRR_CTF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Converts trace into a CTF trace in outdir (babeltrace2's sink.ctf.fs, from the system's
 * plugins): what `babeltrace2 --plugin-path=DIR trace -o ctf -w outdir` does. Returns 0, or -1
 * with why. */
int hr_ctf_export(const char *trace, const char *outdir, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif
#endif
