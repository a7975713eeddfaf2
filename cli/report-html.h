/* SPDX-License-Identifier: MIT */
/* heaprr report --html: one self-contained page (cli/report/page.html, built in as
 * report-page.c) with the trace's figures as JSON in it. report-html.c gathers them; the flame
 * graph's tree and the moments of the timeline have files of their own. */
#ifndef HEAPRR_CLI_REPORT_HTML_H
#define HEAPRR_CLI_REPORT_HTML_H

#include "cli.h"

#include <heaprr/profile.h>

#include <stdio.h>

/* The page, with "/" "*HEAPRR_DATA*" "/" where the JSON goes (report-page.c, generated). */
extern const char cli_report_page[];
extern const size_t cli_report_page_len;

/* Writes the report of the trace at path to out. Exits with one line on an unreadable trace. */
void cli_report_html(const char *path, FILE *out);

/* "frames": [names], "tree": [frame, [bytes, calls, leaked, peak], [children]] (report-flame.c). */
void cli_report_flame(json *j, hr_reader *r, const hr_profile *p);
/* "snapshots": [{t, n (calls so far), live, peak?, top: [{bytes, blocks, site}]}] (report-moments.c). */
void cli_report_moments(json *j, const char *path, const hr_profile *p);

#endif
