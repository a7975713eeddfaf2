/* SPDX-License-Identifier: MIT */
/* The checker on real programs that commit each error (tests/workloads/wl-checker.cpp): the replay's
 * JSON names the kind, the culprit block and its size, and the functions on the faulting and the
 * allocating stacks; the same program doing everything right gets no finding. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct expect {
    const char *what, *kind, *call, *faulting, *allocating;
    double size, passed, alloc_align;
} expect;

static void check_error(const expect *x)
{
    char out[16384];
    jv *root;
    const jv *f = e2e_checker_finding(&root, "", x->what, out, sizeof out, NULL, 1);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(e2e_json_str(f, "kind"), x->kind);
    CHECK_TEXT(e2e_json_str(f, "call"), x->call);
    CHECK_TEXT(e2e_json_str(f, "block"), e2e_printed_ptr(out, x->what));
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size"), (uint64_t)x->size);
    if (strcmp(x->kind, "size-mismatch") == 0) {
        CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size_passed"), (uint64_t)x->passed);
    } else {
        CHECK_EQ_U64((uint64_t)e2e_json_num(f, "align_passed"), (uint64_t)x->passed);
        CHECK_EQ_U64((uint64_t)e2e_json_num(f, "alloc_align"), (uint64_t)x->alloc_align);
    }
    CHECK(e2e_stack_has(f, "stack", x->faulting));
    CHECK(e2e_stack_has(f, "alloc_stack", x->allocating));
    CHECK(e2e_stack_has(f, "alloc_stack", "main"));
    jv_free(root);

    /* --check none reports nothing. */
    int status = -1;
    root = e2e_checker_replay("", x->what, "--check none", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(root, "error_count"), 0);
    jv_free(root);
}

/* Records wl-checker doing what in guard mode and checks its one finding: kind, the culprit 24-byte
 * block, the offset and count of the bytes written, the free that found it, the allocation, and
 * that the model saw the bytes on a block header (own: the block's, else a neighbour's). */
static void check_guard(const char *what, const char *kind, double offset, uint64_t bytes, int own_header)
{
    char out[16384];
    jv *root;
    const jv *f = e2e_checker_finding(&root, "--guard", what, out, sizeof out, NULL, 1);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(e2e_json_str(f, "kind"), kind);
    CHECK_TEXT(e2e_json_str(f, "call"), "free");
    CHECK_TEXT(e2e_json_str(f, "block"), e2e_printed_ptr(out, what));
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size"), 24);
    CHECK(e2e_json_num(f, "offset") == offset);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "bytes_damaged"), bytes);
    const jv *gz = jv_get(f, "guard_zone");
    CHECK(gz && gz->type == JV_BOOL && gz->number == 1);
    CHECK_TEXT(e2e_json_str(f, "on_model.kind"), "corrupt-header");
    CHECK((strcmp(e2e_json_str(f, "on_model.block"), e2e_json_str(f, "block")) == 0) == own_header);
    CHECK(e2e_json_num(f, "on_model.offset") < 0);
    CHECK(e2e_stack_has(f, "stack", "drop_buffer"));
    CHECK(e2e_stack_has(f, "alloc_stack", "make_buffer"));
    CHECK(e2e_stack_has(f, "alloc_stack", "main"));
    jv_free(root);
}

/* A write through a stale pointer into a freed 40-byte node, recorded with --check-freed: one
 * use-after-free naming the node, the 8 bytes at offset 8, the allocating, freeing and (when
 * churn pushes it out of a 1 MiB quarantine) detecting functions; at exit when nothing does. */
static void check_use_after_free(const char *what, int at_exit)
{
    char out[16384];
    char *env[] = {"HEAPRR_QUARANTINE_MB=1", NULL};
    jv *root;
    const jv *f = e2e_checker_finding(&root, "--check-freed", what, out, sizeof out, env, 1);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(e2e_json_str(f, "kind"), "use-after-free");
    CHECK_TEXT(e2e_json_str(f, "block"), e2e_printed_ptr(out, what));
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size"), 40);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "offset"), 8);
    CHECK(e2e_json_num(f, "bytes_damaged") >= 1 && e2e_json_num(f, "bytes_damaged") <= 8);
    CHECK(e2e_stack_has(f, "alloc_stack", "make_node"));
    CHECK(e2e_stack_has(f, "free_stack", "drop_node"));
    const jv *event = jv_get(f, "event");
    if (at_exit) {
        CHECK(event && event->type == JV_NULL);
    } else {
        CHECK(event && event->type == JV_NUMBER);
        CHECK_TEXT(e2e_json_str(f, "call"), "free");
        CHECK(e2e_stack_has(f, "stack", "churn"));
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
    jv *root = e2e_checker_replay("", "correct", "", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(root, "error_count"), 0);
    jv_free(root);
    return check_done("e2e-checker");
}
