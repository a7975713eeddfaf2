/* SPDX-License-Identifier: MIT */
/* pthread_create: every thread the program starts runs our start routine around its own, whose
 * cleanup (which also runs on pthread_exit and cancellation) tells the recorder when the thread's
 * code is done, without a pthread key (whose storage glibc may allocate and free behind our
 * back). A call to pthread_create is also a safe moment to start the writer thread
 * (hr_writer_start_safe). Built with -fexceptions so that the cleanup runs during the forced
 * unwinding of pthread_exit. */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>

/* The unwinder's entry points, weak: the C library's unwinder (libgcc_s) is loaded by every program
 * that can throw through these frames (C++, or a thread that pthread_exit() or cancellation ends),
 * and a program that loads it later, by dlopen, only loses this frame's cleanup. Not depending on
 * it spares every other process loading it and running its CPU-feature probes. */
__asm__(".weak _Unwind_Resume\n\t.weak __gcc_personality_v0");

typedef void *(*start_fn)(void *);

typedef struct start_arg {
    start_fn fn;
    void *arg;
} start_arg;

/* Once per process, on the first thread we start: its stack from pthread_getattr_np teaches the
 * stack module where glibc keeps every thread's (stack.c). Here, before the thread's own code,
 * no lock of the thread can be held; what pthread_getattr_np allocates comes from the bootstrap
 * buffer, so the program's heap and trace never see the recorder's question. */
static void learn_stacks(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    int saved = errno;
    hr_self.busy++;
    hr_self.boot = 1;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0)
            hr_stack_learn((uint64_t)(uintptr_t)addr, (uint64_t)(uintptr_t)addr + size);
        pthread_attr_destroy(&attr);
    }
    hr_self.boot = 0;
    hr_self.busy--;
    errno = saved;
}

static void thread_done(int *unused)
{
    (void)unused;
    hr_thread_exit();
}

static void *thread_start(void *p)
{
    start_arg a = *(start_arg *)p;
    hr_mem_free(p);
    if (HR_UNLIKELY(!hr_stack_learnt()))
        learn_stacks();
    int done __attribute__((cleanup(thread_done))) = 1;
    (void)done;
    return a.fn(a.arg);
}

HR_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, start_fn fn, void *arg)
{
    if (!hr_real_ready)
        hr_real_init();
    if (!hr_libc.pthread_create)
        return EAGAIN;
    if (hr_self.busy || hr_init_state() != HR_RECORDING)
        return hr_libc.pthread_create(th, attr, fn, arg);
    hr_writer_start_safe();
    start_arg *a = hr_mem_alloc(sizeof *a);
    if (!a)
        return hr_libc.pthread_create(th, attr, fn, arg);
    *a = (start_arg){fn, arg};
    int rc = hr_libc.pthread_create(th, attr, thread_start, a);
    if (rc != 0)
        hr_mem_free(a);
    return rc;
}

/* A thread that ends with pthread_exit: said here, before the unwinding that would run the
 * cleanup above only where the C library's unwinder was loaded with the program. */
HR_EXPORT void pthread_exit(void *ret)
{
    if (!hr_real_ready)
        hr_real_init();
    hr_thread_exit();
    hr_libc.pthread_exit(ret);
}
