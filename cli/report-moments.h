/* SPDX-License-Identifier: MIT */
/* The HTML report's moments of the timeline (report-moments.c). */
#ifndef HEAPRR_CLI_REPORT_MOMENTS_H
#define HEAPRR_CLI_REPORT_MOMENTS_H

#include "cli.h"
#include "traces.h"

#include <heaprr/profile.h>

#include <stdint.h>

/* "snapshots": [{t, n (calls so far), live, peak?, top: [{bytes, blocks, site}]}] (report-moments.c). */
void cli_report_moments(json *j, const char *path, const hr_profile *p);
/* The same of a process tree, at times from the first start (offsets[i]: when trace i started,
 * durations[i]: how long it ran): 40 moments evenly over span_ns and one at peak_t, the peak of
 * the live heaps summed; each moment's live bytes, calls so far and top sites of all the
 * processes running then, sites of the same name in several processes summed. */
void cli_report_moments_tree(json *j, const cli_trace_set *t, const uint64_t *offsets, const uint64_t *durations,
                             uint64_t span_ns, uint64_t peak_t);

#endif
