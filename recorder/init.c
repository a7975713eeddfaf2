/* SPDX-License-Identifier: MIT */
/* Life cycle: initialization on the first intercepted call or in our constructor, whichever comes
 * first (some libraries allocate before our constructor runs); the final drain and trailer from an
 * atexit handler registered during initialization, which therefore runs after every destructor of
 * the program and its libraries; re-initialization in forked children; and stopping cleanly when
 * something fails. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

int hr_state;
uint32_t hr_gen = 1;
hr_stage *hr_stg;
hr_writer *hr_wr;

static int stop_said;

void hr_stop(const char *why, int err)
{
    if (err < 0)
        err = errno;
    __atomic_store_n(&hr_state, HR_STOPPED, __ATOMIC_RELEASE);
    if (__atomic_exchange_n(&stop_said, 1, __ATOMIC_ACQ_REL))
        return;
    if (err > 0)
        hr_log("%s: %s; recording stopped, the program goes on (the trace so far stays readable)", why,
               strerrordesc_np(err));
    else
        hr_log("%s; recording stopped, the program goes on (the trace so far stays readable)", why);
}

/* Registered with a null DSO handle: run by exit() after _dl_fini (registered later, by
 * __libc_start_main), hence after every destructor of the program and its libraries. */
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static void finalize(void *unused);

void hr_finalize_now(void)
{
    finalize(NULL);
}

static void finalize(void *unused)
{
    (void)unused;
    if (hr_sess.pid != getpid() || __atomic_load_n(&hr_state, __ATOMIC_ACQUIRE) != HR_RECORDING)
        return;
    hr_self.busy++;
    hr_self.finishing = 1;
    hr_modules_scan(hr_thread_get());
    hr_quarantine_check_all();
    __atomic_store_n(&hr_state, HR_FINISHED, __ATOMIC_RELEASE);
    int alone = hr_thread_close() && !hr_writer_thread_running();
    hr_writer_finish_all();
    if (__atomic_load_n(&hr_stg->hdr->clean, __ATOMIC_ACQUIRE))
        hr_session_end_stage(alone);
    hr_unwind_report();
    hr_selfstats_report();
    hr_self.busy--;
}

/* The process is exiting and its trace is complete: a call another thread makes now would reach
 * the allocator without being in the trace, so that thread waits here for the exit to end it. The
 * exiting thread itself goes on (only the C library's last cleanup runs after us). */
void hr_park_if_finished(void)
{
    static uint32_t never;
    if (__atomic_load_n(&hr_state, __ATOMIC_ACQUIRE) != HR_FINISHED || hr_self.busy || hr_self.finishing ||
        hr_sess.pid != getpid())
        return;
    for (;;)
        syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* The checker's locks are held across fork (hr_blocks_fork_prepare marks this thread as holding
 * them after the quarantine's is taken, and lets go of that one last). */
static void fork_prepare(void)
{
    hr_quarantine_fork_prepare();
    hr_blocks_fork_prepare();
}

static void fork_parent(void)
{
    hr_blocks_fork_done();
    hr_quarantine_fork_done();
}

static void fork_child(void)
{
    hr_blocks_fork_done();
    hr_quarantine_fork_done();
    hr_after_fork_child();
}

static int start(void)
{
    if (hr_env_read() < 0)
        return HR_UNINIT; /* too early: environ not set up yet */
    if (!hr_cfg.trace || getauxval(AT_SECURE))
        return HR_INERT;
    hr_clock_start();
    hr_unwind_init();
    hr_modules_init();
    if (hr_session_open(HR_ORIGIN_ROOT, "", 0) < 0)
        return HR_INERT;
    hr_session_export_env();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    __cxa_atexit(finalize, NULL, NULL);
    return HR_RECORDING;
}

int hr_init_check(void)
{
    int expect = HR_UNINIT;
    if (__atomic_compare_exchange_n(&hr_state, &expect, HR_INITIALIZING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        int saved = errno;
        hr_self.busy++;
        hr_real_init();
        int s = hr_real_ready ? start() : HR_UNINIT;
        __atomic_store_n(&hr_state, s, __ATOMIC_RELEASE);
        if (s == HR_RECORDING)
            hr_modules_scan(hr_thread_get());
        hr_self.busy--;
        errno = saved;
    }
    return hr_should_record();
}

int hr_init_state(void)
{
    if (__atomic_load_n(&hr_state, __ATOMIC_ACQUIRE) == HR_UNINIT && !hr_self.busy)
        hr_init_check();
    return __atomic_load_n(&hr_state, __ATOMIC_ACQUIRE);
}

__attribute__((constructor(101))) static void heaprr_constructor(void)
{
    hr_init_state();
}

void hr_after_fork_child(void)
{
    if (__atomic_load_n(&hr_state, __ATOMIC_ACQUIRE) != HR_RECORDING) {
        /* Not recording any more, but the parent's staging file is open: its lock (one per open
         * file) would make it look in use for as long as this child lives. */
        if (hr_stg && hr_stg->fd >= 0) {
            hr_mem_fork_begin(); /* its consumers are in the writer's pool, not mapped here */
            hr_stage_close(hr_stg);
            hr_mem_fork_end();
        }
        return;
    }
    char parent_trace[sizeof hr_sess.trace_path];
    int saved = errno;
    hr_self.busy++;
    memcpy(parent_trace, hr_sess.trace_path, sizeof parent_trace);
    uint64_t fork_seq = __atomic_load_n(&hr_seq_counter, __ATOMIC_RELAXED);
    hr_gen++;
    if (hr_cfg.stats)
        memset(&hr_stats, 0, sizeof hr_stats); /* the child reports its own costs */
    hr_writer_reset();
    hr_thread_reset();
    /* The parent's staging rings are shared with it: let go of them, they are not ours. */
    hr_mem_fork_begin();
    hr_stage_close(hr_stg);
    hr_wr = NULL; /* the parent's writer is not mapped here (arena.c, the writer's pool) */
    hr_mem_fork_end();
    close(hr_sess.trace_fd);
    if (hr_session_open(HR_ORIGIN_FORK, parent_trace, fork_seq) < 0) {
        __atomic_store_n(&hr_state, HR_STOPPED, __ATOMIC_RELEASE);
    } else {
        hr_session_export_env();
        hr_modules_restage(hr_thread_get());
    }
    hr_self.busy--;
    errno = saved;
}
