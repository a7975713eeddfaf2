/* SPDX-License-Identifier: MIT */
/* Matching a stack against leak suppressions (leaks.c uses it). */
#ifndef HEAPRR_SUPPRESS_H
#define HEAPRR_SUPPRESS_H

#include <heaprr/leaks.h>

/* Whether a function or module of stack matches one of the patterns. */
int hr_supp_match(const hr_suppressions *s, hr_reader *r, hr_symbolizer *sym, uint64_t stack);

#endif
