/* SPDX-License-Identifier: MIT */
/* Example: a cross-thread double free. A request is handed to a worker thread, which frees it
 * when done; the main thread, on a "timeout" path, frees it again while the worker still runs.
 * glibc may or may not catch this: its tcache check searches only the freeing thread's own
 * cache, so with glibc 2.36 the second free goes unnoticed, the block sits in both threads'
 * caches, and the next 64-byte malloc on each thread returns the same address (the program says
 * so). Had glibc caught it, it would abort (exit status 134).
 * Expected (heaprr stats, glibc 2.36): 2 threads; 3 mallocs of 64 bytes, the first freed twice
 * (once on each thread: the second free shows as an "unknown free"), the last two returning the
 * same address; glibc's calloc(19, 16) for the new thread (304 bytes, left live) and two
 * free(NULL) as the worker exits: 9 calls in all. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct request {
    char name[48];
    int id;
    int done;
    char pad[8];
};

static pthread_barrier_t step;
/* volatile: hides the double free from the compiler's -Wuse-after-free, not from glibc. */
static struct request *volatile pending;
static void *volatile reused_by_worker;

static void *worker(void *arg)
{
    struct request *r = arg;
    r->done = 1;
    free(r); /* the worker owns the request: it frees it */
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step); /* main has freed it too */
    reused_by_worker = malloc(sizeof(struct request));
    return NULL;
}

int main(void)
{
    struct request *r = malloc(sizeof *r);
    if (!r)
        return 1;
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "request %d", 42);
    r->id = 42;
    pending = r;

    pthread_barrier_init(&step, NULL, 2);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, r))
        return 1;
    pthread_barrier_wait(&step); /* the worker has freed the request */
    free(pending);               /* the bug: main still thinks it owns the request */
    pthread_barrier_wait(&step);
    void *mine = malloc(sizeof(struct request));
    pthread_join(t, NULL);
    pthread_barrier_destroy(&step);

    if (mine == reused_by_worker) {
        fprintf(stderr, "doublefree: both threads were handed the same block %p\n", mine);
        free(mine);
    } else {
        free(mine);
        free(reused_by_worker);
    }
    return 0;
}
