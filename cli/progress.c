/* SPDX-License-Identifier: MIT */
/* The progress bar (progress.h). */
#include "progress.h"

#include <heaprr/analyze.h>

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DELAY_NS 500000000ll /* no bar for analyses done within half a second */
#define WIDTH 30

void cli_progress_start(cli_progress *p, const char *path, const char *what)
{
    struct stat sb;
    p->total = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    p->on = isatty(STDERR_FILENO) && p->total > 0;
    clock_gettime(CLOCK_MONOTONIC, &p->started);
    p->shown = 0;
    p->last_pct = -1;
    p->what = what;
    hr_set_progress(cli_progress_update, p);
}

void cli_progress_update(void *ctx, uint64_t done)
{
    cli_progress *p = ctx;
    if (!p->on || !p->total)
        return;
    if (!p->shown) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ns = (now.tv_sec - p->started.tv_sec) * 1000000000ll + (now.tv_nsec - p->started.tv_nsec);
        if (ns < DELAY_NS)
            return;
    }
    int pct = done >= p->total ? 100 : (int)(done * 100 / p->total);
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    int fill = pct * WIDTH / 100;
    fprintf(stderr, "\r%s [%.*s%*s] %3d%%", p->what, fill, "##############################", WIDTH - fill, "", pct);
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_end(cli_progress *p)
{
    hr_set_progress(NULL, NULL);
    if (p->shown)
        fprintf(stderr, "\r%*s\r", WIDTH + 40, "");
    p->shown = 0;
}
