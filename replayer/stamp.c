/* SPDX-License-Identifier: MIT */
/* The bytes the model keeps in simulated memory for the checker: each block's header mirrors the
 * block's state, sizes and address (a magic word, then a hash of them), and the slack between a
 * request and its block is filled with a pattern that depends on the address. Verifying regenerates
 * the expected bytes and compares, so any changed byte is found and counted. */
#include "bandheap.h"

#include <string.h>

#define STAMP_MAX 64

static uint64_t mix(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static void expected(uint8_t *out, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize, uint64_t req)
{
    uint64_t seed = mix(addr ^ mix(bsize << 1 | state) ^ mix(req + 0x5851F42D4C957F2Dull));
    static const uint8_t magic[2][4] = {{'H', 'R', 'f', 'r'}, {'H', 'R', 'u', 's'}};
    for (uint32_t i = 0; i < hsize; i += 8) {
        uint64_t w = mix(seed + i);
        uint32_t n = hsize - i < 8 ? hsize - i : 8;
        memcpy(out + i, &w, n);
    }
    memcpy(out, magic[state & 1], hsize < 4 ? hsize : 4);
}

void hr_stamp_header(uint8_t *at, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize, uint64_t req)
{
    uint8_t buf[STAMP_MAX];
    if (hsize > STAMP_MAX)
        hsize = STAMP_MAX;
    expected(buf, hsize, addr, state, bsize, req);
    memcpy(at, buf, hsize);
}

static int64_t diff(const uint8_t *a, const uint8_t *b, uint64_t len, uint64_t *damaged)
{
    int64_t first = -1;
    uint64_t n = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (a[i] == b[i])
            continue;
        if (first < 0)
            first = (int64_t)i;
        n++;
    }
    *damaged = n;
    return first;
}

int64_t hr_stamp_verify(const uint8_t *at, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize,
                        uint64_t req, uint64_t *damaged)
{
    uint8_t buf[STAMP_MAX];
    if (hsize > STAMP_MAX)
        hsize = STAMP_MAX;
    expected(buf, hsize, addr, state, bsize, req);
    if (memcmp(buf, at, hsize) == 0) {
        *damaged = 0;
        return -1;
    }
    return diff(at, buf, hsize, damaged);
}

static inline uint8_t fill_byte(uint64_t addr, uint64_t i)
{
    return (uint8_t)(((addr + i) * 0x9Du) ^ 0xA5u);
}

void hr_stamp_fill(uint8_t *at, uint64_t len, uint64_t addr)
{
    for (uint64_t i = 0; i < len; i++)
        at[i] = fill_byte(addr, i);
}

int64_t hr_stamp_fill_verify(const uint8_t *at, uint64_t len, uint64_t addr, uint64_t *damaged)
{
    int64_t first = -1;
    uint64_t n = 0;
    for (uint64_t i = 0; i < len; i++) {
        if (at[i] == fill_byte(addr, i))
            continue;
        if (first < 0)
            first = (int64_t)i;
        n++;
    }
    *damaged = n;
    return first;
}
