/* SPDX-License-Identifier: MIT */
/* The functions the access checks put themselves in front of. Each works out the ranges the call
 * will write and read (string lengths with the C library's strlen, strnlen and memchr, which read
 * what the call itself reads), has libheaprr.so check them when MALLOC_CKACCESS=1, and then calls
 * the C library's function as the program asked. The _FORTIFY_SOURCE forms (__memcpy_chk, ...)
 * are checked the same way, then the C library makes its own check of the object size. */
#define _GNU_SOURCE
#include "access.h"

#include <heaprr/format.h>

#include <stdint.h>
#include <string.h>

/* Asks libheaprr.so about the call (a macro: the caller is the program's call site). */
#define CHECK(fn, dst, wlen, src, rlen)                                                    \
    do {                                                                                   \
        if (checking())                                                                      \
            hra_check(fn, (void *)(dst), wlen, src, rlen, __builtin_return_address(0));    \
    } while (0)

static inline int checking(void)
{
    const int *on = __atomic_load_n(&hra_active, __ATOMIC_ACQUIRE);
    return __builtin_expect(on && *on, 0);
}

static size_t wide_bytes(size_t n)
{
    return n > SIZE_MAX / sizeof(wchar_t) ? SIZE_MAX : n * sizeof(wchar_t);
}

/* Bytes a bounded copy reads from s: up to its NUL, at most n. */
static size_t bounded_read(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    return len < n ? len + 1 : n;
}

/* ---- copies and fills ---- */

HRA_EXPORT void *memcpy(void *dst, const void *src, size_t n)
{
    CHECK(HR_FN_MEMCPY, dst, n, src, n);
    return hra_next.memcpy ? hra_next.memcpy(dst, src, n) : hra_copy(dst, src, n);
}

HRA_EXPORT void *memmove(void *dst, const void *src, size_t n)
{
    CHECK(HR_FN_MEMMOVE, dst, n, src, n);
    return hra_next.memmove ? hra_next.memmove(dst, src, n) : hra_move(dst, src, n);
}

HRA_EXPORT void *mempcpy(void *dst, const void *src, size_t n)
{
    CHECK(HR_FN_MEMPCPY, dst, n, src, n);
    return hra_next.mempcpy ? hra_next.mempcpy(dst, src, n) : (char *)hra_copy(dst, src, n) + n;
}

HRA_EXPORT void *memset(void *dst, int c, size_t n)
{
    CHECK(HR_FN_MEMSET, dst, n, NULL, 0);
    return hra_next.memset ? hra_next.memset(dst, c, n) : hra_fill(dst, c, n);
}

HRA_EXPORT void bzero(void *dst, size_t n)
{
    CHECK(HR_FN_BZERO, dst, n, NULL, 0);
    if (hra_next.bzero)
        hra_next.bzero(dst, n);
    else
        hra_fill(dst, 0, n);
}

HRA_EXPORT void explicit_bzero(void *dst, size_t n)
{
    CHECK(HR_FN_EXPLICIT_BZERO, dst, n, NULL, 0);
    if (hra_next.explicit_bzero)
        hra_next.explicit_bzero(dst, n);
    else
        hra_fill(dst, 0, n);
}

HRA_EXPORT void *memccpy(void *dst, const void *src, int c, size_t n)
{
    if (checking()) {
        const char *at = memchr(src, c, n);
        size_t len = at ? (size_t)(at - (const char *)src) + 1 : n;
        CHECK(HR_FN_MEMCCPY, dst, len, src, len);
    }
    if (hra_next.memccpy)
        return hra_next.memccpy(dst, src, c, n);
    const char *at = memchr(src, c, n);
    size_t len = at ? (size_t)(at - (const char *)src) + 1 : n;
    hra_copy(dst, src, len);
    return at ? (char *)dst + len : NULL;
}

/* ---- strings ---- */

HRA_EXPORT char *strcpy(char *dst, const char *src)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        CHECK(HR_FN_STRCPY, dst, len, src, len);
    }
    return hra_next.strcpy ? hra_next.strcpy(dst, src) : hra_copy(dst, src, strlen(src) + 1);
}

HRA_EXPORT char *stpcpy(char *dst, const char *src)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        CHECK(HR_FN_STPCPY, dst, len, src, len);
    }
    if (hra_next.stpcpy)
        return hra_next.stpcpy(dst, src);
    size_t len = strlen(src);
    return (char *)hra_copy(dst, src, len + 1) + len;
}

/* strncpy and stpncpy write n bytes (the string, then NULs). */
static char *copy_padded(char *dst, const char *src, size_t n)
{
    size_t len = strnlen(src, n);
    hra_copy(dst, src, len);
    hra_fill(dst + len, 0, n - len);
    return dst + len;
}

HRA_EXPORT char *strncpy(char *dst, const char *src, size_t n)
{
    if (checking())
        CHECK(HR_FN_STRNCPY, dst, n, src, bounded_read(src, n));
    if (hra_next.strncpy)
        return hra_next.strncpy(dst, src, n);
    copy_padded(dst, src, n);
    return dst;
}

HRA_EXPORT char *stpncpy(char *dst, const char *src, size_t n)
{
    if (checking())
        CHECK(HR_FN_STPNCPY, dst, n, src, bounded_read(src, n));
    return hra_next.stpncpy ? hra_next.stpncpy(dst, src, n) : copy_padded(dst, src, n);
}

/* strcat and strncat: the range written is taken from dst on (the string there, then the part
 * appended), so that it starts in the block dst points into. */
HRA_EXPORT char *strcat(char *dst, const char *src)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        CHECK(HR_FN_STRCAT, dst, strlen(dst) + len, src, len);
    }
    if (hra_next.strcat)
        return hra_next.strcat(dst, src);
    hra_copy(dst + strlen(dst), src, strlen(src) + 1);
    return dst;
}

HRA_EXPORT char *strncat(char *dst, const char *src, size_t n)
{
    if (checking())
        CHECK(HR_FN_STRNCAT, dst, strlen(dst) + strnlen(src, n) + 1, src, bounded_read(src, n));
    if (hra_next.strncat)
        return hra_next.strncat(dst, src, n);
    char *end = dst + strlen(dst);
    size_t len = strnlen(src, n);
    hra_copy(end, src, len);
    end[len] = 0;
    return dst;
}

/* ---- wide characters ---- */

HRA_EXPORT wchar_t *wmemcpy(wchar_t *dst, const wchar_t *src, size_t n)
{
    CHECK(HR_FN_WMEMCPY, dst, wide_bytes(n), src, wide_bytes(n));
    return hra_next.wmemcpy ? hra_next.wmemcpy(dst, src, n) : hra_copy(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *wmemmove(wchar_t *dst, const wchar_t *src, size_t n)
{
    CHECK(HR_FN_WMEMMOVE, dst, wide_bytes(n), src, wide_bytes(n));
    return hra_next.wmemmove ? hra_next.wmemmove(dst, src, n) : hra_move(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *wmemset(wchar_t *dst, wchar_t c, size_t n)
{
    CHECK(HR_FN_WMEMSET, dst, wide_bytes(n), NULL, 0);
    if (hra_next.wmemset)
        return hra_next.wmemset(dst, c, n);
    for (size_t i = 0; i < n; i++)
        dst[i] = c;
    return dst;
}

/* ---- the _FORTIFY_SOURCE forms: the same check, then the C library's (or the plain form) ---- */

HRA_EXPORT void *__memcpy_chk(void *dst, const void *src, size_t n, size_t size)
{
    CHECK(HR_FN_MEMCPY, dst, n, src, n);
    return hra_next.memcpy_chk ? hra_next.memcpy_chk(dst, src, n, size) : hra_copy(dst, src, n);
}

HRA_EXPORT void *__memmove_chk(void *dst, const void *src, size_t n, size_t size)
{
    CHECK(HR_FN_MEMMOVE, dst, n, src, n);
    return hra_next.memmove_chk ? hra_next.memmove_chk(dst, src, n, size) : hra_move(dst, src, n);
}

HRA_EXPORT void *__mempcpy_chk(void *dst, const void *src, size_t n, size_t size)
{
    CHECK(HR_FN_MEMPCPY, dst, n, src, n);
    return hra_next.mempcpy_chk ? hra_next.mempcpy_chk(dst, src, n, size) : (char *)hra_copy(dst, src, n) + n;
}

HRA_EXPORT void *__memset_chk(void *dst, int c, size_t n, size_t size)
{
    CHECK(HR_FN_MEMSET, dst, n, NULL, 0);
    return hra_next.memset_chk ? hra_next.memset_chk(dst, c, n, size) : hra_fill(dst, c, n);
}

HRA_EXPORT void __explicit_bzero_chk(void *dst, size_t n, size_t size)
{
    CHECK(HR_FN_EXPLICIT_BZERO, dst, n, NULL, 0);
    if (hra_next.explicit_bzero_chk)
        hra_next.explicit_bzero_chk(dst, n, size);
    else
        hra_fill(dst, 0, n);
}

HRA_EXPORT char *__strcpy_chk(char *dst, const char *src, size_t size)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        CHECK(HR_FN_STRCPY, dst, len, src, len);
    }
    return hra_next.strcpy_chk ? hra_next.strcpy_chk(dst, src, size) : hra_copy(dst, src, strlen(src) + 1);
}

HRA_EXPORT char *__stpcpy_chk(char *dst, const char *src, size_t size)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        CHECK(HR_FN_STPCPY, dst, len, src, len);
    }
    if (hra_next.stpcpy_chk)
        return hra_next.stpcpy_chk(dst, src, size);
    size_t len = strlen(src);
    return (char *)hra_copy(dst, src, len + 1) + len;
}

HRA_EXPORT char *__strncpy_chk(char *dst, const char *src, size_t n, size_t size)
{
    if (checking())
        CHECK(HR_FN_STRNCPY, dst, n, src, bounded_read(src, n));
    if (hra_next.strncpy_chk)
        return hra_next.strncpy_chk(dst, src, n, size);
    copy_padded(dst, src, n);
    return dst;
}

HRA_EXPORT char *__stpncpy_chk(char *dst, const char *src, size_t n, size_t size)
{
    if (checking())
        CHECK(HR_FN_STPNCPY, dst, n, src, bounded_read(src, n));
    return hra_next.stpncpy_chk ? hra_next.stpncpy_chk(dst, src, n, size) : copy_padded(dst, src, n);
}

HRA_EXPORT char *__strcat_chk(char *dst, const char *src, size_t size)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        CHECK(HR_FN_STRCAT, dst, strlen(dst) + len, src, len);
    }
    if (hra_next.strcat_chk)
        return hra_next.strcat_chk(dst, src, size);
    hra_copy(dst + strlen(dst), src, strlen(src) + 1);
    return dst;
}

HRA_EXPORT char *__strncat_chk(char *dst, const char *src, size_t n, size_t size)
{
    if (checking())
        CHECK(HR_FN_STRNCAT, dst, strlen(dst) + strnlen(src, n) + 1, src, bounded_read(src, n));
    if (hra_next.strncat_chk)
        return hra_next.strncat_chk(dst, src, n, size);
    char *end = dst + strlen(dst);
    size_t len = strnlen(src, n);
    hra_copy(end, src, len);
    end[len] = 0;
    return dst;
}

HRA_EXPORT wchar_t *__wmemcpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t size)
{
    CHECK(HR_FN_WMEMCPY, dst, wide_bytes(n), src, wide_bytes(n));
    return hra_next.wmemcpy_chk ? hra_next.wmemcpy_chk(dst, src, n, size) : hra_copy(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *__wmemmove_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t size)
{
    CHECK(HR_FN_WMEMMOVE, dst, wide_bytes(n), src, wide_bytes(n));
    return hra_next.wmemmove_chk ? hra_next.wmemmove_chk(dst, src, n, size) : hra_move(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *__wmemset_chk(wchar_t *dst, wchar_t c, size_t n, size_t size)
{
    CHECK(HR_FN_WMEMSET, dst, wide_bytes(n), NULL, 0);
    if (hra_next.wmemset_chk)
        return hra_next.wmemset_chk(dst, c, n, size);
    for (size_t i = 0; i < n; i++)
        dst[i] = c;
    return dst;
}
