/* SPDX-License-Identifier: MIT */
/* Leak suppressions (include/heaprr/leaks.h), in LeakSanitizer's style. */
#include "suppress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 256
#define MAX_INLINE 8

struct hr_suppressions {
    char **patterns;
    size_t n;
};

/* Whether pattern (with '*' wildcards) matches all of text[0..len). */
static int glob(const char *pat, const char *text)
{
    const char *star = NULL, *retry = NULL;
    while (*text) {
        if (*pat == '*') {
            star = pat++;
            retry = text;
        } else if (*pat && *pat == *text) {
            pat++;
            text++;
        } else if (star) {
            pat = star + 1;
            text = ++retry;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == 0;
}

/* A pattern matches a part of the name: as if it were *PATTERN*. */
static int matches(const char *pattern, const char *name)
{
    if (!name)
        return 0;
    size_t n = strlen(pattern);
    char *wrapped = malloc(n + 3);
    if (!wrapped)
        return 0;
    wrapped[0] = '*';
    memcpy(wrapped + 1, pattern, n);
    wrapped[n + 1] = '*';
    wrapped[n + 2] = 0;
    int m = glob(wrapped, name);
    free(wrapped);
    return m;
}

static int add(hr_suppressions *s, const char *p, size_t len)
{
    char **n = realloc(s->patterns, (s->n + 1) * sizeof *n);
    if (!n)
        return -1;
    s->patterns = n;
    if (!(s->patterns[s->n] = strndup(p, len)))
        return -1;
    s->n++;
    return 0;
}

hr_suppressions *hr_supp_parse(const char *text, size_t len, char *why, size_t why_size)
{
    hr_suppressions *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    size_t line = 0;
    for (size_t pos = 0; pos < len; line++) {
        const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + (nl ? 1 : 0);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
            n--;
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        if (!n || *p == '#')
            continue;
        const char *colon = memchr(p, ':', n);
        if (colon && colon + 1 < p + n && colon[1] == ':')
            colon = NULL; /* "ns::name": a C++ name, not a rule */
        if (colon) {
            if ((size_t)(colon - p) != 4 || memcmp(p, "leak", 4) != 0) {
                snprintf(why, why_size, "line %zu: expected 'leak:PATTERN' or a pattern, not a '%.*s:' rule", line + 1,
                         (int)(colon - p > 20 ? 20 : colon - p), p);
                hr_supp_free(s);
                return NULL;
            }
            n -= 5;
            p += 5;
        }
        if (!n || memchr(p, 0, n)) {
            snprintf(why, why_size, "line %zu: an empty or binary pattern", line + 1);
            hr_supp_free(s);
            return NULL;
        }
        if (add(s, p, n) < 0) {
            snprintf(why, why_size, "out of memory");
            hr_supp_free(s);
            return NULL;
        }
    }
    return s;
}

void hr_supp_free(hr_suppressions *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->patterns[i]);
    free(s->patterns);
    free(s);
}

int hr_supp_match(const hr_suppressions *s, hr_reader *r, hr_symbolizer *sym, uint64_t stack)
{
    if (!s || !s->n)
        return 0;
    uint64_t ips[MAX_FRAMES];
    size_t n = stack ? hr_reader_stack(r, stack, ips, MAX_FRAMES) : 0;
    for (size_t i = 0; i < n; i++) {
        hr_symframe f[MAX_INLINE];
        size_t k = sym ? hr_sym_resolve(sym, ips[i], f, MAX_INLINE) : 0;
        for (size_t j = 0; j < k; j++)
            for (size_t q = 0; q < s->n; q++)
                if (matches(s->patterns[q], f[j].function) || matches(s->patterns[q], f[j].module))
                    return 1;
    }
    return 0;
}
