/* SPDX-License-Identifier: MIT */
/* Errors acted on while the program runs (MALLOC_ACTION, tests/workloads/wl-checker.cpp): each
 * error is named at the call in one line with the call site; 0 lets the program go on (the bad
 * free kept from the C library), 1 aborts, 2 exits with status 1, 3 dumps core (SIGABRT), 4 stops
 * the process until it is continued; a memcpy past a block's end (access checks) is caught the
 * same way, before it runs; MALLOC_ERRFILE takes the line instead of stderr; the trace
 * holds the error before the action. Without MALLOC_ACTION nothing is checked at the call. */
#include "e2e.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char trace[4096];

/* Records wl-checker doing what, with MALLOC_ACTION=action (NULL: unset) and extra (NULL, or more
 * VAR=VALUE separated by spaces), through heaprr record with option (NULL: none). */
static void record_with(run_result *r, const char *option, const char *what, const char *action, const char *extra)
{
    char act[64], more[4400];
    snprintf(act, sizeof act, "MALLOC_ACTION=%s", action ? action : "");
    snprintf(more, sizeof more, "%s", extra ? extra : "");
    char *env[8] = {(char *)(action ? act : "MALLOC_ACTION=")};
    size_t n = 1;
    for (char *tok = strtok(more, " "); tok && n < 7; tok = strtok(NULL, " "))
        env[n++] = tok;
    env[n] = NULL;
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, (char *)(option ? option : "-q"), "--",
                    (char *)e2e_workload("wl-checker"), (char *)what, NULL};
    CHECK_FATAL(e2e_run(r, argv, env) == 0);
}

static void record(run_result *r, const char *what, const char *action, const char *extra)
{
    record_with(r, NULL, what, action, extra);
}

/* The number of lines of text holding needle. */
static int lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The replay of the trace finds kind (its text report names it). */
static int replay_finds(const char *kind)
{
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "replay", trace, NULL};
    if (e2e_run(&r, argv, NULL) != 0)
        return 0;
    char want[64];
    snprintf(want, sizeof want, "\n%s: ", kind);
    return r.exited && r.code == 3 && strstr(r.out, want) != NULL;
}

/* One line naming the error, the call, the call site in wl-checker and the action. */
static void check_line(const char *err, const char *kind, const char *call, const char *action)
{
    char want[256];
    snprintf(want, sizeof want, "heaprr: %s: %s(0x", kind, call);
    CHECK_EQ_U64(lines_with(err, "heaprr: "), 1);
    CHECK(strstr(err, want) != NULL);
    CHECK(strstr(err, ") called from wl-checker+0x") != NULL);
    snprintf(want, sizeof want, "MALLOC_ACTION=%s: ", action);
    CHECK(strstr(err, want) != NULL);
    if (!strstr(err, ") called from wl-checker+0x"))
        fprintf(stderr, "stderr was: %s\n", err);
}

/* Action 4: the process stops at the error, and goes on to its end once continued. */
static void check_stop(void)
{
    int out[2];
    CHECK_FATAL(pipe(out) == 0);
    pid_t pid = fork();
    CHECK_FATAL(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        char preload[4200], mt[4200];
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", e2e_lib());
        snprintf(mt, sizeof mt, "MALLOC_TRACE=%s", trace);
        putenv(preload);
        putenv(mt);
        putenv("MALLOC_ACTION=4");
        execl(e2e_workload("wl-checker"), "wl-checker", "double-free", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    int status;
    CHECK_FATAL(waitpid(pid, &status, WUNTRACED) == pid);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    kill(pid, SIGCONT);
    CHECK_FATAL(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char text[8192];
    ssize_t n = read(out[0], text, sizeof text - 1);
    close(out[0]);
    text[n > 0 ? n : 0] = 0;
    check_line(text, "double-free", "free", "4");
    CHECK(strstr(text, "survived") != NULL);
    CHECK(replay_finds("double-free"));
}

int main(void)
{
    run_result r;
    e2e_path(trace, sizeof trace, "action.hrr");
    CHECK_FATAL(chdir(e2e_tmpdir()) == 0); /* a core dump (action 3) lands there, and goes with it */

    /* Every kind the call can be caught at, with action 0: named, and the program goes on. */
    static const char *const cases[][3] = {
        {"double-free", "double-free", "free"},   {"invalid-free", "invalid-free", "free"},
        {"interior-free", "interior-free", "free"}, {"mismatched-free", "mismatched-free", "delete"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        record(&r, cases[i][0], "0", NULL);
        CHECK(r.exited && r.code == 0 && strstr(r.out, "survived"));
        check_line(r.err, cases[i][1], cases[i][2], "0");
        CHECK(replay_finds(cases[i][1]));
    }
    /* Guard damage and a write after free are caught at the call that finds them. */
    record(&r, "overrun", "0", "MALLOC_CKBOUNDS=1");
    CHECK(r.exited && r.code == 0);
    check_line(r.err, "overrun", "free", "0");
    record(&r, "use-after-free", "0", "MALLOC_CKFREED=1 HEAPRR_QUARANTINE_MB=1");
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.err, "heaprr: use-after-free: free(0x") != NULL); /* the free that pushed it out */

    /* A memcpy past a block's end is caught before it runs (access checks); with action 1 the
     * program aborts there. */
    record_with(&r, "--check-access", "access-memcpy", "0", NULL);
    CHECK(r.exited && r.code == 0 && strstr(r.out, "survived"));
    check_line(r.err, "access-overrun", "memcpy", "0");
    record_with(&r, "--check-access", "access-memcpy", "1", NULL);
    CHECK(r.exited && r.code == 128 + SIGABRT && !strstr(r.out, "survived"));
    check_line(r.err, "access-overrun", "memcpy", "1");
    CHECK(replay_finds("access-overrun"));

    /* The actions, on a double free. */
    record(&r, "double-free", "1", "HEAPRR_QUARANTINE_MB=1");
    CHECK(r.exited && r.code == 128 + SIGABRT);
    check_line(r.err, "double-free", "free", "1");
    CHECK(replay_finds("double-free"));
    record(&r, "double-free", "2", NULL);
    CHECK(r.exited && r.code == 1);
    CHECK(!strstr(r.out, "survived"));
    check_line(r.err, "double-free", "free", "2");
    CHECK(replay_finds("double-free"));
    record(&r, "double-free", "3", NULL);
    CHECK(r.exited && r.code == 128 + SIGABRT);
    check_line(r.err, "double-free", "free", "3");
    check_stop();

    /* MALLOC_ERRFILE: the line goes there, not to stderr. */
    char errfile[4096], env[4200];
    e2e_path(errfile, sizeof errfile, "errors.txt");
    snprintf(env, sizeof env, "MALLOC_ERRFILE=%s", errfile);
    record(&r, "double-free", "0", env);
    CHECK(r.exited && r.code == 0);
    CHECK(!strstr(r.err, "double-free"));
    FILE *f = fopen(errfile, "r");
    CHECK_FATAL(f != NULL);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    check_line(text, "double-free", "free", "0");

    /* Without MALLOC_ACTION, no check at the call: a correct program, and a bad value said once. */
    record(&r, "correct", NULL, NULL);
    CHECK(r.exited && r.code == 0 && !strstr(r.err, "heaprr"));
    record(&r, "correct", "9", NULL);
    CHECK(r.exited && r.code == 0);
    CHECK_EQ_U64(lines_with(r.err, "MALLOC_ACTION=9 is not one of"), 1);
    return check_done("e2e-action");
}
