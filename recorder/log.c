/* SPDX-License-Identifier: MIT */
/* Messages from inside someone else's program: formatted without stdio or allocation, written
 * with one write(2) so they are async-signal-safe, and errno is left as the program had it. */
#include "recorder.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put_char(out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len++] = c;
}

static void put_str(out *o, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s)
        put_char(o, *s++);
}

static void put_num(out *o, unsigned long long v, unsigned base, int neg)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        put_char(o, '-');
    while (n)
        put_char(o, tmp[--n]);
}

/* Parses a length modifier (l, ll, z) and returns the count of 'l' (z counts as 1). */
static int length_mod(const char **f)
{
    int longs = 0;
    while (**f == 'l' || **f == 'z') {
        longs += 1;
        (*f)++;
    }
    return longs;
}

static void put_conv(out *o, const char **f, va_list *ap)
{
    int longs = length_mod(f);
    char c = *(*f)++;
    if (c == 's') {
        put_str(o, va_arg(*ap, const char *));
    } else if (c == 'd') {
        long long v = longs ? va_arg(*ap, long long) : va_arg(*ap, int);
        put_num(o, v < 0 ? (unsigned long long)-v : (unsigned long long)v, 10, v < 0);
    } else if (c == 'u' || c == 'x') {
        unsigned long long v = longs ? va_arg(*ap, unsigned long long) : va_arg(*ap, unsigned);
        put_num(o, v, c == 'x' ? 16 : 10, 0);
    } else if (c == 'p') {
        put_str(o, "0x");
        put_num(o, (unsigned long long)(uintptr_t)va_arg(*ap, void *), 16, 0);
    } else {
        put_char(o, '%');
        if (c)
            put_char(o, c);
        else
            (*f)--;
    }
}

static size_t vfmt(char *buf, size_t cap, const char *f, va_list ap)
{
    out o = {buf, cap, 0};
    va_list aq;
    va_copy(aq, ap);
    while (*f) {
        if (*f == '%' && f[1]) {
            f++;
            put_conv(&o, &f, &aq);
        } else {
            put_char(&o, *f++);
        }
    }
    va_end(aq);
    if (cap)
        buf[o.len] = 0;
    return o.len;
}

size_t hr_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = vfmt(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void hr_log(const char *fmt, ...)
{
    int saved = errno;
    char buf[1024];
    size_t n = hr_fmt(buf, sizeof buf, "heaprr: ");
    va_list ap;
    va_start(ap, fmt);
    n += vfmt(buf + n, sizeof buf - n - 1, fmt, ap);
    va_end(ap);
    buf[n++] = '\n';
    ssize_t w = write(2, buf, n);
    (void)w;
    errno = saved;
}
