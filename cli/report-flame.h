/* SPDX-License-Identifier: MIT */
/* The HTML report's flame graph data (report-flame.c). */
#ifndef HEAPRR_CLI_REPORT_FLAME_H
#define HEAPRR_CLI_REPORT_FLAME_H

#include "cli.h"

#include <heaprr/profile.h>

/* The flame graph's tree (report-flame.c): the sites of one or more profiles merged, then written
 * as "frames": [names], "tree": [frame, [bytes, calls, leaked, peak], [children]]. */
typedef struct cli_flame cli_flame;
cli_flame *cli_flame_new(void);
void cli_flame_add(cli_flame *f, hr_reader *r, const hr_profile *p);
void cli_flame_write(json *j, cli_flame *f);
void cli_flame_free(cli_flame *f);
#endif
