/* SPDX-License-Identifier: MIT */
/* Per-thread recording state: a thread gets a staging ring on its first event (a fresh one or one
 * a finished thread left empty), a thread index, and a THREAD_START record. Its end is known from
 * our pthread_create's start routine (hooks-thread.c), not from a pthread key: a key's
 * pthread_setspecific may allocate memory that glibc later frees behind our back. Threads that
 * did not start through us are found gone by the writer. When the staging file holds no more
 * rings, the threads beyond it share one overflow ring under a lock (ring-shared.c). Registration
 * runs on the hook path, inside whatever lock the program or glibc holds: it may only use our own
 * lock, raw system calls and the recorder's memory. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

HR_TLS hr_tls hr_self;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_index;
static pthread_t owners[HR_STAGE_MAX_RINGS];
static int closed; /* hr_thread_close: registration is over */

/* After fork, before the parent's rings are let go: only the entries in use are cleared (a
 * forked child's every page written is a page copied). */
void hr_thread_reset(void)
{
    pthread_mutex_init(&reg_lock, NULL);
    next_index = 0;
    closed = 0;
    memset(owners, 0, hr_stg->mapped * sizeof *owners);
    hr_self.ring = NULL;
    hr_self.retired = 0;
    hr_self.shared = 0;
    hr_shared_reset();
}

static int take_free_ring(void)
{
    for (uint32_t i = 0; i < hr_stg->mapped; i++) {
        uint32_t expect = HR_RING_FREE;
        if (i != hr_shared_ring_no() && __atomic_compare_exchange_n(&hr_stg->rings[i].h->state, &expect, HR_RING_ACTIVE,
                                                                    0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return (int)i;
    }
    if (hr_stg->mapped + 1 >= hr_cfg.max_rings)
        return HR_ERR_LIMIT; /* the last ring is the overflow ring's */
    return hr_stage_add_ring(hr_stg);
}

static void stage_start(hr_tls *t)
{
    char name[17] = {0};
    prctl(PR_GET_NAME, name, 0, 0, 0);
    uint64_t a[4] = {t->thread_index, (uint64_t)syscall(SYS_gettid), 0, 0};
    hr_ring_typed(t, HR_REC_THREAD_START, a, name, (uint32_t)strlen(name), NULL, 0);
}

void hr_thread_attach(hr_tls *t, int i, uint32_t index)
{
    t->ring = &hr_stg->rings[i];
    t->ring_no = (uint32_t)i;
    t->thread_index = index;
    t->gen = hr_gen;
    t->retired = 0;
    t->unwound = 0;
    t->head = t->ring->h->head;
    t->cached_tail = __atomic_load_n(&t->ring->h->tail, __ATOMIC_ACQUIRE);
}

int hr_thread_close(void)
{
    pthread_mutex_lock(&reg_lock);
    closed = 1;
    int alone = hr_stg->mapped == 1 && hr_self.ring == &hr_stg->rings[0] && !hr_self.shared;
    pthread_mutex_unlock(&reg_lock);
    return alone;
}

static int register_thread(hr_tls *t)
{
    int created = 0;
    pthread_mutex_lock(&reg_lock);
    if (closed) { /* the process is exiting and its trace complete */
        pthread_mutex_unlock(&reg_lock);
        return 0;
    }
    int i = take_free_ring(), shared = i == HR_ERR_LIMIT;
    uint32_t index = shared ? 0 : ++next_index;
    if (shared) {
        index = next_index + 1;
        i = hr_shared_ring(index, &created);
        if (created)
            next_index++;
    } else if (i >= 0) {
        hr_ring_header *h = hr_stg->rings[i].h;
        h->tid = (uint32_t)syscall(SYS_gettid);
        h->thread_index = index;
        owners[i] = pthread_self();
    }
    pthread_mutex_unlock(&reg_lock);
    if (i < 0) {
        hr_stop("cannot add a staging ring", -1);
        return 0;
    }
    if (!t->unw)
        t->unw = hr_unwind_thread_new();
    if (shared)
        return hr_shared_join(t, i, created);
    hr_thread_attach(t, i, index);
    stage_start(t);
    return 1;
}

hr_tls *hr_thread_get(void)
{
    hr_tls *t = &hr_self;
    if (HR_LIKELY(t->ring && t->gen == hr_gen))
        return t;
    if (t->gen != hr_gen) {
        t->ring = NULL;
        t->shared = 0;
    }
    return register_thread(t) ? t : NULL;
}

void hr_thread_exit(void)
{
    hr_tls *t = &hr_self;
    if (!t->ring || t->retired || t->gen != hr_gen || __atomic_load_n(&hr_state, __ATOMIC_RELAXED) != HR_RECORDING)
        return;
    int saved = errno;
    t->busy++;
    uint64_t a[4] = {t->thread_index, 0, 0, 0};
    hr_ring_typed(t, HR_REC_THREAD_END, a, NULL, 0, NULL, 0);
    /* The thread may still call free() while glibc tears it down: it keeps its ring and index,
     * and the writer recycles the ring once the thread is gone. */
    if (!t->shared)
        __atomic_store_n(&t->ring->h->state, HR_RING_RETIRED, __ATOMIC_RELEASE);
    t->retired = 1;
    t->busy--;
    errno = saved;
}

void hr_thread_named(pthread_t th, const char *name)
{
    hr_tls *t = hr_thread_get();
    if (!t)
        return;
    uint32_t index = 0;
    pthread_mutex_lock(&reg_lock);
    for (uint32_t i = 0; i < hr_stg->mapped && !index; i++)
        if (owners[i] == th && hr_stg->rings[i].h->state == HR_RING_ACTIVE && i != hr_shared_ring_no())
            index = hr_stg->rings[i].h->thread_index;
    pthread_mutex_unlock(&reg_lock);
    if (!index)
        return; /* a thread that never allocated, or one on the overflow ring: no index to rename */
    uint64_t a[4] = {index, 0, 0, 0};
    hr_ring_typed(t, HR_REC_THREAD_NAME, a, name, (uint32_t)strnlen(name, 64), NULL, 0);
}

static int thread_gone(uint32_t tid)
{
    return tid && syscall(SYS_tgkill, getpid(), (pid_t)tid, 0) < 0 && errno == ESRCH;
}

static int drained(const hr_ring_header *h)
{
    return __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) == __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&h->pending, __ATOMIC_ACQUIRE);
}

/* Every this many calls, active rings are checked too: threads that did not start through our
 * pthread_create end without telling us. */
#define ACTIVE_CHECK_EVERY 64

void hr_thread_recycle(void)
{
    static unsigned calls;
    int check_active = ++calls % ACTIVE_CHECK_EVERY == 0;
    for (uint32_t i = 0; i < hr_stg->mapped; i++) {
        hr_ring_header *h = hr_stg->rings[i].h;
        uint32_t state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
        if (i == hr_shared_ring_no() || !(state == HR_RING_RETIRED || (check_active && state == HR_RING_ACTIVE)))
            continue;
        /* Gone first, then drained: a thread that is gone publishes nothing more, so only in
         * this order does "drained" stay true. */
        if (!thread_gone(__atomic_load_n(&h->tid, __ATOMIC_RELAXED)) || !drained(h))
            continue;
        /* A thread that takes the ring makes it active before it writes its tid: until then the
         * tid must not be a gone thread's, or the ring would be freed under it. */
        __atomic_store_n(&h->tid, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&h->state, HR_RING_FREE, __ATOMIC_RELEASE);
    }
}
