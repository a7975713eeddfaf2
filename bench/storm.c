/* SPDX-License-Identifier: MIT */
/* Benchmark workload (a)/(c): a storm of malloc/free calls of random sizes, each made at a call
 * depth of 12 to 16 frames, from THREADS threads (argv[2], default 1); argv[1] calls in total
 * (default 4 000 000, half malloc, half free). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 4096

typedef struct worker {
    uint64_t rng;
    long calls;
    void *slots[SLOTS];
} worker;

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One call at the leaf: free the slot's block if any, else allocate one. */
__attribute__((noinline)) static void leaf(worker *w)
{
    unsigned s = (unsigned)(next(&w->rng) % SLOTS);
    if (w->slots[s]) {
        free(w->slots[s]);
        w->slots[s] = NULL;
    } else {
        w->slots[s] = malloc(8 + next(&w->rng) % 1024);
    }
}

/* Recursion whose frames the unwinder must walk; the volatile keeps every frame real. */
__attribute__((noinline)) static void descend(worker *w, int depth)
{
    volatile int keep = depth;
    if (depth <= 1)
        leaf(w);
    else
        descend(w, depth - 1);
    (void)keep;
}

static void *run(void *arg)
{
    worker *w = arg;
    for (long i = 0; i < w->calls; i++)
        descend(w, 12 + (int)(next(&w->rng) % 5) - 3); /* + main, run, leaf, start frames */
    for (unsigned s = 0; s < SLOTS; s++)
        free(w->slots[s]);
    return NULL;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 4000000;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (threads < 1 || threads > 64 || calls < 1) {
        fprintf(stderr, "usage: storm [CALLS] [THREADS]\n");
        return 2;
    }
    pthread_t th[64];
    worker *w = calloc((size_t)threads, sizeof *w);
    for (int i = 0; i < threads; i++) {
        w[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        w[i].calls = calls / threads;
        pthread_create(&th[i], NULL, run, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    free(w);
    return 0;
}
