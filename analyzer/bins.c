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
    memset(b, 0, sizeof *b);
    for (uint64_t le = 2; le <= 4096; le *= 2)
        b->bins[b->n++].le = le;
    b->bins[b->n++].le = UINT64_MAX;
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

static hr_bin *bin_of(hr_bins *b, uint64_t size)
{
    uint32_t lo = 0, hi = b->n - 1;
    while (lo < hi) { /* the first bin whose bound holds size */
        uint32_t mid = (lo + hi) / 2;
        if (b->bins[mid].le >= size)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &b->bins[lo];
}

static void count_change(void *ctx, const hr_record *rec, const hr_heap_change *c)
{
    hr_bins *b = ctx;
    (void)rec;
    if (c->released) {
        hr_bin *x = bin_of(b, c->freed.size);
        x->frees++;
        x->live--;
    }
    if (c->allocated) {
        hr_bin *x = bin_of(b, c->alloc.size);
        x->allocs++;
        x->bytes += c->alloc.size;
        if (++x->live > x->peak_live)
            x->peak_live = x->live;
    }
}

int hr_bins_compute(hr_reader *r, hr_bins *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        b->bins[i] = (hr_bin){b->bins[i].le, 0, 0, 0, 0, 0};
    hr_heap *h = hr_heap_new();
    if (!h)
        return HR_ERR_NOMEM;
    int rc = hr_heap_run(r, h, count_change, b);
    hr_heap_free(h);
    return rc;
}
