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

/* One process of several drawn on one time axis: its profile, its name in the key, and when it
 * started after the first of them started. */
typedef struct hr_plot_series {
    const hr_profile *p;
    const char *label;
    uint64_t offset_ns;
} hr_plot_series;

/* Several processes (a process tree) on one time axis, each returning 0 or -1 with why. heap: the
 * live heap of all of them (each one's most live bytes in each time step, summed) and of the
 * HR_PLOT_SERIES_DRAWN with the highest peaks, one line each. rate: allocations and bytes allocated
 * per second by all of them. */
#define HR_PLOT_SERIES_DRAWN 8
int hr_plot_heap_many(const hr_plot_series *s, size_t n, const char *title, const char *out, char *why,
                      size_t why_size);
int hr_plot_rate_many(const hr_plot_series *s, size_t n, const char *title, const char *out, char *why,
                      size_t why_size);
/* The live heap of several processes on the grid those plots draw: *live (malloc'd, *steps
 * entries) the sum of each one's most live bytes in each step of *step_ns from the first start.
 * Returns 0, or -1 out of memory. */
int hr_series_live(const hr_plot_series *s, size_t n, uint64_t **live, size_t *steps, uint64_t *step_ns);

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
