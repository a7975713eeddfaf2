/* SPDX-License-Identifier: MIT */
/* Realloc torture (heaprr record --torture realloc): tests/workloads/wl-checker keeps a pointer into
 * a buffer across a realloc that shrinks it, then writes through it. glibc shrinks in place, so
 * natively the write lands in the buffer: recorded with the freed-block checks but no torture, the
 * replay finds nothing. Under torture the block moves and the write lands in the old one, held in
 * the quarantine: one use-after-free, at the byte written, on the block the program had, freed by
 * the realloc. */
#include "e2e-json.h"
#include "e2e.h"

#include <stdio.h>
#include <string.h>

static void without_torture(void)
{
    char out[16384];
    int status = -1;
    jv *root = e2e_checker_replay("--check-freed", "stale-realloc", "", out, sizeof out, &status, NULL);
    CHECK_FATAL(root != NULL);
    CHECK_EQ_U64(status, 0);
    CHECK_EQ_U64((uint64_t)e2e_json_num(root, "error_count"), 0);
    jv_free(root);
}

static void under_torture(const char *option, char *const env[])
{
    char out[16384];
    jv *root;
    const jv *f = e2e_checker_finding(&root, option, "stale-realloc", out, sizeof out, env, 1);
    CHECK_FATAL(f != NULL);
    CHECK_TEXT(e2e_json_str(f, "kind"), "use-after-free");
    CHECK_TEXT(e2e_json_str(f, "block"), e2e_printed_ptr(out, "stale-realloc"));
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "size"), 64);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "offset"), 8);
    CHECK_EQ_U64((uint64_t)e2e_json_num(f, "bytes_damaged"), 1);
    CHECK_TEXT(e2e_json_str(f, "free_call"), "realloc");
    CHECK(e2e_stack_has(f, "free_stack", "resize_buffer"));
    CHECK(e2e_stack_has(f, "alloc_stack", "make_buffer"));
    CHECK(strstr(out, "survived") != NULL);
    jv_free(root);
}

int main(void)
{
    without_torture();
    under_torture("--torture=realloc", NULL);
    char *env[] = {"HEAPRR_TORTURE=realloc", NULL}; /* the variable, without heaprr record's option */
    under_torture("", env);
    return check_done("e2e-torture");
}
