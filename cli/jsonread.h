/* SPDX-License-Identifier: MIT */
/* A small JSON reader for the reports heaprr writes (heaprr compare reads them back): parses a
 * whole document into a tree and finds values by dotted paths ("fragmentation.peak_vs_peak").
 * Damaged input gets one message with the byte offset and what was expected. */
#ifndef HEAPRR_CLI_JSONREAD_H
#define HEAPRR_CLI_JSONREAD_H

#include <stddef.h>

typedef enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT } jv_type;

typedef struct jv {
    jv_type type;
    double number;      /* JV_NUMBER, JV_BOOL (0 or 1) */
    char *string;       /* JV_STRING: unescaped */
    char *key;          /* member name, inside an object */
    struct jv *child;   /* first element or member */
    struct jv *next;    /* next sibling */
} jv;

/* Parses text (len bytes). Returns the root, or NULL with a message in why. */
jv *jv_parse(const char *text, size_t len, char *why, size_t why_size);
void jv_free(jv *v);
/* The value at a dotted path of object keys, or NULL. */
const jv *jv_get(const jv *root, const char *path);

#endif
