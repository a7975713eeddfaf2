/* SPDX-License-Identifier: MIT */
/* What a pointer handed back to free, delete or realloc is. In guard mode its zones are checked
 * and the real allocator's pointer found (guard.c). In check mode (MALLOC_ACTION set, as librcheck)
 * the recorder also keeps every block the program allocated (blocks.c) and finds, at the call, a
 * double free, a free of a pointer it never handed out or of one inside a block, and a block
 * released by the wrong family (free of new, delete of new[], ...): a call that would damage the
 * real heap does not reach it. The call is recorded as usual (so the replay reports the same, with
 * its stacks); then one line names the error and the call site, on stderr or in MALLOC_ERRFILE,
 * and MALLOC_ACTION says what happens: 0 the program goes on, 1 abort(), 2 the trace is completed
 * and the process exits with status 1, 3 a core dump (SIGABRT with the core size limit raised to
 * what is allowed), 4 SIGSTOP for a debugger (the program goes on when continued). */
#define _GNU_SOURCE
#include "recorder.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const char *const error_names[] = {
    "none",          "double-free",     "invalid-free", "interior-free",  "realloc-freed",
    "mismatched-free", "overrun",       "underrun",     "use-after-free", "access-overrun",
    "access-freed",
};

static const char *const action_names[] = {"ignored", "abort", "exit", "core dump", "stop"};

/* Set when a block could not be remembered (no memory): a pointer the table does not know may
 * then be a good one, and is no longer called invalid. */
static int table_incomplete;

void hr_check_alloc(void *p, size_t size, unsigned kind)
{
    if (!hr_cfg.track || !p)
        return;
    hr_blk b = {.ptr = (uintptr_t)p, .size = size, .kind = (uint8_t)kind};
    if (hr_blocks_put(&b) < 0)
        __atomic_store_n(&table_incomplete, 1, __ATOMIC_RELAXED);
}

static int is_new(unsigned kind)
{
    return kind == HR_NEW || kind == HR_NEW_ARRAY;
}

/* Whether a block allocated by alloc_kind may be released by the call kind (as the replay judges). */
static int kinds_match(unsigned alloc_kind, unsigned kind)
{
    if (kind == HR_DELETE)
        return alloc_kind == HR_NEW;
    if (kind == HR_DELETE_ARRAY)
        return alloc_kind == HR_NEW_ARRAY;
    return !is_new(alloc_kind);
}

void *hr_check_release(void *p, unsigned kind, hr_blk *taken, int *error)
{
    int check = hr_cfg.action >= 0;
    *error = HR_CK_NONE;
    taken->ptr = 0;
    if (!p || (!hr_cfg.guard && !hr_cfg.track))
        return p;
    /* Taken now, before the real allocator frees the block (whose address another thread may then
     * get). Check mode leaves a tombstone, so that a second free of the pointer never reaches it;
     * guard mode alone keeps no tombstones (they would cost as much again as the zones). */
    hr_blk b;
    int known = hr_blocks_take((uintptr_t)p, &b, check ? HR_BLK_BURY : HR_BLK_ERASE) == 0;
    if (known && !b.freed) {
        *taken = b;
        if (b.guarded)
            *error = hr_guard_zones(&b);
        if (check && !*error && !kinds_match(b.kind, kind))
            *error = HR_CK_MISMATCHED_FREE;
        return (uint8_t *)p - b.front;
    }
    if (known) { /* a tombstone: freed already, kept from the allocator */
        *error = hr_kind_is_realloc(kind) ? HR_CK_REALLOC_FREED : HR_CK_DOUBLE_FREE;
        return NULL;
    }
    if (!check || __atomic_load_n(&table_incomplete, __ATOMIC_RELAXED))
        return p; /* a block it does not know goes to the allocator as it is */
    *error = hr_blocks_containing((uintptr_t)p, &b) == 0 ? HR_CK_INTERIOR_FREE : HR_CK_INVALID_FREE;
    return NULL;
}

/* Writes the line to MALLOC_ERRFILE (appended) or stderr, by system calls: the C library's open,
 * write and close are cancellation points, which a free must not be. */
static void say(const char *line, size_t len)
{
    long fd = 2;
    if (hr_cfg.errfile)
        fd = syscall(SYS_openat, AT_FDCWD, hr_cfg.errfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        fd = 2;
    syscall(SYS_write, (int)fd, line, len);
    if (fd != 2)
        syscall(SYS_close, (int)fd);
}

/* The message: the error, the call and its argument, where it was called from, the action. */
static void describe(int error, const char *name, const void *p, const void *caller)
{
    char where[600], line[1400], mod[512];
    uint64_t off;
    if (hr_modules_where((uintptr_t)caller, mod, sizeof mod, &off) == 0)
        hr_fmt(where, sizeof where, "%s+0x%llx", mod, (unsigned long long)off);
    else
        hr_fmt(where, sizeof where, "%p", caller);
    size_t n = hr_fmt(line, sizeof line,
                      "heaprr: %s: %s(%p) called from %s; MALLOC_ACTION=%d: %s ('heaprr replay %s' shows the "
                      "stacks)\n",
                      error_names[error], name ? name : "?", p, where, hr_cfg.action, action_names[hr_cfg.action],
                      hr_sess.trace_path);
    say(line, n);
}

/* A core dump, as far as the hard limit allows: SIGABRT with its default action. */
static void dump_core(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_CORE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_CORE, &rl);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGABRT);
    _exit(134); /* not reached */
}

/* Action 2: the trace completed, as at exit, by the first thread to get here; then the process
 * exits with status 1. A trace another thread is completing (the process exiting meanwhile) is
 * waited for. */
static void exit_now(void)
{
    static int exiting;
    hr_self.busy = 0;
    if (__atomic_exchange_n(&exiting, 1, __ATOMIC_ACQ_REL))
        for (;;)
            syscall(SYS_pause); /* the first one's _exit ends this thread too */
    hr_finalize_now();
    pthread_mutex_lock(&hr_writer_lock); /* held while a trace is being completed */
    _exit(1);
}

void hr_check_act(int error, unsigned kind, const void *p, const void *caller)
{
    if (error && hr_cfg.action >= 0)
        hr_check_act_call(error, hr_kind_name(kind), p, caller);
}

void hr_check_act_call(int error, const char *call, const void *p, const void *caller)
{
    if (!error || hr_cfg.action < 0)
        return;
    describe(error, call, p, caller);
    if (hr_cfg.action == 0)
        return;
    if (hr_cfg.action == 2)
        exit_now();
    hr_writer_sync(); /* the error and everything before it are in the trace file */
    hr_self.busy = 0; /* a signal handler of the program's runs as the program */
    if (hr_cfg.action == 1)
        abort();
    if (hr_cfg.action == 3)
        dump_core();
    raise(SIGSTOP); /* 4: a debugger may attach; the program goes on when continued */
    hr_self.busy = 1;
}
