/* SPDX-License-Identifier: MIT */
/* The JSON reader (jsonread.h): recursive descent with a depth limit. */
#include "jsonread.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct parser {
    const char *s;
    size_t len, pos;
    char *why;
    size_t why_size;
    int failed;
} parser;

static jv *fail(parser *p, const char *what)
{
    if (!p->failed)
        snprintf(p->why, p->why_size, "byte %zu: expected %s", p->pos, what);
    p->failed = 1;
    return NULL;
}

static void skip_space(parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
        p->pos++;
}

static int literal(parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return 0;
    p->pos += n;
    return 1;
}

static int hex4(parser *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++, p->pos++) {
        char c = p->pos < p->len ? p->s[p->pos] : 0;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

/* Appends code point u as UTF-8 (surrogates become '?'). */
static size_t put_utf8(char *o, unsigned u)
{
    if (u >= 0xD800 && u < 0xE000)
        u = '?';
    if (u < 0x80) {
        o[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (char)(0xC0 | u >> 6);
        o[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | u >> 12);
    o[1] = (char)(0x80 | ((u >> 6) & 0x3F));
    o[2] = (char)(0x80 | (u & 0x3F));
    return 3;
}

static char *string(parser *p)
{
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return (char *)fail(p, "a string");
    p->pos++;
    char *out = malloc(p->len - p->pos + 1), *o = out;
    if (!out)
        return (char *)fail(p, "memory");
    while (p->pos < p->len && p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c < 0x20) {
            p->pos--;
            free(out);
            return (char *)fail(p, "no control character in a string");
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        char e = p->pos < p->len ? p->s[p->pos++] : 0;
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *k = e ? strchr(from, e) : NULL;
        unsigned u;
        if (k)
            *o++ = to[k - from];
        else if (e == 'u' && hex4(p, &u) == 0)
            o += put_utf8(o, u);
        else {
            free(out);
            return (char *)fail(p, "a valid escape");
        }
    }
    if (p->pos >= p->len) {
        free(out);
        return (char *)fail(p, "the end of a string");
    }
    p->pos++;
    *o = 0;
    return out;
}

static jv *value(parser *p, int depth);

static jv *node(parser *p, jv_type t)
{
    jv *v = calloc(1, sizeof *v);
    if (!v)
        return fail(p, "memory");
    v->type = t;
    return v;
}

/* Members of an object (keys) or elements of an array, up to the closing bracket. */
static jv *container(parser *p, int depth, int object)
{
    jv *v = node(p, object ? JV_OBJECT : JV_ARRAY), **tail;
    if (!v)
        return NULL;
    tail = &v->child;
    p->pos++;
    skip_space(p);
    char close = object ? '}' : ']';
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_space(p);
        if (object) {
            if (!(key = string(p)))
                break;
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                free(key);
                fail(p, "':'");
                break;
            }
            p->pos++;
        }
        jv *item = value(p, depth + 1);
        if (!item) {
            free(key);
            break;
        }
        item->key = key;
        *tail = item;
        tail = &item->next;
        skip_space(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return v;
        }
        fail(p, object ? "',' or '}'" : "',' or ']'");
        break;
    }
    jv_free(v);
    return NULL;
}

static jv *number(parser *p)
{
    const char *start = p->s + p->pos;
    size_t n = 0;
    while (p->pos + n < p->len && strchr("+-0123456789.eE", start[n]))
        n++;
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return fail(p, "a value");
    memcpy(buf, start, n);
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end)
        return fail(p, "a number");
    p->pos += n;
    jv *v = node(p, JV_NUMBER);
    if (v)
        v->number = d;
    return v;
}

static jv *value(parser *p, int depth)
{
    skip_space(p);
    if (depth > MAX_DEPTH)
        return fail(p, "less nesting");
    if (p->pos >= p->len)
        return fail(p, "a value");
    char c = p->s[p->pos];
    if (c == '{' || c == '[')
        return container(p, depth, c == '{');
    if (c == '"') {
        char *s = string(p);
        jv *v = s ? node(p, JV_STRING) : NULL;
        if (v)
            v->string = s;
        else
            free(s);
        return v;
    }
    jv *v = NULL;
    if (literal(p, "true") || literal(p, "false")) {
        if ((v = node(p, JV_BOOL)))
            v->number = p->s[p->pos - 1] == 'e' && p->s[p->pos - 2] == 'u';
        return v;
    }
    if (literal(p, "null"))
        return node(p, JV_NULL);
    return number(p);
}

jv *jv_parse(const char *text, size_t len, char *why, size_t why_size)
{
    parser p = {text, len, 0, why, why_size, 0};
    jv *v = value(&p, 0);
    skip_space(&p);
    if (v && p.pos != len) {
        jv_free(v);
        return fail(&p, "the end of the document");
    }
    return v;
}

void jv_free(jv *v)
{
    while (v) {
        jv *next = v->next;
        jv_free(v->child);
        free(v->string);
        free(v->key);
        free(v);
        v = next;
    }
}

const jv *jv_get(const jv *root, const char *path)
{
    const jv *v = root;
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        const jv *m = v->type == JV_OBJECT ? v->child : NULL;
        while (m && !(strlen(m->key) == n && memcmp(m->key, path, n) == 0))
            m = m->next;
        v = m;
        path += n + (dot ? 1 : 0);
    }
    return v;
}
