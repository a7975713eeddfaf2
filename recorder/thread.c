/* SPDX-License-Identifier: MIT */
/* Per-thread recording state: a thread gets a staging ring on its first event (a fresh one or one
 * a finished thread left empty), a thread index, and a THREAD_START record; a pthread key
 * destructor retires the ring when the thread exits. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

HR_TLS hr_tls hr_self;

static pthread_key_t exit_key;
static int exit_key_ok;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_index;
static pthread_t owners[HR_STAGE_MAX_RINGS];

static void thread_exit(void *unused)
{
    (void)unused;
    hr_tls *t = &hr_self;
    if (!t->ring || t->retired || t->gen != hr_gen || __atomic_load_n(&hr_state, __ATOMIC_RELAXED) != HR_RECORDING)
        return;
    t->busy++;
    uint64_t a[4] = {t->thread_index, 0, 0, 0};
    hr_ring_typed(t, HR_REC_THREAD_END, a, NULL, 0, NULL, 0);
    /* The thread may still call free() while glibc tears it down: it keeps its ring and index,
     * and the writer recycles the ring once the thread is gone. */
    __atomic_store_n(&t->ring->h->state, HR_RING_RETIRED, __ATOMIC_RELEASE);
    t->retired = 1;
    t->busy--;
}

void hr_thread_init(void)
{
    exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

void hr_thread_reset(void)
{
    pthread_mutex_init(&reg_lock, NULL);
    next_index = 0;
    memset(owners, 0, sizeof owners);
    hr_self.ring = NULL;
    hr_self.retired = 0;
}

static int take_free_ring(void)
{
    for (uint32_t i = 0; i < hr_stg->mapped; i++) {
        uint32_t expect = HR_RING_FREE;
        if (__atomic_compare_exchange_n(&hr_stg->rings[i].h->state, &expect, HR_RING_ACTIVE, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return (int)i;
    }
    return hr_stage_add_ring(hr_stg);
}

static int register_thread(hr_tls *t)
{
    pthread_mutex_lock(&reg_lock);
    int i = take_free_ring();
    uint32_t index = ++next_index;
    if (i >= 0) {
        hr_ring_header *h = hr_stg->rings[i].h;
        h->tid = (uint32_t)gettid();
        h->thread_index = index;
        owners[i] = pthread_self();
    }
    pthread_mutex_unlock(&reg_lock);
    if (i < 0) {
        hr_stop("cannot add a staging ring", i == HR_ERR_LIMIT ? 0 : -1);
        return 0;
    }
    t->ring = &hr_stg->rings[i];
    t->ring_no = (uint32_t)i;
    t->thread_index = index;
    t->gen = hr_gen;
    t->retired = 0;
    t->unwound = 0;
    t->head = t->ring->h->head;
    t->cached_tail = __atomic_load_n(&t->ring->h->tail, __ATOMIC_ACQUIRE);
    if (!t->unw)
        t->unw = hr_unwind_thread_new();
    if (exit_key_ok)
        pthread_setspecific(exit_key, (void *)1);
    char name[17] = {0};
    prctl(PR_GET_NAME, name, 0, 0, 0);
    uint64_t a[4] = {index, (uint64_t)gettid(), 0, 0};
    hr_ring_typed(t, HR_REC_THREAD_START, a, name, (uint32_t)strlen(name), NULL, 0);
    return 1;
}

hr_tls *hr_thread_get(void)
{
    hr_tls *t = &hr_self;
    if (HR_LIKELY(t->ring && t->gen == hr_gen))
        return t;
    if (t->gen != hr_gen)
        t->ring = NULL;
    return register_thread(t) ? t : NULL;
}

void hr_thread_named(pthread_t th, const char *name)
{
    hr_tls *t = hr_thread_get();
    if (!t)
        return;
    uint32_t index = 0;
    pthread_mutex_lock(&reg_lock);
    for (uint32_t i = 0; i < hr_stg->mapped && !index; i++)
        if (owners[i] == th && hr_stg->rings[i].h->state == HR_RING_ACTIVE)
            index = hr_stg->rings[i].h->thread_index;
    pthread_mutex_unlock(&reg_lock);
    if (!index)
        return; /* a thread that never allocated: it has no index to rename */
    uint64_t a[4] = {index, 0, 0, 0};
    hr_ring_typed(t, HR_REC_THREAD_NAME, a, name, (uint32_t)strnlen(name, 64), NULL, 0);
}

static int thread_gone(uint32_t tid)
{
    return syscall(SYS_tgkill, getpid(), (pid_t)tid, 0) < 0 && errno == ESRCH;
}

void hr_thread_recycle(void)
{
    for (uint32_t i = 0; i < hr_stg->mapped; i++) {
        hr_ring_header *h = hr_stg->rings[i].h;
        if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) != HR_RING_RETIRED)
            continue;
        if (__atomic_load_n(&h->tail, __ATOMIC_ACQUIRE) == __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) &&
            !h->pending && thread_gone(h->tid))
            __atomic_store_n(&h->state, HR_RING_FREE, __ATOMIC_RELEASE);
    }
}
