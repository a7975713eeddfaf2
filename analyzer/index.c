/* SPDX-License-Identifier: MIT */
/* The index of a trace for the analyses (include/heaprr/analyze.h): its records streamed through an
 * indexer by a feed, which decodes ahead on a second thread. */
#include <heaprr/analyze.h>

int hr_index_compute(hr_reader *r, const hr_indexer_config *cfg, hr_index *out)
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

int hr_trace_truncated(const hr_reader *r)
{
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    return st.truncated;
}
