/* SPDX-License-Identifier: MIT */
/* Example: two classic heap overruns, each followed by a free. copy_name() allocates strlen()
 * bytes and strcpy() writes the terminating NUL one byte past the 12-byte block; fill_squares()
 * writes the element at index n of an n-element int array, 4 bytes past the 20-byte block.
 * glibc rounds both requests up to a 24-byte usable size, so the stray bytes land in padding and
 * the program runs to the end with exit status 0: nothing notices, which is why a bounds checker
 * (guard bytes checked at free) is useful. Expected (heaprr stats): 2 mallocs (12 and 20 bytes),
 * 2 frees, nothing leaked. Prints nothing. */
#include <stdlib.h>
#include <string.h>

static const char *volatile source = "hello, world"; /* 12 characters */
static volatile int sink;

static void copy_name(void)
{
    const char *s = source;
    char *name = malloc(strlen(s)); /* the bug: no room for the NUL */
    if (!name)
        return;
    strcpy(name, s);
    sink = name[0];
    free(name);
}

static void fill_squares(int n)
{
    int *sq = malloc((size_t)n * sizeof *sq);
    if (!sq)
        return;
    for (int i = 0; i <= n; i++) /* the bug: <= writes sq[n] */
        sq[i] = i * i;
    sink = sq[n - 1];
    free(sq);
}

static volatile int count = 5;

int main(void)
{
    copy_name();
    fill_squares(count);
    return 0;
}
