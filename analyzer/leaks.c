/* SPDX-License-Identifier: MIT */
/* Leaks grouped by allocation stack (include/heaprr/leaks.h). */
#include "suppress.h"

#include <heaprr/analyze.h>
#include <heaprr/leaks.h>

#include <stdlib.h>
#include <string.h>

static int by_size(const void *a, const void *b)
{
    const hr_leak *x = a, *y = b;
    if (x->suppressed != y->suppressed)
        return x->suppressed - y->suppressed;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

static void totals(hr_leaks *l)
{
    l->total_bytes = l->total_blocks = l->suppressed_bytes = l->suppressed_blocks = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->groups[i].suppressed) {
            l->suppressed_bytes += l->groups[i].bytes;
            l->suppressed_blocks += l->groups[i].blocks;
        } else {
            l->total_bytes += l->groups[i].bytes;
            l->total_blocks += l->groups[i].blocks;
        }
    }
}

int hr_leaks_from_index(const hr_index *ix, hr_leaks *out)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < ix->nsites; i++)
        n += ix->sites[i].live_blocks > 0;
    if (!(out->groups = malloc((n ? n : 1) * sizeof *out->groups)))
        return HR_ERR_NOMEM;
    for (size_t i = 0; i < ix->nsites; i++) {
        const hr_ix_site *s = &ix->sites[i];
        if (s->live_blocks)
            out->groups[out->n++] = (hr_leak){s->stack, s->live_bytes, s->live_blocks, s->live_first_seq, 0};
    }
    qsort(out->groups, out->n, sizeof *out->groups, by_size);
    totals(out);
    return 0;
}

int hr_leaks_compute(hr_reader *r, hr_leaks *out)
{
    memset(out, 0, sizeof *out);
    hr_index ix;
    hr_indexer_config cfg = {0};
    int rc = hr_index_compute(r, &cfg, &ix);
    if (rc < 0)
        return rc;
    rc = hr_leaks_from_index(&ix, out);
    hr_index_free(&ix);
    return rc;
}

void hr_leaks_free(hr_leaks *l)
{
    free(l->groups);
    memset(l, 0, sizeof *l);
}

void hr_leaks_suppress(hr_leaks *l, const hr_suppressions *s, hr_reader *r, hr_symbolizer *sym)
{
    for (size_t i = 0; i < l->n; i++)
        l->groups[i].suppressed = hr_supp_match(s, r, sym, l->groups[i].stack);
    qsort(l->groups, l->n, sizeof *l->groups, by_size);
    totals(l);
}
