/* SPDX-License-Identifier: MIT */
/* The replay engine's state, shared by engine.c (events) and results.c (final figures). */
#ifndef HEAPRR_ENGINE_H
#define HEAPRR_ENGINE_H

#include "backend.h"
#include "bandheap.h"
#include "livemap.h"

#include <time.h>

struct hr_replay {
    hr_replay_options o;
    hr_bandheap heap; /* the model, when the backend is "band" */
    hr_backend be;
    int band;
    uint64_t rss_base;
    hr_livemap live;
    hr_finding *findings;
    size_t nfind, capfind;
    hr_replay_result res;
    uint64_t live_bytes, digest, next_sample;
    const hr_record *cur;
    int pending_guard;      /* a guard record came: its finding waits for the call that found it */
    hr_finding guard_finding;
    int forked, stop;
    struct timespec started;
};

uint64_t hr_replay_mix(uint64_t h);
/* Reports a finding still waiting for the call that found it (the trace ended first). */
void hr_replay_flush_pending(hr_replay *r);

#endif
