/* SPDX-License-Identifier: MIT */
/* The final figures of a replay: fragmentation (Johnstone & Wilson's measures #3 and #4), per-band
 * use, the digest over the returned addresses and the final heap, and the timing. */
#include "engine.h"

#include <string.h>
#include <sys/resource.h>

/* (a - b) / b, and 0 when a <= b (a real allocator's resident growth can stay below the live
 * bytes when it reuses memory the process already held). */
static double ratio_over(uint64_t a, uint64_t b)
{
    return b && a > b ? ((double)a - (double)b) / (double)b : 0.0;
}

static void band_reports(const hr_bandheap *h, hr_replay_result *res)
{
    res->nbands = h->cfg.nbands;
    for (uint32_t k = 0; k < h->cfg.nbands; k++) {
        const hr_band_state *b = &h->bands[k];
        hr_band_report *o = &res->bands[k];
        o->size = b->size;
        o->blocks = b->blocks;
        o->allocs = b->allocs;
        o->peak_in_use = b->peak_in_use;
        o->peak_arenas = b->peak_arenas;
        uint64_t capacity = b->peak_arenas * b->blocks;
        o->utilization = capacity ? (double)b->peak_in_use / (double)capacity : 0.0;
        o->internal_frag = b->block_bytes ? 1.0 - (double)b->req_bytes / (double)b->block_bytes : 0.0;
    }
}

static void digest_block(void *ctx, uint64_t addr, uint64_t size, uint64_t req)
{
    uint64_t *d = ctx;
    *d = hr_replay_mix(*d ^ addr) ^ hr_replay_mix(size << 32 ^ req);
}

/* A real allocator's footprint: the peak resident memory the kernel saw, less what the process
 * held before the replay and the engine's own table of blocks. */
static void system_figures(const hr_replay *r, hr_replay_result *res)
{
    struct rusage ru;
    uint64_t table = hr_livemap_bytes(&r->live);
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        uint64_t peak = (uint64_t)ru.ru_maxrss * 1024;
        peak = peak > r->rss_base ? peak - r->rss_base : 0;
        if (peak > res->peak_footprint)
            res->peak_footprint = peak;
    }
    res->peak_footprint = res->peak_footprint > table ? res->peak_footprint - table : 0;
    uint64_t now = r->be.footprint(r->be.self);
    res->footprint_end = now > r->rss_base + table ? now - r->rss_base - table : 0;
    if (res->live_at_peak_footprint == 0)
        res->live_at_peak_footprint = res->peak_live;
}

void hr_replay_result_get(hr_replay *r, hr_replay_result *res)
{
    hr_pending_flush_all(r);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    *res = r->res;
    res->check = r->o.check;
    const hr_bandheap *h = &r->heap;
    res->allocator = r->be.name;
    if (r->band)
        res->footprint_end = h->os.mapped;
    else
        system_figures(r, res);
    res->live_end = r->live_bytes;
    res->live_blocks_end = r->live.live;
    res->frag_at_peak_footprint = ratio_over(res->peak_footprint, res->live_at_peak_footprint);
    res->frag_peak_vs_peak = ratio_over(res->peak_footprint, res->peak_live);
    if (r->band) {
        band_reports(h, res);
        res->large_allocs = h->large_allocs;
        res->peak_large_in_use = h->peak_large_in_use;
        res->cache_hits = h->cache.hits;
        res->cache_misses = h->cache.misses;
        res->os_maps = h->os.maps;
        res->os_unmaps = h->os.unmaps;
        uint64_t d = r->digest;
        hr_bh_each_live(h, digest_block, &d);
        res->digest = hr_replay_mix(d ^ h->os.mapped ^ h->os.peak_mapped << 1);
    } else {
        res->digest = 0; /* a real allocator's addresses differ from run to run */
    }
    struct rusage ru;
    res->peak_rss = getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024 : 0;
    res->seconds = (double)(now.tv_sec - r->started.tv_sec) + (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
}

const hr_finding *hr_replay_findings(const hr_replay *r, size_t *n)
{
    *n = r->nfind;
    return r->findings;
}
