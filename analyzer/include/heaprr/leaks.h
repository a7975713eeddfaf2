/* SPDX-License-Identifier: MIT */
/* Leaks: the blocks still live at the end of a trace, grouped by allocation stack, largest first.
 * A block resized by realloc is one block of its final size, under the stack of the call that
 * last produced it (as LeakSanitizer and memcheck report). Suppressions, as LeakSanitizer's, drop
 * groups whose stack has a function matching a pattern. */
#ifndef HEAPRR_LEAKS_H
#define HEAPRR_LEAKS_H

#include <heaprr/index.h>
#include <heaprr/reader.h>
#include <heaprr/symbolize.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_leak {
    uint64_t stack; /* the reader's stack id */
    uint64_t bytes, blocks;
    uint64_t first_seq; /* the oldest block's allocation, for a stable order among equals */
    int suppressed;
} hr_leak;

typedef struct hr_leaks {
    hr_leak *groups; /* largest first; suppressed ones last */
    size_t n;
    uint64_t total_bytes, total_blocks;          /* not suppressed */
    uint64_t suppressed_bytes, suppressed_blocks;
} hr_leaks;

/* Reads r to its end. Returns 0, or the reader's negative hr_err, or HR_ERR_NOMEM. */
int hr_leaks_compute(hr_reader *r, hr_leaks *out);
/* Leak checks at chosen points (heaprr_mark or heaprr_leak_check in the program): the blocks live
 * at the mark until names (NULL: at the end), allocated after the mark since (NULL: since the
 * start). A mark is named by its text, the first one with that text, or "TEXT#N" for the Nth. */
typedef struct hr_leak_window {
    const char *since, *until;
} hr_leak_window;
/* Reads r up to the mark until. Returns 0, the reader's negative hr_err, HR_ERR_NOMEM, or
 * HR_ERR_ARG when a mark is missing or since does not come before until (hr_leaks_window_error
 * says which). */
int hr_leaks_window(hr_reader *r, const hr_leak_window *w, hr_leaks *out);
const char *hr_leaks_window_error(void);
/* The leaks in the figures of an index. Returns 0 or HR_ERR_NOMEM. */
int hr_leaks_from_index(const hr_index *ix, hr_leaks *out);
void hr_leaks_free(hr_leaks *l);

/* Suppressions: one pattern per line ("leak:PATTERN" or "PATTERN"; '#' starts a comment; '*'
 * matches any run of characters; a pattern matches when it matches part of a function name, or of
 * a module path). */
typedef struct hr_suppressions hr_suppressions;
/* Parses text (len bytes). Returns NULL with why on a malformed line. */
hr_suppressions *hr_supp_parse(const char *text, size_t len, char *why, size_t why_size);
void hr_supp_free(hr_suppressions *s);
/* Marks the groups whose stack matches, moves them last and recounts the totals. */
void hr_leaks_suppress(hr_leaks *l, const hr_suppressions *s, hr_reader *r, hr_symbolizer *sym);

#ifdef __cplusplus
}
#endif
#endif
