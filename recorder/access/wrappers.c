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

/* The program's call site: the wrappers' own return address, handed to the checks below. */
#define CALLER __builtin_return_address(0)

static inline int checking(void)
{
    const int *on = __atomic_load_n(&hra_active, __ATOMIC_ACQUIRE);
    return __builtin_expect(on && *on, 0);
}

/* Asks libheaprr.so about a call that writes wlen bytes from dst and reads rlen from src. */
static inline void check(unsigned fn, const void *dst, size_t wlen, const void *src, size_t rlen, void *caller)
{
    if (checking())
        hra_check(fn, (void *)dst, wlen, src, rlen, caller);
}

/* strcpy, stpcpy: the string and its NUL, read and written. */
static inline void check_copy(unsigned fn, char *dst, const char *src, void *caller)
{
    if (checking()) {
        size_t len = strlen(src) + 1;
        hra_check(fn, dst, len, src, len, caller);
    }
}

/* strncpy, stpncpy: n bytes written (the string, then NULs), the string read up to its NUL, at
 * most n bytes. */
static inline void check_padded(unsigned fn, char *dst, const char *src, size_t n, void *caller)
{
    if (checking()) {
        size_t len = strnlen(src, n);
        hra_check(fn, dst, n, src, len < n ? len + 1 : n, caller);
    }
}

/* strcat and strncat (at most n bytes of src): the range written is taken from dst on (the string
 * there, then the part appended), so that it starts in the block dst points into. */
static inline void check_append(unsigned fn, char *dst, const char *src, size_t n, void *caller)
{
    if (checking()) {
        size_t len = strnlen(src, n), read = len < n ? len + 1 : n;
        hra_check(fn, dst, strlen(dst) + len + 1, src, read, caller);
    }
}

static size_t wide_bytes(size_t n)
{
    return n > SIZE_MAX / sizeof(wchar_t) ? SIZE_MAX : n * sizeof(wchar_t);
}

/* ---- stand-ins before the C library's functions are known ---- */

static char *end_copy(char *dst, const char *src)
{
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

static char *append(char *dst, const char *src, size_t n)
{
    char *end = dst + strlen(dst);
    size_t len = strnlen(src, n);
    hra_copy(end, src, len);
    end[len] = 0;
    return dst;
}

static wchar_t *wide_fill(wchar_t *dst, wchar_t c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = c;
    return dst;
}

/* ---- copies and fills ---- */

HRA_EXPORT void *memcpy(void *dst, const void *src, size_t n)
{
    check(HR_FN_MEMCPY, dst, n, src, n, CALLER);
    return hra_next.memcpy ? hra_next.memcpy(dst, src, n) : hra_copy(dst, src, n);
}

HRA_EXPORT void *memmove(void *dst, const void *src, size_t n)
{
    check(HR_FN_MEMMOVE, dst, n, src, n, CALLER);
    return hra_next.memmove ? hra_next.memmove(dst, src, n) : hra_move(dst, src, n);
}

HRA_EXPORT void *mempcpy(void *dst, const void *src, size_t n)
{
    check(HR_FN_MEMPCPY, dst, n, src, n, CALLER);
    return hra_next.mempcpy ? hra_next.mempcpy(dst, src, n) : (char *)hra_copy(dst, src, n) + n;
}

HRA_EXPORT void *memset(void *dst, int c, size_t n)
{
    check(HR_FN_MEMSET, dst, n, NULL, 0, CALLER);
    return hra_next.memset ? hra_next.memset(dst, c, n) : hra_fill(dst, c, n);
}

HRA_EXPORT void bzero(void *dst, size_t n)
{
    check(HR_FN_BZERO, dst, n, NULL, 0, CALLER);
    if (hra_next.bzero)
        hra_next.bzero(dst, n);
    else
        hra_fill(dst, 0, n);
}

HRA_EXPORT void explicit_bzero(void *dst, size_t n)
{
    check(HR_FN_EXPLICIT_BZERO, dst, n, NULL, 0, CALLER);
    if (hra_next.explicit_bzero)
        hra_next.explicit_bzero(dst, n);
    else
        hra_fill(dst, 0, n);
}

HRA_EXPORT void *memccpy(void *dst, const void *src, int c, size_t n)
{
    const char *at = checking() || !hra_next.memccpy ? memchr(src, c, n) : NULL;
    size_t len = at ? (size_t)(at - (const char *)src) + 1 : n;
    check(HR_FN_MEMCCPY, dst, len, src, len, CALLER);
    if (hra_next.memccpy)
        return hra_next.memccpy(dst, src, c, n);
    hra_copy(dst, src, len);
    return at ? (char *)dst + len : NULL;
}

/* ---- strings ---- */

HRA_EXPORT char *strcpy(char *dst, const char *src)
{
    check_copy(HR_FN_STRCPY, dst, src, CALLER);
    if (hra_next.strcpy)
        return hra_next.strcpy(dst, src);
    end_copy(dst, src);
    return dst;
}

HRA_EXPORT char *stpcpy(char *dst, const char *src)
{
    check_copy(HR_FN_STPCPY, dst, src, CALLER);
    return hra_next.stpcpy ? hra_next.stpcpy(dst, src) : end_copy(dst, src);
}

HRA_EXPORT char *strncpy(char *dst, const char *src, size_t n)
{
    check_padded(HR_FN_STRNCPY, dst, src, n, CALLER);
    if (hra_next.strncpy)
        return hra_next.strncpy(dst, src, n);
    copy_padded(dst, src, n);
    return dst;
}

HRA_EXPORT char *stpncpy(char *dst, const char *src, size_t n)
{
    check_padded(HR_FN_STPNCPY, dst, src, n, CALLER);
    return hra_next.stpncpy ? hra_next.stpncpy(dst, src, n) : copy_padded(dst, src, n);
}

HRA_EXPORT char *strcat(char *dst, const char *src)
{
    check_append(HR_FN_STRCAT, dst, src, SIZE_MAX, CALLER);
    return hra_next.strcat ? hra_next.strcat(dst, src) : append(dst, src, SIZE_MAX);
}

HRA_EXPORT char *strncat(char *dst, const char *src, size_t n)
{
    check_append(HR_FN_STRNCAT, dst, src, n, CALLER);
    return hra_next.strncat ? hra_next.strncat(dst, src, n) : append(dst, src, n);
}

/* ---- wide characters ---- */

HRA_EXPORT wchar_t *wmemcpy(wchar_t *dst, const wchar_t *src, size_t n)
{
    check(HR_FN_WMEMCPY, dst, wide_bytes(n), src, wide_bytes(n), CALLER);
    return hra_next.wmemcpy ? hra_next.wmemcpy(dst, src, n) : hra_copy(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *wmemmove(wchar_t *dst, const wchar_t *src, size_t n)
{
    check(HR_FN_WMEMMOVE, dst, wide_bytes(n), src, wide_bytes(n), CALLER);
    return hra_next.wmemmove ? hra_next.wmemmove(dst, src, n) : hra_move(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *wmemset(wchar_t *dst, wchar_t c, size_t n)
{
    check(HR_FN_WMEMSET, dst, wide_bytes(n), NULL, 0, CALLER);
    return hra_next.wmemset ? hra_next.wmemset(dst, c, n) : wide_fill(dst, c, n);
}

/* ---- the _FORTIFY_SOURCE forms: the same check, then the C library's (or the plain form) ---- */

HRA_EXPORT void *__memcpy_chk(void *dst, const void *src, size_t n, size_t size)
{
    check(HR_FN_MEMCPY, dst, n, src, n, CALLER);
    return hra_next.memcpy_chk ? hra_next.memcpy_chk(dst, src, n, size) : hra_copy(dst, src, n);
}

HRA_EXPORT void *__memmove_chk(void *dst, const void *src, size_t n, size_t size)
{
    check(HR_FN_MEMMOVE, dst, n, src, n, CALLER);
    return hra_next.memmove_chk ? hra_next.memmove_chk(dst, src, n, size) : hra_move(dst, src, n);
}

HRA_EXPORT void *__mempcpy_chk(void *dst, const void *src, size_t n, size_t size)
{
    check(HR_FN_MEMPCPY, dst, n, src, n, CALLER);
    return hra_next.mempcpy_chk ? hra_next.mempcpy_chk(dst, src, n, size) : (char *)hra_copy(dst, src, n) + n;
}

HRA_EXPORT void *__memset_chk(void *dst, int c, size_t n, size_t size)
{
    check(HR_FN_MEMSET, dst, n, NULL, 0, CALLER);
    return hra_next.memset_chk ? hra_next.memset_chk(dst, c, n, size) : hra_fill(dst, c, n);
}

HRA_EXPORT void __explicit_bzero_chk(void *dst, size_t n, size_t size)
{
    check(HR_FN_EXPLICIT_BZERO, dst, n, NULL, 0, CALLER);
    if (hra_next.explicit_bzero_chk)
        hra_next.explicit_bzero_chk(dst, n, size);
    else
        hra_fill(dst, 0, n);
}

HRA_EXPORT char *__strcpy_chk(char *dst, const char *src, size_t size)
{
    check_copy(HR_FN_STRCPY, dst, src, CALLER);
    if (hra_next.strcpy_chk)
        return hra_next.strcpy_chk(dst, src, size);
    end_copy(dst, src);
    return dst;
}

HRA_EXPORT char *__stpcpy_chk(char *dst, const char *src, size_t size)
{
    check_copy(HR_FN_STPCPY, dst, src, CALLER);
    return hra_next.stpcpy_chk ? hra_next.stpcpy_chk(dst, src, size) : end_copy(dst, src);
}

HRA_EXPORT char *__strncpy_chk(char *dst, const char *src, size_t n, size_t size)
{
    check_padded(HR_FN_STRNCPY, dst, src, n, CALLER);
    if (hra_next.strncpy_chk)
        return hra_next.strncpy_chk(dst, src, n, size);
    copy_padded(dst, src, n);
    return dst;
}

HRA_EXPORT char *__stpncpy_chk(char *dst, const char *src, size_t n, size_t size)
{
    check_padded(HR_FN_STPNCPY, dst, src, n, CALLER);
    return hra_next.stpncpy_chk ? hra_next.stpncpy_chk(dst, src, n, size) : copy_padded(dst, src, n);
}

HRA_EXPORT char *__strcat_chk(char *dst, const char *src, size_t size)
{
    check_append(HR_FN_STRCAT, dst, src, SIZE_MAX, CALLER);
    return hra_next.strcat_chk ? hra_next.strcat_chk(dst, src, size) : append(dst, src, SIZE_MAX);
}

HRA_EXPORT char *__strncat_chk(char *dst, const char *src, size_t n, size_t size)
{
    check_append(HR_FN_STRNCAT, dst, src, n, CALLER);
    return hra_next.strncat_chk ? hra_next.strncat_chk(dst, src, n, size) : append(dst, src, n);
}

HRA_EXPORT wchar_t *__wmemcpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t size)
{
    check(HR_FN_WMEMCPY, dst, wide_bytes(n), src, wide_bytes(n), CALLER);
    return hra_next.wmemcpy_chk ? hra_next.wmemcpy_chk(dst, src, n, size) : hra_copy(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *__wmemmove_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t size)
{
    check(HR_FN_WMEMMOVE, dst, wide_bytes(n), src, wide_bytes(n), CALLER);
    return hra_next.wmemmove_chk ? hra_next.wmemmove_chk(dst, src, n, size) : hra_move(dst, src, wide_bytes(n));
}

HRA_EXPORT wchar_t *__wmemset_chk(wchar_t *dst, wchar_t c, size_t n, size_t size)
{
    check(HR_FN_WMEMSET, dst, wide_bytes(n), NULL, 0, CALLER);
    return hra_next.wmemset_chk ? hra_next.wmemset_chk(dst, c, n, size) : wide_fill(dst, c, n);
}
