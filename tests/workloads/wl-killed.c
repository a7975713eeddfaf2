/* SPDX-License-Identifier: MIT */
/* Workload: n (argv[1]) allocations of 48 bytes, the i-th from a call depth of i % 5 extra frames
 * (so that recovered backtraces can be checked), then "ready" on stdout and a wait for a signal:
 * a test kills it with SIGKILL and checks that every call made before "ready" is recovered. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static int nest(int extra)
{
    if (extra > 0) {
        int rc = nest(extra - 1);
        __asm__ volatile("" ::: "memory"); /* not a tail call: each level keeps its frame */
        return rc;
    }
    sink = malloc(48);
    return sink != NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++)
        if (!nest((int)(i % 5)))
            return 1;
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
