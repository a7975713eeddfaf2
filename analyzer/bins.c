/* SPDX-License-Identifier: MIT */
/* Size bins (include/heaprr/bins.h). */
#include <heaprr/analyze.h>
#include <heaprr/bins.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hr_bins_default(hr_bins *b)
{
    uint64_t bounds[HR_BINS_MAX];
    memset(b, 0, sizeof *b);
    b->n = hr_index_default_bins(bounds);
    for (uint32_t i = 0; i < b->n; i++)
        b->bins[i].le = bounds[i];
}

int hr_bins_parse(hr_bins *b, const char *in, char *why, size_t why_size)
{
    char buf[220];
    hr_bins t;
    memset(&t, 0, sizeof t);
    const char *p = in;
    while (*p) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9') {
            snprintf(why, why_size, "bins '%s': expected a number at offset %td",
                     hr_printable(in, 40, buf, sizeof buf), p - in);
            return -1;
        }
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v == 0 || (t.n && v <= t.bins[t.n - 1].le) || t.n == HR_BINS_MAX - 1) {
            snprintf(why, why_size, "bins '%s': expected increasing positive bounds (at most %d) at offset %td",
                     hr_printable(in, 40, buf, sizeof buf), HR_BINS_MAX - 1, p - in);
            return -1;
        }
        t.bins[t.n++].le = v;
        p = end;
        if (*p == ',' && p[1])
            p++;
        else if (*p) {
            snprintf(why, why_size, "bins '%s': expected ',' at offset %td", hr_printable(in, 40, buf, sizeof buf),
                     p - in);
            return -1;
        }
    }
    if (!t.n) {
        snprintf(why, why_size, "bins: expected a list of bounds such as 16,64,256");
        return -1;
    }
    if (t.bins[t.n - 1].le != UINT64_MAX)
        t.bins[t.n++].le = UINT64_MAX;
    *b = t;
    return 0;
}

void hr_bins_from_index(const hr_index *ix, hr_bins *b)
{
    memset(b, 0, sizeof *b);
    for (uint32_t i = 0; i < ix->nbins; i++) {
        const hr_ix_bin *x = &ix->bins[i];
        b->bins[i] = (hr_bin){x->le, x->allocs, x->frees, x->live, x->peak_live, x->bytes};
    }
    b->n = ix->nbins;
}

int hr_bins_compute(hr_reader *r, hr_bins *b)
{
    uint64_t bounds[HR_BINS_MAX];
    for (uint32_t i = 0; i < b->n; i++)
        bounds[i] = b->bins[i].le;
    hr_index ix;
    hr_indexer_config cfg = {.bins = bounds, .nbins = b->n};
    int rc = hr_index_compute(r, &cfg, &ix);
    if (rc < 0)
        return rc;
    hr_bins_from_index(&ix, b);
    hr_index_free(&ix);
    return 0;
}
