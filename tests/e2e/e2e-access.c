/* SPDX-License-Identifier: MIT */
/* The access checks (MALLOC_CKACCESS, heaprr record --check-access) on tests/workloads/wl-checker
 * calling memcpy, strcpy, strcat and memset wrongly: one finding per bad call, read from the
 * replay's JSON, naming the function, whether it wrote or read, the culprit block, the range, the
 * function that made the call, the allocation (and the free, for a freed block). The same
 * functions used within bounds, and a block used up to what malloc_usable_size said, give none. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <string.h>

typedef struct expect {
    const char *what, *kind, *call, *access, *caller;
    uint64_t size, length, errors;
} expect;

static void check_access(const expect *x, char *const env[])
{
    char out[16384];
    jv *root;
    const jv *f = e2e_checker_finding(&root, "--check-access", x->what, out, sizeof out, env, x->errors);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(e2e_json_str(f, "kind"), x->kind);
    CHECK_TEXT(e2e_json_str(f, "call"), x->call);
    CHECK_TEXT(e2e_json_str(f, "access"), x->access);
    CHECK_TEXT(e2e_json_str(f, "block"), e2e_printed_ptr(out, x->what));
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size"), x->size);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "offset"), 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "length"), x->length);
    CHECK(e2e_stack_has(f, "stack", x->caller));
    CHECK(e2e_stack_has(f, "stack", "main"));
    CHECK(e2e_stack_has(f, "alloc_stack", "make_buffer"));
    if (strcmp(x->kind, "access-freed") == 0)
        CHECK(e2e_stack_has(f, "free_stack", "drop_buffer"));
    jv_free(root);
}

int main(void)
{
    static const expect cases[] = {
        {"access-memcpy", "access-overrun", "memcpy", "write", "copy_into", 36, 40, 1},
        {"access-strcpy", "access-overrun", "strcpy", "write", "copy_string", 12, 16, 1},
        {"access-read", "access-overrun", "memcpy", "read", "read_from", 20, 24, 1},
        {"access-strcat", "access-overrun", "strcat", "write", "append", 16, 19, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_access(&cases[i], NULL);

    /* A freed block held in the quarantine: access-freed, then the write it made, found at exit. */
    static const expect freed = {"access-freed", "access-freed", "memset", "write", "clear", 40, 16, 2};
    char *quarantine[] = {"MALLOC_CKFREED=1", NULL};
    check_access(&freed, quarantine);

    /* The case, in guard mode: the call is caught, then its bytes in the guard zone. */
    static const expect guarded = {"access-guarded", "access-overrun", "memcpy", "write", "copy_into", 40, 46, 2};
    char *guard[] = {"MALLOC_CKBOUNDS=1", NULL};
    check_access(&guarded, guard);

    /* Within bounds: nothing. */
    char out[16384];
    int status = -1;
    jv *root = e2e_checker_replay("--check-access", "access-correct", "", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(root, "error_count"), 0);
    jv_free(root);

    /* Without --check-access the same program records no such finding. */
    root = e2e_checker_replay("", "access-memcpy", "", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64((uint64_t)e2e_json_num(root, "error_count"), 0);
    jv_free(root);
    return check_done("e2e-access");
}
