/* SPDX-License-Identifier: MIT */
/* Workload: a program linked statically (built twice, -static and -static-pie), which an
 * LD_PRELOAD recorder cannot enter: it allocates, prints "static: N blocks" and exits with the
 * status given as argv[1] (default 0), so a test can check that the status passes through. */
#include <stdio.h>
#include <stdlib.h>

static void *volatile sink;

int main(int argc, char **argv)
{
    int n = 0;
    for (; n < 16; n++) {
        sink = malloc(100 + (size_t)n);
        free(sink);
    }
    printf("static: %d blocks\n", n);
    return argc > 1 ? atoi(argv[1]) : 0;
}
