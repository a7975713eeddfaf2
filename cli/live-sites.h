/* SPDX-License-Identifier: MIT */
/* Bytes live per allocation stack through a trace: the live set replayed event by event through a
 * feed (formats' live set, a batch decoded ahead on a second thread), with the bytes and blocks
 * live per stack kept up to date from each event's change. What the timeline views take at their
 * moments (the HTML report's top sites, massif's detailed snapshots) is a look at this table,
 * whose size is the number of stacks, not of live blocks. */
#ifndef HEAPRR_CLI_LIVE_SITES_H
#define HEAPRR_CLI_LIVE_SITES_H

#include <heaprr/live.h>
#include <heaprr/reader.h>

#include <stddef.h>
#include <stdint.h>

typedef struct cli_site_live {
    uint64_t stack; /* 0: blocks with no stack */
    uint64_t bytes, blocks;
} cli_site_live;

/* Open addressing by stack (stack 0 slots are empty: ids start at 1); the blocks with no stack in
 * none. */
typedef struct cli_live_sites {
    cli_site_live *v;
    size_t mask, used;
    cli_site_live none;
} cli_live_sites;

/* Called after each event with what it changed, the live set and the table as they are after it;
 * then once more at the end of what could be read, with rec and c NULL. */
typedef void (*cli_live_event_fn)(void *ctx, const hr_record *rec, const hr_heap_change *c, const hr_heap *h,
                                  const cli_live_sites *s);

/* Follows every event of r (from where it is to the end) calling fn; exits with one line when out
 * of memory. Returns 0 at the end of the trace, or the reader's negative hr_err (cli_pass_done
 * says it). */
int cli_live_follow(hr_reader *r, cli_live_event_fn fn, void *ctx);

/* fn on each site with blocks live (the none entry last, when it has any). */
void cli_live_sites_each(const cli_live_sites *s, void (*fn)(void *ctx, const cli_site_live *e), void *ctx);

#endif
