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

#endif
