/* SPDX-License-Identifier: MIT */
/* The C library's string and memory functions behind the wrappers, and libheaprr.so's check,
 * looked up once when this library is initialized (dlsym may allocate: never from a wrapper), and
 * the loops that stand in before that. This file is built with -fno-builtin and without loop-to-call rewriting, so that
 * the loops stay loops. */
#define _GNU_SOURCE
#include "access.h"

#include <dlfcn.h>
#include <stdint.h>

hra_real hra_next;
const int *hra_active;
hra_check_fn *hra_check;

void *hra_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

void *hra_move(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) /* no overlap that a forward copy would spoil */
        return hra_copy(dst, src, n);
    for (size_t i = n; i > 0; i--)
        d[i - 1] = s[i - 1];
    return dst;
}

void *hra_fill(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)c;
    return dst;
}

#define FIND(field, name) hra_next.field = (__typeof__(hra_next.field))dlsym(RTLD_NEXT, name)

__attribute__((constructor)) static void find_real(void)
{
    FIND(memcpy, "memcpy");
    FIND(memmove, "memmove");
    FIND(mempcpy, "mempcpy");
    FIND(memset, "memset");
    FIND(memccpy, "memccpy");
    FIND(strcpy, "strcpy");
    FIND(stpcpy, "stpcpy");
    FIND(strncpy, "strncpy");
    FIND(stpncpy, "stpncpy");
    FIND(strcat, "strcat");
    FIND(strncat, "strncat");
    FIND(bzero, "bzero");
    FIND(explicit_bzero, "explicit_bzero");
    FIND(wmemcpy, "wmemcpy");
    FIND(wmemmove, "wmemmove");
    FIND(wmemset, "wmemset");
    FIND(memcpy_chk, "__memcpy_chk");
    FIND(memmove_chk, "__memmove_chk");
    FIND(mempcpy_chk, "__mempcpy_chk");
    FIND(memset_chk, "__memset_chk");
    FIND(strcpy_chk, "__strcpy_chk");
    FIND(stpcpy_chk, "__stpcpy_chk");
    FIND(strncpy_chk, "__strncpy_chk");
    FIND(stpncpy_chk, "__stpncpy_chk");
    FIND(strcat_chk, "__strcat_chk");
    FIND(strncat_chk, "__strncat_chk");
    FIND(explicit_bzero_chk, "__explicit_bzero_chk");
    FIND(wmemcpy_chk, "__wmemcpy_chk");
    FIND(wmemmove_chk, "__wmemmove_chk");
    FIND(wmemset_chk, "__wmemset_chk");
    hra_check = (hra_check_fn *)dlsym(RTLD_DEFAULT, "heaprr__check_access");
    if (hra_check) /* the flag last: a wrapper that sees it set finds the check */
        __atomic_store_n(&hra_active, (const int *)dlsym(RTLD_DEFAULT, "heaprr__access_active"), __ATOMIC_RELEASE);
}
