/* SPDX-License-Identifier: MIT */
/* The bytes the model keeps in simulated memory for the checker: each block's header mirrors the
 * block's state, sizes and address (a magic word, then a hash of them), and the slack between a
 * request and its block is filled with a pattern that depends on the address. Verifying regenerates
 * the expected bytes and compares, so any changed byte is found and counted. */
#include "bandheap.h"

#include <string.h>

#define STAMP_WORDS 8
#define STAMP_MAX (STAMP_WORDS * 8)

static const uint32_t magic[2] = {0x72664852u /* "HRfr" */, 0x73754852u /* "HRus" */};

/* The expected header, as 64-bit words: the magic and a hash of the address in the first, then
 * words mixing the block size, the request and the address. Cheap (one multiply each), and any
 * byte written over it changes a word. */
static inline uint32_t expected(uint64_t *w, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize,
                                uint64_t req)
{
    uint32_t nw = (hsize + 7) / 8;
    uint64_t a = addr * 0x9E3779B97F4A7C15ull, b = (bsize << 1 | (state & 1)) * 0xC2B2AE3D27D4EB4Full;
    w[0] = magic[state & 1] | (a & 0xFFFFFFFF00000000ull);
    for (uint32_t i = 1; i < nw; i++)
        w[i] = a ^ b ^ (req + i) * 0x165667B19E3779F9ull;
    return nw;
}

void hr_stamp_header(uint8_t *at, uint32_t hsize, uint64_t addr, uint32_t state, uint64_t bsize, uint64_t req)
{
    uint64_t w[STAMP_WORDS];
    if (hsize > STAMP_MAX)
        hsize = STAMP_MAX;
    expected(w, hsize, addr, state, bsize, req);
    memcpy(at, w, hsize);
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
    uint64_t w[STAMP_WORDS];
    if (hsize > STAMP_MAX)
        hsize = STAMP_MAX;
    uint32_t nw = expected(w, hsize, addr, state, bsize, req), full = hsize / 8;
    uint64_t bad = 0;
    for (uint32_t i = 0; i < full; i++) {
        uint64_t v;
        memcpy(&v, at + 8 * i, 8);
        bad |= v ^ w[i];
    }
    if (!bad && full < nw) /* a partial last word */
        bad = memcmp(at + 8 * full, &w[full], hsize - 8 * full) != 0;
    if (!bad) {
        *damaged = 0;
        return -1;
    }
    return diff(at, (const uint8_t *)w, hsize, damaged);
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
