/* SPDX-License-Identifier: MIT */
/* The analyzer's plots (include/heaprr/plots.h). */
#include <heaprr/plot.h>
#include <heaprr/plots.h>

#include <inttypes.h>


int hr_plot_heap(const hr_profile *p, const char *title, const char *out, char *why, size_t why_size)
{
    hr_plot *pl = hr_plot_begin(out, why, why_size);
    if (!pl)
        return -1;
    FILE *d = hr_plot_data(pl), *c = hr_plot_commands(pl);
    fprintf(d, "0 0 0\n");
    for (size_t i = 0; i < p->nsamples; i++)
        fprintf(d, "%.6f %" PRIu64 " %" PRIu64 "\n", (double)((i + 1) * p->bucket_ns) / 1e9, p->samples[i].live_max,
                p->samples[i].live_end);
    hr_plot_title(c, title);
    fputs(HR_PLOT_BYTES_AXIS, c);
    fprintf(c, "set xlabel 'time (s)'\nset ylabel 'live heap (bytes)'\nset yrange [0:*]\n"
               "set label 1 sprintf('peak %%.1f MB at %%.3f s', %" PRIu64 " / 1e6, %.6f) at graph 0.02, graph 0.9\n"
               "plot $data using 1:2 with steps lw 2 title 'live bytes (most in each %.3f s)', "
               "'' using 1:3 with steps lw 1 dt 2 title 'live bytes (end of each)'\n",
            p->peak_bytes, (double)p->peak_time_ns / 1e9, (double)p->bucket_ns / 1e9);
    return hr_plot_end(pl, why, why_size);
}

int hr_plot_rate(const hr_profile *p, const char *title, const char *out, char *why, size_t why_size)
{
    hr_plot *pl = hr_plot_begin(out, why, why_size);
    if (!pl)
        return -1;
    FILE *d = hr_plot_data(pl), *c = hr_plot_commands(pl);
    double sec = (double)p->bucket_ns / 1e9;
    for (size_t i = 0; i < p->nsamples; i++)
        fprintf(d, "%.6f %.1f %.1f\n", (double)(i * p->bucket_ns) / 1e9, (double)p->samples[i].allocs / sec,
                (double)p->samples[i].bytes / sec);
    if (!p->nsamples)
        fprintf(d, "0 0 0\n");
    hr_plot_title(c, title);
    fprintf(c, "set xlabel 'time (s)'\nset ylabel 'allocations per second'\nset y2label 'bytes allocated per second'\n"
               "set format y '%%.1s%%c'\nset format y2 '%%.1s %%cB/s'\nset ytics nomirror\nset y2tics\n"
               "set yrange [0:*]\nset y2range [0:*]\n"
               "plot $data using 1:2 with steps lw 2 title 'allocations/s', "
               "'' using 1:3 axes x1y2 with steps lw 1 dt 2 title 'bytes/s'\n");
    return hr_plot_end(pl, why, why_size);
}

int hr_plot_frag(const hr_frag_point *pts, size_t n, const char *title, const char *out, char *why, size_t why_size)
{
    hr_plot *pl = hr_plot_begin(out, why, why_size);
    if (!pl)
        return -1;
    FILE *d = hr_plot_data(pl), *c = hr_plot_commands(pl);
    for (size_t i = 0; i < n; i++) {
        double frag = pts[i].live ? ((double)pts[i].footprint - (double)pts[i].live) / (double)pts[i].live : 0.0;
        fprintf(d, "%.6f %" PRIu64 " %" PRIu64 " %.6f\n", pts[i].seconds, pts[i].footprint, pts[i].live,
                frag > 0 ? frag : 0.0);
    }
    if (!n)
        fprintf(d, "0 0 0 0\n");
    hr_plot_title(c, title);
    fputs(HR_PLOT_BYTES_AXIS, c);
    fprintf(c, "set xlabel 'time (s)'\nset ylabel 'bytes'\nset y2label 'fragmentation (footprint - live) / live'\n"
               "set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\n"
               "plot $data using 1:2 with lines lw 2 title 'footprint (bytes mapped by the model)', "
               "'' using 1:3 with lines lw 2 title 'live bytes requested', "
               "'' using 1:4 axes x1y2 with lines lw 1 dt 2 title 'fragmentation (right axis)'\n");
    return hr_plot_end(pl, why, why_size);
}
