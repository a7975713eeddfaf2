/* SPDX-License-Identifier: MIT */
/* The recorder's unwinder: recipes from DWARF CFI (cfi.c), the walk with its per-thread caches
 * (unwind.c). */
#ifndef HEAPRR_UNWIND_H
#define HEAPRR_UNWIND_H

#include <stdint.h>

enum { HR_CFA_INVALID = 0, HR_CFA_RSP, HR_CFA_RBP, HR_CFA_RBP_DEREF, HR_CFA_END };
enum { HR_RBP_SAME = 0, HR_RBP_AT_CFA, HR_RBP_AT_RBP };

/* How to go from a frame to its caller's (x86-64): CFA = rsp + cfa_off, rbp + cfa_off, or the
 * word at rbp + cfa_off; the return address sits at CFA - 8; the caller's rbp is unchanged, or
 * saved at CFA + rbp_off, or at rbp + rbp_off. HR_CFA_END: the outermost frame. */
typedef struct hr_recipe {
    uint8_t cfa_kind, rbp_kind;
    int32_t cfa_off, rbp_off;
} hr_recipe;

/* ---- cfi.c ---- */

void hr_cfi_init(void) __attribute__((visibility("hidden")));
/* Whether _dl_find_object exists (glibc 2.35 and later): without it every unwind uses libunwind. */
int hr_cfi_available(void) __attribute__((visibility("hidden")));
/* The recipe for the frame whose code address is ip (a return address minus 1). Returns 0, or -1
 * when there is none the fast unwinder can use. */
int hr_cfi_recipe(uint64_t ip, hr_recipe *out) __attribute__((visibility("hidden")));

#endif
