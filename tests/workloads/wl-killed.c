/* SPDX-License-Identifier: MIT */
/* Workload: n (argv[1]) allocations of 48 bytes, then "ready" on stdout and a wait for a signal:
 * a test kills it with SIGKILL and checks that every call made before "ready" is recovered. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++)
        if (!malloc(48))
            return 1;
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
