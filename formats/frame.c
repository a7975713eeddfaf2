/* SPDX-License-Identifier: MIT */
/* Frame headers and the trailer payload (formats/SPEC.md sections 4 and 6). */
#include "crc32c.h"
#include "internal.h"
#include "varint.h"

void hr_frame_header_encode(uint8_t out[HR_FRAME_HEADER], uint8_t type, const void *payload,
                            uint32_t payload_size, uint32_t raw_size)
{
    out[0] = type;
    out[1] = 0;
    hr_put_u16(out + 2, 0);
    hr_put_u32(out + 4, payload_size);
    hr_put_u32(out + 8, raw_size);
    uint32_t crc = hr_crc32c(0, out, 12);
    hr_put_u32(out + 12, hr_crc32c(crc, payload, payload_size));
}

int hr_frame_header_decode(const uint8_t in[HR_FRAME_HEADER], hr_frame_header *fh, const char **why)
{
    fh->type = in[0];
    fh->payload_size = hr_get_u32(in + 4);
    fh->raw_size = hr_get_u32(in + 8);
    fh->crc = hr_get_u32(in + 12);
    if (fh->type == 0) {
        *why = "expected a frame type (1 chunk, 2 trailer), found 0";
        return HR_ERR_CORRUPT;
    }
    if (fh->type == HR_FRAME_CHUNK && (fh->raw_size == 0 || fh->raw_size > HR_CHUNK_MAX)) {
        *why = "expected a chunk raw_size between 1 and 64 MiB";
        return HR_ERR_CORRUPT;
    }
    if (fh->type != HR_FRAME_CHUNK && fh->raw_size != fh->payload_size) {
        *why = "expected raw_size equal to payload_size";
        return HR_ERR_CORRUPT;
    }
    if (fh->payload_size > HR_CHUNK_MAX + (HR_CHUNK_MAX >> 7) + 4096) {
        *why = "expected a frame payload of at most 64 MiB";
        return HR_ERR_CORRUPT;
    }
    return 0;
}

int hr_frame_crc_ok(const uint8_t in[HR_FRAME_HEADER], const void *payload, uint32_t payload_size)
{
    uint32_t crc = hr_crc32c(0, in, 12);
    return hr_crc32c(crc, payload, payload_size) == hr_get_u32(in + 12);
}

size_t hr_trailer_encode(uint8_t *buf, const hr_counts *c, uint32_t file_crc)
{
    uint64_t entries = 0;
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        entries += c->events[k] != 0;
    for (unsigned t = 0; t < HR_REC_TYPE_LIMIT; t++)
        entries += c->typed[t] != 0;
    uint8_t *p = buf;
    p += hr_put_varint(p, entries);
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        if (c->events[k]) {
            p += hr_put_varint(p, k);
            p += hr_put_varint(p, c->events[k]);
        }
    for (unsigned t = 0; t < HR_REC_TYPE_LIMIT; t++)
        if (c->typed[t]) {
            p += hr_put_varint(p, 0x100 + t);
            p += hr_put_varint(p, c->typed[t]);
        }
    p += hr_put_varint(p, c->last_seq);
    p += hr_put_varint(p, c->records);
    hr_put_u32(p, file_crc);
    return (size_t)(p + 4 - buf);
}

int hr_trailer_decode(const uint8_t *buf, size_t len, hr_counts *c, uint32_t *file_crc, const char **why)
{
    const uint8_t *p = buf, *end = buf + len;
    uint64_t entries, code, n;
    memset(c, 0, sizeof *c);
    *why = "expected a trailer: entries, (code, count) pairs, last seq, records, CRC32C";
    if (hr_get_varint(&p, end, &entries) < 0 || entries > HR_KIND_COUNT + HR_REC_TYPE_LIMIT)
        return HR_ERR_CORRUPT;
    for (uint64_t i = 0; i < entries; i++) {
        if (hr_get_varint(&p, end, &code) < 0 || hr_get_varint(&p, end, &n) < 0)
            return HR_ERR_CORRUPT;
        if (code >= 1 && code < HR_KIND_COUNT)
            c->events[code] = n;
        else if (code >= 0x101 && code < 0x100 + HR_REC_TYPE_LIMIT)
            c->typed[code - 0x100] = n;
        else {
            *why = "expected trailer record codes 1..14 or 0x101..0x17f";
            return HR_ERR_CORRUPT;
        }
    }
    if (hr_get_varint(&p, end, &c->last_seq) < 0 || hr_get_varint(&p, end, &c->records) < 0 ||
        end - p != 4)
        return HR_ERR_CORRUPT;
    *file_crc = hr_get_u32(p);
    return 0;
}
