/* SPDX-License-Identifier: MIT */
/* Process trees: bash (a real program) running a loop of command substitutions forks a child for
 * each, and heaprr record writes a trace per process. summary --tree finds them all from the first
 * trace (by the parent each names), and its totals are the sums of what heaprr stats says of each
 * trace; summary of the files listed gives the same; leaks --tree holds the same leaked total;
 * diff --tree of the tree with itself changes nothing; the processes are listed with their parent
 * pids; report --html --tree writes a page holding every process; flame --tree weighs as many
 * bytes as the tree allocated, bins --tree counts its allocations; plot --tree draws all of them
 * on one time axis; replay --tree replays each process in turn,
 * dump --tree dumps each; export --tree writes one pprof or speedscope profile of all; check --tree
 * holds the tree to limits; a copied tree's folder is followed as the original. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[4096];
static char names[16][256];
static size_t ntraces;

static uint64_t sum_stats(const char *field)
{
    uint64_t s = 0;
    for (size_t i = 0; i < ntraces; i++) {
        char path[4096];
        int status;
        e2e_path(path, sizeof path, names[i]);
        jv *st = e2e_heaprr_json("stats", "", path, &status);
        CHECK_FATAL(st != NULL);
        s += e2e_json_u64(st, field);
        jv_free(st);
    }
    return s;
}

static void record_tree(void)
{
    e2e_path(root, sizeof root, "tree.hrr");
    char *argv[] = {(char *)e2e_heaprr(), "record", "-q", "-o", root, "--", "/bin/bash", "-c",
                    "for i in 1 2 3; do x=$(echo $i); done; echo $x", NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited && r.code == 0);
    CHECK(strcmp(r.out, "3\n") == 0);
    ntraces = e2e_list("tree.", names, 16);
    CHECK(ntraces == 4); /* bash and three subshells */
}

static void summary(void)
{
    int status;
    jv *s = e2e_heaprr_json("summary", "--tree", root, &status);
    CHECK_FATAL(s != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64(e2e_json_u64(s, "totals.traces"), ntraces);
    CHECK_EQ_U64(e2e_json_u64(s, "totals.calls"), sum_stats("calls"));
    CHECK_EQ_U64(e2e_json_u64(s, "totals.leaked_bytes"), sum_stats("leaked_bytes"));
    CHECK_EQ_U64(e2e_json_u64(s, "totals.bytes_allocated"), sum_stats("total_bytes"));
    const jv *procs = jv_get(s, "processes");
    CHECK_FATAL(procs && procs->child);
    uint64_t root_pid = e2e_json_u64(procs->child, "pid"), children = 0;
    for (const jv *p = procs->child->next; p; p = p->next) {
        CHECK_EQ_U64(e2e_json_u64(p, "ppid"), root_pid);
        CHECK_EQ_U64(e2e_json_u64(p, "depth"), 1);
        children++;
    }
    CHECK_EQ_U64(children, ntraces - 1);
    /* the same traces named one by one: the same totals */
    char list[8192] = "";
    for (size_t i = 1; i < ntraces; i++) {
        char path[4096];
        e2e_path(path, sizeof path, names[i]);
        strncat(list, "'", sizeof list - strlen(list) - 1);
        strncat(list, path, sizeof list - strlen(list) - 1);
        strncat(list, "' ", sizeof list - strlen(list) - 1);
    }
    char first[4096];
    e2e_path(first, sizeof first, names[0]);
    jv *s2 = e2e_heaprr_json("summary", list, first, &status);
    CHECK_FATAL(s2 != NULL);
    CHECK_EQ_U64(e2e_json_u64(s2, "totals.calls"), e2e_json_u64(s, "totals.calls"));
    CHECK_EQ_U64(e2e_json_u64(s2, "totals.leaked_bytes"), e2e_json_u64(s, "totals.leaked_bytes"));
    jv_free(s2);
    jv *all = e2e_heaprr_json("stats", "--tree", root, &status); /* one object per trace */
    CHECK_FATAL(all != NULL);
    size_t n = 0;
    for (const jv *t = jv_get(all, "traces")->child; t; t = t->next)
        n++;
    CHECK_EQ_U64(n, ntraces);
    jv_free(all);
    jv *l = e2e_heaprr_json("leaks", "--tree", root, &status);
    CHECK_FATAL(l != NULL);
    CHECK_EQ_U64(e2e_json_u64(l, "leaked_bytes"), e2e_json_u64(s, "totals.leaked_bytes"));
    CHECK_EQ_U64(e2e_json_u64(l, "traces"), ntraces);
    jv_free(l);
    jv_free(s);
}

static void diff_and_report(void)
{
    char cmd[16384], page[4096];
    snprintf(cmd, sizeof cmd, "'%s' diff --tree '%s' '%s'", e2e_heaprr(), root, root);
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, sh, NULL) == 0 && r.exited && r.code == 0);
    CHECK(strstr(r.out, "+1") == NULL && strstr(r.out, "-1") == NULL); /* nothing changed */
    e2e_path(page, sizeof page, "tree.html");
    char *rep[] = {(char *)e2e_heaprr(), "report", "--html", "--tree", root, "-o", page, NULL};
    CHECK_FATAL(e2e_run(&r, rep, NULL) == 0 && r.exited && r.code == 0);
    FILE *f = fopen(page, "r");
    CHECK_FATAL(f != NULL);
    static char text[1 << 20];
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    const char *procs = strstr(text, "\"processes\":[");
    CHECK_FATAL(procs != NULL);
    size_t n = 0;
    for (const char *p = procs; (p = strstr(p, "\"trace\":")) && p < strstr(procs, "]"); p++)
        n++;
    CHECK_EQ_U64(n, ntraces);
    /* its timeline is the tree's: all the processes on one clock, a moment at the summed peak */
    CHECK(strstr(text, "\"timeline_of\":\"all\"") != NULL);
    const char *snaps = strstr(text, "\"snapshots\":[");
    CHECK(snaps && strstr(snaps, "\"peak\":true") != NULL);
}

/* The sum of the numbers ending each line of the command's output; column k (0-based) of the rows
 * starting with spaces and a "<=" instead when column is not negative. */
static uint64_t sum_output(const char *cmd, int column)
{
    char out[4096], full[12400];
    e2e_path(out, sizeof out, "output.txt");
    snprintf(full, sizeof full, "%s > '%s'", cmd, out); /* the output may be long */
    char *sh[] = {"/bin/sh", "-c", full, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, sh, NULL) == 0 && r.exited && r.code == 0);
    static char text[1 << 22];
    FILE *f = fopen(out, "r");
    CHECK_FATAL(f != NULL);
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    uint64_t sum = 0;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (column < 0) {
            const char *sp = strrchr(line, ' ');
            sum += sp ? strtoull(sp + 1, NULL, 10) : 0;
        } else if (strstr(line, "<= ") || strstr(line, "> ")) {
            char *tok = strtok(line, " "); /* "<=" "2" then the columns */
            for (int k = 0; tok && k < column + 2; k++)
                tok = strtok(NULL, " ");
            sum += tok ? strtoull(tok, NULL, 10) : 0;
        }
    }
    return sum;
}

static void flame_and_bins(void)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "'%s' flame --tree '%s'", e2e_heaprr(), root);
    CHECK_EQ_U64(sum_output(cmd, -1), sum_stats("total_bytes"));
    snprintf(cmd, sizeof cmd, "'%s' bins --tree '%s'", e2e_heaprr(), root);
    uint64_t allocs = sum_output(cmd, 0);
    CHECK(allocs > 0);
    int status;
    jv *s = e2e_heaprr_json("summary", "--tree", root, &status);
    CHECK_FATAL(s != NULL);
    CHECK_EQ_U64(allocs, e2e_json_u64(s, "totals.allocs"));
    jv_free(s);
}

/* The file at path holds text. */
static int file_has(const char *path, const char *text)
{
    static char buf[1 << 21];
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
    fclose(f);
    return strstr(buf, text) != NULL;
}

/* plot --tree: one time axis, the live heap and the calls of all the processes, a line for each
 * (there are fewer than 8); the bins of all; frag replays one heap and takes one trace. */
static void plots(void)
{
    static const char *const kinds[] = {"heap", "rate", "bins", "frag"};
    for (size_t k = 0; k < 4; k++) {
        char out[4096], want[128];
        e2e_path(out, sizeof out, "tree.svg");
        unlink(out);
        char *argv[] = {(char *)e2e_heaprr(), "plot", "--kind", (char *)kinds[k], "--tree", root, "-o", out, NULL};
        run_result r;
        CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited);
        if (k == 3) {
            CHECK(r.code == 2 && strstr(r.err, "one trace") != NULL && access(out, F_OK) != 0);
            continue;
        }
        CHECK(r.code == 0 && file_has(out, "</svg>"));
        snprintf(want, sizeof want, "and %zu more traces", ntraces - 1);
        CHECK(file_has(out, want));
        if (k == 0) {
            snprintf(want, sizeof want, "all %zu processes", ntraces);
            CHECK(file_has(out, want) && file_has(out, "pid ") && file_has(out, " bash"));
        }
    }
}

/* replay --tree: each process's heap replayed in turn, a report each, no error in a correct
 * program; --timeline takes one trace. */
static void replays(void)
{
    int status;
    jv *all = e2e_heaprr_json("replay", "--tree", root, &status);
    CHECK_FATAL(all != NULL);
    CHECK(status == 0);
    size_t n = 0;
    uint64_t events = 0;
    for (const jv *t = jv_get(all, "traces")->child; t; t = t->next, n++) {
        events += (uint64_t)e2e_json_num(t, "events");
        CHECK(e2e_json_num(t, "error_count") == 0);
    }
    CHECK_EQ_U64(n, ntraces);
    CHECK(events > 0);
    jv_free(all);
    char csv[4096];
    e2e_path(csv, sizeof csv, "tree.csv");
    char *argv[] = {(char *)e2e_heaprr(), "replay", "--timeline", csv, "--tree", root, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, argv, NULL) == 0 && r.exited);
    CHECK(r.code == 2 && strstr(r.err, "one trace") != NULL);
    char cmd[8192]; /* dump --tree: each trace in turn, its header first */
    snprintf(cmd, sizeof cmd, "'%s' dump --tree '%s' | grep -c ': heaprr trace '", e2e_heaprr(), root);
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    CHECK_FATAL(e2e_run(&r, sh, NULL) == 0 && r.exited && r.code == 0);
    CHECK_EQ_U64(strtoull(r.out, NULL, 10), ntraces);
}

/* The output of a shell command, in a file of the test's folder (it may be long); NULL when it
 * failed. */
static char *shell_output(const char *cmd)
{
    char out[4096], full[24600];
    e2e_path(out, sizeof out, "shell.txt");
    snprintf(full, sizeof full, "%s > '%s' 2>&1", cmd, out);
    char *sh[] = {"/bin/sh", "-c", full, NULL};
    run_result r;
    if (e2e_run(&r, sh, NULL) != 0 || !r.exited || r.code != 0)
        return NULL;
    static char text[1 << 22];
    FILE *f = fopen(out, "r");
    if (!f)
        return NULL;
    text[fread(text, 1, sizeof text - 1, f)] = 0;
    fclose(f);
    return text;
}

/* export --tree: one pprof profile of all the processes (go tool pprof totals the bytes they
 * allocated, and its samples carry their pids), one speedscope file of all; massif writes one
 * process and takes one trace. */
static void exports(void)
{
    uint64_t allocated = sum_stats("total_bytes");
    char pb[4096], ss[4096], cmd[20000];
    e2e_path(pb, sizeof pb, "tree.pb.gz");
    e2e_path(ss, sizeof ss, "tree.speedscope.json");
    snprintf(cmd, sizeof cmd, "'%s' export --to pprof --tree '%s' -o '%s' && go tool pprof -top -unit=B "
             "-sample_index=alloc_space '%s'", e2e_heaprr(), root, pb, pb);
    const char *top = shell_output(cmd);
    CHECK_FATAL(top != NULL);
    const char *t = strstr(top, "B total");
    CHECK_FATAL(t != NULL);
    while (t > top && t[-1] >= '0' && t[-1] <= '9')
        t--;
    CHECK_EQ_U64(strtoull(t, NULL, 10), allocated);
    snprintf(cmd, sizeof cmd, "go tool pprof -tags '%s'", pb);
    const char *tags = shell_output(cmd);
    CHECK(tags && strstr(tags, "pid: Total") != NULL);
    snprintf(cmd, sizeof cmd, "'%s' export --to speedscope --tree '%s' -o '%s' && cat '%s'", e2e_heaprr(), root, ss, ss);
    const char *json = shell_output(cmd);
    CHECK_FATAL(json != NULL);
    char why[256];
    jv *doc = jv_parse(json, strlen(json), why, sizeof why);
    CHECK_FATAL(doc != NULL);
    const jv *first = jv_get(doc, "profiles")->child;
    CHECK_EQ_U64((uint64_t)e2e_json_num(first, "endValue"), allocated);
    jv_free(doc);
    char *massif[] = {(char *)e2e_heaprr(), "export", "--to", "massif", "--tree", root, "-o", ss, NULL};
    run_result r;
    CHECK_FATAL(e2e_run(&r, massif, NULL) == 0 && r.exited);
    CHECK(r.code == 2 && strstr(r.err, "one trace") != NULL);
}

/* check --tree holds the whole tree against the limits; a tree whose folder was moved (CI
 * artifacts) is still found: each trace's parent is looked for beside it first. */
static void check_and_moved(void)
{
    char cmd[20000];
    snprintf(cmd, sizeof cmd, "'%s' check --tree --max-peak 1G '%s'", e2e_heaprr(), root);
    const char *ok = shell_output(cmd);
    char want[64];
    snprintf(want, sizeof want, "ok, %zu traces", ntraces);
    CHECK(ok && strstr(ok, want) != NULL);
    snprintf(cmd, sizeof cmd, "'%s' check --tree --max-leaked 1 '%s'", e2e_heaprr(), root);
    CHECK(shell_output(cmd) == NULL); /* exit 1: the tree leaked */
    char moved[4096];
    e2e_path(moved, sizeof moved, "moved");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/../tree.*hrr '%s'/ && '%s' summary --tree '%s/tree.hrr'", moved,
             moved, moved, e2e_heaprr(), moved);
    const char *sum = shell_output(cmd);
    snprintf(want, sizeof want, "%zu traces: ", ntraces);
    CHECK(sum && strstr(sum, want) != NULL);
}

int main(void)
{
    record_tree();
    summary();
    diff_and_report();
    flame_and_bins();
    plots();
    replays();
    exports();
    check_and_moved();
    return check_done("e2e-tree");
}
