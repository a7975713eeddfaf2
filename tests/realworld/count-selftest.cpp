// SPDX-License-Identifier: MIT
// hrcount-selftest: known calls for the counting preload's own test (counter-test.py), which
// holds the corpus's measure to account before the corpus uses it. Prints nothing: the calls
// of a mode, less those of "baseline" (the same start-up, exit and thread), are exactly these.
//   baseline   start-up, one thread that does nothing, exit
//   work       the baseline plus, per kind: malloc 8 (5 on the thread), calloc 2, realloc 3,
//              reallocarray 2, free 17 (one of NULL), memalign, posix_memalign, aligned_alloc,
//              valloc, pvalloc 1 each; new, new[], delete, delete[] 6 each (every variant)
//   fork-exec  the baseline plus a forked child that calls malloc 2 and free 2, then execs
//              "baseline": the child's second image is a baseline of its own
//   abort      the baseline plus malloc 3, then abort()
//   kill       the baseline plus malloc 3, then SIGKILL to itself
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

// Hides a pointer's value from the compiler: no call pair elided, no realloc(NULL) made a malloc.
static void *escape(void *p)
{
    asm volatile("" : "+r"(p) : : "memory");
    return p;
}

static void *thread_work(void *arg)
{
    if (arg)
        for (int i = 0; i < 5; i++)
            free(escape(malloc(32 + i)));
    return nullptr;
}

static void with_thread(bool work)
{
    pthread_t t;
    if (pthread_create(&t, nullptr, thread_work, work ? &t : nullptr) == 0)
        pthread_join(t, nullptr);
}

static void c_functions()
{
    for (int i = 0; i < 3; i++)
        free(escape(malloc(16 << i)));
    for (int i = 0; i < 2; i++)
        free(escape(calloc(4, 8 << i)));
    void *r = escape(realloc(escape(nullptr), 10));
    r = escape(realloc(r, 100));
    escape(realloc(r, 0)); // frees it: a realloc, not a free
    void *ra = escape(reallocarray(escape(nullptr), 4, 8));
    free(escape(reallocarray(ra, 8, 8)));
    void *pm = nullptr;
    free(escape(memalign(64, 100)));
    if (posix_memalign(&pm, 64, 100) == 0)
        free(escape(pm));
    free(escape(aligned_alloc(64, 128)));
    free(escape(valloc(100)));
    free(escape(pvalloc(100)));
    free(escape(nullptr));
}

static void cxx_operators()
{
    const std::align_val_t al{64};
    void *n[6] = {
        ::operator new(24),      ::operator new(24, std::nothrow),
        ::operator new(128, al), ::operator new(128, al, std::nothrow),
        ::operator new(24),      ::operator new(128, al),
    };
    void *a[6] = {
        ::operator new[](40),      ::operator new[](40, std::nothrow),
        ::operator new[](256, al), ::operator new[](256, al, std::nothrow),
        ::operator new[](40),      ::operator new[](256, al),
    };
    for (void *p : n)
        escape(p);
    for (void *p : a)
        escape(p);
    ::operator delete(n[0]);
    ::operator delete(n[1], std::nothrow);
    ::operator delete(n[2], al);
    ::operator delete(n[3], al, std::nothrow);
    ::operator delete(n[4], 24);
    ::operator delete(n[5], 128, al);
    ::operator delete[](a[0]);
    ::operator delete[](a[1], std::nothrow);
    ::operator delete[](a[2], al);
    ::operator delete[](a[3], al, std::nothrow);
    ::operator delete[](a[4], 40);
    ::operator delete[](a[5], 256, al);
}

static int fork_exec(const char *self)
{
    pid_t pid = fork();
    if (pid == 0) {
        void *p = escape(malloc(10)), *q = escape(malloc(20));
        free(p);
        free(q);
        execl(self, self, "baseline", static_cast<char *>(nullptr));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "baseline";
    bool work = std::strcmp(mode, "work") == 0;
    with_thread(work);
    if (work) {
        c_functions();
        cxx_operators();
    } else if (std::strcmp(mode, "fork-exec") == 0) {
        return fork_exec(argv[0]);
    } else if (std::strcmp(mode, "abort") == 0 || std::strcmp(mode, "kill") == 0) {
        for (int i = 0; i < 3; i++)
            escape(malloc(64));
        if (mode[0] == 'a')
            abort();
        kill(getpid(), SIGKILL);
    } else if (std::strcmp(mode, "baseline") != 0) {
        return 2;
    }
    return 0;
}
