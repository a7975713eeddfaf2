/* SPDX-License-Identifier: MIT */
/* Process events around the allocator: fork (a FORK record in the parent; the child starts its
 * own trace from the atfork handler, or here for _Fork, which runs none), dlopen and dlclose
 * (module records), and thread names. exec and posix_spawn are in hooks-exec.c. */
#define _GNU_SOURCE
#include "hook-call.h"

#include <dlfcn.h>
#include <unistd.h>

/* Makes sure hr_libc is resolved (a hook may run before the first allocation). */
static void libc_ready(void)
{
    if (HR_UNLIKELY(!__atomic_load_n(&hr_real_ready, __ATOMIC_ACQUIRE)))
        hr_real_init();
}

/* Runs f(t) with recording state held, if recording. */
static void with_thread(void (*f)(hr_tls *, const void *), const void *arg)
{
    if (!hr_hook_enter())
        return;
    int saved = errno;
    hr_tls *t = hr_thread_get();
    if (t)
        f(t, arg);
    hr_hook_leave(saved);
}

static void stage_fork(hr_tls *t, const void *arg)
{
    uint64_t a[4] = {(uint64_t)(uintptr_t)arg, 0, 0, 0};
    hr_ring_typed(t, HR_REC_FORK, a, NULL, 0, NULL, 0);
}

HR_EXPORT pid_t fork(void)
{
    libc_ready();
    if (!hr_libc.fork) {
        errno = ENOSYS;
        return -1;
    }
    pid_t pid = hr_libc.fork();
    if (pid > 0)
        with_thread(stage_fork, (const void *)(uintptr_t)pid);
    return pid;
}

/* _Fork runs no atfork handlers: the child re-initializes here. It may be called where only
 * async-signal-safe functions are allowed afterwards, so the child gets no writer thread
 * (pthread_create allocates) until the program itself starts a thread. */
HR_EXPORT pid_t _Fork(void)
{
    libc_ready();
    if (!hr_libc.fork_nohandlers) {
        errno = ENOSYS;
        return -1;
    }
    pid_t pid = hr_libc.fork_nohandlers();
    if (pid == 0)
        hr_after_fork_child();
    else if (pid > 0)
        with_thread(stage_fork, (const void *)(uintptr_t)pid);
    return pid;
}

static void stage_scan(hr_tls *t, const void *arg)
{
    (void)arg;
    hr_modules_scan(t);
}

HR_EXPORT void *dlopen(const char *file, int mode)
{
    libc_ready();
    void *h = hr_libc.dlopen ? hr_libc.dlopen(file, mode) : NULL;
    if (h)
        with_thread(stage_scan, NULL);
    return h;
}

HR_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
    libc_ready();
    void *h = hr_libc.dlmopen ? hr_libc.dlmopen(lmid, file, mode) : NULL;
    if (h)
        with_thread(stage_scan, NULL);
    return h;
}

HR_EXPORT int dlclose(void *handle)
{
    libc_ready();
    int rc = hr_libc.dlclose ? hr_libc.dlclose(handle) : -1;
    hr_unwind_invalidate(); /* cached unwind recipes may describe unloaded code */
    with_thread(stage_scan, NULL);
    return rc;
}

HR_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    libc_ready();
    if (!hr_libc.pthread_setname_np)
        return ENOSYS;
    int rc = hr_libc.pthread_setname_np(th, name);
    if (rc == 0 && hr_hook_enter()) {
        int saved = errno;
        hr_thread_named(th, name);
        hr_hook_leave(saved);
    }
    return rc;
}
