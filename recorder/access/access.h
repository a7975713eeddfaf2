/* SPDX-License-Identifier: MIT */
/* libheaprr-access.so: the access checks' wrappers of memcpy and friends (wrappers.c), the C
 * library's functions behind them (real.c), and the two names of libheaprr.so they use. */
#ifndef HEAPRR_ACCESS_H
#define HEAPRR_ACCESS_H

#include <stddef.h>
#include <wchar.h>

#define HRA_EXPORT __attribute__((visibility("default")))
#define HRA_HIDDEN __attribute__((visibility("hidden")))

/* From libheaprr.so, found when this library is initialized (NULL when libheaprr.so is not loaded:
 * the wrappers then only pass calls on): its flag, non-zero when MALLOC_CKACCESS=1, and the check
 * itself (recorder/access.c). Not linked against it: preloaded without it, this library must not
 * bring it in behind the C library. */
typedef void hra_check_fn(unsigned fn, void *dst, size_t wlen, const void *src, size_t rlen, void *caller);
extern const int *hra_active HRA_HIDDEN;
extern hra_check_fn *hra_check HRA_HIDDEN;

/* The C library's functions, found when this library is initialized; until then (another
 * library's constructor copying before ours ran) plain loops of real.c stand in. */
typedef struct hra_real {
    void *(*memcpy)(void *, const void *, size_t);
    void *(*memmove)(void *, const void *, size_t);
    void *(*mempcpy)(void *, const void *, size_t);
    void *(*memset)(void *, int, size_t);
    void *(*memccpy)(void *, const void *, int, size_t);
    char *(*strcpy)(char *, const char *);
    char *(*stpcpy)(char *, const char *);
    char *(*strncpy)(char *, const char *, size_t);
    char *(*stpncpy)(char *, const char *, size_t);
    char *(*strcat)(char *, const char *);
    char *(*strncat)(char *, const char *, size_t);
    void (*bzero)(void *, size_t);
    void (*explicit_bzero)(void *, size_t);
    wchar_t *(*wmemcpy)(wchar_t *, const wchar_t *, size_t);
    wchar_t *(*wmemmove)(wchar_t *, const wchar_t *, size_t);
    wchar_t *(*wmemset)(wchar_t *, wchar_t, size_t);
    void *(*memcpy_chk)(void *, const void *, size_t, size_t);
    void *(*memmove_chk)(void *, const void *, size_t, size_t);
    void *(*mempcpy_chk)(void *, const void *, size_t, size_t);
    void *(*memset_chk)(void *, int, size_t, size_t);
    char *(*strcpy_chk)(char *, const char *, size_t);
    char *(*stpcpy_chk)(char *, const char *, size_t);
    char *(*strncpy_chk)(char *, const char *, size_t, size_t);
    char *(*stpncpy_chk)(char *, const char *, size_t, size_t);
    char *(*strcat_chk)(char *, const char *, size_t);
    char *(*strncat_chk)(char *, const char *, size_t, size_t);
    void (*explicit_bzero_chk)(void *, size_t, size_t);
    wchar_t *(*wmemcpy_chk)(wchar_t *, const wchar_t *, size_t, size_t);
    wchar_t *(*wmemmove_chk)(wchar_t *, const wchar_t *, size_t, size_t);
    wchar_t *(*wmemset_chk)(wchar_t *, wchar_t, size_t, size_t);
} hra_real;

extern hra_real hra_next HRA_HIDDEN;

/* The C library's _FORTIFY_SOURCE entry points this library also stands in front of (no header
 * declares them). */
void *__memcpy_chk(void *dst, const void *src, size_t n, size_t size);
void *__memmove_chk(void *dst, const void *src, size_t n, size_t size);
void *__mempcpy_chk(void *dst, const void *src, size_t n, size_t size);
void *__memset_chk(void *dst, int c, size_t n, size_t size);
void __explicit_bzero_chk(void *dst, size_t n, size_t size);
char *__strcpy_chk(char *dst, const char *src, size_t size);
char *__stpcpy_chk(char *dst, const char *src, size_t size);
char *__strncpy_chk(char *dst, const char *src, size_t n, size_t size);
char *__stpncpy_chk(char *dst, const char *src, size_t n, size_t size);
char *__strcat_chk(char *dst, const char *src, size_t size);
char *__strncat_chk(char *dst, const char *src, size_t n, size_t size);
wchar_t *__wmemcpy_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t size);
wchar_t *__wmemmove_chk(wchar_t *dst, const wchar_t *src, size_t n, size_t size);
wchar_t *__wmemset_chk(wchar_t *dst, wchar_t c, size_t n, size_t size);

/* The loops that stand in (byte by byte; never turned into calls of the functions they replace). */
void *hra_copy(void *dst, const void *src, size_t n) HRA_HIDDEN;
void *hra_move(void *dst, const void *src, size_t n) HRA_HIDDEN;
void *hra_fill(void *dst, int c, size_t n) HRA_HIDDEN;

#endif
