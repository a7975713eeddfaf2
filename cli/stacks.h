/* SPDX-License-Identifier: MIT */
/* Stacks in reports: each frame's address with the module that holds it (from the trace's module
 * records) and the offset in it. */
#ifndef HEAPRR_CLI_STACKS_H
#define HEAPRR_CLI_STACKS_H

#include "cli.h"

/* "key": "0x..." */
void cli_json_hex(json *j, const char *key, uint64_t v);
/* "key": [{"function", "file", "line", "module", "address"}, ...] for stack id (none: []). */
void cli_json_stack(json *j, const char *key, hr_reader *r, uint64_t stack);
/* The frames of stack id, innermost first, inlined ones included (a frame's function: NULL when
 * unknown); *out points into a buffer valid until the next call. Returns how many. */
struct hr_symframe;
size_t cli_stack_frames(hr_reader *r, uint64_t stack, const struct hr_symframe **out);
/* One frame as a short name: its function, or module+offset, or its address. */
int cli_frame_name(const struct hr_symframe *f, char *out, size_t cap);
/* One line per frame, each starting with indent. */
void cli_print_stack(hr_reader *r, const char *indent, uint64_t stack);
/* The symbolizer the functions above use for r (made on first use; NULL without memory). */
struct hr_symbolizer *cli_symbolizer(hr_reader *r);
/* A site as one line: its first frames, "function (file:line) <- caller <- ...". */
void cli_site_label(hr_reader *r, uint64_t stack, size_t frames, char *out, size_t cap);
/* The innermost frame of the program's own code, past the first skip frames: the first one whose
 * module is not a system library (under /lib or /usr/lib) nor the recorder, as "function
 * (file:line)"; "" when there is none. */
void cli_site_origin(hr_reader *r, uint64_t stack, size_t skip, char *out, size_t cap);
/* The frames' names (function, else module+offset), innermost first, into buf; returns how many. */
size_t cli_stack_names(hr_reader *r, uint64_t stack, const char **names, size_t max, char *buf, size_t cap);
/* The frame names of stack joined by ';' (a ';' in a name becomes ':'), outermost first when
 * outer_first; a stack without frames gives empty_label. */
void cli_stack_join(hr_reader *r, uint64_t stack, int outer_first, const char *empty_label, char *out, size_t cap);
/* Frees the symbolizer the functions above keep. */
void cli_stacks_done(void);

#endif
