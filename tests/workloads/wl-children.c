/* SPDX-License-Identifier: MIT */
/* Workload: N children forked one after another, each making CALLS mallocs of sizes 3001..3000+CALLS
 * and exiting; the last one, with "kill", is killed by SIGKILL after its mallocs, so that its
 * trace must be recovered from its staging file (possibly a spare another child left). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLS 5

static void child(int die)
{
    void *volatile keep[CALLS];
    for (int i = 0; i < CALLS; i++) {
        keep[i] = malloc(3001 + (size_t)i);
        if (keep[i])
            memset(keep[i], 1, 8);
    }
    if (die)
        raise(SIGKILL);
    for (int i = 0; i < CALLS; i++)
        free(keep[i]);
    exit(0);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10, kill_last = argc > 2 && strcmp(argv[2], "kill") == 0;
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            child(kill_last && i == n - 1);
        int st;
        if (p < 0 || waitpid(p, &st, 0) < 0)
            return 1;
    }
    printf("wl-children: done\n");
    return 0;
}
