/* SPDX-License-Identifier: MIT */
/* A double free glibc does not notice: two threads free the same block, each into its own tcache
 * (glibc only searches the freeing thread's cache). Each thread then takes the block back out of
 * its cache so that nothing is left for thread exit to trip over, and the program ends normally. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *block;
static pthread_barrier_t freed_once, freed_twice;

__attribute__((noinline)) static void *make_block(void)
{
    return malloc(72);
}

__attribute__((noinline)) static void release_block(void *p)
{
    free(p);
}

static void *first(void *arg)
{
    (void)arg;
    release_block(block);
    pthread_barrier_wait(&freed_once);
    pthread_barrier_wait(&freed_twice);
    return malloc(72); /* block again, out of this thread's cache */
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&freed_once);
    release_block(block);
    void *again = malloc(72);
    pthread_barrier_wait(&freed_twice);
    return again;
}

int main(void)
{
    pthread_t a, b;
    pthread_barrier_init(&freed_once, NULL, 2);
    pthread_barrier_init(&freed_twice, NULL, 2);
    block = make_block();
    pthread_create(&a, NULL, first, NULL);
    pthread_create(&b, NULL, second, NULL);
    void *ra, *rb;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    printf("%s\n", ra == rb ? "same block handed out twice" : "different blocks");
    return 0;
}
