/* SPDX-License-Identifier: MIT */
/* heaprr record --lttng: a one-off LTTng user-space session around the program. Starts
 * lttng-sessiond (--daemonize --no-kernel) when none answers and stops it afterwards, creates a
 * session writing into the output folder with the heaprr events, the statedump and dl events
 * (modules) and the vpid/vtid contexts, runs the program with libheaprr-lttng.so and LTTng-UST's
 * fork and dl helpers preloaded, then stops and destroys the session. */
#include "cli.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs a command quietly; returns its exit status (-1 if it could not run). With err, stderr is
 * kept in it (the first line) for messages. */
static int quiet_run(char *const argv[], char *err, size_t err_size)
{
    int pipefd[2];
    if (pipe(pipefd) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        execvp(argv[0], argv);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    char buf[1024];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(pipefd[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (err && err_size) {
        char *nl = strchr(buf, '\n');
        if (nl)
            *nl = 0;
        snprintf(err, err_size, "%.300s", buf[0] ? buf : "no message");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int lttng(char *err, size_t err_size, ...)
{
    char *argv[16] = {"lttng"};
    int n = 1;
    va_list ap;
    va_start(ap, err_size);
    for (char *a; n < 15 && (a = va_arg(ap, char *)) != NULL;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    return quiet_run(argv, err, err_size);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The pid of the session daemon we started, from its pid file. */
static pid_t sessiond_pid(void)
{
    char path[PATH_MAX];
    const char *home = getenv("LTTNG_HOME") ? getenv("LTTNG_HOME") : getenv("HOME");
    if (geteuid() == 0)
        snprintf(path, sizeof path, "/var/run/lttng/lttng-sessiond.pid");
    else
        snprintf(path, sizeof path, "%s/.lttng/lttng-sessiond.pid", home ? home : "");
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

/* Whether pid is a running lttng-sessiond. */
static int is_sessiond(pid_t pid)
{
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(comm, sizeof comm, f) && strncmp(comm, "lttng-sessiond", 14) == 0;
    fclose(f);
    return ok;
}

/* A session daemon that answers: 0 if one already ran, its pid if we started it. */
static pid_t ensure_sessiond(void)
{
    if (lttng(NULL, 0, "list", (char *)NULL) == 0)
        return 0;
    char err[256];
    char *argv[] = {"lttng-sessiond", "--daemonize", "--no-kernel", NULL};
    if (quiet_run(argv, err, sizeof err) != 0)
        cli_die(1, "cannot start lttng-sessiond (install lttng-tools): %s", err);
    for (int i = 0; i < 100; i++) {
        pid_t pid = sessiond_pid(); /* the file may still name a daemon that is gone: wait for ours */
        if (pid > 0 && is_sessiond(pid) && lttng(NULL, 0, "list", (char *)NULL) == 0)
            return pid;
        sleep_ms(100);
    }
    cli_die(1, "lttng-sessiond started but does not answer");
}

static void stop_sessiond(pid_t pid)
{
    if (pid <= 0 || !is_sessiond(pid) || kill(pid, SIGTERM) != 0)
        return;
    for (int i = 0; i < 100 && is_sessiond(pid); i++)
        sleep_ms(50);
}

/* LD_PRELOAD: ours, LTTng-UST's fork and dl helpers, then what was there. */
static void preload(const char *lib)
{
    char buf[PATH_MAX * 4];
    const char *pre = getenv("LD_PRELOAD");
    snprintf(buf, sizeof buf, "%s:liblttng-ust-fork.so.1:liblttng-ust-dl.so.1%s%s", lib, pre && *pre ? ":" : "",
             pre ? pre : "");
    setenv("LD_PRELOAD", buf, 1);
    setenv("LTTNG_UST_REGISTER_TIMEOUT", "10000", 0); /* wait for the session: no early event lost */
}

int cli_record_lttng(const char *outdir, const char *lib, char **prog, unsigned depth, int quiet)
{
    char dir[PATH_MAX], name[64], err[512];
    if (!realpath(outdir, dir)) {
        if (mkdir(outdir, 0755) != 0 || !realpath(outdir, dir))
            cli_die(1, "cannot create %s: %s", outdir, strerror(errno));
    }
    snprintf(name, sizeof name, "heaprr-%ld", (long)getpid());
    pid_t started = ensure_sessiond();
    char output[PATH_MAX + 16];
    snprintf(output, sizeof output, "--output=%s", dir);
    int ok = lttng(err, sizeof err, "create", name, output, (char *)NULL) == 0 &&
             lttng(err, sizeof err, "enable-event", "-u", "-s", name, "heaprr:*", (char *)NULL) == 0 &&
             lttng(err, sizeof err, "enable-event", "-u", "-s", name, "lttng_ust_statedump:*", (char *)NULL) == 0 &&
             lttng(err, sizeof err, "enable-event", "-u", "-s", name, "lttng_ust_dl:*", (char *)NULL) == 0 &&
             lttng(err, sizeof err, "add-context", "-u", "-s", name, "-t", "vpid", "-t", "vtid", (char *)NULL) == 0 &&
             lttng(err, sizeof err, "start", name, (char *)NULL) == 0;
    if (!ok) {
        lttng(NULL, 0, "destroy", name, (char *)NULL);
        stop_sessiond(started);
        cli_die(1, "lttng: %s", err);
    }
    if (depth) {
        char d[16];
        snprintf(d, sizeof d, "%u", depth);
        setenv("MALLOC_TRACEBTDEPTH", d, 1);
    }
    preload(lib);
    int status = cli_run_child(prog);
    unsetenv("LD_PRELOAD");
    lttng(NULL, 0, "stop", name, (char *)NULL);
    lttng(NULL, 0, "destroy", name, (char *)NULL);
    stop_sessiond(started);
    if (!quiet)
        fprintf(stderr, "heaprr: LTTng trace in %s (heaprr import --from ctf %s -o OUT.hrr)\n", dir, dir);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
