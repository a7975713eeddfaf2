/* SPDX-License-Identifier: MIT */
/* heaprr record on programs it cannot enter and processes that write no trace (static, static
 * pie, set-user-ID, an emptied environment, a recorder that did not start), as a parent (signals
 * passed on once, the program never orphaned, its status passed through), and with a process still
 * recording after the run; heaprr recover on a live and on an empty staging file. Each case checks
 * the exact lines on stderr and the exit status. */
#define _GNU_SOURCE
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* stderr without the "heaprr: trace ..." lines that list the traces. */
static const char *messages(const run_result *r)
{
    static char out[sizeof r->err];
    size_t n = 0;
    for (const char *p = r->err; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p + 1) : strlen(p);
        if (strncmp(p, "heaprr: trace ", 14) != 0) {
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    out[n] = 0;
    return out;
}

static size_t count_lines(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p + 1) : strlen(p);
        if (!needle || memmem(p, len, needle, strlen(needle)))
            n++;
        p += len;
    }
    return n;
}

#define CHECK_MESSAGES(r, expect)                                                                                \
    do {                                                                                                         \
        if (strcmp(messages(r), (expect)) != 0)                                                                  \
            fprintf(stderr, "%s:%d: stderr:\n%s--- expected:\n%s---\n", __FILE__, __LINE__, (r)->err, (expect)); \
        CHECK(strcmp(messages(r), (expect)) == 0);                                                               \
    } while (0)

static void record(run_result *r, const char *trace, char **prog, char *const env[])
{
    char *argv[32] = {(char *)e2e_heaprr(), "record", "-o", (char *)trace, "--"};
    size_t n = 5;
    for (; *prog && n < 31; prog++)
        argv[n++] = *prog;
    argv[n] = NULL;
    CHECK_FATAL(e2e_run(r, argv, env) == 0);
}

static void test_static(void)
{
    char trace[4096], script[4096], expect[16384], text[4200];
    run_result r;
    e2e_path(trace, sizeof trace, "static.hrr");
    const char *progs[] = {"wl-static", "wl-static-pie"};
    for (int i = 0; i < 2; i++) {
        char *prog[] = {(char *)e2e_workload(progs[i]), "3", NULL};
        record(&r, trace, prog, NULL);
        CHECK(r.exited && r.code == 3);
        CHECK(strcmp(r.out, "static: 16 blocks\n") == 0);
        snprintf(expect, sizeof expect,
                 "heaprr: %s is statically linked: LD_PRELOAD cannot record it; running it unrecorded\n", prog[0]);
        CHECK(strcmp(r.err, expect) == 0); /* and no trace listed, no second word after the run */
        CHECK(access(trace, F_OK) < 0);
    }

    /* A script is judged by its interpreter. */
    e2e_path(script, sizeof script, "static-script");
    int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    int len = snprintf(text, sizeof text, "#!%s\n", e2e_workload("wl-static"));
    CHECK_FATAL(fd >= 0 && write(fd, text, (size_t)len) == len && close(fd) == 0);
    char *sprog[] = {script, NULL};
    record(&r, trace, sprog, NULL);
    CHECK(r.exited && r.code == 0);
    snprintf(expect, sizeof expect,
             "heaprr: %s runs %s, which is statically linked: LD_PRELOAD cannot record it; running it unrecorded\n",
             script, e2e_workload("wl-static"));
    CHECK(strcmp(r.err, expect) == 0);
}

/* A program the recorder cannot enter, started by a recorded one: the recorder says so on the
 * spot, with flags in its EXEC record, and heaprr record does not say it again. */
static void check_said_once(const run_result *r, const char *prog)
{
    const char *m = messages(r);
    CHECK_EQ_U64(count_lines(m, "produced no trace"), 0);
    CHECK_EQ_U64(count_lines(m, NULL), 1);
    CHECK_EQ_U64(count_lines(m, prog), 1);
    if (count_lines(m, NULL) != 1 || count_lines(m, prog) != 1)
        fprintf(stderr, "stderr:\n%s", r->err);
}

static void test_exec_static(void)
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "exec-static.hrr");
    char *prog[] = {(char *)e2e_workload("wl-procs"), "fork-exec", (char *)e2e_workload("wl-static"), "4", NULL};
    record(&r, trace, prog, NULL);
    CHECK(r.exited && r.code == 4);
    check_said_once(&r, e2e_workload("wl-static"));
    CHECK_EQ_U64(count_lines(r.err, "heaprr: trace "), 2); /* the root and its forked child */
}

static void test_clearenv(void)
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "clearenv.hrr");
    char *prog[] = {(char *)e2e_workload("wl-procs"), "clearenv", (char *)e2e_workload("wl-exec-target"), NULL};
    record(&r, trace, prog, NULL);
    CHECK(r.exited && r.code == 0);
    check_said_once(&r, e2e_workload("wl-exec-target"));
}

/* A copy of wl-procs owned by nobody, set-user-ID; NULL where that cannot mean anything. */
static const char *setuid_copy(void)
{
    static char copy[4096];
    struct statvfs vfs;
    if (geteuid() != 0) {
        printf("e2e-record: not root: the set-user-ID cases are skipped\n");
        return NULL;
    }
    if (statvfs(e2e_tmpdir(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) {
        printf("e2e-record: %s is mounted nosuid: the set-user-ID cases are skipped\n", e2e_tmpdir());
        return NULL;
    }
    e2e_path(copy, sizeof copy, "setuid-procs");
    char *cp[] = {"/bin/cp", (char *)e2e_workload("wl-procs"), copy, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, cp, NULL) == 0 && r.exited && r.code == 0);
    CHECK_FATAL(chown(copy, 65534, 65534) == 0 && chmod(copy, 04755) == 0);
    CHECK_FATAL(chmod(e2e_tmpdir(), 0755) == 0);
    return copy;
}

static void test_setuid(void)
{
    char trace[4096], expect[8192];
    run_result r;
    const char *copy = setuid_copy();
    if (!copy)
        return;
    e2e_path(trace, sizeof trace, "setuid.hrr");
    char *prog[] = {(char *)copy, "fork-exec", "/bin/sh", "-c", "exit 5", NULL};
    record(&r, trace, prog, NULL);
    CHECK(r.exited && r.code == 5);
    snprintf(expect, sizeof expect,
             "heaprr: %s is set-user-ID: the loader ignores LD_PRELOAD for it; running it unrecorded\n", copy);
    CHECK(strcmp(r.err, expect) == 0);
    CHECK(access(trace, F_OK) < 0);

    char *via[] = {(char *)e2e_workload("wl-procs"), "fork-exec", (char *)copy, "fork-exec", "/bin/true", NULL};
    record(&r, trace, via, NULL);
    CHECK(r.exited && r.code == 0);
    check_said_once(&r, copy);
}

/* Processes whose traces cannot be created (their folder is renamed away meanwhile): ten named,
 * the rest counted. */
static void test_missing_children(void)
{
    char dir[4096], trace[4200], expect[4096];
    run_result r;
    e2e_path(dir, sizeof dir, "hidden");
    CHECK_FATAL(mkdir(dir, 0755) == 0);
    snprintf(trace, sizeof trace, "%s/t.hrr", dir);
    char *prog[] = {(char *)e2e_workload("wl-procs"), "hidedir", dir, "12", NULL};
    record(&r, trace, prog, NULL);
    CHECK(r.exited && r.code == 0);
    const char *m = messages(&r);
    snprintf(expect, sizeof expect, ") produced no trace: the recorder did not start in it\n");
    CHECK_EQ_U64(count_lines(m, expect), 10);
    snprintf(expect, sizeof expect, "(%s) produced no trace", e2e_workload("wl-procs"));
    CHECK_EQ_U64(count_lines(m, expect), 10);
    CHECK(strstr(m, "heaprr: and 2 more processes produced no trace\n") != NULL);
    /* The pids are the children's: all different, none the root's. */
    unsigned pids[10], n = 0;
    for (const char *p = m; (p = strstr(p, "heaprr: process ")) && n < 10; p++)
        CHECK(sscanf(p, "heaprr: process %u (", &pids[n++]) == 1);
    CHECK_EQ_U64(n, 10);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < i; j++)
            CHECK(pids[i] != pids[j]);
    CHECK_EQ_U64(count_lines(r.err, "heaprr: trace "), 1);
}

/* An exec'd image whose trace cannot be created: named with the program it runs. */
static void test_missing_exec(void)
{
    char dir[4096], trace[4200], expect[8192];
    unsigned pid;
    run_result r;
    e2e_path(dir, sizeof dir, "hidden-exec");
    CHECK_FATAL(mkdir(dir, 0755) == 0);
    snprintf(trace, sizeof trace, "%s/t.hrr", dir);
    char *prog[] = {(char *)e2e_workload("wl-procs"), "hideexec", dir, (char *)e2e_workload("wl-exec-target"), NULL};
    record(&r, trace, prog, NULL);
    CHECK(r.exited && r.code == 0);
    const char *m = messages(&r);
    const char *line = strstr(m, "heaprr: process ");
    CHECK_FATAL(line && sscanf(line, "heaprr: process %u (", &pid) == 1);
    snprintf(expect, sizeof expect, "heaprr: process %u (%s) produced no trace: the recorder did not start in it\n",
             pid, prog[3]);
    CHECK(strstr(m, expect) != NULL);
    CHECK_EQ_U64(count_lines(m, "produced no trace"), 1);
    CHECK_EQ_U64(count_lines(r.err, "heaprr: trace "), 2); /* the root and the child that exec'd */
}

/* The root in which the recorder did not start: HEAPRR_LIB names a library that is not it. */
static void test_missing_root(void)
{
    char trace[4096], lib[4200], expect[8192];
    run_result r;
    unsigned pid;
    e2e_path(trace, sizeof trace, "noroot.hrr");
    snprintf(lib, sizeof lib, "HEAPRR_LIB=%s", e2e_workload("libwl-plugin.so"));
    char *env[] = {lib, NULL};
    char *prog[] = {(char *)e2e_workload("wl-exec-target"), NULL};
    record(&r, trace, prog, env);
    CHECK(r.exited && r.code == 0);
    CHECK(sscanf(r.err, "heaprr: process %u (", &pid) == 1);
    snprintf(expect, sizeof expect, "heaprr: process %u (%s) produced no trace: the recorder did not start in it\n",
             pid, prog[0]);
    CHECK(strcmp(r.err, expect) == 0);

    char *none[] = {"/nonexistent/program", NULL};
    record(&r, trace, none, NULL);
    CHECK(r.exited && r.code == 127);
    CHECK(strcmp(r.err, "heaprr: cannot run '/nonexistent/program': No such file or directory\n") == 0);
}

static int wait_file(const char *path)
{
    for (int i = 0; i < 3000; i++) {
        if (access(path, F_OK) == 0)
            return 0;
        usleep(10000);
    }
    return -1;
}

static pid_t read_pid(const char *path)
{
    char buf[32] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    return (pid_t)atoi(buf);
}

/* Whether pid is gone (or only a zombie waiting for whoever adopted it). */
static int gone(pid_t pid)
{
    char path[64], stat[256] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 1;
    ssize_t n = read(fd, stat, sizeof stat - 1);
    close(fd);
    const char *paren = n > 0 ? strrchr(stat, ')') : NULL;
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/* Reads what a file holds into buf (cap bytes at most, NUL-terminated). */
static void slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
}

/* Starts heaprr record -o trace -- wl-procs MODE PIDFILE (PIDFILE = trace.pid) with its output in
 * files rather than pipes: a process it leaves running would hold a pipe open. */
static pid_t start_record(const char *trace, const char *mode)
{
    char pidfile[4200], out[4200], err[4200];
    snprintf(pidfile, sizeof pidfile, "%s.pid", trace);
    snprintf(out, sizeof out, "%s.out", trace);
    snprintf(err, sizeof err, "%s.err", trace);
    pid_t pid = fork();
    CHECK_FATAL(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execl(e2e_heaprr(), e2e_heaprr(), "record", "-o", trace, "--", e2e_workload("wl-procs"), mode, pidfile,
              (char *)NULL);
        _exit(126);
    }
    return pid;
}

/* Waits for heaprr started by start_record and fills r from its files. */
static void finish_record(pid_t pid, const char *trace, run_result *r)
{
    char path[4200];
    int status;
    memset(r, 0, sizeof *r);
    CHECK_FATAL(waitpid(pid, &status, 0) == pid);
    r->exited = WIFEXITED(status);
    r->code = r->exited ? WEXITSTATUS(status) : -1;
    r->signaled = WIFSIGNALED(status);
    r->sig = r->signaled ? WTERMSIG(status) : 0;
    snprintf(path, sizeof path, "%s.out", trace);
    slurp(path, r->out, sizeof r->out);
    snprintf(path, sizeof path, "%s.err", trace);
    slurp(path, r->err, sizeof r->err);
}

/* heaprr record -- wl-procs MODE: once the program wrote its pid, sig goes to heaprr. */
static void record_and_signal(const char *mode, int sig, pid_t *prog_pid, const char *tag, run_result *r)
{
    char trace[4096], pidfile[4200];
    e2e_path(trace, sizeof trace, tag);
    snprintf(pidfile, sizeof pidfile, "%s.pid", trace);
    pid_t pid = start_record(trace, mode);
    CHECK_FATAL(wait_file(pidfile) == 0);
    *prog_pid = read_pid(pidfile);
    CHECK(kill(pid, sig) == 0);
    finish_record(pid, trace, r);
    trace_summary s;
    CHECK(e2e_summarize(trace, &s) == 0 && s.complete);
}

static void test_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGHUP, SIGINT};
    pid_t prog;
    run_result r;
    for (int i = 0; i < 3; i++) {
        char tag[32];
        snprintf(tag, sizeof tag, "sig%d.hrr", sigs[i]);
        record_and_signal("sleep", sigs[i], &prog, tag, &r);
        CHECK(r.exited && r.code == 128 + sigs[i]);
        CHECK(gone(prog));
        CHECK(strstr(r.err, " (recovered: the process did not exit normally)\n") != NULL);
        CHECK_MESSAGES(&r, "");
    }
    /* Passed on once: the program counts the SIGINTs it got. */
    record_and_signal("count", SIGINT, &prog, "count.hrr", &r);
    CHECK(r.exited && r.code == 1);

    /* timeout kills heaprr record: the program ends with it, its trace is completed. */
    char trace[4096], pidfile[4200];
    e2e_path(trace, sizeof trace, "timeout.hrr");
    snprintf(pidfile, sizeof pidfile, "%s.pid", trace);
    char *argv[] = {"/usr/bin/timeout",
                    "-s",
                    "TERM",
                    "1",
                    (char *)e2e_heaprr(),
                    "record",
                    "-o",
                    trace,
                    "--",
                    (char *)e2e_workload("wl-procs"),
                    "sleep",
                    pidfile,
                    NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    CHECK(r.exited && r.code == 124);
    CHECK(wait_file(pidfile) == 0 && gone(read_pid(pidfile)));
    CHECK(strstr(r.err, " (recovered: the process did not exit normally)\n") != NULL);
    CHECK_MESSAGES(&r, "");
    trace_summary s;
    CHECK(e2e_summarize(trace, &s) == 0 && s.complete);
}

/* Ctrl-C on a terminal reaches the whole foreground process group: heaprr must not send the
 * program a second SIGINT. */
static void test_terminal(void)
{
    char trace[4096], pidfile[4200], buf[4096], seen[8192] = "";
    size_t nseen = 0;
    e2e_path(trace, sizeof trace, "tty.hrr");
    snprintf(pidfile, sizeof pidfile, "%s.pid", trace);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        printf("e2e-record: no pseudo-terminal (%s): the Ctrl-C case is skipped\n", strerror(errno));
        return;
    }
    const char *slave = ptsname(master);
    pid_t pid = fork();
    CHECK_FATAL(pid >= 0);
    if (pid == 0) {
        setsid();
        int fd = open(slave, O_RDWR); /* becomes the controlling terminal */
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(e2e_heaprr(), e2e_heaprr(), "record", "-q", "-o", trace, "--", e2e_workload("wl-procs"), "count", pidfile,
              (char *)NULL);
        _exit(126);
    }
    int sent = 0;
    for (;;) {
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, 30000) <= 0)
            break;
        ssize_t n = read(master, buf, sizeof buf);
        if (n <= 0)
            break; /* EIO: every slave descriptor closed */
        if (nseen + (size_t)n < sizeof seen - 1) {
            memcpy(seen + nseen, buf, (size_t)n);
            seen[nseen += (size_t)n] = 0;
        }
        if (!sent && strstr(seen, "ready")) {
            CHECK(write(master, "\x03", 1) == 1);
            sent = 1;
        }
    }
    int status;
    CHECK_FATAL(waitpid(pid, &status, 0) == pid);
    close(master);
    CHECK(sent);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fprintf(stderr, "terminal: status %#x, output:\n%s\n", status, seen);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

/* A grandchild still running after the root exits: its trace is left alone, by heaprr record
 * and by heaprr recover, until it ends; then recover completes it. */
static void test_background(void)
{
    char trace[4096], pidfile[4200], live[4200], expect[8192];
    run_result r;
    e2e_path(trace, sizeof trace, "bg.hrr");
    snprintf(pidfile, sizeof pidfile, "%s.pid", trace);
    finish_record(start_record(trace, "background"), trace, &r);
    CHECK(r.exited && r.code == 0);
    pid_t pid = read_pid(pidfile);
    CHECK_FATAL(pid > 0);
    snprintf(live, sizeof live, "%s/bg.%d.hrr", e2e_tmpdir(), (int)pid);
    snprintf(expect, sizeof expect,
             "heaprr: %s is still being written by a running process (pid %d); not completing it\n", live, (int)pid);
    CHECK_MESSAGES(&r, expect);
    CHECK_EQ_U64(count_lines(r.err, "heaprr: trace "), 2); /* the root and the child that exited */

    char *rec[] = {(char *)e2e_heaprr(), "recover", live, NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 1);
    CHECK(strcmp(r.err, expect) == 0);

    CHECK(kill(pid, SIGKILL) == 0);
    for (int i = 0; i < 500 && !gone(pid); i++)
        usleep(10000);
    CHECK(gone(pid));
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, ": recovered ") != NULL);
    trace_summary s;
    CHECK(e2e_summarize(live, &s) == 0 && s.complete);
}

/* A staging file the process never filled in: said plainly. */
static void test_empty_stage(void)
{
    char trace[4096], stage[4200], expect[8192], zeros[8192];
    run_result r;
    memset(zeros, 0, sizeof zeros);
    e2e_path(trace, sizeof trace, "empty-stage.hrr");
    snprintf(stage, sizeof stage, "%s.stage", trace);
    int fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0644), sfd = open(stage, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && sfd >= 0 && write(sfd, zeros, sizeof zeros) == (ssize_t)sizeof zeros);
    close(fd);
    close(sfd);
    char *rec[] = {(char *)e2e_heaprr(), "recover", trace, NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 1);
    snprintf(expect, sizeof expect, "heaprr: %s: the process ended before it recorded anything\n", trace);
    CHECK(strcmp(r.err, expect) == 0);

    /* Next to a trace that reads, it is removed. */
    char *prog[] = {(char *)e2e_workload("wl-exec-target"), NULL};
    record(&r, trace, prog, NULL);
    CHECK(r.exited && r.code == 0);
    sfd = open(stage, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(sfd >= 0 && write(sfd, zeros, 100) == 100);
    close(sfd);
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    snprintf(expect, sizeof expect,
             "%s: the process ended before it recorded anything; removed its empty staging file\n", trace);
    CHECK(strcmp(r.out, expect) == 0);
    CHECK(access(stage, F_OK) < 0);
}

int main(void)
{
    alarm(100); /* a hang ends the test (ctest's timeout is 120 s) */
    test_static();
    test_exec_static();
    test_clearenv();
    test_setuid();
    test_missing_children();
    test_missing_exec();
    test_missing_root();
    test_signals();
    test_terminal();
    test_background();
    test_empty_stage();
    return check_done("e2e-record");
}
