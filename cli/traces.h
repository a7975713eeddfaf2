/* SPDX-License-Identifier: MIT */
/* The traces an analysis command reads (traces.c): several files (a process and its children,
 * "out*.hrr"), or with --tree a trace and those of its descendants, found beside it. */
#ifndef HEAPRR_CLI_TRACES_H
#define HEAPRR_CLI_TRACES_H

#include "cli.h"

typedef struct cli_trace_set {
    char **paths;   /* in the order given; with --tree each root is followed by its descendants */
    char **parents; /* --tree: the trace each names as its parent's (NULL for a root) */
    size_t n;
    int tree; /* --tree: each root followed by its descendants */
} cli_trace_set;

/* The operands after optind; with tree, each with its descendants. Exits 2 without any, 1 with
 * one line for an unreadable trace. */
void cli_trace_set_collect(const char *cmd, int argc, char **argv, int tree, cli_trace_set *out);
/* Adds path (with tree, and the traces of its descendants) to t. */
void cli_trace_set_add(cli_trace_set *t, const char *path, int tree);
void cli_trace_set_free(cli_trace_set *t);
/* The set's name in titles: its one trace, or "FIRST and N more traces" (into out). */
const char *cli_trace_set_label(const cli_trace_set *t, char *out, size_t cap);
/* How deep trace i is under its root (0: a root). */
int cli_trace_set_depth(const cli_trace_set *t, size_t i);

#endif
