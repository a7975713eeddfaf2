/* SPDX-License-Identifier: MIT */
/* Backtraces for the hooks: libunwind's unw_backtrace, which on x86-64 caches each return
 * address's frame layout (per thread, so no lock), giving correct stacks through code built
 * without frame pointers. The recorder's own frames are dropped by address, which stays right
 * whatever the compiler inlined. */
#define UNW_LOCAL_ONLY
#include "recorder.h"

#include <libunwind.h>
#include <string.h>

#define SELF_FRAMES_MAX 16

void hr_unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

uint32_t hr_unwind(uint64_t *frames, uint32_t max)
{
    void *buf[256 + SELF_FRAMES_MAX];
    if (max > 256)
        max = 256;
    int n = unw_backtrace(buf, (int)(max + SELF_FRAMES_MAX));
    int skip = 0;
    while (skip < n && skip < SELF_FRAMES_MAX && hr_modules_is_self((uint64_t)(uintptr_t)buf[skip]))
        skip++;
    uint32_t depth = (uint32_t)(n - skip);
    if (depth > max)
        depth = max;
    memcpy(frames, buf + skip, depth * sizeof(uint64_t));
    return depth;
}
