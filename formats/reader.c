/* SPDX-License-Identifier: MIT */
/* hr_reader: frames in, records out (see include/heaprr/reader.h). */
#include <heaprr/reader.h>

#include "crc32c.h"
#include "internal.h"
#include "reader-tables.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

enum { ST_OK, ST_END, ST_ERROR };

struct hr_reader {
    int fd, own_fd;
    unsigned flags;
    char *name;
    int state;
    int rc; /* error code in ST_ERROR */
    uint8_t *hdr_buf;
    hr_header hdr;
    uint64_t pos; /* file offset of the next frame */
    uint32_t crc;
    uint64_t frames;
    int last_was_trailer, truncated;
    uint8_t *zbuf, *raw;
    size_t zcap, rawcap;
    ZSTD_DCtx *dctx;
    hr_dec dec;
    int dec_ready;
    int in_chunk;
    uint64_t frame_off;
    hr_counts counts;
    hr_counts trailer_counts; /* for HR_READ_TRAILER delivery */
    hr_rtables tab;
    hr_process_info process;
    char *process_buf;
    int have_process;
    char msg[600];
};

static int set_error(hr_reader *r, int rc, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int set_error(hr_reader *r, int rc, uint64_t off, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->msg, sizeof r->msg, "%s: byte %" PRIu64 ": %s", r->name, off, what);
    r->state = ST_ERROR;
    r->rc = rc;
    return rc;
}

/* Reads up to n bytes; returns the count (short only at end of file) or -1 with errno. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (char *)buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static int io_error(hr_reader *r, uint64_t off)
{
    return set_error(r, HR_ERR_IO, off, "cannot read: %s", strerror(errno));
}

static int read_header(hr_reader *r)
{
    uint8_t fixed[HR_HEADER_FIXED];
    const char *why = "";
    ssize_t n = read_full(r->fd, fixed, sizeof fixed);
    if (n < 0)
        return io_error(r, 0);
    if (n == 0)
        return set_error(r, HR_ERR_NOT_TRACE, 0, "empty file, expected a heaprr trace header");
    int size = hr_header_peek(fixed, (size_t)n, &why);
    if (size == HR_ERR_VERSION)
        return set_error(r, size, 8, "trace format %u.%u is newer than this heaprr (reads %d.x)",
                         hr_get_u16(fixed + 8), hr_get_u16(fixed + 10), HR_FORMAT_MAJOR);
    if (size < 0)
        return set_error(r, size, size == HR_ERR_TRUNCATED ? (uint64_t)n : 0, "%s%s", why,
                         size == HR_ERR_NOT_TRACE ? " (not a heaprr trace)" : "");
    r->hdr_buf = malloc((size_t)size);
    if (!r->hdr_buf)
        return set_error(r, HR_ERR_NOMEM, 0, "out of memory");
    memcpy(r->hdr_buf, fixed, sizeof fixed);
    n = read_full(r->fd, r->hdr_buf + sizeof fixed, (size_t)size - sizeof fixed);
    if (n < 0)
        return io_error(r, sizeof fixed);
    if ((size_t)n < (size_t)size - sizeof fixed)
        return set_error(r, HR_ERR_TRUNCATED, sizeof fixed + (uint64_t)n,
                         "trace truncated inside its %d-byte header", size);
    int rc = hr_header_decode(r->hdr_buf, (size_t)size, &r->hdr, &why);
    if (rc < 0)
        return set_error(r, rc, 0, "%s", why);
    r->pos = (uint64_t)size;
    r->crc = hr_crc32c(0, r->hdr_buf, (size_t)size);
    return 0;
}

static int make_reader(hr_reader **out, int fd, int own, const char *name, unsigned flags)
{
    hr_reader *r = calloc(1, sizeof *r);
    *out = r;
    if (!r) {
        if (own)
            close(fd);
        return HR_ERR_NOMEM;
    }
    r->fd = fd;
    r->own_fd = own;
    r->flags = flags;
    r->name = strdup(name);
    r->dctx = ZSTD_createDCtx();
    if (r->name && r->dctx && hr_dec_init(&r->dec, &hr_big_alloc) == 0)
        r->dec_ready = 1;
    if (!r->name || !r->dctx || !r->dec_ready) {
        if (!r->name)
            r->name = strdup("?");
        return set_error(r, HR_ERR_NOMEM, 0, "out of memory");
    }
    if (fd < 0)
        return set_error(r, HR_ERR_IO, 0, "cannot open: %s", strerror(errno));
    return read_header(r);
}

int hr_reader_open(hr_reader **out, const char *path, unsigned flags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return make_reader(out, fd, fd >= 0, path, flags);
}

int hr_reader_open_fd(hr_reader **out, int fd, const char *name, unsigned flags)
{
    return make_reader(out, fd, 0, name, flags);
}

void hr_reader_close(hr_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    if (r->dec_ready)
        hr_dec_free(&r->dec);
    hr_rtables_free(&r->tab);
    free(r->process_buf);
    free(r->hdr_buf);
    free(r->zbuf);
    free(r->raw);
    free(r->name);
    free(r);
}

static int ensure(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    uint8_t *p = realloc(*buf, need);
    if (!p)
        return HR_ERR_NOMEM;
    *buf = p;
    *cap = need;
    return 0;
}

static int end_truncated(hr_reader *r)
{
    r->truncated = 1;
    r->state = ST_END;
    snprintf(r->msg, sizeof r->msg, "%s: trace truncated at byte %" PRIu64, r->name, r->pos);
    return 0;
}

static int decompress_chunk(hr_reader *r, const hr_frame_header *fh)
{
    unsigned long long csize = ZSTD_getFrameContentSize(r->zbuf, fh->payload_size);
    if (csize != fh->raw_size)
        return set_error(r, HR_ERR_CORRUPT, r->pos + HR_FRAME_HEADER,
                         "expected a zstd frame of %u bytes of content", fh->raw_size);
    if (ZSTD_findFrameCompressedSize(r->zbuf, fh->payload_size) != fh->payload_size)
        return set_error(r, HR_ERR_CORRUPT, r->pos + HR_FRAME_HEADER,
                         "expected exactly one zstd frame filling the payload");
    if (ensure(&r->raw, &r->rawcap, fh->raw_size) < 0)
        return set_error(r, HR_ERR_NOMEM, r->pos, "out of memory");
    size_t got = ZSTD_decompressDCtx(r->dctx, r->raw, fh->raw_size, r->zbuf, fh->payload_size);
    if (ZSTD_isError(got) || got != fh->raw_size)
        return set_error(r, HR_ERR_CORRUPT, r->pos + HR_FRAME_HEADER, "zstd: %s",
                         ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short content");
    int rc = hr_dec_open(&r->dec, r->raw, fh->raw_size, r->tab.nodes + 1);
    if (rc == HR_ERR_NOMEM)
        return set_error(r, rc, r->pos, "out of memory");
    if (rc < 0)
        return set_error(r, rc, r->pos, "in the chunk of this frame: %s", r->dec.why);
    r->in_chunk = 1;
    return 0;
}

static int compare_trailer(hr_reader *r, const hr_counts *tc, uint32_t file_crc, uint32_t crc_before)
{
    if (file_crc != crc_before)
        return set_error(r, HR_ERR_CHECKSUM, r->pos, "trailer CRC32C of the file does not match its bytes");
    if (r->dec.typed_only) /* events were skipped: the index checks their counts (use_index) */
        return memcmp(tc->typed, r->counts.typed, sizeof tc->typed) == 0
                   ? 0
                   : set_error(r, HR_ERR_CORRUPT, r->pos, "expected the trailer's record counts to match the records read");
    if (memcmp(tc->events, r->counts.events, sizeof tc->events) != 0 ||
        memcmp(tc->typed, r->counts.typed, sizeof tc->typed) != 0 || tc->records != r->counts.records ||
        tc->last_seq != r->counts.last_seq)
        return set_error(r, HR_ERR_CORRUPT, r->pos, "expected the trailer's record counts to match the records read");
    return 0;
}

/* Reads the frame at r->pos. Returns 1 when it holds records to deliver (or a trailer to
 * deliver), 0 when it was consumed silently, or < 0. Sets ST_END at the end of the file. */
static int next_frame(hr_reader *r)
{
    uint8_t fhb[HR_FRAME_HEADER];
    hr_frame_header fh;
    const char *why;
    ssize_t n = read_full(r->fd, fhb, sizeof fhb);
    if (n < 0)
        return io_error(r, r->pos);
    if (n == 0 && r->last_was_trailer) {
        r->state = ST_END;
        return 0;
    }
    if ((size_t)n < sizeof fhb)
        return end_truncated(r);
    if (hr_frame_header_decode(fhb, &fh, &why) < 0)
        return set_error(r, HR_ERR_CORRUPT, r->pos, "%s", why);
    if (ensure(&r->zbuf, &r->zcap, fh.payload_size ? fh.payload_size : 1) < 0)
        return set_error(r, HR_ERR_NOMEM, r->pos, "out of memory");
    n = read_full(r->fd, r->zbuf, fh.payload_size);
    if (n < 0)
        return io_error(r, r->pos);
    if ((size_t)n < fh.payload_size)
        return end_truncated(r);
    if (!hr_frame_crc_ok(fhb, r->zbuf, fh.payload_size))
        return set_error(r, HR_ERR_CHECKSUM, r->pos, "frame CRC32C mismatch (damaged frame)");
    uint32_t crc_before = r->crc;
    r->crc = hr_crc32c(hr_crc32c(r->crc, fhb, sizeof fhb), r->zbuf, fh.payload_size);
    r->frame_off = r->pos;
    int rc = 0;
    if (fh.type == HR_FRAME_CHUNK) {
        rc = decompress_chunk(r, &fh);
    } else if (fh.type == HR_FRAME_TRAILER) {
        uint32_t file_crc;
        if (hr_trailer_decode(r->zbuf, fh.payload_size, &r->trailer_counts, &file_crc, &why) < 0)
            return set_error(r, HR_ERR_CORRUPT, r->pos + HR_FRAME_HEADER, "%s", why);
        rc = compare_trailer(r, &r->trailer_counts, file_crc, crc_before);
        if (rc == 0 && (r->flags & HR_READ_TRAILER))
            rc = 1;
    }
    if (rc < 0)
        return rc;
    r->last_was_trailer = fh.type == HR_FRAME_TRAILER;
    r->pos += HR_FRAME_HEADER + fh.payload_size;
    r->frames++;
    return rc;
}

static int keep_process(hr_reader *r, const hr_record *rec)
{
    const hr_process_info *pi = &rec->u.process;
    size_t n = pi->recorder.len + pi->parent_trace.len + pi->cwd.len + 3;
    char *buf = malloc(n), *p = buf;
    if (!buf)
        return HR_ERR_NOMEM;
    free(r->process_buf);
    r->process_buf = buf;
    r->process = *pi;
    hr_str *strs[3] = {&r->process.recorder, &r->process.parent_trace, &r->process.cwd};
    for (int i = 0; i < 3; i++) {
        memcpy(p, strs[i]->ptr, strs[i]->len);
        p[strs[i]->len] = 0;
        strs[i]->ptr = p;
        p += strs[i]->len + 1;
    }
    r->have_process = 1;
    return 0;
}

static int record_error(hr_reader *r, int rc, const char *why)
{
    if (rc == HR_ERR_NOMEM)
        return set_error(r, rc, r->frame_off, "out of memory");
    return set_error(r, rc, r->frame_off, "in the chunk of this frame, record %" PRIu64 ": %s",
                     r->dec.done ? r->dec.done - 1 : 0, why);
}

static void count(hr_reader *r, const hr_record *rec)
{
    if (rec->type == HR_REC_STACK_NODE && r->dec.nodes_left)
        return; /* a STACK_NODES record counts once, at its last node */
    if (rec->type == HR_REC_EVENT)
        r->counts.events[rec->u.event.kind]++;
    else if (rec->type < HR_REC_TYPE_LIMIT)
        r->counts.typed[rec->type]++;
    r->counts.records++;
    if ((rec->type == HR_REC_EVENT || hr_rec_type_is_ordered(rec->type)) && rec->seq > r->counts.last_seq)
        r->counts.last_seq = rec->seq;
}

static int deliver(hr_reader *r, hr_record *rec)
{
    const char *why = "";
    if (r->dec.typed_only) { /* seq and time counted without the events: meaningless */
        rec->seq = rec->time_ns = 0;
    } else if (rec->type == HR_REC_EVENT || hr_rec_type_is_ordered(rec->type)) {
        if (rec->seq <= r->counts.last_seq && r->counts.last_seq)
            return record_error(r, HR_ERR_CORRUPT, "expected sequence numbers increasing across chunks");
        rec->time_ns *= r->hdr.time_unit_ns;
    }
    int rc = hr_rtables_apply(&r->tab, rec, &why);
    if (rc < 0)
        return record_error(r, rc, why);
    if (rec->type == HR_REC_PROCESS_INFO && (rc = keep_process(r, rec)) < 0)
        return record_error(r, rc, why);
    count(r, rec);
    rec->offset = r->frame_off;
    return rec->type == HR_REC_STACK_NODE && !(r->flags & HR_READ_NODES) ? 0 : 1;
}

int hr_reader_next(hr_reader *r, hr_record *rec)
{
    for (;;) {
        if (r->state == ST_ERROR)
            return r->rc;
        if (r->state == ST_END)
            return 0;
        if (!r->in_chunk) {
            int rc = next_frame(r);
            if (rc > 0 && !r->in_chunk) { /* a trailer to deliver */
                memset(rec, 0, sizeof *rec);
                rec->type = HR_REC_TRAILER;
                rec->offset = r->frame_off;
                rec->u.trailer.last_seq = r->trailer_counts.last_seq;
                rec->u.trailer.records = r->trailer_counts.records;
                return 1;
            }
            if (rc < 0)
                return rc;
            continue;
        }
        int rc = hr_dec_next(&r->dec, rec);
        if (rc == 0) {
            r->in_chunk = 0;
            continue;
        }
        if (rc == HR_ERR_NOMEM)
            return set_error(r, rc, r->frame_off, "out of memory");
        if (rc < 0)
            return set_error(r, rc, r->frame_off, "in the chunk of this frame, record %" PRIu64 " (column %s): %s",
                             r->dec.err_rec, hr_column_name(r->dec.err_col), r->dec.why);
        rc = deliver(r, rec);
        if (rc != 0)
            return rc;
    }
}

const char *hr_reader_message(const hr_reader *r)
{
    return r->msg;
}

void hr_reader_status_get(const hr_reader *r, hr_reader_status *st)
{
    memset(st, 0, sizeof *st);
    st->complete = r->state == ST_END && !r->truncated;
    st->truncated = r->truncated;
    st->end_offset = r->pos;
    st->frames = r->frames;
    st->records = r->counts.records;
    st->last_seq = r->counts.last_seq;
    st->crc = r->crc;
}

void hr_reader_counts(const hr_reader *r, uint64_t events[HR_KIND_COUNT], uint64_t typed[128])
{
    memcpy(events, r->counts.events, sizeof r->counts.events);
    memcpy(typed, r->counts.typed, sizeof r->counts.typed);
}

const hr_header *hr_reader_header(const hr_reader *r)
{
    return r->hdr_buf && r->pos ? &r->hdr : NULL;
}

const hr_process_info *hr_reader_process(const hr_reader *r)
{
    return r->have_process ? &r->process : NULL;
}

size_t hr_reader_stack(const hr_reader *r, uint64_t id, uint64_t *ips, size_t max)
{
    size_t n = 0;
    while (id && id <= r->tab.nodes && n < max) {
        ips[n++] = r->tab.node_ip[id];
        id = r->tab.node_parent[id];
    }
    return n;
}

uint64_t hr_reader_node_count(const hr_reader *r)
{
    return r->tab.nodes;
}

int hr_reader_node(const hr_reader *r, uint64_t id, uint64_t *parent, uint64_t *ip)
{
    if (id == 0 || id > r->tab.nodes)
        return HR_ERR_ARG;
    *parent = r->tab.node_parent[id];
    *ip = r->tab.node_ip[id];
    return 0;
}

int hr_reader_thread(const hr_reader *r, uint32_t index, uint32_t *tid, hr_str *name)
{
    if (index == 0 || index >= r->tab.thread_cap || !r->tab.threads[index].started)
        return HR_ERR_ARG;
    *tid = r->tab.threads[index].tid;
    name->ptr = r->tab.threads[index].name ? r->tab.threads[index].name : "";
    name->len = r->tab.threads[index].name_len;
    return 0;
}

uint32_t hr_reader_thread_count(const hr_reader *r)
{
    return r->tab.thread_count;
}

uint32_t hr_reader_thread_limit(const hr_reader *r)
{
    return (uint32_t)r->tab.thread_cap;
}

const hr_module_info *hr_reader_module(const hr_reader *r, uint64_t id, int *unloaded)
{
    if (id >= r->tab.module_cap || !r->tab.modules[id].present)
        return NULL;
    if (unloaded)
        *unloaded = r->tab.modules[id].unloaded;
    return &r->tab.modules[id].info;
}

uint64_t hr_reader_module_limit(const hr_reader *r)
{
    return r->tab.module_limit;
}

/* The trace read to its end through its tables only, its figures from the index (reader.h). */
static int read_tables(hr_reader *r)
{
    hr_record rec;
    int rc;
    r->dec.typed_only = 1;
    while ((rc = hr_reader_next(r, &rec)) > 0)
        ;
    r->dec.typed_only = 0;
    return rc;
}

int hr_reader_stored_index(hr_reader *r, hr_index *ix)
{
    memset(ix, 0, sizeof *ix);
    if (r->state != ST_OK || r->frames || r->counts.records || r->in_chunk)
        return 0;
    int rc = hr_index_find(r->fd, r->pos, ix);
    return rc == HR_ERR_NOMEM ? set_error(r, rc, r->pos, "out of memory") : rc;
}

int hr_reader_read_tables(hr_reader *r, const hr_index *ix)
{
    int rc = read_tables(r);
    if (rc == 0 && (r->truncated || !r->last_was_trailer))
        rc = set_error(r, HR_ERR_CORRUPT, r->pos, "the trace changed while it was read");
    if (rc == 0 && memcmp(ix->events, r->trailer_counts.events, sizeof ix->events) != 0)
        rc = set_error(r, HR_ERR_CORRUPT, r->pos, "expected the index's event counts to match the trailer's");
    if (rc < 0)
        return rc;
    memcpy(r->counts.events, r->trailer_counts.events, sizeof r->counts.events);
    r->counts.records = r->trailer_counts.records;
    r->counts.last_seq = r->trailer_counts.last_seq;
    return 0;
}
