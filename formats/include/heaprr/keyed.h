/* SPDX-License-Identifier: MIT */
/* Hash tables keyed by a non-zero 64-bit value (the analyzer's live blocks, leak groups, profile
 * sites and symbol cache, the recorder's guard table): a power-of-two array of fixed-size entries
 * whose first field is a uint64_t key, 0 marking an empty slot, probed linearly from the key's
 * home slot, with backward-shift deletion (no tombstones). The callers own allocation and load
 * factor; nothing here allocates, so the recorder can use it. */
#ifndef HEAPRR_KEYED_H
#define HEAPRR_KEYED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t hr_keyed_home(uint64_t key, size_t mask)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static inline uint64_t hr_keyed_key(const void *entry)
{
    uint64_t k;
    memcpy(&k, entry, sizeof k);
    return k;
}

/* The entry that holds key, or the empty one where it would go; the table must have an empty slot. */
static inline void *hr_keyed_probe(void *slots, size_t mask, size_t size, uint64_t key)
{
    for (size_t s = hr_keyed_home(key, mask);; s = (s + 1) & mask) {
        char *e = (char *)slots + s * size;
        uint64_t k = hr_keyed_key(e);
        if (k == key || k == 0)
            return e;
    }
}

/* Puts every entry of old (old_mask + 1 slots; old may be NULL) into fresh, which is zeroed and has
 * new_mask + 1 slots. */
static inline void hr_keyed_move(void *fresh, size_t new_mask, const void *old, size_t old_mask,
                                 size_t size)
{
    for (size_t i = 0; old && i <= old_mask; i++) {
        const char *e = (const char *)old + i * size;
        uint64_t k = hr_keyed_key(e);
        if (k)
            memcpy(hr_keyed_probe(fresh, new_mask, size, k), e, size);
    }
}

/* Empties entry e, moving later entries of its probe run back so that no lookup stops at the hole. */
static inline void hr_keyed_erase(void *slots, size_t mask, size_t size, void *e)
{
    char *base = slots;
    size_t i = (size_t)((char *)e - base) / size, j = i;
    for (;;) {
        j = (j + 1) & mask;
        uint64_t k = hr_keyed_key(base + j * size);
        if (!k)
            break;
        size_t home = hr_keyed_home(k, mask);
        /* Move j back to i when i lies cyclically in [home, j). */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            memcpy(base + i * size, base + j * size, size);
            i = j;
        }
    }
    memset(base + i * size, 0, size);
}

#endif
