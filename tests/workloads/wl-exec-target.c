/* SPDX-License-Identifier: MIT */
/* Workload: the program wl-fork exec's: 7 allocations of 777 bytes, all freed. */
#include <stdlib.h>

int main(void)
{
    void *p[7];
    for (int i = 0; i < 7; i++)
        p[i] = malloc(777);
    for (int i = 0; i < 7; i++)
        free(p[i]);
    return 0;
}
