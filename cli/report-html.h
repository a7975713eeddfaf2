/* SPDX-License-Identifier: MIT */
/* heaprr report --html: one self-contained page (cli/report/page.html, built in as
 * report-page.c) with the trace's figures as JSON in it. report-html.c gathers them; the flame
 * graph's tree and the moments of the timeline have files of their own. */
#ifndef HEAPRR_CLI_REPORT_HTML_H
#define HEAPRR_CLI_REPORT_HTML_H

#include "cli.h"
#include "traces.h"

#include <heaprr/profile.h>

#include <stdio.h>

/* The page, with "/" "*HEAPRR_DATA*" "/" where the JSON goes (report-page.c, generated). */
extern const char cli_report_page[];
extern const size_t cli_report_page_len;

/* Writes the report of the traces (one, or a process tree) to out, with the findings of their
 * replays on the band model unless replay is 0. Exits with one line on an unreadable trace. */
void cli_report_html(const cli_trace_set *t, FILE *out, int replay);

/* The flame graph's tree (report-flame.c): the sites of one or more profiles merged, then written
 * as "frames": [names], "tree": [frame, [bytes, calls, leaked, peak], [children]]. */
typedef struct cli_flame cli_flame;
cli_flame *cli_flame_new(void);
void cli_flame_add(cli_flame *f, hr_reader *r, const hr_profile *p);
void cli_flame_write(json *j, cli_flame *f);
void cli_flame_free(cli_flame *f);
/* "snapshots": [{t, n (calls so far), live, peak?, top: [{bytes, blocks, site}]}] (report-moments.c). */
void cli_report_moments(json *j, const char *path, const hr_profile *p);
/* The same of a process tree, at times from the first start (offsets[i]: when trace i started,
 * durations[i]: how long it ran): 40 moments evenly over span_ns and one at peak_t, the peak of
 * the live heaps summed; each moment's live bytes, calls so far and top sites of all the
 * processes running then, sites of the same name in several processes summed. */
void cli_report_moments_tree(json *j, const cli_trace_set *t, const uint64_t *offsets, const uint64_t *durations,
                             uint64_t span_ns, uint64_t peak_t);

#endif
