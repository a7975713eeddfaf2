/* SPDX-License-Identifier: MIT */
/* heaprr report --html: one self-contained page (cli/report/page.html, built in as
 * report-page.c) with the trace's figures as JSON in it. report-html.c gathers them; the flame
 * graph's tree (report-flame.h) and the moments of the timeline (report-moments.h) have files of
 * their own. */
#ifndef HEAPRR_CLI_REPORT_HTML_H
#define HEAPRR_CLI_REPORT_HTML_H

#include "cli.h"
#include "traces.h"

#include <stdio.h>

/* The page, with "/" "*HEAPRR_DATA*" "/" where the JSON goes (report-page.c, generated). */
extern const char cli_report_page[];
extern const size_t cli_report_page_len;

/* Writes the report of the traces (one, or a process tree) to out, with the findings of their
 * replays on the band model unless replay is 0. Exits with one line on an unreadable trace. */
void cli_report_html(const cli_trace_set *t, FILE *out, int replay);

#endif
