/* SPDX-License-Identifier: MIT */
/* heaprr export's formats for other profilers' users (cmd-export.c dispatches): each reads the
 * trace at path and writes the file to out. They exit with one line on an unreadable trace. */
#ifndef HEAPRR_CLI_EXPORT_H
#define HEAPRR_CLI_EXPORT_H

#include "cli.h"

#include <stdio.h>

/* speedscope's JSON file format (export-speedscope.c). */
int cli_export_speedscope(const char *path, FILE *out);
/* pprof's gzipped profile.proto (export-pprof.c): inuse values live at the end, or at the peak. */
int cli_export_pprof(const char *path, FILE *out, int at_peak);
/* valgrind massif's output format, for ms_print and massif-visualizer (export-massif.c). */
int cli_export_massif(const char *path, FILE *out);

#endif
