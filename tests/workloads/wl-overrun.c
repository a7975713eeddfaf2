/* SPDX-License-Identifier: MIT */
/* Heap overruns glibc does not notice (they stay inside the chunk it rounded up to): a string
 * copied into a block 3 bytes too small, and 4 bytes written past a 16-byte block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static char *copy_name(const char *name)
{
    char *s = malloc(10);
    const char *volatile from = name; /* opaque to the compiler's overflow warning */
    strcpy(s, from);                  /* 12 characters and the NUL: 3 bytes too many */
    return s;
}

__attribute__((noinline)) static void fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(0x40 + i);
}

int main(int argc, char **argv)
{
    (void)argv;
    char *name = copy_name("ABCDEFGHIJKL");
    unsigned char *a = malloc(16), *b = malloc(16);
    fill(a, 16 + (size_t)argc * 4); /* 20 bytes into a 16-byte block */
    printf("%s %d\n", name, b[0] + a[0]);
    free(name);
    free(a);
    free(b);
    return 0;
}
