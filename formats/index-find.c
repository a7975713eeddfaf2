/* SPDX-License-Identifier: MIT */
/* Finding a trace's index (internal.h, hr_index_find): the frame headers are hopped from the first
 * to the last with pread, without reading any chunk; the index counts only when it is the frame
 * right before a trailer that ends the file and its CRC holds. Anything else means "no index":
 * the caller reads the events instead. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* The offset of the index frame right before the trailer that ends the file, or 0. */
static uint64_t locate(int fd, uint64_t pos, uint64_t size)
{
    uint64_t prev = 0;
    uint8_t prev_type = 0;
    while (pos + HR_FRAME_HEADER <= size) {
        uint8_t b[HR_FRAME_HEADER];
        hr_frame_header fh;
        const char *why;
        if (read_at(fd, b, sizeof b, pos) < 0 || hr_frame_header_decode(b, &fh, &why) < 0)
            return 0;
        uint64_t next = pos + HR_FRAME_HEADER + fh.payload_size;
        if (fh.type == HR_FRAME_TRAILER && next == size)
            return prev_type == HR_FRAME_INDEX ? prev : 0;
        prev = pos;
        prev_type = fh.type;
        pos = next;
    }
    return 0;
}

static int load(int fd, uint64_t off, hr_index *out)
{
    uint8_t b[HR_FRAME_HEADER];
    hr_frame_header fh;
    const char *why;
    if (read_at(fd, b, sizeof b, off) < 0 || hr_frame_header_decode(b, &fh, &why) < 0)
        return 0;
    uint8_t *payload = malloc(fh.payload_size ? fh.payload_size : 1);
    if (!payload)
        return HR_ERR_NOMEM;
    int rc = 0;
    if (read_at(fd, payload, fh.payload_size, off + HR_FRAME_HEADER) == 0 &&
        hr_frame_crc_ok(b, payload, fh.payload_size)) {
        rc = hr_index_decode(payload, fh.payload_size, out, &why);
        rc = rc == 0 ? 1 : rc == HR_ERR_NOMEM ? rc : 0;
    }
    free(payload);
    return rc;
}

int hr_index_find(int fd, uint64_t first_frame, hr_index *out)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    uint64_t off = locate(fd, first_frame, (uint64_t)st.st_size);
    return off ? load(fd, off, out) : 0;
}
