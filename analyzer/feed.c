/* SPDX-License-Identifier: MIT */
/* Records for the heap passes a batch at a time, the heap's slots for the coming events fetched
 * ahead (include/heaprr/analyze.h, hr_feed). A batch ends after a record that is not an event, so
 * that record's strings stay valid while the batch is handed out. */
#include <heaprr/analyze.h>

#include <stdlib.h>
#include <string.h>

#define AHEAD 8

void hr_feed_init(hr_feed *f, hr_reader *r, const hr_heap *h)
{
    memset(f, 0, sizeof *f);
    f->r = r;
    f->h = h;
}

static uint64_t key_of(const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    return hr_kind_is_realloc(ev->kind) && ev->old_ptr ? ev->old_ptr : ev->ptr;
}

static void ahead(const hr_feed *f, size_t i)
{
    if (i < f->n && f->batch[i].type == HR_REC_EVENT)
        hr_heap_prefetch(f->h, key_of(&f->batch[i]));
}

static int fill(hr_feed *f)
{
    f->n = f->i = 0;
    while (f->n < HR_FEED_BATCH) {
        int rc = hr_reader_next(f->r, &f->batch[f->n]);
        if (rc <= 0) {
            f->rc = rc;
            f->done = 1;
            break;
        }
        if (f->batch[f->n++].type != HR_REC_EVENT)
            break;
    }
    for (size_t i = 0; i < AHEAD; i++)
        ahead(f, i);
    return (int)f->n;
}

int hr_feed_next(hr_feed *f, const hr_record **rec)
{
    if (f->i == f->n && (f->done || fill(f) == 0))
        return f->rc < 0 ? f->rc : 0;
    ahead(f, f->i + AHEAD);
    *rec = &f->batch[f->i++];
    return 1;
}

int hr_heap_run(hr_reader *r, hr_heap *h, void (*fn)(void *ctx, const hr_record *rec, const hr_heap_change *c),
                void *ctx)
{
    hr_feed *f = malloc(sizeof *f);
    if (!f)
        return HR_ERR_NOMEM;
    hr_feed_init(f, r, h);
    const hr_record *rec;
    hr_heap_change c;
    int rc;
    while ((rc = hr_feed_next(f, &rec)) > 0) {
        if ((rc = hr_heap_apply(h, rec, &c)) < 0)
            break;
        if (fn)
            fn(ctx, rec, &c);
    }
    free(f);
    return rc;
}
