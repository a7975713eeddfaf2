/* SPDX-License-Identifier: MIT */
/* A known size distribution, no stdio: 5 blocks of 1 byte, 7 of 3, 9 of 100, 4 of 5000 and 2 of
 * 4096 (an exact bin bound); 3 callocs of 10 x 10; one block of 16 grown by realloc to 600. All
 * freed except the 4 of 5000 and one of 100. */
#include <stdlib.h>

static void *keep[64];

int main(void)
{
    int n = 0;
    static const struct {
        size_t size;
        int count;
    } plan[] = {{1, 5}, {3, 7}, {100, 9}, {5000, 4}, {4096, 2}};
    for (size_t i = 0; i < sizeof plan / sizeof *plan; i++)
        for (int k = 0; k < plan[i].count; k++)
            keep[n++] = malloc(plan[i].size);
    for (int k = 0; k < 3; k++)
        keep[n++] = calloc(10, 10);
    void *r = malloc(16);
    r = realloc(r, 600);
    free(r);
    for (int i = 0; i < n; i++) /* keeps the 5000s (indexes 21-24) and one 100 (index 12) */
        if (!(i >= 21 && i <= 24) && i != 12)
            free(keep[i]);
    return 0;
}
