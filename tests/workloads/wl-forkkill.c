/* SPDX-License-Identifier: MIT */
/* Workload: a parent forks a child that makes n (argv[1]) allocations of 48 bytes and tells the
 * parent, which then kills it with SIGKILL and exits normally. The child's trace must come back
 * whole (heaprr record recovers it). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink;

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    int p[2];
    if (pipe(p) < 0)
        return 2;
    pid_t pid = fork();
    if (pid < 0)
        return 3;
    if (pid == 0) {
        for (long i = 0; i < n; i++)
            sink = malloc(48);
        if (write(p[1], "r", 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    char c;
    if (read(p[0], &c, 1) != 1)
        return 5;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 6;
}
