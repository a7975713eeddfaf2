/* SPDX-License-Identifier: MIT */
/* glibc mtrace text: what glibc writes imports with exact counts and symbolized callers; a heaprr
 * trace exported is read by glibc's mtrace(1) script (the leaks it lists are the program's); an
 * export imported back keeps the calls and the leaks; damaged text gets one line. */
#include "e2e.h"

#include <unistd.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK_FATAL(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

int main(void)
{
    char txt[4096], imported[4096], trace[4096], exported[4096], again[4096], bad[4096];
    run_result r;
    e2e_path(txt, sizeof txt, "glibc.mtrace");
    e2e_path(imported, sizeof imported, "glibc.hrr");
    char mt_env[4200];
    snprintf(mt_env, sizeof mt_env, "MALLOC_TRACE=%s", txt);
    char *env[] = {"LD_PRELOAD=/lib/x86_64-linux-gnu/libc_malloc_debug.so.0", mt_env, NULL};
    char *wl[] = {(char *)e2e_workload("wl-mtrace"), NULL};
    CHECK_FATAL(e2e_run(&r, wl, env) == 0);
    CHECK_FATAL(r.exited && r.code == 0);

    /* glibc's text imports: 7 allocations logged as '+' (realloc(NULL, 50) among them), 4 frees
     * ('-', realloc(p, 0) among them), one '<' '>' pair */
    char *imp[] = {(char *)e2e_heaprr(), "import", "--from", "mtrace", txt, "-o", imported, NULL};
    CHECK_FATAL(e2e_run(&r, imp, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "6 allocations, 4 frees, 1 reallocs, 0 failed calls") != NULL);
    char *leaks[] = {(char *)e2e_heaprr(), "leaks", "--json", imported, NULL};
    CHECK_FATAL(e2e_run(&r, leaks, NULL) == 0);
    CHECK(strstr(r.out, "\"total_bytes\": 307,") && strstr(r.out, "\"total_blocks\": 2,"));
    CHECK(strstr(r.out, "\"function\": \"work\"") != NULL); /* callers given as module + offset */

    /* a heaprr recording of the same program, exported: glibc's script lists its leaks */
    e2e_path(trace, sizeof trace, "rec.hrr");
    e2e_path(exported, sizeof exported, "rec.mtrace");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-mtrace"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    char *exp[] = {(char *)e2e_heaprr(), "export", "--to", "mtrace", trace, "-o", exported, NULL};
    CHECK_FATAL(e2e_run(&r, exp, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    char *script[] = {"/usr/bin/mtrace", exported, NULL};
    CHECK_FATAL(e2e_run(&r, script, NULL) == 0);
    CHECK(strstr(r.out, "Memory not freed:") != NULL);
    CHECK(strstr(r.out, "  0x12c  at ") != NULL); /* 300 bytes */
    CHECK(strstr(r.out, "      0x7  at ") != NULL);
    CHECK(strstr(r.out, "was never alloc'd") == NULL);

    /* and imported back: the same calls (every allocation kind becomes malloc) and leaks */
    e2e_path(again, sizeof again, "again.hrr");
    char *imp2[] = {(char *)e2e_heaprr(), "import", "--from", "mtrace", exported, "-o", again, NULL};
    CHECK_FATAL(e2e_run(&r, imp2, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    char *s1[] = {(char *)e2e_heaprr(), "stats", "--json", trace, NULL};
    char *s2[] = {(char *)e2e_heaprr(), "stats", "--json", again, NULL};
    static char a[16384];
    CHECK_FATAL(e2e_run(&r, s1, NULL) == 0);
    snprintf(a, sizeof a, "%s", r.out);
    CHECK_FATAL(e2e_run(&r, s2, NULL) == 0);
    CHECK(strstr(a, "\"leaked_bytes\": 307,") && strstr(r.out, "\"leaked_bytes\": 307,"));
    /* the recording: 5 mallocs (the compiler makes realloc(NULL, 50) one), 1 calloc, 2 reallocs,
     * 3 frees; mtrace text has no calloc nor realloc(p, 0): they come back as malloc and free */
    CHECK(strstr(a, "\"malloc\": 5,") && strstr(a, "\"free\": 3,") && strstr(a, "\"realloc\": 2,") &&
          strstr(a, "\"calloc\": 1,"));
    CHECK(strstr(r.out, "\"malloc\": 6,") && strstr(r.out, "\"free\": 4,") && strstr(r.out, "\"realloc\": 1,"));
    CHECK(strstr(r.out, "\"calls\": 11,") != NULL);

    /* damaged text: one line naming the line, no output left behind */
    e2e_path(bad, sizeof bad, "bad.mtrace");
    write_file(bad, "= Start\n@ ./prog:[0x10] + 0x1000 0x10\n@ ./prog:[0x20] < 0x1000\n@ ./prog:[0x30] + 0x2000 0x8\n");
    char out[4096];
    e2e_path(out, sizeof out, "bad.hrr");
    char *imp3[] = {(char *)e2e_heaprr(), "import", "--from", "mtrace", bad, "-o", out, NULL};
    CHECK_FATAL(e2e_run(&r, imp3, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "line 4:") && strstr(r.err, "'>'"));
    CHECK(access(out, F_OK) != 0);
    write_file(bad, "+ 0x1000 size\n");
    CHECK_FATAL(e2e_run(&r, imp3, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "line 1: expected a hexadecimal size"));
    char *badfmt[] = {(char *)e2e_heaprr(), "import", "--from", "valgrind", bad, "-o", out, NULL};
    CHECK_FATAL(e2e_run(&r, badfmt, NULL) == 0);
    CHECK(r.exited && r.code == 2);
    return check_done("e2e-mtrace");
}
