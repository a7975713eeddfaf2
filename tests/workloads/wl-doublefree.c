/* SPDX-License-Identifier: MIT */
/* Workload: a double free that glibc detects and aborts on (SIGABRT). */
#include <stdlib.h>

static void *volatile p;

int main(void)
{
    p = malloc(32);
    free(p);
    free(p);
    return 0;
}
