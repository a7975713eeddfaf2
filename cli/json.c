/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer: keys in the order written, strings escaped per RFC 8259. */
#include "cli.h"

#include <math.h>
#include <string.h>

static int is_first(const json *j, int depth)
{
    return (int)(j->first[depth / 64] >> (depth % 64)) & 1;
}

static void set_first(json *j, int depth, int on)
{
    uint64_t bit = 1ull << (depth % 64);
    j->first[depth / 64] = on ? j->first[depth / 64] | bit : j->first[depth / 64] & ~bit;
}

void json_init(json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    set_first(j, 0, 1);
}

void json_init_compact(json *j, FILE *f)
{
    json_init(j, f);
    j->compact = 1;
}

static void indent(json *j)
{
    if (j->compact)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

static void escaped(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Starts a value: comma, newline and indentation, then the key if inside an object. */
static void value_start(json *j, const char *key)
{
    if (j->depth > 0) {
        if (!is_first(j, j->depth))
            fputc(',', j->f);
        indent(j);
    }
    set_first(j, j->depth, 0);
    if (key) {
        escaped(j->f, key, strlen(key));
        fputs(j->compact ? ":" : ": ", j->f);
    }
}

static void open_(json *j, const char *key, char c)
{
    value_start(j, key);
    fputc(c, j->f);
    if (j->depth + 1 >= JSON_MAX_DEPTH)
        cli_die(1, "a JSON document nested deeper than %d levels", JSON_MAX_DEPTH);
    j->depth++;
    set_first(j, j->depth, 1);
}

static void close_(json *j, char c)
{
    int empty = is_first(j, j->depth);
    j->depth--;
    if (!empty)
        indent(j);
    fputc(c, j->f);
}

void json_object_begin(json *j, const char *key) { open_(j, key, '{'); }
void json_object_end(json *j) { close_(j, '}'); }
void json_array_begin(json *j, const char *key) { open_(j, key, '['); }
void json_array_end(json *j) { close_(j, ']'); }

void json_u64(json *j, const char *key, uint64_t v)
{
    value_start(j, key);
    fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_i64(json *j, const char *key, int64_t v)
{
    value_start(j, key);
    fprintf(j->f, "%lld", (long long)v);
}

void json_double(json *j, const char *key, double v)
{
    value_start(j, key);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void json_bool(json *j, const char *key, int v)
{
    value_start(j, key);
    fputs(v ? "true" : "false", j->f);
}

void json_str(json *j, const char *key, const char *s, size_t len)
{
    value_start(j, key);
    escaped(j->f, s, len);
}

void json_cstr(json *j, const char *key, const char *s)
{
    json_str(j, key, s ? s : "", s ? strlen(s) : 0);
}

void json_null(json *j, const char *key)
{
    value_start(j, key);
    fputs("null", j->f);
}

void json_finish(json *j)
{
    fputc('\n', j->f);
}
