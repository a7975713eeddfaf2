/* SPDX-License-Identifier: MIT */
/* The overflow ring: when the staging file holds as many rings as it may (HEAPRR_MAX_RINGS),
 * the threads beyond that share its last ring. A thread stages into it under a lock of our own,
 * copying the ring's producer state in and out, so the hot path's code serves it unchanged; its
 * records never share frames with the one before (another thread may have written it). The trace
 * attributes those calls to one thread, "heaprr-overflow": totals stay exact. The lock is held
 * from before a call's record is reserved until it is published, across the real allocator call
 * (which never comes back into the recorder on another thread), and may be taken again by the
 * thread that holds it (a GUARD record inside a call). */
#define _GNU_SOURCE
#include "recorder.h"

#include <sched.h>
#include <string.h>

#define NONE UINT32_MAX

static uint32_t shared_no = NONE;
static uint32_t shared_index;
static hr_tls *owner;
static unsigned depth;
static uint64_t head, cached_tail; /* the ring's producer state between holders */

uint32_t hr_shared_ring_no(void)
{
    return __atomic_load_n(&shared_no, __ATOMIC_ACQUIRE);
}

void hr_shared_reset(void)
{
    shared_no = NONE;
    owner = NULL;
    depth = 0;
}

void hr_shared_lock(hr_tls *t)
{
    if (__atomic_load_n(&owner, __ATOMIC_RELAXED) == t) {
        depth++;
        return;
    }
    hr_tls *none = NULL;
    for (unsigned spins = 0; !__atomic_compare_exchange_n(&owner, &none, t, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
         none = NULL)
        if (++spins % 64 == 0)
            sched_yield();
        else
            __builtin_ia32_pause();
    depth = 1;
    t->head = head;
    t->cached_tail = cached_tail;
    t->unwound = 0;
}

void hr_shared_unlock(hr_tls *t)
{
    if (--depth)
        return;
    head = t->head;
    cached_tail = t->cached_tail;
    __atomic_store_n(&owner, NULL, __ATOMIC_RELEASE);
}

/* Creates the ring (the caller holds the registration lock) and stages the THREAD_START of its
 * thread before any other thread can use it: every record of the ring names that thread. Returns
 * its number or -1. */
static int create(uint32_t index)
{
    static const char name[] = "heaprr-overflow";
    int i = hr_stage_add_ring(hr_stg);
    if (i < 0)
        return -1;
    hr_ring_header *h = hr_stg->rings[i].h;
    h->tid = 0;
    h->thread_index = index;
    hr_tls first = {.ring = &hr_stg->rings[i],
                    .ring_no = (uint32_t)i,
                    .thread_index = index,
                    .gen = hr_gen,
                    .head = h->head,
                    .cached_tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE)};
    uint64_t a[4] = {index, 0, 0, 0};
    hr_ring_typed(&first, HR_REC_THREAD_START, a, name, (uint32_t)strlen(name), NULL, 0);
    head = first.head;
    cached_tail = first.cached_tail;
    shared_index = index;
    __atomic_store_n(&shared_no, (uint32_t)i, __ATOMIC_RELEASE);
    return i;
}

int hr_shared_ring(uint32_t index, int *created)
{
    *created = 0;
    if (shared_no != NONE)
        return (int)shared_no;
    *created = 1;
    return create(index);
}

int hr_shared_join(hr_tls *t, int ring, int created)
{
    hr_thread_attach(t, ring, shared_index); /* its head and tail are copied in under the lock */
    t->shared = 1;
    if (created)
        hr_log(
            "more than %u threads alive at once: the calls of the threads beyond that are staged "
            "together and attributed to one thread, heaprr-overflow (HEAPRR_MAX_RINGS raises the limit)",
            hr_cfg.max_rings - 1);
    return 1;
}
