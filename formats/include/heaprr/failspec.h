/* SPDX-License-Identifier: MIT */
/* Failure injection's rules (HEAPRR_FAIL, heaprr replay --fail): which allocation calls fail on
 * purpose. The recorder makes the calls of a live program fail by them, the replay the calls of a
 * trace. A specification is a list of rules separated by ';', each a list of conditions separated
 * by ',' that must all hold for a call to fail:
 *   nth=N        the Nth allocation call of the process (1 is the first)
 *   every=K      every Kth call (K, 2K, ...)
 *   after=N      only calls after the first N
 *   random=P     a fraction P (0 to 1) of the calls, drawn from seed=S (default 1): the same
 *                calls fail on every run
 *   size>N       calls asking for more than N bytes (size>=N: N or more)
 *   kind=NAME    calls of one entry point: malloc, calloc, realloc, reallocarray, memalign,
 *                posix_memalign, aligned_alloc, valloc, pvalloc, new, new[]
 *   func=NAME    calls whose backtrace passes through the function NAME (its symbol: a C name, or
 *                a C++ mangled one)
 *   at=MOD+OFF   calls whose backtrace holds the return address OFF (hex) into module MOD (its
 *                file name, as the reports print it: "prog+0x1a2b")
 *   site=MOD+OFF/MOD+OFF/...
 *                calls whose innermost frames are these return addresses, in this order (an
 *                allocation site as a trace's stacks name it; heaprr torture makes these)
 *   count=M      at most M failures from this rule
 * func=, at= and site= name code: whoever applies the rules resolves them into addresses as modules
 * load (hr_failspec_module). */
#ifndef HEAPRR_FAILSPEC_H
#define HEAPRR_FAILSPEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HR_FAIL_MAX_RULES 8
#define HR_FAIL_MAX_RANGES 4 /* address ranges a func= name resolves to (one per module defining it) */
#define HR_FAIL_MAX_SITE 16  /* frames a site= names */

typedef struct hr_fail_range {
    uint64_t lo, hi;
} hr_fail_range;

typedef struct hr_fail_frame {
    char module[96]; /* the module's file name */
    uint64_t offset;
    uint64_t addr; /* resolved: bias + offset, 0 until the module loads */
} hr_fail_frame;

typedef struct hr_fail_rule {
    uint64_t nth, every, after, count, size;
    int size_ge;
    double random; /* < 0: no random= */
    uint64_t seed;
    unsigned kind;   /* hr_kind, 0: any */
    char func[128];  /* func=: the symbol ("" when none) */
    char module[128]; /* at=: the module's file name ("" when none), and the offset into it */
    uint64_t offset;
    hr_fail_range code[HR_FAIL_MAX_RANGES]; /* func= and at= resolved: frames inside these match */
    uint32_t ncode;
    uint32_t nsite; /* site=: its frames, innermost first */
    hr_fail_frame site[HR_FAIL_MAX_SITE];
    uint64_t failed; /* failures so far (count=) */
} hr_fail_rule;

typedef struct hr_failspec {
    hr_fail_rule rules[HR_FAIL_MAX_RULES];
    uint32_t nrules;
    int needs_stack; /* a rule looks at the backtrace */
} hr_failspec;

/* Parses spec into out. Returns 0, or -1 with why (a sentence naming the condition) filled. */
int hr_failspec_parse(const char *spec, hr_failspec *out, char *why, size_t cap);
/* Whether call number n (1 for the first) of kind, asking for size bytes, with the backtrace
 * frames (innermost first), fails. Counts the failure against its rule's count=. */
int hr_failspec_fails(hr_failspec *s, uint64_t n, unsigned kind, uint64_t size, const uint64_t *frames,
                      uint32_t depth);
/* Adds [lo, hi) as code rule r's func= or at= matches. */
void hr_failspec_add_code(hr_fail_rule *r, uint64_t lo, uint64_t hi);
/* The module file at path is loaded at bias: resolves the rules' func= (from its symbol table),
 * at= and site= into it. */
void hr_failspec_module(hr_failspec *s, const char *path, uint64_t bias);

#ifdef __cplusplus
}
#endif
#endif
