/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the analyzer's small parsers: leak suppression files (first byte even) and
 * --bins lists (first byte odd). Either parses or fails with one line; a parsed list is sane. */
#include "fuzz-common.h"

#include <heaprr/bins.h>
#include <heaprr/leaks.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    char why[256] = "";
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (!(data[0] & 1)) {
        hr_suppressions *s = hr_supp_parse(text, len, why, sizeof why);
        FZ_CHECK(s || (why[0] && !strchr(why, '\n')));
        hr_supp_free(s);
        return 0;
    }
    char *list = malloc(len + 1);
    if (!list)
        return 0;
    memcpy(list, text, len);
    list[len] = 0;
    hr_bins b;
    hr_bins_default(&b);
    uint32_t before = b.n;
    if (hr_bins_parse(&b, list, why, sizeof why) == 0) {
        FZ_CHECK(b.n >= 1 && b.n <= HR_BINS_MAX && b.bins[b.n - 1].le == UINT64_MAX);
        for (uint32_t i = 1; i < b.n; i++)
            FZ_CHECK(b.bins[i].le > b.bins[i - 1].le);
    } else {
        FZ_CHECK(why[0] && !strchr(why, '\n'));
        FZ_CHECK(b.n == before); /* unchanged */
    }
    free(list);
    return 0;
}
