/* SPDX-License-Identifier: MIT */
/* Shared pieces of the heaprr command line: the command table, error exits, option parsing
 * helpers and the JSON writer. Commands parse arguments and wire libraries together; analysis
 * lives in the libraries. */
#ifndef HEAPRR_CLI_H
#define HEAPRR_CLI_H

#include <heaprr/reader.h>

#include <stdint.h>
#include <stdio.h>

#define EXIT_USAGE 2
#define EXIT_BAD_TRACE 1

/* ---- main.c ---- */

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

/* ---- util.c ---- */

/* Prints "heaprr CMD: message (try 'heaprr CMD --help')" and exits 2. */
void cli_usage(const char *cmd, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* Prints "heaprr: message" and exits with status. */
void cli_die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* realloc(p, n), never NULL (n 0 is 1): out of memory ends the command with one line. */
void *cli_realloc(void *p, size_t n);
/* strdup(s), never NULL: out of memory ends the command with one line. */
char *cli_strdup(const char *s);
/* Opens a trace or exits 1 with the reader's one-line explanation. */
hr_reader *cli_open_trace(const char *path, unsigned flags);
/* After an analysis pass over r: exits 1 with one line when rc is an error (out of memory, or the
 * reader's message); returns otherwise. */
void cli_pass_done(int rc, hr_reader *r, const char *path);
/* After a pass that read r to its end: when the trace was cut short, says so on stderr in one line,
 * with what that means for the command's output (meaning, or NULL). */
void cli_truncation_note(hr_reader *r, const char *meaning);
/* Turns those notes off (heaprr report: one note, not one per part). */
void cli_truncation_notes_off(void);
/* After a reader error: prints its message and exits 1. */
void cli_trace_error(hr_reader *r) __attribute__((noreturn));
/* Parses a non-negative integer option value or exits 2. */
uint64_t cli_number(const char *cmd, const char *opt, const char *value, uint64_t min, uint64_t max);
/* getopt_long wrapper that reports unknown options and missing values in one line. Returns the
 * option character, -1 at the end of options. */
struct option;
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts);
/* The one trace file left after the options (optind), or exits 2: "missing trace file" or
 * "expects one trace file". */
const char *cli_trace_operand(const char *cmd, int argc, char **argv);
/* Prints a --help text and exits 0. */
void cli_help(const char *text) __attribute__((noreturn));

/* ---- json.c: a streaming JSON writer with two-space indentation ---- */

#define JSON_MAX_DEPTH 4096 /* nesting a document may reach (the HTML report's flame tree is deep) */

typedef struct json {
    FILE *f;
    int depth;
    int compact;                          /* no newlines or indentation: for files other programs read */
    uint64_t first[JSON_MAX_DEPTH / 64]; /* per depth: nothing written at it yet (a bit each) */
} json;

void json_init(json *j, FILE *f);
/* The same for a compact document. */
void json_init_compact(json *j, FILE *f);
void json_object_begin(json *j, const char *key);
void json_object_end(json *j);
void json_array_begin(json *j, const char *key);
void json_array_end(json *j);
void json_u64(json *j, const char *key, uint64_t v);
void json_i64(json *j, const char *key, int64_t v);
void json_double(json *j, const char *key, double v);
void json_bool(json *j, const char *key, int v);
void json_str(json *j, const char *key, const char *s, size_t len);
void json_cstr(json *j, const char *key, const char *s);
void json_null(json *j, const char *key);
/* Ends the document with a newline. */
void json_finish(json *j);

/* ---- commands ---- */

int cmd_dump(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_leaks(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_bins(int argc, char **argv);

/* cmd-bins.c: the bin histogram (also for heaprr plot and report). */
struct hr_bins;
void cli_plot_bins(const struct hr_bins *b, const char *title, const char *out);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_torture(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
