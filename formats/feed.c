/* SPDX-License-Identifier: MIT */
/* Records for the heap passes and the replay (include/heaprr/feed.h): a second thread decodes the
 * trace a batch ahead while the consumer works on the current one, and the heap's slots for the
 * coming events are fetched ahead. Strings of the records are copied into the batch, so they stay
 * valid while it is handed out. Without a thread (pthread_create failing) batches are decoded in
 * line. */
#include <heaprr/feed.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define AHEAD 8
#define BATCH 16384
#define STRINGS (1u << 20)
#define STRING_MAX (64u << 10) /* longer strings are cut: a batch ends before its arena could overflow */

typedef struct batch {
    hr_record rec[BATCH];
    size_t n;
    int rc;   /* the reader's result when this batch is the last */
    int last; /* no batch after this one */
    char strings[STRINGS];
    size_t used;
} batch;

struct hr_feed {
    hr_reader *r;
    const hr_heap *h;
    batch b[2];
    int full[2], stop, threaded, started;
    int cur;
    size_t i;
    uint64_t delivered; /* records handed out, for the progress reports */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
};

/* Copies s into the batch's strings (a batch ends while they have room for a record's). */
static void keep(batch *b, hr_str *s)
{
    if (s->len > STRING_MAX)
        s->len = STRING_MAX;
    memcpy(b->strings + b->used, s->ptr, s->len);
    s->ptr = b->strings + b->used;
    b->used += s->len;
}

static void keep_strings(batch *b, hr_record *r)
{
    switch (r->type) {
    case HR_REC_PROCESS_INFO:
        keep(b, &r->u.process.recorder);
        keep(b, &r->u.process.parent_trace);
        keep(b, &r->u.process.cwd);
        break;
    case HR_REC_MODULE_LOAD:
        keep(b, &r->u.module.build_id);
        keep(b, &r->u.module.path);
        break;
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME: keep(b, &r->u.thread.name); break;
    case HR_REC_MARK:
    case HR_REC_STOPPED: keep(b, &r->u.text); break;
    case HR_REC_EXEC:
    case HR_REC_SPAWN: keep(b, &r->u.exec.path); break;
    case HR_REC_GUARD:
    case HR_REC_GUARD_BEFORE: keep(b, &r->u.guard.found); break;
    case HR_REC_FREED_WRITE: keep(b, &r->u.freed.found); break;
    default: break;
    }
}

/* Decodes the next batch into b. */
static void decode(hr_feed *f, batch *b)
{
    b->n = b->used = 0;
    b->last = 0;
    while (b->n < BATCH) {
        hr_record *r = &b->rec[b->n];
        int rc = hr_reader_next(f->r, r);
        if (rc <= 0) {
            b->rc = rc;
            b->last = 1;
            return;
        }
        if (r->type != HR_REC_EVENT)
            keep_strings(b, r);
        b->n++;
        if (b->used > STRINGS - 3 * STRING_MAX) /* room for the next record's strings, whatever it is */
            return;
    }
}

static void *decoder(void *arg)
{
    hr_feed *f = arg;
    for (int k = 0;; k ^= 1) {
        pthread_mutex_lock(&f->lock);
        while (f->full[k] && !f->stop)
            pthread_cond_wait(&f->changed, &f->lock);
        int stop = f->stop;
        pthread_mutex_unlock(&f->lock);
        if (stop)
            return NULL;
        decode(f, &f->b[k]);
        pthread_mutex_lock(&f->lock);
        f->full[k] = 1;
        pthread_cond_broadcast(&f->changed);
        pthread_mutex_unlock(&f->lock);
        if (f->b[k].last)
            return NULL;
    }
}

static __thread void (*progress_fn)(void *ctx, uint64_t done);
static __thread void *progress_ctx;

void hr_set_progress(void (*fn)(void *ctx, uint64_t done), void *ctx)
{
    progress_fn = fn;
    progress_ctx = ctx;
}

hr_feed *hr_feed_open(hr_reader *r, const hr_heap *h)
{
    hr_feed *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->r = r;
    f->h = h;
    f->i = 0;
    f->cur = 0;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    f->threaded = pthread_create(&f->thread, NULL, decoder, f) == 0;
    if (!f->threaded) { /* decode in line */
        decode(f, &f->b[0]);
        f->full[0] = 1;
    }
    return f;
}

void hr_feed_close(hr_feed *f)
{
    if (!f)
        return;
    if (f->threaded) {
        pthread_mutex_lock(&f->lock);
        f->stop = 1;
        pthread_cond_broadcast(&f->changed);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
    }
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->changed);
    free(f);
}

static uint64_t key_of(const hr_record *rec)
{
    const hr_event *ev = &rec->u.event;
    return hr_kind_is_realloc(ev->kind) && ev->old_ptr ? ev->old_ptr : ev->ptr;
}

static void ahead(const hr_feed *f, const batch *b, size_t i)
{
    if (f->h && i < b->n && b->rec[i].type == HR_REC_EVENT)
        hr_heap_prefetch(f->h, key_of(&b->rec[i]));
}

/* Gives the current batch back and waits for the next one. */
static void next_batch(hr_feed *f)
{
    int k = f->cur;
    if (!f->threaded) {
        decode(f, &f->b[k]);
        f->i = 0;
        return;
    }
    pthread_mutex_lock(&f->lock);
    f->full[k] = 0;
    pthread_cond_broadcast(&f->changed);
    k ^= 1;
    while (!f->full[k])
        pthread_cond_wait(&f->changed, &f->lock);
    pthread_mutex_unlock(&f->lock);
    f->cur = k;
    f->i = 0;
    for (size_t i = 0; i < AHEAD; i++)
        ahead(f, &f->b[k], i);
}

/* Waits for the first batch. */
static void start(hr_feed *f)
{
    f->started = 1;
    if (f->threaded) {
        pthread_mutex_lock(&f->lock);
        while (!f->full[f->cur])
            pthread_cond_wait(&f->changed, &f->lock);
        pthread_mutex_unlock(&f->lock);
    }
    for (size_t i = 0; i < AHEAD; i++)
        ahead(f, &f->b[f->cur], i);
}

/* The current batch, with records left to hand out: NULL at the end (*rc: the reader's result). */
static batch *current(hr_feed *f, int *rc)
{
    if (!f->started)
        start(f);
    batch *b = &f->b[f->cur];
    while (f->i == b->n) {
        if (b->last) {
            *rc = b->rc < 0 ? b->rc : 0;
            return NULL;
        }
        next_batch(f);
        b = &f->b[f->cur];
    }
    return b;
}

static void delivered(hr_feed *f, size_t n, const hr_record *last)
{
    uint64_t before = f->delivered;
    f->delivered += n;
    if (progress_fn && (before ^ f->delivered) >> 16)
        progress_fn(progress_ctx, last->offset);
}

int hr_feed_next(hr_feed *f, const hr_record **rec)
{
    int rc;
    batch *b = current(f, &rc);
    if (!b)
        return rc;
    ahead(f, b, f->i + AHEAD);
    *rec = &b->rec[f->i++];
    delivered(f, 1, *rec);
    return 1;
}

int hr_feed_take(hr_feed *f, const hr_record **recs, size_t *n)
{
    int rc;
    batch *b = current(f, &rc);
    if (!b)
        return rc;
    *recs = &b->rec[f->i];
    *n = b->n - f->i;
    f->i = b->n;
    delivered(f, *n, &b->rec[b->n - 1]);
    return 1;
}
