/* SPDX-License-Identifier: MIT */
/* The file header (formats/SPEC.md section 3): encoding, and decoding that explains exactly what
 * is wrong with a file that is not a trace, is too new, or is damaged. */
#include "crc32c.h"
#include "internal.h"
#include "varint.h"

size_t hr_header_size(const hr_header *h)
{
    return HR_HEADER_FIXED + hr_varint_size(h->exe.len) + h->exe.len + hr_varint_size(h->cmdline.len) +
           h->cmdline.len + 4;
}

static uint8_t *put_str(uint8_t *p, hr_str s)
{
    p += hr_put_varint(p, s.len);
    if (s.len)
        memcpy(p, s.ptr, s.len);
    return p + s.len;
}

int hr_header_encode(const hr_header *h, uint8_t *buf, size_t cap)
{
    size_t size = hr_header_size(h);
    HR_RETURN_IF(size > HR_HEADER_MAX, HR_ERR_LIMIT);
    HR_RETURN_IF(size > cap, HR_ERR_LIMIT);
    memcpy(buf, HR_MAGIC, HR_MAGIC_LEN);
    hr_put_u16(buf + 8, HR_FORMAT_MAJOR);
    hr_put_u16(buf + 10, HR_FORMAT_MINOR);
    hr_put_u32(buf + 12, (uint32_t)size);
    buf[16] = h->pointer_size;
    buf[17] = h->byte_order;
    hr_put_u16(buf + 18, h->flags);
    hr_put_u32(buf + 20, h->page_size);
    hr_put_u32(buf + 24, h->pid);
    hr_put_u32(buf + 28, h->ppid);
    hr_put_u64(buf + 32, h->start_realtime_ns);
    hr_put_u32(buf + 40, h->time_unit_ns);
    hr_put_u32(buf + 44, h->max_depth);
    uint8_t *p = put_str(buf + HR_HEADER_FIXED, h->exe);
    p = put_str(p, h->cmdline);
    hr_put_u32(p, hr_crc32c(0, buf, (size_t)(p - buf)));
    return (int)size;
}

int hr_header_peek(const uint8_t *buf, size_t len, const char **why)
{
    if (len < HR_MAGIC_LEN || memcmp(buf, HR_MAGIC, HR_MAGIC_LEN) != 0) {
        *why = "expected the heaprr magic \\x89HRR\\r\\n\\x1a\\n";
        return HR_ERR_NOT_TRACE;
    }
    if (len < HR_HEADER_FIXED) {
        *why = "expected a 48-byte header";
        return HR_ERR_TRUNCATED;
    }
    if (hr_get_u16(buf + 8) != HR_FORMAT_MAJOR) {
        *why = hr_get_u16(buf + 8) > HR_FORMAT_MAJOR ? "newer major version" : "unknown major version";
        return HR_ERR_VERSION;
    }
    uint32_t size = hr_get_u32(buf + 12);
    if (size < HR_HEADER_FIXED + 2 + 4 || size > HR_HEADER_MAX) {
        *why = "expected a header_size between 54 and 1048576";
        return HR_ERR_CORRUPT;
    }
    return (int)size;
}

static int get_str(const uint8_t **p, const uint8_t *end, hr_str *s)
{
    uint64_t n;
    if (hr_get_varint(p, end, &n) < 0 || n > (uint64_t)(end - *p))
        return -1;
    s->ptr = (const char *)*p;
    s->len = (size_t)n;
    *p += n;
    return 0;
}

int hr_header_decode(const uint8_t *buf, size_t header_size, hr_header *h, const char **why)
{
    int rc = hr_header_peek(buf, header_size, why);
    if (rc < 0)
        return rc;
    if ((size_t)rc != header_size) {
        *why = "expected header_size to match";
        return HR_ERR_CORRUPT;
    }
    if (hr_crc32c(0, buf, header_size - 4) != hr_get_u32(buf + header_size - 4)) {
        *why = "header CRC32C mismatch";
        return HR_ERR_CHECKSUM;
    }
    memset(h, 0, sizeof *h);
    h->major = hr_get_u16(buf + 8);
    h->minor = hr_get_u16(buf + 10);
    h->pointer_size = buf[16];
    h->byte_order = buf[17];
    h->flags = hr_get_u16(buf + 18);
    h->page_size = hr_get_u32(buf + 20);
    h->pid = hr_get_u32(buf + 24);
    h->ppid = hr_get_u32(buf + 28);
    h->start_realtime_ns = hr_get_u64(buf + 32);
    h->time_unit_ns = hr_get_u32(buf + 40);
    h->max_depth = hr_get_u32(buf + 44);
    const uint8_t *p = buf + HR_HEADER_FIXED, *end = buf + header_size - 4;
    if (get_str(&p, end, &h->exe) < 0 || get_str(&p, end, &h->cmdline) < 0) {
        *why = "expected the executable path and command line inside the header";
        return HR_ERR_CORRUPT;
    }
    if ((h->pointer_size != 4 && h->pointer_size != 8) || (h->byte_order != 1 && h->byte_order != 2)) {
        *why = "expected pointer size 4 or 8 and byte order 1 or 2";
        return HR_ERR_CORRUPT;
    }
    if (h->time_unit_ns == 0) {
        *why = "expected a non-zero time unit";
        return HR_ERR_CORRUPT;
    }
    return 0;
}
