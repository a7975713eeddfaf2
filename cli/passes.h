/* SPDX-License-Identifier: MIT */
/* The analysis passes the commands run: each opens the trace, reads it to its end with a progress
 * bar and exits with one line on an error. heaprr report computes the trace's index once
 * (cli_passes_share) before it forks its parts; a part asking for the same pass over the same
 * trace then gets the shared result, and the reader that read it, instead of reading the trace
 * again. */
#ifndef HEAPRR_CLI_PASSES_H
#define HEAPRR_CLI_PASSES_H

#include <heaprr/bins.h>
#include <heaprr/leaks.h>
#include <heaprr/profile.h>

/* Each returns the reader the pass read (for the stacks of the results); give it back with
 * cli_pass_end. what names the command for the progress bar. */
hr_reader *cli_profile_pass(const char *path, const char *what, hr_profile *p);
hr_reader *cli_leaks_pass(const char *path, hr_leaks *l);
/* b holds the bounds to count with (shared only for the default ones). */
hr_reader *cli_bins_pass(const char *path, hr_bins *b);
/* The bins of every trace of t (b configured as for cli_bins_pass), their counts summed; returns
 * the first trace's reader, for cli_pass_end (the others' are ended). */
struct cli_trace_set;
hr_reader *cli_bins_pass_all(const struct cli_trace_set *t, hr_bins *b);

/* Frees what a pass gave, unless it is the shared copy. */
void cli_profile_free(hr_profile *p);
void cli_leaks_free(hr_leaks *l);
void cli_pass_end(hr_reader *r);

/* Computes the trace's index once and keeps the profile, leaks and default bins it gives for the
 * passes asked later (in this process and the ones it forks). A result that fails is not kept: the
 * part that asks for it runs its pass and reports the failure itself. */
void cli_passes_share(const char *path);

#endif
