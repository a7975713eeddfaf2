/* SPDX-License-Identifier: MIT */
/* CTF through babeltrace2: the babeltrace2 CLI reads a heaprr trace through the plugin and prints
 * exactly its events; converts it to CTF; heaprr export --to ctf does the same; bad input. */
#include "e2e.h"

#include <sys/stat.h>

static unsigned long long count_with(const char *cmd)
{
    char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
    run_result r;
    if (e2e_run(&r, argv, NULL) != 0 || !r.exited || r.code != 0)
        return ~0ull;
    return strtoull(r.out, NULL, 10);
}

int main(void)
{
    char trace[4096], ctf1[4096], ctf2[4096], cmd[16384];
    run_result r;
    e2e_path(trace, sizeof trace, "kinds.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-kinds"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK_FATAL(r.exited && r.code == 0);
    trace_summary s;
    CHECK_FATAL(e2e_summarize(trace, &s) == 0);
    unsigned long long events = 0;
    for (unsigned k = 1; k < HR_KIND_COUNT; k++)
        events += s.kinds[k];
    CHECK(events > 1000);

    /* the babeltrace2 CLI finds the plugin's source by itself (support-info query) */
    snprintf(cmd, sizeof cmd, "babeltrace2 --plugin-path=%s %s | grep -c '^\\[.*heaprr:'", HEAPRR_BT_PLUGIN_DIR, trace);
    CHECK_EQ_U64(count_with(cmd), events);
    snprintf(cmd, sizeof cmd, "babeltrace2 --plugin-path=%s %s | grep -c 'heaprr:malloc: { thread = '",
             HEAPRR_BT_PLUGIN_DIR, trace);
    CHECK_EQ_U64(count_with(cmd), s.kinds[HR_MALLOC]);

    /* to CTF with the CLI, and back through babeltrace2's own CTF source */
    e2e_path(ctf1, sizeof ctf1, "ctf-cli");
    snprintf(cmd, sizeof cmd, "babeltrace2 --plugin-path=%s %s -o ctf -w %s >/dev/null && babeltrace2 %s | grep -c heaprr:",
             HEAPRR_BT_PLUGIN_DIR, trace, ctf1, ctf1);
    CHECK_EQ_U64(count_with(cmd), events);

    /* heaprr export --to ctf, without the CLI */
    e2e_path(ctf2, sizeof ctf2, "ctf-export");
    char *exp[] = {(char *)e2e_heaprr(), "export", "--to", "ctf", trace, "-o", ctf2, NULL};
    CHECK_FATAL(e2e_run(&r, exp, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    snprintf(cmd, sizeof cmd, "babeltrace2 %s | grep -c heaprr:", ctf2);
    CHECK_EQ_U64(count_with(cmd), events);
    snprintf(cmd, sizeof cmd, "babeltrace2 %s | grep -c 'heaprr:calloc:'", ctf2);
    CHECK_EQ_U64(count_with(cmd), s.kinds[HR_CALLOC]);

    /* and imported back through babeltrace2's CTF source: the same calls, per kind */
    char back[4096];
    e2e_path(back, sizeof back, "back.hrr");
    char *imp[] = {(char *)e2e_heaprr(), "import", "--from", "ctf", ctf2, "-o", back, NULL};
    CHECK_FATAL(e2e_run(&r, imp, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    trace_summary b;
    CHECK_FATAL(e2e_summarize(back, &b) == 0);
    for (unsigned k = 1; k < HR_KIND_COUNT; k++)
        CHECK_EQ_U64(b.kinds[k], s.kinds[k]);
    CHECK_EQ_U64(b.failed, s.failed);
    char *st1[] = {(char *)e2e_heaprr(), "stats", "--json", trace, NULL};
    static char a[16384];
    CHECK_FATAL(e2e_run(&r, st1, NULL) == 0);
    snprintf(a, sizeof a, "%s", strstr(r.out, "\"leaked_bytes\"") ? strstr(r.out, "\"leaked_bytes\"") : "");
    char *st2[] = {(char *)e2e_heaprr(), "stats", "--json", back, NULL};
    CHECK_FATAL(e2e_run(&r, st2, NULL) == 0);
    CHECK(a[0] && strncmp(a, strstr(r.out, "\"leaked_bytes\""), 40) == 0);
    char empty[4096];
    e2e_path(empty, sizeof empty, "empty");
    CHECK_FATAL(mkdir(empty, 0755) == 0);
    char *imp_bad[] = {(char *)e2e_heaprr(), "import", "--from", "ctf", empty, "-o", back, NULL};
    CHECK_FATAL(e2e_run(&r, imp_bad, NULL) == 0);
    CHECK(r.exited && r.code == 1);
    CHECK(strchr(r.err, '\n') == r.err + strlen(r.err) - 1); /* one line */

    /* damaged CTF: a metadata file that is not CTF metadata */
    char junk[4096], meta[4200];
    e2e_path(junk, sizeof junk, "junk");
    CHECK_FATAL(mkdir(junk, 0755) == 0);
    snprintf(meta, sizeof meta, "%s/metadata", junk);
    FILE *mf = fopen(meta, "w");
    CHECK_FATAL(mf && fputs("/* CTF 1.8 */\ntrace { major = 1; minor = 8; ( \n", mf) >= 0 && fclose(mf) == 0);
    char *imp_junk[] = {(char *)e2e_heaprr(), "import", "--from", "ctf", junk, "-o", back, NULL};
    /* babeltrace2's CTF source leaks a little on this error path (its code): leak checks off */
    char *no_lsan[] = {"LSAN_OPTIONS=detect_leaks=0", NULL};
    CHECK_FATAL(e2e_run(&r, imp_junk, no_lsan) == 0);
    CHECK(r.exited && r.code == 1 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1);

    /* bad input: one line, status 1 */
    char *bad[] = {(char *)e2e_heaprr(), "export", "--to", "ctf", (char *)e2e_workload("wl-kinds"), "-o", ctf2, NULL};
    CHECK_FATAL(e2e_run(&r, bad, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "heaprr magic"));
    char *again[] = {(char *)e2e_heaprr(), "export", "--to", "ctf", trace, "-o", ctf2, NULL};
    CHECK_FATAL(e2e_run(&r, again, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "already exists"));
    CHECK(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
    return check_done("e2e-ctf");
}
