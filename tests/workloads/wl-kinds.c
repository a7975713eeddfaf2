/* SPDX-License-Identifier: MIT */
/* Workload: every C allocation entry point, a known number of times, from THREADS worker threads
 * named "worker-N". The main thread only starts and joins them, so a test can count the workers'
 * events exactly. Per worker and round: malloc 3 (one fails), calloc 1, realloc 1 (grows a
 * block), reallocarray 1, memalign 1, posix_memalign 2 (one fails), aligned_alloc 1, valloc 1,
 * pvalloc 1, free 10 (one of NULL). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define ROUNDS 250

static volatile size_t huge = SIZE_MAX / 2;
static void *volatile null_ptr; /* free(NULL) that the compiler cannot drop */

static void round_of_calls(void)
{
    void *p[9];
    p[0] = malloc(24);
    p[1] = calloc(3, 40);
    p[2] = realloc(malloc(16), 4000);
    p[3] = reallocarray(NULL, 5, 16);
    p[4] = memalign(64, 200);
    if (posix_memalign(&p[5], 128, 300) != 0)
        p[5] = NULL;
    p[6] = aligned_alloc(256, 512);
    p[7] = valloc(1000);
    p[8] = pvalloc(5000);
    for (int i = 0; i < 9; i++)
        free(p[i]);
    free(null_ptr);
    void *bad = malloc(huge);
    void *bad2 = NULL;
    if (posix_memalign(&bad2, 64, huge) == 0)
        free(bad2);
    if (bad)
        abort(); /* cannot happen: the failing call is part of the workload */
}

static void *worker(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker-%d", (int)(intptr_t)arg);
    pthread_setname_np(pthread_self(), name);
    for (int r = 0; r < ROUNDS; r++)
        round_of_calls();
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    return 0;
}
