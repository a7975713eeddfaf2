/* SPDX-License-Identifier: MIT */
/* Workload: the process shapes heaprr record must see through, one per mode (argv[1]):
 *   fork-exec PROG ARGS  fork; the child exec's PROG; exits with its status
 *   clearenv PROG ARGS   the same, the child exec'ing with an empty environment
 *   background PIDFILE   leaves a grandchild (stdio on /dev/null, its pid in PIDFILE) sleeping
 *                        until killed (60 s at most), and exits 0 at once
 *   sleep PIDFILE        writes its pid to PIDFILE and waits for a signal (default actions)
 *   count PIDFILE        counts SIGINTs: from the first, 300 ms more, then exits with the count
 *   hidedir DIR N        renames DIR away, forks N children that allocate and exit, waits for
 *                        them, renames DIR back: their traces cannot be created
 *   hideexec DIR PROG    forks a child, renames DIR away, lets the child exec PROG, waits for it,
 *                        renames DIR back: the child has its trace, PROG cannot create one */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;
static volatile sig_atomic_t got;

static void touch_heap(void)
{
    sink = malloc(321);
    free(sink);
    sink = malloc(123);
}

/* Written to PIDFILE.tmp and renamed, so that a reader never sees half of it. */
static void write_pid(const char *file)
{
    char tmp[4096], text[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int n = snprintf(text, sizeof text, "%d\n", (int)getpid());
    if (fd < 0 || write(fd, text, (size_t)n) != n || close(fd) < 0 || rename(tmp, file) < 0)
        _exit(90);
}

static int child_status(pid_t pid)
{
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return 91;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int fork_exec(char **argv, int clear)
{
    char *empty[] = {NULL};
    pid_t pid = fork();
    if (pid == 0) {
        touch_heap();
        if (clear)
            execve(argv[0], argv, empty);
        else
            execv(argv[0], argv);
        _exit(127);
    }
    return child_status(pid);
}

static int background(const char *pidfile)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() != 0)
            exit(0); /* exit, not _exit: this child's trace is complete */
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        touch_heap();
        write_pid(pidfile);
        sleep(60); /* a test that failed does not leave it behind for long */
        _exit(0);
    }
    int rc = child_status(pid);
    while (access(pidfile, F_OK) < 0)
        usleep(1000);
    touch_heap();
    return rc;
}

static int sleeper(const char *pidfile)
{
    touch_heap();
    write_pid(pidfile);
    for (;;)
        pause();
}

static void on_int(int sig)
{
    (void)sig;
    got++;
}

static int counter(const char *pidfile)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, NULL);
    touch_heap();
    write_pid(pidfile);
    printf("ready\n");
    fflush(stdout);
    while (!got)
        pause();
    struct timespec rest = {0, 300 * 1000 * 1000};
    while (nanosleep(&rest, &rest) < 0)
        ;
    return got;
}

static int hidedir(const char *dir, int n)
{
    char away[4096];
    snprintf(away, sizeof away, "%s.away", dir);
    if (rename(dir, away) < 0)
        return 92;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            touch_heap();
            _exit(0);
        }
        rc |= child_status(pid);
    }
    if (rename(away, dir) < 0)
        return 93;
    return rc;
}

static int hideexec(const char *dir, char **argv)
{
    char away[4096], c;
    int go[2], ready[2];
    snprintf(away, sizeof away, "%s.away", dir);
    if (pipe(go) < 0 || pipe(ready) < 0)
        return 94;
    pid_t pid = fork();
    if (pid == 0) {
        touch_heap(); /* its trace exists from here on */
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(95);
        execv(argv[0], argv);
        _exit(127);
    }
    if (read(ready[0], &c, 1) != 1)
        return 96;
    int renamed = rename(dir, away) == 0;
    if (write(go[1], "g", 1) != 1)
        return 96;
    int rc = child_status(pid);
    if (!renamed || rename(away, dir) < 0)
        return 97;
    return rc;
}

int main(int argc, char **argv)
{
    touch_heap();
    if (argc >= 3 && strcmp(argv[1], "fork-exec") == 0)
        return fork_exec(argv + 2, 0);
    if (argc >= 3 && strcmp(argv[1], "clearenv") == 0)
        return fork_exec(argv + 2, 1);
    if (argc == 3 && strcmp(argv[1], "background") == 0)
        return background(argv[2]);
    if (argc == 3 && strcmp(argv[1], "sleep") == 0)
        return sleeper(argv[2]);
    if (argc == 3 && strcmp(argv[1], "count") == 0)
        return counter(argv[2]);
    if (argc == 4 && strcmp(argv[1], "hidedir") == 0)
        return hidedir(argv[2], atoi(argv[3]));
    if (argc >= 4 && strcmp(argv[1], "hideexec") == 0)
        return hideexec(argv[2], argv + 3);
    fprintf(stderr,
            "usage: wl-procs fork-exec|clearenv PROG ARGS | background|sleep|count PIDFILE | hidedir DIR N | "
            "hideexec DIR PROG ARGS\n");
    return 2;
}
