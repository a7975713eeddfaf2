/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the JSON reader that heaprr compare uses on replay reports: any input
 * parses or fails with one line naming a byte offset inside it; a parsed tree can be walked. */
#include "fuzz-common.h"

#include "jsonread.h"

#include <stdio.h>
#include <string.h>

static size_t walk(const jv *v, int depth)
{
    size_t n = 0;
    for (; v; v = v->next) {
        FZ_CHECK(v->type <= JV_OBJECT);
        FZ_CHECK(depth < 70);
        FZ_CHECK((v->type == JV_STRING) == (v->string != NULL));
        n += 1 + walk(v->child, depth + 1);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256] = "";
    jv *v = jv_parse((const char *)data, size, why, sizeof why);
    if (!v) {
        unsigned long long at;
        FZ_CHECK(sscanf(why, "byte %llu:", &at) == 1 && at <= size);
        FZ_CHECK(strchr(why, '\n') == NULL);
        return 0;
    }
    walk(v, 0);
    (void)jv_get(v, "fragmentation.peak_vs_peak");
    (void)jv_get(v, "allocator");
    jv_free(v);
    return 0;
}
