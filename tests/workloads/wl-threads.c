/* SPDX-License-Identifier: MIT */
/* Workload: the thread patterns that once hung the recorder or lost calls.
 *   churn WAVES PER   WAVES waves of PER threads, created and joined, each making CALLS mallocs
 *                     of sizes 4001..4000+CALLS and freeing them
 *   alive N           N threads alive at once (held at a barrier), each as above
 *   getattr N         N threads whose very first call is pthread_getattr_np (glibc reallocs
 *                     inside it while holding the thread's lock, as every JVM thread does)
 *   exit N            N threads that end with pthread_exit after their calls
 * An alarm ends it after 60 s, so that a hang fails fast. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CALLS 10

static pthread_barrier_t barrier;
static int use_barrier;

static void allocate(void)
{
    void *volatile blocks[CALLS];
    for (int i = 0; i < CALLS; i++) {
        blocks[i] = malloc(4001 + (size_t)i);
        if (blocks[i])
            memset(blocks[i], i, 8);
    }
    for (int i = 0; i < CALLS; i++)
        free(blocks[i]);
}

static void *worker(void *arg)
{
    (void)arg;
    if (use_barrier)
        pthread_barrier_wait(&barrier);
    allocate();
    return NULL;
}

static void *exit_worker(void *arg)
{
    worker(arg);
    pthread_exit(NULL);
}

static void *attr_worker(void *arg)
{
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0)
        pthread_attr_destroy(&attr);
    return worker(arg);
}

static int run(void *(*fn)(void *), int n)
{
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (!th)
        return 1;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, fn, NULL) != 0) {
            fprintf(stderr, "wl-threads: cannot create thread %d\n", i);
            return 1;
        }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    free(th);
    return 0;
}

int main(int argc, char **argv)
{
    alarm(60);
    if (argc < 3) {
        fprintf(stderr, "usage: wl-threads churn WAVES PER | alive N | getattr N | exit N\n");
        return 2;
    }
    int n = atoi(argv[2]), rc = 0;
    if (strcmp(argv[1], "churn") == 0 && argc > 3) {
        for (int w = 0; w < n && rc == 0; w++)
            rc = run(worker, atoi(argv[3]));
    } else if (strcmp(argv[1], "alive") == 0) {
        use_barrier = 1;
        pthread_barrier_init(&barrier, NULL, (unsigned)n);
        rc = run(worker, n);
    } else if (strcmp(argv[1], "getattr") == 0) {
        rc = run(attr_worker, n);
    } else if (strcmp(argv[1], "exit") == 0) {
        rc = run(exit_worker, n);
    } else {
        fprintf(stderr, "wl-threads: unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("wl-threads: done\n");
    return rc;
}
