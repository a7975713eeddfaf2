/* SPDX-License-Identifier: MIT */
/* The file the corpus's gcc run compiles and links (cc1, as, collect2, ld: fork and exec). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
    const char *text;
    int count;
};

static int by_count(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    return y->count - x->count ? y->count - x->count : strcmp(x->text, y->text);
}

int main(void)
{
    struct word w[] = {{"heap", 3}, {"band", 5}, {"arena", 5}, {"block", 1}};
    qsort(w, sizeof w / sizeof *w, sizeof *w, by_count);
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        printf("%s %d\n", w[i].text, w[i].count);
    return 0;
}
