/* SPDX-License-Identifier: MIT */
/* heaprr export's formats for other profilers' users (cmd-export.c dispatches): each reads the
 * trace at path (pprof and speedscope: the traces of a set, a process tree) and writes the file to
 * out. They exit with one line on an unreadable trace. */
#ifndef HEAPRR_CLI_EXPORT_H
#define HEAPRR_CLI_EXPORT_H

#include "cli.h"
#include "traces.h"

#include <stdio.h>

/* speedscope's JSON file format (export-speedscope.c); several traces: their samples together,
 * a function of several processes one frame. */
int cli_export_speedscope(const cli_trace_set *t, FILE *out);
/* pprof's gzipped profile.proto (export-pprof.c): inuse values live at the end, or at the peak;
 * several traces: the samples of all, each labelled with its pid, each process's own mappings
 * and locations, functions shared. */
int cli_export_pprof(const cli_trace_set *t, FILE *out, int at_peak);
/* valgrind massif's output format, for ms_print and massif-visualizer (export-massif.c). */
int cli_export_massif(const char *path, FILE *out);

#endif
