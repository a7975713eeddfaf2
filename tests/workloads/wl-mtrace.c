/* SPDX-License-Identifier: MIT */
/* Calls glibc's mtrace() and muntrace() around known calls: with MALLOC_TRACE set (and, since
 * glibc 2.34, LD_PRELOAD=libc_malloc_debug.so.0) glibc writes them as mtrace text; under heaprr
 * they are recorded as usual. mallocs of 100, 7, 10 and 24, a calloc of 3 x 8, reallocs 100 -> 300,
 * NULL -> 50 (which the compiler turns into a malloc) and p -> 0 (a free), 3 frees; leaks: 300
 * and 7 bytes. */
#include <mcheck.h>
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) static void work(void)
{
    /* every pointer goes through the volatile sink, or the compiler drops the pairs */
    void *a = malloc(100), *b = calloc(3, 8);
    sink = b;
    a = realloc(a, 300);
    free(sink);
    sink = malloc(7);
    void *d = realloc(NULL, 50);
    sink = d;
    free(sink);
    void *e = malloc(10);
    sink = e;
    sink = realloc(sink, 0);
    void *f = malloc(24);
    sink = f;
    free(sink);
    sink = a;
}

int main(void)
{
    mtrace();
    work();
    muntrace();
    return 0;
}
