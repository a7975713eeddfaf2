/* SPDX-License-Identifier: MIT */
/* Feeding a consumer (an analysis pass, the replay): records decoded a batch ahead on a second
 * thread, the live set's slots for the coming events fetched ahead. While a feed is open only it
 * uses the reader. Part of libheaprr_format for the tools; never built into the recorder. */
#ifndef HEAPRR_FEED_H
#define HEAPRR_FEED_H

#include <heaprr/format.h>
#include <heaprr/live.h>
#include <heaprr/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_feed hr_feed;

/* h: the live set whose slots are fetched ahead of the events naming them (NULL: none). */
hr_feed *hr_feed_open(hr_reader *r, const hr_heap *h);
/* Like hr_reader_next, but *rec points into the feed (valid until the next call). */
int hr_feed_next(hr_feed *f, const hr_record **rec);
/* The records decoded and not yet handed out, as one run of *n >= 1 consecutive records (valid
 * until the next call): returns 1, or 0 at the end, or the reader's negative hr_err. */
int hr_feed_take(hr_feed *f, const hr_record **recs, size_t *n);
/* Stops the feed; the reader is the caller's again. */
void hr_feed_close(hr_feed *f);
/* A progress callback for the feeds this thread opens (every analysis pass and the replay read
 * through one): called now and then with the bytes of the trace read so far. NULL: none. */
void hr_set_progress(void (*fn)(void *ctx, uint64_t done), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
