/* SPDX-License-Identifier: MIT */
/* The plots of the analyzer (gnuplot, .png or .svg by the file name): live heap over time,
 * allocation rate over time, fragmentation over time. Titled, axes in seconds and bytes with
 * unit prefixes. */
#ifndef HEAPRR_PLOTS_H
#define HEAPRR_PLOTS_H

#include <heaprr/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each returns 0, or -1 with why. */
int hr_plot_heap(const hr_profile *p, const char *title, const char *out, char *why, size_t why_size);
int hr_plot_rate(const hr_profile *p, const char *title, const char *out, char *why, size_t why_size);

/* One sample of a replay on the band model. */
typedef struct hr_frag_point {
    double seconds;
    uint64_t footprint, live;
} hr_frag_point;
int hr_plot_frag(const hr_frag_point *pts, size_t n, const char *title, const char *out, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif
#endif
