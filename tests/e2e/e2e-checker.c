/* SPDX-License-Identifier: MIT */
/* The checker on real programs that commit each error (tests/workloads/wl-checker.cpp): the replay's
 * JSON names the kind, the culprit block and its size, and the functions on the faulting and the
 * allocating stacks; the same program doing everything right gets no finding. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records wl-checker doing what (recording option rec_option: "" or one option; env: more of the
 * environment, or NULL), then replays the trace with options. out: the program's stdout. Returns
 * the replay's report (jv_free it) or NULL. */
static jv *record_with(const char *rec_option, const char *what, const char *options, char *out, size_t cap,
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

static jv *record_and_replay(const char *what, const char *options, char *out, size_t cap, int *replay_status)
{
    return record_with("", what, options, out, cap, replay_status, NULL);
}

static const jv *first_error(const jv *root)
{
    const jv *errors = jv_get(root, "errors");
    return errors && errors->type == JV_ARRAY ? errors->child : NULL;
}

static const char *str_at(const jv *o, const char *key)
{
    const jv *v = jv_get(o, key);
    return v && v->type == JV_STRING ? v->string : "";
}

static double num_at(const jv *o, const char *key)
{
    const jv *v = jv_get(o, key);
    return v && v->type == JV_NUMBER ? v->number : -1;
}

/* Whether a frame of the stack at key names a function starting with name. */
static int stack_has(const jv *finding, const char *key, const char *name)
{
    const jv *s = jv_get(finding, key);
    for (const jv *fr = s ? s->child : NULL; fr; fr = fr->next) {
        const char *fn = str_at(fr, "function");
        if (strncmp(fn, name, strlen(name)) == 0)
            return 1;
    }
    return 0;
}

/* The pointer wl-checker printed for what ("what 0x..."). */
static const char *printed_ptr(const char *out, const char *what)
{
    static char ptr[64];
    ptr[0] = 0;
    const char *p = strstr(out, what);
    if (p)
        sscanf(p + strlen(what), " %63s", ptr);
    return ptr;
}

#define CHECK_TEXT(got, want)                                                                      \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (strcmp(g_, w_) != 0) {                                                                 \
            fprintf(stderr, "%s:%d: %s is '%s', not '%s'\n", __FILE__, __LINE__, #got, g_, w_);    \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

typedef struct expect {
    const char *what, *kind, *call, *faulting, *allocating;
    double size, passed, alloc_align;
} expect;

static void check_error(const expect *x)
{
    char out[16384];
    int status = -1;
    jv *root = record_and_replay(x->what, "", out, sizeof out, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 3); /* findings */
    CHECK_EQ_U64((uint64_t)num_at(root, "error_count"), 1);
    const jv *f = first_error(root);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(str_at(f, "kind"), x->kind);
    CHECK_TEXT(str_at(f, "call"), x->call);
    CHECK_TEXT(str_at(f, "block"), printed_ptr(out, x->what));
    CHECK_EQ_U64((uint64_t)num_at(f, "size"), (uint64_t)x->size);
    if (strcmp(x->kind, "size-mismatch") == 0) {
        CHECK_EQ_U64((uint64_t)num_at(f, "size_passed"), (uint64_t)x->passed);
    } else {
        CHECK_EQ_U64((uint64_t)num_at(f, "align_passed"), (uint64_t)x->passed);
        CHECK_EQ_U64((uint64_t)num_at(f, "alloc_align"), (uint64_t)x->alloc_align);
    }
    CHECK(stack_has(f, "stack", x->faulting));
    CHECK(stack_has(f, "alloc_stack", x->allocating));
    CHECK(stack_has(f, "alloc_stack", "main"));
    jv_free(root);

    /* --check none reports nothing. */
    root = record_and_replay(x->what, "--check none", out, sizeof out, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)num_at(root, "error_count"), 0);
    jv_free(root);
}

/* Records wl-checker doing what in guard mode and checks its one finding: kind, the culprit 24-byte
 * block, the offset and count of the bytes written, the free that found it, the allocation, and
 * that the model saw the bytes on a block header (own: the block's, else a neighbour's). */
static void check_guard(const char *what, const char *kind, double offset, uint64_t bytes, int own_header)
{
    char out[16384];
    int status = -1;
    jv *root = record_with("--guard", what, "", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 3);
    CHECK_EQ_U64((uint64_t)num_at(root, "error_count"), 1);
    const jv *f = first_error(root);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(str_at(f, "kind"), kind);
    CHECK_TEXT(str_at(f, "call"), "free");
    CHECK_TEXT(str_at(f, "block"), printed_ptr(out, what));
    CHECK_EQ_U64((uint64_t)num_at(f, "size"), 24);
    CHECK(num_at(f, "offset") == offset);
    CHECK_EQ_U64((uint64_t)num_at(f, "bytes_damaged"), bytes);
    const jv *gz = jv_get(f, "guard_zone");
    CHECK(gz && gz->type == JV_BOOL && gz->number == 1);
    CHECK_TEXT(str_at(f, "on_model.kind"), "corrupt-header");
    CHECK((strcmp(str_at(f, "on_model.block"), str_at(f, "block")) == 0) == own_header);
    CHECK(num_at(f, "on_model.offset") < 0);
    CHECK(stack_has(f, "stack", "drop_buffer"));
    CHECK(stack_has(f, "alloc_stack", "make_buffer"));
    CHECK(stack_has(f, "alloc_stack", "main"));
    jv_free(root);
}

/* A write through a stale pointer into a freed 40-byte node, recorded with --check-freed: one
 * use-after-free naming the node, the 8 bytes at offset 8, the allocating, freeing and (when
 * churn pushes it out of a 1 MiB quarantine) detecting functions; at exit when nothing does. */
static void check_use_after_free(const char *what, int at_exit)
{
    char out[16384];
    int status = -1;
    char *env[] = {"HEAPRR_QUARANTINE_MB=1", NULL};
    jv *root = record_with("--check-freed", what, "", out, sizeof out, &status, env);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 3);
    CHECK_EQ_U64((uint64_t)num_at(root, "error_count"), 1);
    const jv *f = first_error(root);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(str_at(f, "kind"), "use-after-free");
    CHECK_TEXT(str_at(f, "block"), printed_ptr(out, what));
    CHECK_EQ_U64((uint64_t)num_at(f, "size"), 40);
    CHECK_EQ_U64((uint64_t)num_at(f, "offset"), 8);
    CHECK(num_at(f, "bytes_damaged") >= 1 && num_at(f, "bytes_damaged") <= 8);
    CHECK(stack_has(f, "alloc_stack", "make_node"));
    CHECK(stack_has(f, "free_stack", "drop_node"));
    const jv *event = jv_get(f, "event");
    if (at_exit) {
        CHECK(event && event->type == JV_NULL);
    } else {
        CHECK(event && event->type == JV_NUMBER);
        CHECK_TEXT(str_at(f, "call"), "free");
        CHECK(stack_has(f, "stack", "churn"));
    }
    jv_free(root);
}

int main(void)
{
    static const expect cases[] = {
        {"size-mismatch", "size-mismatch", "delete", "drop_sized", "make_record", 16, 24, 0},
        {"align-aligned-plain", "alignment-mismatch", "delete", "drop_plain", "make_aligned_record", 48, 0, 64},
        {"align-plain-aligned", "alignment-mismatch", "delete", "drop_aligned", "make_record", 48, 32, 0},
        {"align-other", "alignment-mismatch", "delete", "drop_aligned", "make_aligned_record", 48, 128, 64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_error(&cases[i]);

    check_guard("overrun", "overrun", 24, 8, 0);   /* 32 bytes into 24: on the neighbour's header */
    check_guard("underrun", "underrun", -4, 4, 1); /* 4 bytes before: on its own header */
    check_use_after_free("use-after-free", 0);
    check_use_after_free("use-after-free-exit", 1);

    char out[16384];
    int status = -1;
    jv *root = record_and_replay("correct", "", out, sizeof out, &status);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)num_at(root, "error_count"), 0);
    jv_free(root);
    return check_done("e2e-checker");
}
