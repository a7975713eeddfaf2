/* SPDX-License-Identifier: MIT */
/* mallopt under the recorder: the QNX commands of heaprr.h, and the C library's own.
 *   plain      50 rounds of forty 2000-byte blocks allocated and freed (the model caches arenas)
 *   cache-off  the same after mallopt(MALLOC_ARENA_CACHE_MAXBLK, 0): the model caches nothing
 *   glibc      mallopt(M_MMAP_THRESHOLD, 65536), then the rounds
 *   checks     mallopt(MALLOC_CKBOUNDS, 1) and mallopt(MALLOC_VERIFY, 0) between the rounds, with
 *              ten blocks of 100 bytes allocated before and freed after (their slack must check)
 * Prints what each mallopt returned. Runs unchanged without the recorder (glibc answers 1 to the
 * commands it does not know, and ignores them). */
#include <heaprr/heaprr.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile keep;

static void rounds(void)
{
    void *blocks[40];
    for (int r = 0; r < 50; r++) {
        for (int i = 0; i < 40; i++)
            keep = blocks[i] = malloc(2000);
        for (int i = 0; i < 40; i++)
            free(blocks[i]);
    }
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "plain";
    if (!strcmp(m, "cache-off")) {
        printf("mallopt(MALLOC_ARENA_CACHE_MAXBLK, 0) = %d\n", mallopt(MALLOC_ARENA_CACHE_MAXBLK, 0));
    } else if (!strcmp(m, "glibc")) {
        printf("mallopt(M_MMAP_THRESHOLD, 65536) = %d\n", mallopt(M_MMAP_THRESHOLD, 65536));
    } else if (!strcmp(m, "checks")) {
        void *early[10];
        for (int i = 0; i < 10; i++)
            keep = early[i] = malloc(100);
        rounds();
        printf("mallopt(MALLOC_CKBOUNDS, 1) = %d\n", mallopt(MALLOC_CKBOUNDS, 1));
        printf("mallopt(MALLOC_VERIFY, 0) = %d\n", mallopt(MALLOC_VERIFY, 0));
        for (int i = 0; i < 10; i++)
            free(early[i]);
    }
    rounds();
    return 0;
}
