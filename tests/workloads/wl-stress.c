/* SPDX-License-Identifier: MIT */
/* Workload: THREADS threads named "worker-N", each making exactly OPS mallocs of random sizes and
 * OPS frees, a share of them of blocks another thread allocated (handed over through a shared
 * mailbox), so addresses freed on one thread are reused on others. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define SLOTS 256
#define MAILBOX 64

static long ops = 50000;
static void *_Atomic mailbox[MAILBOX];

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Frees one block: our own, or one from the mailbox (another thread's), which we replace. */
static void release(void **slot, uint64_t *rng)
{
    void *mine = *slot;
    *slot = NULL;
    unsigned m = (unsigned)(next(rng) % MAILBOX);
    if (next(rng) % 4 == 0)
        mine = atomic_exchange_explicit(&mailbox[m], mine, memory_order_acq_rel);
    free(mine);
}

static void *worker(void *arg)
{
    void *slots[SLOTS] = {0};
    uint64_t rng = 0x9E3779B97F4A7C15ull * (uint64_t)((intptr_t)arg + 1);
    char name[16];
    snprintf(name, sizeof name, "worker-%d", (int)(intptr_t)arg);
    pthread_setname_np(pthread_self(), name);
    for (long i = 0; i < ops; i++) {
        unsigned s = (unsigned)(next(&rng) % SLOTS);
        if (slots[s])
            release(&slots[s], &rng);
        slots[s] = malloc(1 + next(&rng) % 2000);
    }
    for (unsigned s = 0; s < SLOTS; s++)
        if (slots[s])
            release(&slots[s], &rng);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[THREADS];
    if (argc > 1)
        ops = atol(argv[1]);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int m = 0; m < MAILBOX; m++)
        free(mailbox[m]); /* main's frees: the blocks left in the mailbox, NULL included */
    return 0;
}
