/* SPDX-License-Identifier: MIT */
/* heaprr record's pieces shared by its two back ends (cmd-record.c, record-lttng.c). */
#ifndef HEAPRR_CLI_RECORD_H
#define HEAPRR_CLI_RECORD_H

/* Runs argv as a child with SIGINT and SIGQUIT left to it; returns its wait status. */
int cli_run_child(char **argv);
/* heaprr record --lttng: returns the program's exit status (128 + N for signal N). */
int cli_record_lttng(const char *outdir, const char *lib, char **prog, unsigned depth, int quiet);

#endif
