/* SPDX-License-Identifier: MIT */
/* heaprr record as a parent: runs the program, passes on the SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * sent to heaprr itself (kill, timeout, a service manager) and waits for the program whatever
 * comes, so that it is never left running orphaned and its traces are complete when we look;
 * then heaprr completes them before it exits (only SIGKILL stops it there). */
#define _GNU_SOURCE
#include "cli.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NFORWARDED (sizeof forwarded / sizeof *forwarded)

static volatile sig_atomic_t child_pid;

/* Only signals a process sent to heaprr are passed on. Those the kernel sends to the terminal's
 * foreground process group (Ctrl-C, Ctrl-\, a hangup: si_code SI_KERNEL) reach the program by
 * themselves, and a second copy would be one too many; the program's own signals to its parent
 * are not echoed back either. */
static void forward(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    int saved = errno;
    pid_t pid = (pid_t)child_pid;
    int sent = si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL;
    if (pid > 0 && sent && si->si_pid != pid)
        kill(pid, sig);
    errno = saved;
}

/* Installs forward() for the signals heaprr was not started with ignored (a background job's
 * SIGINT and SIGQUIT stay ignored, as the program inherited them). It stays after the program
 * ended: the copies of a signal sent to the whole process group (timeout does that) must not end
 * heaprr while it completes the traces. */
static void install(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++)
        if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(forwarded[i], &sa, NULL);
}

/* The child's side: exec, or report why not through the pipe (closed by a successful exec). */
static void child(char **argv, const sigset_t *saved, int report)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
    execvp(argv[0], argv);
    int err = errno;
    fprintf(stderr, "heaprr: cannot run '%s': %s\n", argv[0], strerror(err));
    ssize_t n = write(report, &err, sizeof err);
    (void)n; /* nothing more to do if it fails: the parent then sees an exec that worked */
    _exit(127);
}

static int exec_result(int report)
{
    int err = 0;
    ssize_t n;
    while ((n = read(report, &err, sizeof err)) < 0 && errno == EINTR)
        ;
    close(report);
    return n == (ssize_t)sizeof err ? err : 0;
}

void cli_run(char **argv, cli_child *c)
{
    sigset_t block, saved;
    int report[2];
    memset(c, 0, sizeof *c);
    sigemptyset(&block);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&block, forwarded[i]);
    if (pipe2(report, O_CLOEXEC) < 0)
        cli_die(EXIT_USAGE, "cannot create a pipe: %s", strerror(errno));
    /* Blocked until the handlers know the child: a signal that comes meanwhile waits, then goes on. */
    sigprocmask(SIG_BLOCK, &block, &saved);
    pid_t pid = fork();
    if (pid < 0)
        cli_die(EXIT_USAGE, "cannot fork: %s", strerror(errno));
    if (pid == 0)
        child(argv, &saved, report[1]);
    close(report[1]);
    c->pid = pid;
    child_pid = pid;
    install();
    sigprocmask(SIG_SETMASK, &saved, NULL);
    c->exec_errno = exec_result(report[0]);
    /* Waited for without reaping it: until it is reaped its pid cannot go to another process,
     * which a late forward() would then signal. */
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    child_pid = 0;
    while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
        ;
}

int cli_run_child(char **argv)
{
    cli_child c;
    cli_run(argv, &c);
    return c.status;
}

int cli_exit_status(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
