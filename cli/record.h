/* SPDX-License-Identifier: MIT */
/* heaprr record's pieces: running the program as a good parent (record-run.c), the warning
 * before a program the recorder cannot enter (record-image.c), the traces a run wrote
 * (record-traces.c), the processes that should have written one (record-expect.c), and the
 * LTTng back end (record-lttng.c). */
#ifndef HEAPRR_CLI_RECORD_H
#define HEAPRR_CLI_RECORD_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* ---- record-run.c ---- */

/* The program heaprr record ran. */
typedef struct cli_child {
    pid_t pid;
    int exec_errno; /* 0: the program started; else why exec failed (the child said so) */
    int status;     /* its wait status */
} cli_child;
/* Runs argv as a child and waits for it; SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to heaprr by
 * another process are passed on to it (those from the terminal reach it by themselves). */
void cli_run(char **argv, cli_child *c);
/* cli_run, returning the wait status. */
int cli_run_child(char **argv);
/* The exit status heaprr passes through for a wait status: 128 + N when signal N killed it. */
int cli_exit_status(int status);

/* ---- record-image.c ---- */

/* When the program prog (found as execvp would) cannot be recorded, says why in one line and
 * returns 1; 0 otherwise. */
int cli_image_warning(const char *prog);

/* ---- record-traces.c ---- */

typedef struct cli_traces {
    char **paths; /* sorted */
    size_t n, cap;
} cli_traces;
/* The traces the recorder wrote from template tmpl, modified since start. */
void cli_find_traces(const char *tmpl, time_t start, cli_traces *t);
void cli_traces_free(cli_traces *t);
/* Completes the traces left with a staging file (not those still being written) and lists each
 * on stderr unless quiet. */
void cli_complete_traces(const cli_traces *t, int quiet);

/* ---- record-expect.c ---- */

typedef struct cli_root {
    pid_t pid;        /* 0 when the program did not start */
    const char *name; /* as the user gave it */
    int reported;     /* cli_image_warning said it cannot be recorded */
} cli_root;
/* Says, one line each (ten at most, then a count), which processes of the run produced no trace
 * although the traces promise one, and whether the root process produced none. */
void cli_expect_traces(const cli_traces *t, const cli_root *root);

/* ---- record-lttng.c ---- */

/* heaprr record --lttng: returns the program's exit status (128 + N for signal N). */
int cli_record_lttng(const char *outdir, const char *lib, char **prog, unsigned depth, int quiet);

#endif
