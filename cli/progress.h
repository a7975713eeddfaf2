/* SPDX-License-Identifier: MIT */
/* A progress bar on stderr for long analyses, only when stderr is a terminal. */
#ifndef HEAPRR_CLI_PROGRESS_H
#define HEAPRR_CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
    uint64_t total; /* bytes of the file */
    int on, shown, last_pct;
    const char *what;
} cli_progress;

/* Prepares a bar for reading path (off unless stderr is a terminal and the file is big). */
void cli_progress_start(cli_progress *p, const char *path, const char *what);
/* Callback for the analyses: done = bytes of the file read so far. */
void cli_progress_update(void *p, uint64_t done);
/* Erases the bar. */
void cli_progress_end(cli_progress *p);

#endif
