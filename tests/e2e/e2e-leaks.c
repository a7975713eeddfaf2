/* SPDX-License-Identifier: MIT */
/* heaprr leaks on a real program: exact bytes and blocks per site, symbolized function names
 * (C, demangled C++, a plugin unloaded before exit with its file and line), a realloc chain
 * counted once, suppressions, JSON keys, bad input. */
#include "e2e.h"

/* The JSON object of the leak group whose stack names function, or NULL: a copy in buf. */
static const char *group_with(const char *json, const char *function, char *buf, size_t cap)
{
    char want[256];
    snprintf(want, sizeof want, "\"function\": \"%s", function); /* a prefix: "[clone ...]" may follow */
    const char *hit = strstr(json, want);
    if (!hit)
        return NULL;
    const char *start = hit;
    while (start > json && strncmp(start, "\"bytes\":", 8) != 0)
        start--;
    size_t n = (size_t)(hit - start) < cap - 1 ? (size_t)(hit - start) : cap - 1;
    memcpy(buf, start, n);
    buf[n] = 0;
    return buf;
}

static void expect_group(const char *json, const char *function, unsigned bytes, unsigned blocks)
{
    char buf[16384], want[128];
    const char *g = group_with(json, function, buf, sizeof buf);
    CHECK(g != NULL);
    if (!g) {
        fprintf(stderr, "no leak group names %s\n", function);
        return;
    }
    snprintf(want, sizeof want, "\"bytes\": %u,\n      \"blocks\": %u,", bytes, blocks);
    CHECK(strstr(g, want) == g + 0 || strncmp(g, want, strlen(want)) == 0);
    if (strncmp(g, want, strlen(want)) != 0)
        fprintf(stderr, "%s: expected %s, found %.60s\n", function, want, g);
}

int main(void)
{
    char trace[4096], plugin[4096], supp[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "leaks.hrr");
    snprintf(plugin, sizeof plugin, "%s", e2e_workload("libwl-plugin.so"));
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, "--", (char *)e2e_workload("wl-leaks"), plugin,
                   NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK_FATAL(r.exited && r.code == 0);

    /* the C++ runtime's and the dynamic loader's own blocks are leaks too: suppressed here */
    e2e_path(supp, sizeof supp, "runtime.supp");
    FILE *f = fopen(supp, "w");
    CHECK_FATAL(f && fputs("leak:_dl_init\nleak:_dl_open\n", f) >= 0 && fclose(f) == 0);
    char *leaks[] = {(char *)e2e_heaprr(), "leaks", "--json", "--suppressions", supp, trace, NULL};
    CHECK_FATAL(e2e_run(&r, leaks, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    static char json[16384];
    snprintf(json, sizeof json, "%s", r.out);
    expect_group(json, "leak_small", 300, 3);
    expect_group(json, "ns::Cache::grow(int)", 5000, 1);
    expect_group(json, "grow_chain()", 300, 1);
    expect_group(json, "make_nodes(int)", 168, 7);
    expect_group(json, "wl_plugin_leak", 615, 5);
    CHECK(strstr(json, "wl-plugin.c\",\n          \"line\": 16") != NULL); /* the plugin was unloaded */
    CHECK(strstr(json, "\"total_bytes\": 6383,") != NULL);
    CHECK(strstr(json, "\"total_blocks\": 17,") != NULL);
    CHECK(strstr(json, "\"truncated\": false") != NULL);
    /* largest first */
    const char *big = strstr(json, "\"bytes\": 5000"), *small = strstr(json, "\"bytes\": 168");
    CHECK(big && small && big < small);
    /* without suppressions, the runtime's blocks are there */
    char *all[] = {(char *)e2e_heaprr(), "leaks", "--json", trace, NULL};
    CHECK_FATAL(e2e_run(&r, all, NULL) == 0);
    CHECK(strstr(r.out, "\"suppressed_bytes\": 0,") != NULL);
    CHECK(strstr(r.out, "\"total_bytes\": 6383,") == NULL);

    /* suppressions: by function and by module */
    e2e_path(supp, sizeof supp, "supp.txt");
    f = fopen(supp, "w");
    CHECK_FATAL(f && fputs("# known\nleak:leak_small\n  ns::Cache::*  \nleak:libwl-plugin\nleak:_dl_init\nleak:_dl_open\n", f) >= 0 &&
                fclose(f) == 0);
    char *sup[] = {(char *)e2e_heaprr(), "leaks", "--json", "--suppressions", supp, trace, NULL};
    CHECK_FATAL(e2e_run(&r, sup, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "\"total_bytes\": 468,") != NULL);
    CHECK(strstr(r.out, "\"total_blocks\": 8,") != NULL);
    CHECK(strstr(r.out, "leak_small") == NULL);

    e2e_path(supp, sizeof supp, "runtime.supp");
    char *text[] = {(char *)e2e_heaprr(), "leaks", "--top", "1", "--suppressions", supp, trace, NULL};
    CHECK_FATAL(e2e_run(&r, text, NULL) == 0);
    CHECK(strstr(r.out, "6383 bytes leaked in 17 blocks from 5 allocation stacks") != NULL);
    CHECK(strstr(r.out, "5000 bytes in 1 block (78.3%) allocated from:") != NULL);
    CHECK(strstr(r.out, "ns::Cache::grow(int)") != NULL);
    CHECK(strstr(r.out, "... and 4 smaller groups") != NULL);

    e2e_path(supp, sizeof supp, "bad.supp");
    f = fopen(supp, "w");
    CHECK_FATAL(f && fputs("called_from_lib:x\n", f) >= 0 && fclose(f) == 0);
    CHECK_FATAL(e2e_run(&r, sup, NULL) == 0);
    CHECK(r.exited && r.code == 1 && strstr(r.err, "line 1"));
    char *bad[] = {(char *)e2e_heaprr(), "leaks", "--top", "0", trace, NULL};
    CHECK_FATAL(e2e_run(&r, bad, NULL) == 0);
    CHECK(r.exited && r.code == 2);
    return check_done("e2e-leaks");
}
