/* SPDX-License-Identifier: MIT */
/* Plots through gnuplot: the caller writes the data (whitespace-separated columns) and the plot
 * commands; the output format follows the file name (.png or .svg); titles and axes come with the
 * commands. */
#ifndef HEAPRR_PLOT_H
#define HEAPRR_PLOT_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_plot hr_plot;

/* Starts a plot into out (.png or .svg). Returns NULL with why (a bad extension, no memory). */
hr_plot *hr_plot_begin(const char *out, char *why, size_t why_size);
/* Where the data rows go (read by gnuplot as '$data'). */
FILE *hr_plot_data(hr_plot *p);
/* The gnuplot commands after the terminal and data (they refer to $data). */
FILE *hr_plot_commands(hr_plot *p);
/* Runs gnuplot and frees p. Returns 0, or -1 with why (gnuplot missing or failing). */
int hr_plot_end(hr_plot *p, char *why, size_t why_size);

/* "1.5 MiB" style labels are left to gnuplot; this escapes a title for a double-quoted string. */
void hr_plot_quote(FILE *f, const char *s);
/* "set title" with title quoted, into a plot's commands. */
void hr_plot_title(FILE *c, const char *title);
/* The y axis in bytes with unit prefixes. */
#define HR_PLOT_BYTES_AXIS "set format y '%.1s %cB'\n"

#ifdef __cplusplus
}
#endif
#endif
