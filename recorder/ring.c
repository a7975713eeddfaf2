/* SPDX-License-Identifier: MIT */
/* The hot path's staging: each thread appends fixed-layout records to its own ring in the shared
 * staging file, so a record is on its way to disk the moment it is written. The global sequence
 * number is taken with an announcement first: a thread sets its ring's `announce` flag, then takes
 * the number, then publishes the record and clears the flag. The writer reads the counter, then
 * every flag: a thread without the flag will get a larger number than the counter it read, and a
 * thread with it has published everything up to its last_seq. So the writer knows a horizon below
 * which every record is published, and merges in order without locks on this path. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

uint64_t hr_seq_counter __attribute__((aligned(64)));

#define STALL_LIMIT_NS (30ull * 1000000000ull)
#define INLINE_AFTER_NS (20ull * 1000000ull) /* writer thread without progress: drain here */

uint32_t hr_ring_max_event(void)
{
    return HR_STAGE_REC_FIXED + 8u * hr_cfg.depth;
}

static uint64_t ring_size(void)
{
    return hr_stg->hdr->ring_data_size;
}

/* The writer gives room back every few hundred records, so a wait is usually short: yield for
 * a while (about a millisecond) before sleeping. */
static void pause_briefly(unsigned round)
{
    if (round < 1024) {
        sched_yield();
        return;
    }
    struct timespec ts = {0, 200000}; /* 0.2 ms */
    nanosleep(&ts, NULL);
}

/* Waits until the ring has need free bytes: wakes the writer, drains here when no one else is
 * draining, and gives up (stopping the recording) only if nothing moves for a long time. */
static int wait_for_room_loop(hr_tls *t, uint64_t need);

static int wait_for_room(hr_tls *t, uint64_t need)
{
    if (HR_LIKELY(!hr_cfg.stats))
        return wait_for_room_loop(t, need);
    uint64_t start = hr_selfstats_now(CLOCK_MONOTONIC);
    int rc = wait_for_room_loop(t, need);
    hr_selfstats_waited(hr_selfstats_now(CLOCK_MONOTONIC) - start);
    return rc;
}

static int wait_for_room_loop(hr_tls *t, uint64_t need)
{
    hr_ring_header *h = t->ring->h;
    uint64_t size = ring_size(), last_tail = t->cached_tail, since = 0;
    for (unsigned round = 0;; round++) {
        t->cached_tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
        if (size - (t->head - t->cached_tail) >= need)
            return 0;
        if (__atomic_load_n(&hr_state, __ATOMIC_RELAXED) != HR_RECORDING)
            return -1;
        if (t->cached_tail != last_tail) {
            last_tail = t->cached_tail;
            since = 0;
        }
        uint64_t now = hr_clock_now() + 1, waited = since ? now - since : 0;
        if (!since)
            since = now;
        else if (waited > STALL_LIMIT_NS) {
            hr_stop("the trace writer made no progress for 30 s", 0);
            return -1;
        }
        hr_writer_wake();
        /* Draining here while the writer thread works would only take turns with it. */
        int may_drain = !hr_writer_thread_running() || waited > INLINE_AFTER_NS;
        if (!may_drain || !hr_writer_drain_now(0))
            pause_briefly(round);
    }
}

hr_stage_rec *hr_ring_reserve(hr_tls *t, uint32_t max)
{
    uint64_t size = ring_size();
    uint64_t off = t->head & (size - 1);
    uint64_t need = max + (off + max > size ? size - off : 0);
    if (HR_UNLIKELY(size - (t->head - t->cached_tail) < need) && wait_for_room(t, need) < 0)
        return NULL;
    if (off + max > size) {
        hr_stage_rec *pad = (hr_stage_rec *)(t->ring->data + off);
        pad->len = (uint32_t)(size - off);
        pad->type = HR_STAGE_PAD;
        t->head += size - off;
        __atomic_store_n(&t->ring->h->head, t->head, __ATOMIC_RELEASE);
        off = 0;
    }
    return (hr_stage_rec *)(t->ring->data + off);
}

/* The announcement needs no fence of its own: the increment releases it, and the writer reads
 * the counter with acquire before it reads the flags (release sequence of the counter). */
uint64_t hr_seq_take(hr_tls *t)
{
    __atomic_store_n(&t->ring->h->announce, 1, __ATOMIC_RELAXED);
    return __atomic_add_fetch(&hr_seq_counter, 1, __ATOMIC_ACQ_REL);
}

void hr_seq_release(hr_tls *t)
{
    __atomic_store_n(&t->ring->h->announce, 0, __ATOMIC_RELEASE);
}

void hr_ring_pending(hr_tls *t, int on)
{
    __atomic_store_n(&t->ring->h->pending, (uint32_t)on, __ATOMIC_RELAXED);
}

void hr_ring_publish(hr_tls *t, hr_stage_rec *rec)
{
    hr_ring_header *h = t->ring->h;
    t->head += rec->len;
    __atomic_store_n(&h->head, t->head, __ATOMIC_RELEASE);
    __atomic_store_n(&h->last_seq, rec->seq, __ATOMIC_RELEASE);
    __atomic_store_n(&h->announce, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&h->pending, 0, __ATOMIC_RELAXED);
    uint64_t eighth = ring_size() / 8;
    if (HR_UNLIKELY(t->head - t->cached_tail > eighth)) {
        t->cached_tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
        if (t->head - t->cached_tail > eighth)
            hr_writer_wake();
    }
}

static void typed_in(hr_tls *t, unsigned type, const uint64_t a[4], const void *s1, uint32_t n1, const void *s2,
                     uint32_t n2);

void hr_ring_typed(hr_tls *t, unsigned type, const uint64_t a[4], const void *s1, uint32_t n1, const void *s2,
                   uint32_t n2)
{
    if (HR_UNLIKELY(t->shared))
        hr_shared_lock(t);
    typed_in(t, type, a, s1, n1, s2, n2);
    if (HR_UNLIKELY(t->shared))
        hr_shared_unlock(t);
}

static void typed_in(hr_tls *t, unsigned type, const uint64_t a[4], const void *s1, uint32_t n1, const void *s2,
                     uint32_t n2)
{
    uint32_t len = hr_stage_rec_size(0, n1, n2);
    if (len > ring_size() / 4)
        return; /* absurdly long strings: never worth blocking the program */
    hr_stage_rec *r = hr_ring_reserve(t, len);
    if (!r)
        return;
    memset(r, 0, HR_STAGE_REC_FIXED);
    r->len = len;
    r->type = (uint8_t)type;
    if (a)
        memcpy(r->a, a, 4 * sizeof(uint64_t));
    r->s1 = n1;
    r->s2 = n2;
    char *p = (char *)(r + 1);
    if (n1)
        memcpy(p, s1, n1);
    if (n2)
        memcpy(p + n1, s2, n2);
    r->seq = hr_seq_take(t);
    r->time = hr_clock_now();
    hr_ring_publish(t, r);
}
