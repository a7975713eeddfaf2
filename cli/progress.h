/* SPDX-License-Identifier: MIT */
/* A progress bar on stderr for long analyses, only when stderr is a terminal. */
#ifndef HEAPRR_CLI_PROGRESS_H
#define HEAPRR_CLI_PROGRESS_H

#include <stdint.h>
#include <time.h>

typedef struct cli_progress {
    uint64_t total; /* bytes of the file */
    int on, shown, last_pct;
    const char *what;
    struct timespec started;
} cli_progress;

/* Prepares a bar for reading path (off unless stderr is a terminal; drawn once half a second has
 * passed) and makes it this thread's analysis progress hook (hr_set_progress) until the end. */
void cli_progress_start(cli_progress *p, const char *path, const char *what);
/* Callback for the analyses: done = bytes of the file read so far. */
void cli_progress_update(void *p, uint64_t done);
/* Erases the bar. */
void cli_progress_end(cli_progress *p);

#endif
