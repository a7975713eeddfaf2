/* SPDX-License-Identifier: MIT */
/* hr_peek_trace (include/heaprr/peek.h): the header's fixed fields, then the frames header by
 * header, each payload skipped by its size; only the last frame's payload is read, if it is a
 * trailer. A 30 MB trace costs a few hundred small reads instead of a full decode. */
#include <heaprr/peek.h>

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(HR_REC_TYPE_LIMIT == 128, "typed counts are 128 wide");

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    return pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : HR_ERR_IO;
}

/* Offset of the last frame (0 when the frames do not end exactly at the end of the file). */
static uint64_t last_frame(int fd, uint64_t pos, uint64_t size, uint8_t fhb[HR_FRAME_HEADER], hr_frame_header *fh)
{
    uint64_t last = 0;
    const char *why;
    while (pos + HR_FRAME_HEADER <= size) {
        if (read_at(fd, fhb, HR_FRAME_HEADER, pos) < 0 || hr_frame_header_decode(fhb, fh, &why) < 0)
            return 0;
        last = pos;
        pos += HR_FRAME_HEADER + (uint64_t)fh->payload_size;
    }
    return pos == size ? last : 0;
}

/* The counts of the trailer at the end of the file, if there is one. */
static int trailer(int fd, uint64_t at, const uint8_t fhb[HR_FRAME_HEADER], const hr_frame_header *fh, hr_peek *out)
{
    uint8_t payload[HR_TRAILER_MAX];
    hr_counts c;
    uint32_t crc;
    const char *why;
    if (!at || fh->type != HR_FRAME_TRAILER || fh->payload_size > sizeof payload)
        return 0;
    HR_FORWARD(read_at(fd, payload, fh->payload_size, at + HR_FRAME_HEADER));
    if (!hr_frame_crc_ok(fhb, payload, fh->payload_size) ||
        hr_trailer_decode(payload, fh->payload_size, &c, &crc, &why) < 0)
        return 0;
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        out->events[k] = c.events[k];
    for (unsigned t = 0; t < HR_REC_TYPE_LIMIT; t++)
        out->typed[t] = c.typed[t];
    out->complete = 1;
    return 0;
}

static int peek_fd(int fd, hr_peek *out)
{
    uint8_t head[HR_HEADER_FIXED], fhb[HR_FRAME_HEADER];
    struct stat sb;
    hr_frame_header fh;
    const char *why;
    if (fstat(fd, &sb) < 0)
        return HR_ERR_IO;
    if ((uint64_t)sb.st_size < HR_HEADER_FIXED)
        return sb.st_size >= HR_MAGIC_LEN ? HR_ERR_TRUNCATED : HR_ERR_NOT_TRACE;
    HR_FORWARD(read_at(fd, head, sizeof head, 0));
    int hsize = hr_header_peek(head, sizeof head, &why);
    if (hsize < 0)
        return hsize;
    out->pid = hr_get_u32(head + 24);
    out->ppid = hr_get_u32(head + 28);
    out->start_realtime_ns = hr_get_u64(head + 32);
    uint64_t at = last_frame(fd, (uint64_t)hsize, (uint64_t)sb.st_size, fhb, &fh);
    return trailer(fd, at, fhb, &fh, out);
}

int hr_peek_trace(const char *path, hr_peek *out)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return HR_ERR_IO;
    int rc = peek_fd(fd, out);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
