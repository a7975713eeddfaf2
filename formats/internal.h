/* SPDX-License-Identifier: MIT */
/* Declarations shared inside libheaprr_format, grouped by the file that defines them. */
#ifndef HEAPRR_FORMAT_INTERNAL_H
#define HEAPRR_FORMAT_INTERNAL_H

#include <heaprr/format.h>

#include <stdint.h>
#include <string.h>

/* Little-endian fixed-width access. */
static inline void hr_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void hr_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void hr_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t hr_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t hr_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t hr_get_u64(const uint8_t *p)
{
    return (uint64_t)hr_get_u32(p) | ((uint64_t)hr_get_u32(p + 4) << 32);
}

/* Error-return helpers in the style of zstd's RETURN_ERROR_IF / FORWARD_IF_ERROR. */
#define HR_RETURN_IF(cond, err) \
    do {                        \
        if (cond)               \
            return (err);       \
    } while (0)
#define HR_FORWARD(expr)             \
    do {                             \
        int hr_fwd_rc_ = (expr);     \
        if (hr_fwd_rc_ < 0)          \
            return hr_fwd_rc_;       \
    } while (0)

/* ---- header.c ---- */

/* Bytes the encoded header of h takes. */
size_t hr_header_size(const hr_header *h);
/* Encodes h into buf (cap bytes); returns the size written or a negative hr_err. */
int hr_header_encode(const hr_header *h, uint8_t *buf, size_t cap);
/* From the first HR_HEADER_FIXED bytes of a file, checks magic and version and returns the
 * header_size (> 0) or a negative hr_err; *why gets a static explanation on error. */
int hr_header_peek(const uint8_t *buf, size_t len, const char **why);
/* Decodes a whole header of header_size bytes. Strings point into buf. */
int hr_header_decode(const uint8_t *buf, size_t header_size, hr_header *h, const char **why);

/* ---- frame.c ---- */

typedef struct hr_frame_header {
    uint8_t type;
    uint32_t payload_size;
    uint32_t raw_size;
    uint32_t crc;
} hr_frame_header;
#define HR_FRAME_CHUNK 1
#define HR_FRAME_TRAILER 2

void hr_frame_header_encode(uint8_t out[HR_FRAME_HEADER], uint8_t type, const void *payload,
                            uint32_t payload_size, uint32_t raw_size);
/* Parses a frame header; returns 0 or HR_ERR_CORRUPT with *why set. */
int hr_frame_header_decode(const uint8_t in[HR_FRAME_HEADER], hr_frame_header *fh, const char **why);
/* Non-zero if crc of the header's first 12 bytes and the payload matches fh->crc. */
int hr_frame_crc_ok(const uint8_t in[HR_FRAME_HEADER], const void *payload, uint32_t payload_size);

/* Trailer payload. */
typedef struct hr_counts {
    uint64_t events[HR_KIND_COUNT];
    uint64_t typed[HR_REC_TYPE_LIMIT];
    uint64_t records;
    uint64_t last_seq;
} hr_counts;
#define HR_TRAILER_MAX (10 + (HR_KIND_COUNT + HR_REC_TYPE_LIMIT) * 20 + 20 + 4)
/* Encodes a trailer payload; returns its size. */
size_t hr_trailer_encode(uint8_t *buf, const hr_counts *c, uint32_t file_crc);
/* Decodes a trailer payload into *c and *file_crc; returns 0 or HR_ERR_CORRUPT. */
int hr_trailer_decode(const uint8_t *buf, size_t len, hr_counts *c, uint32_t *file_crc, const char **why);

/* ---- record-codec.c ---- */

/* Encoder of one chunk's records. */
typedef struct hr_enc {
    uint8_t *buf;
    size_t cap, len;
    uint64_t seq, time, ptr, ip;
    uint32_t thread;
    hr_counts *counts; /* incremented per record when non-NULL */
} hr_enc;
#define HR_ENC_EVENT_MAX 128 /* worst-case bytes of one event */

void hr_enc_reset(hr_enc *e);
/* Each returns 0, HR_ERR_LIMIT when buf has no room (nothing is written then) or HR_ERR_ARG. */
int hr_enc_event(hr_enc *e, uint32_t thread, uint64_t seq, uint64_t time, const hr_event *ev);
int hr_enc_process(hr_enc *e, const hr_process_info *pi);
int hr_enc_nodes(hr_enc *e, uint64_t first_id, const uint64_t *parents, const uint64_t *ips, size_t n);
/* Ordered typed records: rec->thread, rec->seq and rec->time_ns (in time units) give the prefix. */
int hr_enc_ordered(hr_enc *e, unsigned type, const hr_record *rec);

/* Decoder of one chunk's records. */
typedef struct hr_dec {
    const uint8_t *start, *p, *end;
    uint64_t seq, time, ptr, ip;
    uint32_t thread;
    uint64_t nodes_left; /* inside a STACK_NODES body */
    const uint8_t *nodes_end;
    uint64_t next_node; /* id the next defined node gets */
    const char *why;    /* on error: what was expected */
    size_t err_at;      /* on error: offset in the chunk */
} hr_dec;

void hr_dec_init(hr_dec *d, const uint8_t *buf, size_t len, uint64_t next_node);
/* Decodes the next record into *rec (time_ns holds time units). Returns 1, 0 at the end of the
 * chunk, or HR_ERR_CORRUPT with d->why and d->err_at set. Records of unknown types come back with
 * their type and no fields. */
int hr_dec_next(hr_dec *d, hr_record *rec);

/* ---- interner.c ---- */

/* The stack trie: node id -> (parent, ip) and (parent, ip) -> node id. Ids start at 1. */
typedef struct hr_interner {
    const hr_alloc *alloc;
    uint64_t *parent, *ip; /* indexed by id; [0] unused */
    size_t cap;            /* entries in parent/ip */
    uint64_t count;        /* nodes defined: ids 1..count */
    uint32_t *slots;       /* open addressing, node ids, 0 empty */
    size_t mask;
} hr_interner;

int hr_interner_init(hr_interner *in, const hr_alloc *alloc);
void hr_interner_free(hr_interner *in);
/* Finds the node (parent, ip); returns its id, or 0 if absent. */
uint64_t hr_interner_find(const hr_interner *in, uint64_t parent, uint64_t ip);
/* Adds the node (parent, ip), which must be absent; returns its id or a negative hr_err. */
int64_t hr_interner_add(hr_interner *in, uint64_t parent, uint64_t ip);

/* ---- writer.c (for recover.c) ---- */

struct hr_writer;
/* Writes raw, already encoded records as one chunk frame and adds their counts. */
int hr_writer_raw_chunk(struct hr_writer *w, const uint8_t *raw, size_t len, const hr_counts *added);

/* ---- alloc.c ---- */

/* The allocator used when a caller passes none: malloc and free. */
extern const hr_alloc hr_default_alloc;
void *hr_alloc_zeroed(const hr_alloc *a, size_t size);

#endif
