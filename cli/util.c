/* SPDX-License-Identifier: MIT */
/* Error exits and option parsing shared by the commands: every failure is one line on stderr and
 * a status scripts can rely on (2 usage, 1 unreadable trace). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "heaprr%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'heaprr %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    exit(EXIT_USAGE);
}

const char *cli_trace_operand(const char *cmd, int argc, char **argv)
{
    if (optind != argc - 1)
        cli_usage(cmd, optind >= argc ? "missing trace file" : "expects one trace file");
    return argv[optind];
}

void cli_die(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("heaprr: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

void *cli_realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        cli_die(1, "out of memory");
    return p;
}

char *cli_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        cli_die(1, "out of memory");
    return d;
}

hr_reader *cli_open_trace(const char *path, unsigned flags)
{
    hr_reader *r;
    int rc = hr_reader_open(&r, path, flags);
    if (rc == HR_ERR_NOMEM && !r)
        cli_die(EXIT_BAD_TRACE, "%s: out of memory", path);
    if (rc < 0)
        cli_trace_error(r);
    return r;
}

void cli_trace_error(hr_reader *r)
{
    fflush(stdout);
    fprintf(stderr, "heaprr: %s\n", hr_reader_message(r));
    hr_reader_close(r);
    exit(EXIT_BAD_TRACE);
}

uint64_t cli_number(const char *cmd, const char *opt, const char *value, uint64_t min, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || v < min || v > max)
        cli_usage(cmd, "%s expects a number between %llu and %llu, not '%s'", opt,
                  (unsigned long long)min, (unsigned long long)max, value);
    return v;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    /* A leading ':' (after a '+') makes getopt say ':' for a missing value, short or long: without
     * it, '--top' alone was called an unknown option. */
    char opts[128];
    int plus = shortopts[0] == '+';
    snprintf(opts, sizeof opts, "%s:%s", plus ? "+" : "", shortopts + plus);
    opterr = 0;
    int c = getopt_long(argc, argv, opts, longopts, NULL);
    if (c == '?') {
        if (optopt)
            cli_usage(cmd, "unknown option '-%c'", optopt);
        cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
    }
    if (c == ':')
        cli_usage(cmd, "option '%s' needs a value", argv[optind - 1]);
    return c;
}

void cli_help(const char *text)
{
    fputs(text, stdout);
    exit(0);
}

static int truncation_notes = 1;

void cli_truncation_notes_off(void)
{
    truncation_notes = 0;
}

void cli_truncation_note(hr_reader *r, const char *meaning)
{
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    if (truncation_notes && st.truncated)
        fprintf(stderr, "heaprr: %s%s%s%s\n", hr_reader_message(r), meaning ? " (" : "", meaning ? meaning : "",
                meaning ? ")" : "");
}

void cli_pass_done(int rc, hr_reader *r, const char *path)
{
    if (rc == HR_ERR_NOMEM)
        cli_die(EXIT_BAD_TRACE, "out of memory reading %s", path);
    if (rc < 0)
        cli_trace_error(r);
}
