/* SPDX-License-Identifier: MIT */
/* heaprr summary and heaprr leaks over several traces, a process and its children (tree-report.c):
 * totals over all, one line per process, sites merged by symbolized stack. */
#ifndef HEAPRR_CLI_TREE_REPORT_H
#define HEAPRR_CLI_TREE_REPORT_H

#include "traces.h"

void cli_summary_many(const cli_trace_set *t, size_t top, int as_json);
void cli_leaks_many(const cli_trace_set *t, size_t top, int as_json);

#endif
