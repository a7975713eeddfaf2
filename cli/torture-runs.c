/* SPDX-License-Identifier: MIT */
/* heaprr torture: the runs (torture.h). Each is "heaprr record -q -o DIR/run-N.hrr" of the program,
 * with HEAPRR_FAIL set to its rule, in a process group of its own so that a run that hangs is
 * stopped with all its children: SIGTERM first (heaprr record passes it on and completes the
 * traces), SIGKILL when that is not enough. The program reads /dev/null as its input. */
#define _GNU_SOURCE
#include "torture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_GRACE 3.0  /* seconds between SIGTERM and SIGKILL to a hung run */
#define POLL_NS 5000000 /* 5 ms between looks at the runs under way */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct slot {
    pid_t pid; /* 0: free */
    size_t run;
    double started, term_at;
    int termed;
} slot;

static int open_to(const char *path, int fd)
{
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f < 0)
        return -1;
    int ok = dup2(f, fd) == fd;
    close(f);
    return ok ? 0 : -1;
}

/* In the child: its own process group, /dev/null in, the files out, then heaprr record. */
static void exec_run(const tt_runner *rr, const tt_run *run)
{
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || open_to(run->out, STDOUT_FILENO) < 0 ||
        open_to(run->err, STDERR_FILENO) < 0)
        _exit(127);
    if (run->rule)
        setenv("HEAPRR_FAIL", run->rule, 1);
    else
        unsetenv("HEAPRR_FAIL");
    size_t n = 0;
    while (rr->argv[n])
        n++;
    char **argv = calloc(n + 7, sizeof *argv);
    if (!argv)
        _exit(127);
    char *head[] = {(char *)rr->self, "record", "-q", "-o", (char *)run->trace, "--"};
    memcpy(argv, head, sizeof head);
    memcpy(argv + 6, rr->argv, n * sizeof *argv);
    execv(rr->self, argv);
    _exit(127);
}

static int start(const tt_runner *rr, tt_run *run, size_t id, slot *s, size_t i)
{
    snprintf(run->trace, sizeof run->trace, "%s/run-%zu.hrr", rr->dir, id);
    snprintf(run->out, sizeof run->out, "%s/run-%zu.out", rr->dir, id);
    snprintf(run->err, sizeof run->err, "%s/run-%zu.err", rr->dir, id);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        exec_run(rr, run);
    setpgid(pid, pid); /* also here: no race with a kill before the child ran */
    *s = (slot){pid, i, now(), 0, 0};
    return 0;
}

static void finish(tt_run *run, const slot *s, int status)
{
    run->seconds = now() - s->started;
    run->exited = WIFEXITED(status);
    run->status = run->exited ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* heaprr record exits 128 + N when a signal N killed the program */
    run->signal = run->exited && run->status > 128 && run->status < 128 + 65 ? run->status - 128 : 0;
    run->hung = s->termed;
}

/* A run past its time: SIGTERM to its group, then SIGKILL. */
static void watch(const tt_runner *rr, slot *s)
{
    double t = now();
    if (!s->termed && t - s->started > rr->timeout) {
        kill(-s->pid, SIGTERM);
        s->termed = 1;
        s->term_at = t;
    } else if (s->termed && t - s->term_at > KILL_GRACE) {
        kill(-s->pid, SIGKILL);
    }
}

static void stop_all(slot *slots, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (slots[i].pid)
            kill(-slots[i].pid, SIGKILL);
    for (unsigned i = 0; i < n; i++)
        if (slots[i].pid)
            waitpid(slots[i].pid, NULL, 0);
}

/* Reaps the runs that ended; returns how many. */
static unsigned reap(const tt_runner *rr, tt_run *runs, slot *slots, void (*done)(size_t, void *), void *arg)
{
    unsigned ended = 0;
    for (unsigned j = 0; j < rr->jobs; j++) {
        if (!slots[j].pid)
            continue;
        int status;
        pid_t w = waitpid(slots[j].pid, &status, WNOHANG);
        if (w == slots[j].pid) {
            finish(&runs[slots[j].run], &slots[j], status);
            slots[j].pid = 0;
            ended++;
            done(slots[j].run, arg);
        } else {
            watch(rr, &slots[j]);
        }
    }
    return ended;
}

int tt_run_all(const tt_runner *rr, tt_run *runs, size_t n, size_t first_id, void (*done)(size_t i, void *arg),
               void *arg)
{
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    slot *slots = calloc(rr->jobs, sizeof *slots);
    if (!slots)
        cli_die(1, "out of memory");
    size_t next = 0, ended = 0;
    while (ended < n && !interrupted) {
        for (unsigned j = 0; j < rr->jobs && next < n; j++)
            if (!slots[j].pid) {
                if (start(rr, &runs[next], first_id + next, &slots[j], next) < 0)
                    cli_die(1, "cannot start a run: %s", strerror(errno));
                next++;
            }
        unsigned k = reap(rr, runs, slots, done, arg);
        ended += k;
        if (!k)
            nanosleep(&(struct timespec){0, POLL_NS}, NULL);
    }
    if (interrupted)
        stop_all(slots, rr->jobs);
    free(slots);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return interrupted ? -1 : 0;
}
