/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the records inside chunks (SPEC.md section 5) and the reader's tables.
 * A fuzzer mutating a .hrr file almost never produces a valid zstd frame, so here the input holds
 * the raw records and the harness compresses and frames them with correct checksums:
 *
 *   input = entry*
 *   entry = u8 op, u16le len, len bytes (the last entry is cut at the end of the input)
 *   op & 3 == 0  a records chunk: the bytes are its raw records (frame type 1, zstd)
 *   op & 3 == 1  a trailer (frame type 2) with the bytes as payload; unless op & 4, its last 4
 *                bytes are replaced by the CRC32C of the file before the frame
 *   op & 3 == 2  a frame of type op >> 2 with the bytes as payload
 *   op & 3 == 3  the bytes appended as they are (damage, a partial frame)
 *
 * after a fixed valid header. `fuzz-seed-tool records` turns a trace into this layout. */
#include "fuzz-common.h"

#include <heaprr/format.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static uint8_t *reserve(buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

static void append(buf *b, const void *data, size_t n)
{
    if (n)
        memcpy(reserve(b, n), data, n);
    b->len += n;
}

static void put_header(buf *b)
{
    static const char exe[] = "/fuzz", cmd[] = "fuzz";
    uint8_t h[HR_HEADER_FIXED + 2 + sizeof exe + sizeof cmd + 4];
    size_t size = HR_HEADER_FIXED + 1 + (sizeof exe - 1) + 1 + sizeof cmd + 4;
    memset(h, 0, sizeof h);
    memcpy(h, HR_MAGIC, HR_MAGIC_LEN);
    h[8] = HR_FORMAT_MAJOR;
    fz_put_u32(h + 12, (uint32_t)size);
    h[16] = 8;                /* pointer size */
    h[17] = 1;                /* little-endian */
    fz_put_u32(h + 20, 4096); /* page size */
    fz_put_u32(h + 24, 1);    /* pid */
    fz_put_u32(h + 40, 1);    /* time unit: 1 ns */
    fz_put_u32(h + 44, 64);   /* depth */
    uint8_t *p = h + HR_HEADER_FIXED;
    *p++ = sizeof exe - 1;
    memcpy(p, exe, sizeof exe - 1);
    p += sizeof exe - 1;
    *p++ = sizeof cmd; /* "fuzz" and its NUL */
    memcpy(p, cmd, sizeof cmd);
    p += sizeof cmd;
    fz_put_u32(p, fz_crc32c(0, h, (size_t)(p - h)));
    append(b, h, size);
}

static void put_frame(buf *b, uint8_t type, const uint8_t *payload, size_t n, size_t raw)
{
    uint8_t fh[HR_FRAME_HEADER] = {type};
    fz_put_u32(fh + 4, (uint32_t)n);
    fz_put_u32(fh + 8, (uint32_t)raw);
    fz_put_u32(fh + 12, fz_crc32c(fz_crc32c(0, fh, 12), payload, n));
    append(b, fh, sizeof fh);
    append(b, payload, n);
}

static ZSTD_CCtx *cctx(void)
{
    static ZSTD_CCtx *c;
    if (!c) {
        c = ZSTD_createCCtx();
        if (!c || ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)))
            abort();
    }
    return c;
}

static void put_chunk(buf *b, const uint8_t *raw, size_t n)
{
    size_t bound = ZSTD_compressBound(n);
    uint8_t *z = malloc(bound);
    if (!z)
        abort();
    size_t zn = ZSTD_compress2(cctx(), z, bound, raw, n);
    if (ZSTD_isError(zn))
        abort();
    put_frame(b, 1, z, zn, n);
    free(z);
}

static void put_trailer(buf *b, const uint8_t *payload, size_t n, int keep_crc)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, payload, n);
    if (!keep_crc && n >= 4)
        fz_put_u32(copy + n - 4, fz_crc32c(0, b->p, b->len));
    put_frame(b, 2, copy, n, n);
    free(copy);
}

static void put_entry(buf *b, uint8_t op, const uint8_t *p, size_t n)
{
    switch (op & 3) {
    case 0: put_chunk(b, p, n); break;
    case 1: put_trailer(b, p, n, op & 4); break;
    case 2: put_frame(b, (uint8_t)(op >> 2), p, n, n); break;
    default: append(b, p, n); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    buf b = {0};
    put_header(&b);
    for (size_t at = 0; size - at >= 3;) {
        size_t len = fz_get_u16(data + at + 1);
        len = len > size - at - 3 ? size - at - 3 : len;
        put_entry(&b, data[at], data + at + 3, len);
        at += 3 + len;
    }
    int fd = fz_memfd("fuzz-records", b.p, b.len);
    if (fd < 0)
        abort();
    fz_read_fd(fd, "fuzz-input");
    close(fd);
    free(b.p);
    return 0;
}
