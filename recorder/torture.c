/* SPDX-License-Identifier: MIT */
/* Realloc torture (HEAPRR_TORTURE=realloc): every realloc that succeeds moves the block, as it may
 * whenever the allocator likes, so that code keeping a pointer into a resized buffer writes into a
 * freed block. The old block goes through the freed-block quarantine (quarantine.c), filled, so a
 * write through the stale pointer is found when the block leaves it or at exit, and an access check
 * (MALLOC_CKACCESS) finds a copy into it at the call. Moving a block by hand is also what guard mode
 * does with blocks whose zones must be rebuilt (guard.c). */
#include "recorder.h"

#include <string.h>

int hr_torture_setup(const char *value)
{
    if (strcmp(value, "realloc") != 0)
        return -1;
    hr_cfg.torture_realloc = 1;
    hr_cfg.ckfreed = 1; /* the old blocks are held, filled */
    return 0;
}

int hr_torture_moves(const void *old, const void *base, uint64_t total)
{
    return HR_UNLIKELY(hr_cfg.torture_realloc) && old && base && total && total != SIZE_MAX;
}

uint64_t hr_torture_old_size(void *base, const hr_blk *taken)
{
    if (taken->ptr)
        return taken->size;
    return hr_next.malloc_usable_size ? hr_next.malloc_usable_size(base) : 0;
}

void *hr_move_block(void *base, const void *user, uint64_t size, uint64_t keep, size_t ask, size_t at,
                    uint64_t fill, const hr_blk *taken)
{
    void *p = hr_next.malloc(ask);
    if (!p)
        return NULL;
    memcpy((uint8_t *)p + at, user, size < keep ? size : keep);
    if (!hr_quarantine_put(base, user, fill, taken))
        hr_next.free(base);
    return p;
}
