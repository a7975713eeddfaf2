/* SPDX-License-Identifier: MIT */
/* heaprr's JSON reports in the end-to-end tests (e2e-json.h). */
#include "e2e-json.h"

#include "e2e.h"

#include <stdio.h>

jv *e2e_heaprr_json(const char *command, const char *args, const char *trace, int *status)
{
    char path[4096], cmd[16384];
    e2e_path(path, sizeof path, "report.json");
    snprintf(cmd, sizeof cmd, "'%s' %s --json %s '%s' > '%s'", e2e_heaprr(), command, args, trace, path);
    run_result r;
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    if (e2e_run(&r, sh, NULL) != 0 || !r.exited)
        return NULL;
    *status = r.code;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    char why[256];
    jv *root = jv_parse(text, n, why, sizeof why);
    if (!root)
        fprintf(stderr, "heaprr %s --json %s: %s\n", command, args, why);
    return root;
}

uint64_t e2e_json_u64(const jv *root, const char *path)
{
    const jv *v = jv_get(root, path);
    return v && v->type == JV_NUMBER ? (uint64_t)v->number : UINT64_MAX;
}
