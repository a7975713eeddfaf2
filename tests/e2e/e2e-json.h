/* SPDX-License-Identifier: MIT */
/* The JSON reports of heaprr's commands, for the end-to-end tests that read them (cli/jsonread.c
 * parses them). */
#ifndef HEAPRR_E2E_JSON_H
#define HEAPRR_E2E_JSON_H

#include "jsonread.h"

#include <stdint.h>

/* Runs 'heaprr COMMAND --json ARGS TRACE' (ARGS split as the shell splits words), its output into a
 * file of the test's temporary directory, and parses that. *status: heaprr's exit status. Returns
 * the report (jv_free it), or NULL when heaprr did not run to its end or wrote no JSON (said on
 * stderr). */
jv *e2e_heaprr_json(const char *command, const char *args, const char *trace, int *status);
/* The number at a dotted path of the report, UINT64_MAX when there is none. */
uint64_t e2e_json_u64(const jv *root, const char *path);

/* The value at key of object o: its string ("" when there is none), its number (-1). */
const char *e2e_json_str(const jv *o, const char *key);
double e2e_json_num(const jv *o, const char *key);

/* ---- the checker's findings (heaprr replay --json) ---- */

/* Records tests/workloads/wl-checker doing what (rec_option: "" or one option of heaprr record;
 * env: more of the environment, or NULL), then replays the trace with options. out: the program's
 * stdout. Returns the replay's report (jv_free it) or NULL. */
jv *e2e_checker_replay(const char *rec_option, const char *what, const char *options, char *out, size_t cap,
                       int *replay_status, char *const env[]);
/* The same, replayed with the default options, for a run that must find errors: its first finding
 * when the replay exited with status 3 and counted exactly errors findings, else NULL (said on
 * stderr). *root: the report (jv_free it). */
const jv *e2e_checker_finding(jv **root, const char *rec_option, const char *what, char *out, size_t cap,
                              char *const env[], uint64_t errors);
/* The report's first finding, NULL if none. */
const jv *e2e_first_error(const jv *root);
/* Whether a frame of the finding's stack at key names a function starting with name. */
int e2e_stack_has(const jv *finding, const char *key, const char *name);
/* The pointer wl-checker printed for what ("what 0x..."). */
const char *e2e_printed_ptr(const char *out, const char *what);

/* Counts a failure (e2e.h) when the string got is not want. */
#define CHECK_TEXT(got, want)                                                                      \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (strcmp(g_, w_) != 0) {                                                                 \
            fprintf(stderr, "%s:%d: %s is '%s', not '%s'\n", __FILE__, __LINE__, #got, g_, w_);    \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#endif
