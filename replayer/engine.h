/* SPDX-License-Identifier: MIT */
/* The replay engine's state, shared by engine.c (events) and results.c (final figures). */
#ifndef HEAPRR_ENGINE_H
#define HEAPRR_ENGINE_H

#include "backend.h"
#include "bandheap.h"
#include "livemap.h"

#include <time.h>

#define HR_PENDING_MAX 8

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
    hr_finding pending[HR_PENDING_MAX]; /* findings waiting for the call that found them (pending.c) */
    size_t npending;
    int ck_bounds, ck_chain; /* check levels mallopt turned on or off (mallopt.c) */
    int forked, stop;
    struct timespec started;
    hr_reader *rd;        /* the reader hr_replay_run reads (stacks for --fail rules), or NULL */
    uint64_t fail_calls;  /* calls that could fail so far (inject.c) */
    uint64_t *ghosts;     /* pointers of allocations failed on purpose */
    size_t ghost_mask, nghosts;
    hr_injected_call *injected;
    size_t ninjected, capinjected;
};

uint64_t hr_replay_mix(uint64_t h);

/* ---- inject.c: failure injection (--fail) ---- */

/* When the rules make the allocation event rec fail: applies the failure (realloc_fn applies a
 * realloc that keeps the old block), *rc its result, and returns 1; else 0. */
int hr_inject_event(hr_replay *r, const hr_record *rec, int *rc, int (*realloc_fn)(hr_replay *, const hr_event *));
/* A free or realloc of a pointer whose allocation the replay failed: forgets it and returns 1. */
int hr_inject_ghost(hr_replay *r, const hr_event *ev);
/* A MODULE_LOAD record: the rules' func=, at= and site= resolved into it. */
void hr_inject_module(hr_replay *r, const hr_record *rec);
void hr_inject_free(hr_replay *r);

/* ---- mallopt.c: the mallopt commands a trace recorded ---- */

int hr_replay_mallopt(hr_replay *r, const hr_record *rec);

/* ---- findings.c: findings kept for the report ---- */

/* Counts f, keeps it (up to --max-errors), and stops the replay if asked to at the first one. */
void hr_replay_add_finding(hr_replay *r, const hr_finding *f);
/* What a finding knows of e's allocation, and of its free (e a tombstone). */
void hr_finding_with_alloc(hr_finding *f, const hr_live *e);
void hr_finding_with_free(hr_finding *f, const hr_live *e);

/* ---- access.c: calls of memcpy and friends the recorder caught (ACCESS records) ---- */

int hr_replay_access(hr_replay *r, const hr_record *rec);

/* ---- pending.c: damage the recorder found, reported with the call that found it ---- */

/* A GUARD record: the finding waits for the record's thread's next event; the zone's bytes go
 * into the model's block. */
int hr_replay_guard(hr_replay *r, const hr_record *rec);
/* A FREED_WRITE record: a use-after-free, waiting the same way. */
int hr_replay_freed_write(hr_replay *r, const hr_record *rec);
/* Damage the model found during the current event: 1 if it is a waiting guard finding's bytes
 * (then part of that finding). */
int hr_pending_model_damage(hr_replay *r, const hr_damage *d);
/* The current event rec is the call that found its thread's waiting findings: they are reported. */
void hr_pending_found_by(hr_replay *r, const hr_record *rec);
/* Reports every waiting finding (the trace ended). */
void hr_pending_flush_all(hr_replay *r);

#endif
