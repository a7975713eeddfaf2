/* SPDX-License-Identifier: MIT */
/* Names of checker levels and findings. */
#include <heaprr/replay.h>

#include <string.h>

static const char *const check_names[] = {"none", "basic", "bounds", "chain"};

static const char *const finding_names[HR_FIND_COUNT] = {
    "double-free",    "invalid-free", "interior-free", "realloc-freed", "mismatched-free",
    "corrupt-header", "overrun",      "corrupt-chain", "out-of-memory", "size-mismatch",
    "alignment-mismatch", "use-after-free", "underrun",
};

const char *hr_check_name(hr_check_level l)
{
    return (unsigned)l < 4 ? check_names[l] : "?";
}

int hr_check_from_name(const char *name, hr_check_level *out)
{
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(name, check_names[i]) == 0) {
            *out = (hr_check_level)i;
            return 0;
        }
    }
    return -1;
}

const char *hr_finding_name(hr_finding_kind k)
{
    return (unsigned)k < HR_FIND_COUNT ? finding_names[k] : "?";
}

int hr_finding_is_damage(hr_finding_kind k)
{
    return k == HR_FIND_CORRUPT_HEADER || k == HR_FIND_OVERRUN || k == HR_FIND_CORRUPT_CHAIN ||
           k == HR_FIND_USE_AFTER_FREE || k == HR_FIND_UNDERRUN;
}
