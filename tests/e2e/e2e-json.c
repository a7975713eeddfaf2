/* SPDX-License-Identifier: MIT */
/* heaprr's JSON reports in the end-to-end tests (e2e-json.h). */
#include "e2e-json.h"

#include "e2e.h"

#include <stdio.h>
#include <string.h>

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

const char *e2e_json_str(const jv *o, const char *key)
{
    const jv *v = jv_get(o, key);
    return v && v->type == JV_STRING ? v->string : "";
}

double e2e_json_num(const jv *o, const char *key)
{
    const jv *v = jv_get(o, key);
    return v && v->type == JV_NUMBER ? v->number : -1;
}

jv *e2e_checker_replay(const char *rec_option, const char *what, const char *options, char *out, size_t cap,
                       int *replay_status, char *const env[])
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "checker.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "-o", trace, (char *)rec_option, "--",
                   (char *)e2e_workload("wl-checker"), (char *)what, NULL};
    if (!*rec_option) /* no option: close the gap */
        memmove(&rec[5], &rec[6], 4 * sizeof rec[0]);
    if (e2e_run(&r, rec, env) != 0 || !r.exited || r.code != 0) {
        fprintf(stderr, "recording wl-checker %s failed: %s\n", what, r.err);
        return NULL;
    }
    snprintf(out, cap, "%s", r.out);
    return e2e_heaprr_json("replay", options, trace, replay_status);
}

const jv *e2e_checker_finding(jv **root, const char *rec_option, const char *what, char *out, size_t cap,
                              char *const env[], uint64_t errors)
{
    int status = -1;
    *root = e2e_checker_replay(rec_option, what, "", out, cap, &status, env);
    if (!*root)
        return NULL;
    uint64_t count = e2e_json_u64(*root, "error_count");
    const jv *f = e2e_first_error(*root);
    if (status != 3 || count != errors || !f) {
        fprintf(stderr, "replay of wl-checker %s: status %d and %llu findings, not 3 and %llu\n", what, status,
                (unsigned long long)count, (unsigned long long)errors);
        return NULL;
    }
    return f;
}

const jv *e2e_first_error(const jv *root)
{
    const jv *errors = jv_get(root, "errors");
    return errors && errors->type == JV_ARRAY ? errors->child : NULL;
}

int e2e_stack_has(const jv *finding, const char *key, const char *name)
{
    const jv *s = jv_get(finding, key);
    for (const jv *fr = s ? s->child : NULL; fr; fr = fr->next)
        if (strncmp(e2e_json_str(fr, "function"), name, strlen(name)) == 0)
            return 1;
    return 0;
}

const char *e2e_printed_ptr(const char *out, const char *what)
{
    static char ptr[64];
    ptr[0] = 0;
    const char *p = strstr(out, what);
    if (p)
        sscanf(p + strlen(what), " %63s", ptr);
    return ptr;
}
