/* SPDX-License-Identifier: MIT */
/* Out-of-memory paths, for failure injection (HEAPRR_FAIL, heaprr torture). Each mode allocates
 * ten items through make_item and prints what it did:
 *   handled   every failed allocation is handled: prints "handled N" (N failures) and exits 0
 *   crash     a failed allocation in fill_item is used anyway: a NULL dereference (SIGSEGV)
 *   leak      a failure in make_pair leaks the half it already had
 *   hang      a failure in make_item makes it wait for ever (for heaprr torture's timeout) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *volatile keep;

NOINLINE static char *make_item(size_t n)
{
    char *p = malloc(n);
    keep = p;
    return p;
}

NOINLINE static void fill_item(size_t n)
{
    char *p = malloc(n);
    volatile char *v = p; /* volatile: the stores stay, though the block is freed unread */
    for (size_t i = 0; i < n; i++)
        v[i] = 'x'; /* the bug: p may be NULL */
    keep = p;
    free(p);
}

NOINLINE static int make_pair(void)
{
    char *a = malloc(24);
    if (!a)
        return -1;
    char *b = malloc(48);
    if (!b)
        return -1; /* the bug: a leaks */
    keep = b;
    free(b);
    free(a);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "handled";
    int failures = 0;
    for (int i = 0; i < 10; i++) {
        char *p = make_item(32 + (size_t)i);
        if (!p) {
            while (strcmp(mode, "hang") == 0)
                pause(); /* the bug: waits for memory no one will free */
            failures++;
            if (errno != ENOMEM)
                return 3;
            continue;
        }
        free(p);
    }
    if (strcmp(mode, "crash") == 0)
        fill_item(100);
    else if (strcmp(mode, "leak") == 0)
        failures += make_pair() < 0;
    printf("handled %d\n", failures);
    return 0;
}
