/* SPDX-License-Identifier: MIT */
/* The index of a trace for the analyses (include/heaprr/analyze.h): the one the writer stored in
 * the trace when it holds one with the figures asked for, else its records streamed through an
 * indexer by a feed, which decodes ahead on a second thread. */
#include <heaprr/analyze.h>

#include <string.h>

static int stored_allowed = 1;

void hr_use_stored_index(int on)
{
    stored_allowed = on;
}

/* Whether a stored index (default bins and time buckets) answers cfg. */
static int stored_fits(const hr_indexer_config *cfg, const hr_index *ix)
{
    uint64_t def[HR_INDEX_BINS_MAX];
    const uint64_t *bins = cfg->bins ? cfg->bins : def;
    uint32_t n = cfg->bins ? cfg->nbins : hr_index_default_bins(def);
    uint64_t bucket = cfg->bucket_ns ? cfg->bucket_ns : HR_INDEX_BUCKET_NS;
    if (ix->bucket_ns != bucket || ix->nbins != n)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (ix->bins[i].le != bins[i])
            return 0;
    return 1;
}

static int stream(hr_reader *r, const hr_indexer_config *cfg, hr_index *out)
{
    hr_indexer *x;
    int rc = hr_indexer_new(&x, cfg);
    if (rc < 0)
        return rc;
    hr_feed *f = hr_feed_open(r, hr_indexer_heap(x));
    if (!f) {
        hr_indexer_free(x);
        return HR_ERR_NOMEM;
    }
    const hr_record *rec;
    while ((rc = hr_feed_next(f, &rec)) > 0)
        if ((rc = hr_indexer_add(x, rec, NULL)) < 0)
            break;
    hr_feed_close(f);
    if (rc == 0)
        rc = hr_indexer_take(x, out);
    hr_indexer_free(x);
    return rc;
}

int hr_index_compute(hr_reader *r, const hr_indexer_config *cfg, hr_index *out)
{
    if (stored_allowed && !cfg->memory_limit) {
        int rc = hr_reader_stored_index(r, out);
        if (rc < 0)
            return rc;
        if (rc > 0 && stored_fits(cfg, out)) {
            if ((rc = hr_reader_read_tables(r, out)) < 0)
                hr_index_free(out);
            return rc;
        }
        if (rc > 0)
            hr_index_free(out);
    }
    return stream(r, cfg, out);
}

int hr_trace_truncated(const hr_reader *r)
{
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    return st.truncated;
}
