/* SPDX-License-Identifier: MIT */
/* Minimal assertions for the unit tests: a failed check prints file, line and the expression,
 * and the test exits non-zero at the end (or at once for CHECK_FATAL). */
#ifndef HEAPRR_CHECK_H
#define HEAPRR_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_FATAL(cond)                                                            \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: fatal check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                   \
    do {                                                                                     \
        uint64_t ca_ = (uint64_t)(a), cb_ = (uint64_t)(b);                                   \
        if (ca_ != cb_) {                                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", __FILE__, \
                    __LINE__, #a, #b, ca_, cb_);                                             \
            check_failures++;                                                                \
        }                                                                                    \
    } while (0)

#define CHECK_STR(s, len, expect) CHECK((len) == strlen(expect) && memcmp((s), (expect), (len)) == 0)

static inline int check_done(const char *name)
{
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

#endif
