/* SPDX-License-Identifier: MIT */
/* Workload: fork and exec. The parent allocates A (48 bytes) and B (4848 bytes) and forks; the
 * child frees A (inherited from the parent), allocates C (4949 bytes) and, given an argument,
 * exec's it; the parent waits, frees B and exits with the child's status. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile keep, *volatile a, *volatile b; /* volatile: no malloc/free elision */

int main(int argc, char **argv)
{
    a = malloc(48);
    b = malloc(4848);
    pid_t pid = fork();
    if (pid < 0)
        return 3;
    if (pid == 0) {
        free(a);
        keep = malloc(4949);
        if (argc > 1) {
            execv(argv[1], argv + 1);
            perror("execv");
            _exit(4);
        }
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    free(b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}
