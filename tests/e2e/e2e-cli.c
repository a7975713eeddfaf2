/* SPDX-License-Identifier: MIT */
/* The command line's contract: usage errors exit 2 with one line, unreadable traces exit 1 with
 * one line naming the file, record passes the program's status through. */
#include "e2e.h"

#include <fcntl.h>
#include <unistd.h>

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void expect(int code, const char *needle, char *a1, char *a2, char *a3, char *a4)
{
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), a1, a2, a3, a4, NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    if (!r.exited || r.code != code || (needle && !strstr(r.err, needle)) || (code && lines(r.err) != 1))
        fprintf(stderr, "heaprr %s %s %s: exit %d, stderr: %s\n", a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "",
                r.code, r.err);
    CHECK(r.exited && r.code == code);
    if (needle)
        CHECK(strstr(r.err, needle) != NULL);
    if (code)
        CHECK_EQ_U64(lines(r.err), 1);
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && write(fd, data, n) == (ssize_t)n);
    close(fd);
}

int main(void)
{
    char garbage[4096], empty[4096], trace[4096], cut[4096];
    e2e_path(garbage, sizeof garbage, "garbage.hrr");
    e2e_path(empty, sizeof empty, "empty.hrr");
    e2e_path(trace, sizeof trace, "ok.hrr");
    e2e_path(cut, sizeof cut, "cut.hrr");
    write_file(garbage, "this is not a trace, just some text that goes on", 48);
    write_file(empty, "", 0);

    expect(2, "missing command", NULL, NULL, NULL, NULL);
    expect(2, "unknown command 'bogus'", "bogus", NULL, NULL, NULL);
    expect(2, "missing trace file", "stats", NULL, NULL, NULL);
    expect(2, "unknown option '--bogus'", "stats", "--bogus", trace, NULL);
    expect(2, "option '--top' needs a value", "leaks", "--top", NULL, NULL);
    expect(2, "option '-o' needs a value", "record", "-o", NULL, NULL);
    expect(2, "expects one trace file", "report", "-o/nonexistent/heaprr-report", trace, trace);
    expect(2, "missing program", "record", NULL, NULL, NULL);
    expect(2, "--depth expects a number", "record", "--depth", "x", "true");
    expect(2, "--torture x: the torture is 'realloc'", "record", "--torture", "x", "true");
    expect(2, "--fail bogus", "replay", "--fail", "bogus", trace);
    expect(2, "missing --oom", "torture", "--", "true", NULL);
    expect(2, "missing program", "torture", "--oom", NULL, NULL);
    expect(2, "--jobs expects a number", "torture", "--oom", "--jobs=0", "true");
    expect(1, "left no trace: heaprr: cannot run '/nonexistent/prog'", "torture", "--oom", "--", "/nonexistent/prog");
    expect(1, "No such file", "stats", "/nonexistent/t.hrr", NULL, NULL);
    expect(1, "not a heaprr trace", "stats", garbage, NULL, NULL);
    expect(1, "empty file", "dump", empty, NULL, NULL);
    expect(0, NULL, "--help", NULL, NULL, NULL);

    /* record: the exit status of the program, 127 when it cannot run. */
    expect(0, "heaprr: trace", "record", "-o", trace, (char *)e2e_workload("wl-exec-target"));
    expect(127, "cannot run", "record", "--", "/nonexistent/program", NULL);
    expect(0, NULL, "stats", "--json", trace, NULL);
    expect(0, NULL, "dump", "--stacks", trace, NULL);

    /* A trace cut short reads as truncated, not as an error. */
    int fd = open(trace, O_RDONLY);
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    CHECK_FATAL(n > 100);
    write_file(cut, buf, (size_t)n - 10);
    run_result r;
    char *argv[] = {(char *)e2e_heaprr(), "stats", "--json", cut, NULL};
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "\"truncated\": true") != NULL);
    return check_done("e2e-cli");
}
