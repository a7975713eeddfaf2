/* SPDX-License-Identifier: MIT */
/* LEB128 varints and zigzag signed varints (formats/SPEC.md section 1), inline because every
 * record field goes through them. Decoders never read past `end` and reject overlong input. */
#ifndef HEAPRR_VARINT_H
#define HEAPRR_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define HR_VARINT_MAX 10

static inline uint64_t hr_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t hr_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Writes v at p (which has room for HR_VARINT_MAX bytes); returns the bytes written. */
static inline size_t hr_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline size_t hr_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Reads a varint from *pp (not beyond end) into *out and advances *pp.
 * Returns 0, or -1 when the input ends inside the varint or the varint is too long. */
static inline int hr_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (p >= end || shift > 63)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
    }
    *pp = p;
    *out = v;
    return 0;
}

/* Writes v as a split varint: its first byte at *lo, the bytes after it (if any) at *hi; both
 * pointers advance. */
static inline void hr_put_varint_split(uint8_t **lo, uint8_t **hi, uint64_t v)
{
    if (v < 0x80) {
        *(*lo)++ = (uint8_t)v;
        return;
    }
    *(*lo)++ = (uint8_t)(v | 0x80);
    *hi += hr_put_varint(*hi, v >> 7);
}

/* Reads a split varint (see hr_put_varint_split). Returns 0 or -1 like hr_get_varint. */
static inline int hr_get_varint_split(const uint8_t **lo, const uint8_t *lo_end, const uint8_t **hi,
                                      const uint8_t *hi_end, uint64_t *out)
{
    if (*lo >= lo_end)
        return -1;
    uint8_t b = *(*lo)++;
    if (!(b & 0x80)) {
        *out = b;
        return 0;
    }
    uint64_t rest;
    const uint8_t *p = *hi;
    if (hr_get_varint(&p, hi_end, &rest) < 0 || (size_t)(p - *hi) > 9 || (rest >> 57))
        return -1; /* more than 64 bits in all */
    *hi = p;
    *out = (uint64_t)(b & 0x7f) | (rest << 7);
    return 0;
}

#endif
