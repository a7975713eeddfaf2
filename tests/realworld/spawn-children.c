/* SPDX-License-Identifier: MIT */
/* rw-spawn: the corpus's own program for the two ways of starting a child that share the
 * parent's memory until exec: posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK) and
 * vfork+execve. It starts itself as the child, a few rounds of each, allocating between them,
 * and prints what each child reported and how it exited: the same output every run.
 *   rw-spawn [ROUNDS]          parent (default 4 rounds)
 *   rw-spawn child HOW N       child: allocates, prints one line, exits with N % 4 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Some heap traffic of every kind a small C program makes; returns a checksum of it. */
static unsigned churn(unsigned seed, unsigned n)
{
    unsigned sum = 0;
    char **v = calloc(n, sizeof *v);
    if (!v)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        size_t len = 8 + (seed * 31u + i * 17u) % 200;
        v[i] = malloc(len);
        if (!v[i])
            continue;
        memset(v[i], (int)('a' + i % 26), len - 1);
        v[i][len - 1] = 0;
    }
    for (unsigned i = 0; i < n; i += 3) {
        char *p = v[i] ? realloc(v[i], strlen(v[i]) * 2 + 1) : NULL;
        if (p)
            v[i] = p;
    }
    for (unsigned i = 0; i < n; i++) {
        char *d = v[i] ? strdup(v[i]) : NULL;
        sum += d ? (unsigned)strlen(d) : 0;
        free(d);
        free(v[i]);
    }
    free(v);
    return sum;
}

static int child(const char *how, int n)
{
    unsigned sum = churn((unsigned)n, 50 + (unsigned)n);
    printf("child %d (%s): checksum %u\n", n, how, sum);
    fflush(stdout);
    return n % 4;
}

static void report(const char *how, int n, pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        printf("round %d: %s: waitpid failed: %s\n", n, how, strerror(errno));
        return;
    }
    if (WIFEXITED(status))
        printf("round %d: %s child exited with %d\n", n, how, WEXITSTATUS(status));
    else
        printf("round %d: %s child ended by signal %d\n", n, how, WTERMSIG(status));
    fflush(stdout);
}

static void by_spawn(const char *self, int n)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    char *argv[] = {(char *)self, "child", "posix_spawn", num, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self, NULL, NULL, argv, environ);
    if (rc != 0) {
        printf("round %d: posix_spawn failed: %s\n", n, strerror(rc));
        return;
    }
    report("posix_spawn", n, pid);
}

static void by_vfork(const char *self, int n)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    char *argv[] = {(char *)self, "child", "vfork", num, NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve(self, argv, environ);
        _exit(127);
    }
    if (pid < 0) {
        printf("round %d: vfork failed: %s\n", n, strerror(errno));
        return;
    }
    report("vfork", n, pid);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child(argv[2], atoi(argv[3]));
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    char *self = realpath("/proc/self/exe", NULL);
    if (!self) {
        perror("rw-spawn: /proc/self/exe");
        return 1;
    }
    fflush(stdout);
    for (int n = 1; n <= rounds; n++) {
        printf("round %d: parent checksum %u\n", n, churn((unsigned)n, 100));
        fflush(stdout);
        by_spawn(self, 2 * n - 1);
        by_vfork(self, 2 * n);
    }
    free(self);
    return 0;
}
