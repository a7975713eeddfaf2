/* SPDX-License-Identifier: MIT */
/* The writer: drains the staging rings into the trace, on its own thread (with every signal
 * blocked so the program's signals never land on it), or inline on a program thread that finds
 * its ring full when the thread is not available. The thread starts only when a process shows it
 * needs one (a ring an eighth full: most processes are short, and a second thread makes every
 * fork, munmap and malloc of theirs dearer), and only at a moment when no lock of glibc's that
 * pthread_create takes can be held by the caller: right after an allocation (glibc frees, but
 * never allocates, under its stack-cache lock), or in the program's own pthread_create; never
 * from free or realloc (pthread_getattr_np reallocs under the thread's lock). One mutex
 * serialises drains; it is never taken on the hot path except to make room. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Error-checking: a signal handler that calls exit() while its thread is draining must not
 * wait for itself (the trace is then left for recovery). */
pthread_mutex_t hr_writer_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;

static uint32_t wake_word;
static int thread_state; /* 0 not started, 1 running, 2 cannot start */

#define QUIESCE_WAIT_NS (100ull * 1000000ull)

/* The writer drains again at once while drains find AGAIN_RECORDS records, so batches stay large
 * and the cost of a drain is spread over many records. While they find BUSY_RECORDS it polls
 * every POLL_NS, which spares busy producers the system call that wakes a sleeper; below that it
 * sleeps until a producer finds its ring an eighth full (ring.c) or 200 ms pass. A thread that
 * polls while the program is quiet costs the program dearly: every copy-on-write fault after a
 * fork, every munmap, must then interrupt the writer's CPU too. */
#define AGAIN_RECORDS 256
#define BUSY_RECORDS 32
#define POLL_NS 200000

/* Every record with a sequence number below the returned horizon is published (see ring.c). */
static uint64_t horizon(void)
{
    uint64_t h = __atomic_load_n(&hr_seq_counter, __ATOMIC_ACQUIRE) + 1;
    uint32_t n = __atomic_load_n(&hr_stg->mapped, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        hr_ring_header *rh = hr_stg->rings[i].h;
        if (__atomic_load_n(&rh->announce, __ATOMIC_ACQUIRE)) {
            uint64_t last = __atomic_load_n(&rh->last_seq, __ATOMIC_ACQUIRE) + 1;
            if (last < h)
                h = last;
        }
    }
    return h;
}

/* A sealed chunk is compressed a slice at a time between drains, so that the rings are drained
 * at least every slice (a few hundred microseconds) and never wait for a whole chunk. */
#define PUMP_BYTES (128u << 10)

static int compressing; /* a sealed chunk is still being compressed */

/* Drains, then compresses a slice of the sealed chunk. Returns the number of records drained. */
static int64_t drain_locked(uint64_t limit)
{
    if (!hr_wr || __atomic_load_n(&hr_state, __ATOMIC_RELAXED) == HR_STOPPED)
        return 0;
    int64_t n = hr_stage_drain(hr_stg, hr_wr, limit ? limit : horizon());
    int rc = n < 0 ? (int)n : hr_writer_pump(hr_wr, PUMP_BYTES);
    if (rc < 0)
        hr_stop("cannot write the trace", hr_writer_errno(hr_wr));
    compressing = rc > 0;
    hr_thread_recycle();
    return n;
}

int hr_writer_drain_now(int full)
{
    if (pthread_mutex_trylock(&hr_writer_lock) != 0)
        return 0;
    drain_locked(full ? UINT64_MAX : 0);
    pthread_mutex_unlock(&hr_writer_lock);
    return 1;
}

static void futex_wait(uint32_t *word, long timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000};
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
}

static void poll_pause(void)
{
    struct timespec ts = {0, POLL_NS};
    nanosleep(&ts, NULL);
}

static void count_drain(int64_t n)
{
    hr_stats.drains++;
    hr_stats.records += n > 0 ? (uint64_t)n : 0;
    hr_stats.writer_cpu_ns = hr_selfstats_now(CLOCK_THREAD_CPUTIME_ID);
}

/* The writer's stack is ours (mmap), not glibc's: a stack glibc allocated would go to its stack
 * cache when the thread ends and, in a forked child, be handed to a program thread together with
 * memory glibc allocated for our thread. */
#define WRITER_STACK (1u << 20)

static void *writer_main(void *stack)
{
    hr_self.busy = 1; /* this thread's own allocations are never recorded */
    hr_stack_learn((uint64_t)(uintptr_t)stack, (uint64_t)(uintptr_t)stack + WRITER_STACK);
    prctl(PR_SET_NAME, "heaprr-writer", 0, 0, 0);
    while (__atomic_load_n(&hr_state, __ATOMIC_RELAXED) == HR_RECORDING) {
        pthread_mutex_lock(&hr_writer_lock);
        int64_t n = drain_locked(0);
        pthread_mutex_unlock(&hr_writer_lock);
        if (HR_UNLIKELY(hr_cfg.stats))
            count_drain(n);
        if (n >= AGAIN_RECORDS || compressing)
            continue; /* more is surely waiting, or more to compress */
        if (n >= BUSY_RECORDS) {
            poll_pause();
            continue;
        }
        __atomic_store_n(&wake_word, 0, __ATOMIC_RELAXED);
        futex_wait(&wake_word, 200);
        __atomic_store_n(&wake_word, 1, __ATOMIC_RELAXED);
    }
    /* Recording is over. The thread never returns: a thread's end runs glibc's teardown, whose
     * calls (free(NULL) and more) would reach the allocator as if the program had made them. The
     * process's exit ends it. */
    static uint32_t never; /* stays 0: the wait never returns early */
    for (;;)
        futex_wait(&never, 60000);
    return stack;
}

static int start_thread(void)
{
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t th;
    void *stack = mmap(NULL, WRITER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstack(&attr, stack, WRITER_STACK);
    int rc = hr_libc.pthread_create ? hr_libc.pthread_create(&th, &attr, writer_main, stack) : -1;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        munmap(stack, WRITER_STACK);
    return rc == 0 ? 0 : -1;
}

void hr_writer_start_safe(void)
{
    int expect = 0;
    if (hr_cfg.no_thread || __atomic_load_n(&hr_state, __ATOMIC_ACQUIRE) != HR_RECORDING ||
        !__atomic_compare_exchange_n(&thread_state, &expect, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return;
    /* pthread_create allocates the new thread's TLS table through our hooks. It is ours, lives
     * as long as the process and is freed by no one else: it comes from the bootstrap buffer, so
     * the program's heap and its trace never see it. */
    hr_self.busy++;
    hr_self.boot = 1;
    if (start_thread() < 0)
        __atomic_store_n(&thread_state, 2, __ATOMIC_RELEASE); /* drain inline from now on */
    hr_self.boot = 0;
    hr_self.busy--;
}

void hr_writer_start_now(void)
{
    __atomic_store_n(&hr_writer_start_wanted, 0, __ATOMIC_RELAXED);
    if (hr_sess.pid == getpid()) /* never in a vfork child: it shares our memory */
        hr_writer_start_safe();
}

int hr_writer_thread_running(void)
{
    return __atomic_load_n(&thread_state, __ATOMIC_ACQUIRE) == 1;
}

int hr_writer_start_wanted;

void hr_writer_wake(void)
{
    if (HR_UNLIKELY(__atomic_load_n(&thread_state, __ATOMIC_RELAXED) == 0)) {
        __atomic_store_n(&hr_writer_start_wanted, 1, __ATOMIC_RELAXED);
        return;
    }
    if (__atomic_load_n(&wake_word, __ATOMIC_RELAXED))
        return;
    if (__atomic_exchange_n(&wake_word, 1, __ATOMIC_RELEASE) == 0)
        syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits (briefly) until no thread is between taking a sequence number and publishing. */
static void quiesce(void)
{
    uint64_t until = hr_clock_now() + QUIESCE_WAIT_NS;
    for (;;) {
        int busy = 0;
        for (uint32_t i = 0; i < hr_stg->mapped && !busy; i++)
            busy = __atomic_load_n(&hr_stg->rings[i].h->announce, __ATOMIC_ACQUIRE) != 0 &&
                   &hr_stg->rings[i] != hr_self.ring;
        if (!busy || hr_clock_now() > until)
            return;
        sched_yield();
    }
}

/* MALLOC_DUMP_LEAKS=1: the leaks in one line, once the trace is complete (only an exiting process
 * finishes it: an exec keeps its blocks). */
static void dump_leaks(void)
{
    uint64_t bytes, blocks, stacks;
    if (!hr_cfg.dump_leaks || !hr_self.finishing)
        return;
    if (hr_writer_leaks(hr_wr, &bytes, &blocks, &stacks) < 0)
        hr_log("leaks: no summary (the trace has no index); 'heaprr leaks %s' lists them", hr_sess.trace_path);
    else if (!blocks)
        hr_log("leaks: none (every block was freed) in %s", hr_sess.trace_path);
    else
        hr_log("leaks: %llu bytes in %llu blocks from %llu allocation stacks; 'heaprr leaks %s' lists them",
               (unsigned long long)bytes, (unsigned long long)blocks, (unsigned long long)stacks,
               hr_sess.trace_path);
}

int hr_writer_finish_hold(void)
{
    quiesce();
    if (pthread_mutex_lock(&hr_writer_lock) != 0) {
        hr_log(
            "the process ended in a signal handler while this thread wrote its trace; "
            "'heaprr recover' completes it");
        return -1;
    }
    if (__atomic_load_n(&hr_state, __ATOMIC_RELAXED) != HR_STOPPED)
        drain_locked(UINT64_MAX);
    if (__atomic_load_n(&hr_state, __ATOMIC_RELAXED) != HR_STOPPED) {
        if (hr_writer_finish(hr_wr) < 0) {
            hr_stop("cannot write the trace", hr_writer_errno(hr_wr));
        } else {
            __atomic_store_n(&hr_stg->hdr->clean, 1, __ATOMIC_RELEASE);
            dump_leaks();
        }
    }
    return 0;
}

void hr_writer_release(void)
{
    pthread_mutex_unlock(&hr_writer_lock);
}

void hr_writer_finish_all(void)
{
    if (hr_writer_finish_hold() == 0)
        hr_writer_release();
}

void hr_writer_reset(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&hr_writer_lock, &a);
    pthread_mutexattr_destroy(&a);
    wake_word = 0;
    thread_state = 0;
    compressing = 0;
}

void hr_writer_sync(void)
{
    pthread_mutex_lock(&hr_writer_lock);
    pthread_mutex_unlock(&hr_writer_lock);
    while (!hr_writer_drain_now(0))
        ;
    if (hr_wr)
        hr_writer_flush(hr_wr);
}
