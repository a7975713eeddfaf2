/* SPDX-License-Identifier: MIT */
/* Damaged and unusual input: a trace cut at every byte, every byte flipped, a newer major version,
 * a newer minor version with record and frame types this reader does not know. The reader must
 * deliver what is intact, explain the rest in one message, and never crash or loop. */
#define _GNU_SOURCE
#include "../check.h"
#include "trace-gen.h"

#include <heaprr/reader.h>
#include <heaprr/writer.h>

#include "crc32c.h"
#include "internal.h"
#include "varint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static char tmp_path[] = "/tmp/heaprr-dmg-XXXXXX";

static uint8_t *make_sample(size_t *size, gen_trace *t)
{
    int fd = mkstemp(tmp_path);
    CHECK_FATAL(fd >= 0);
    CHECK_FATAL(gen_write(fd, 150, 1500, 1, t) == 0);
    struct stat sb;
    fstat(fd, &sb);
    uint8_t *buf = malloc((size_t)sb.st_size);
    CHECK_FATAL(pread(fd, buf, (size_t)sb.st_size, 0) == sb.st_size);
    close(fd);
    *size = (size_t)sb.st_size;
    return buf;
}

/* The file under test lives in memory (a memfd), so thousands of rewrites cost no disk I/O. */
static int mem_fd = -1;

static void put_file(const uint8_t *buf, size_t n)
{
    if (mem_fd < 0)
        mem_fd = memfd_create("heaprr-damage", MFD_CLOEXEC);
    CHECK_FATAL(mem_fd >= 0 && ftruncate(mem_fd, 0) == 0);
    CHECK_FATAL(pwrite(mem_fd, buf, n, 0) == (ssize_t)n);
}

typedef struct outcome {
    int open_rc, end_rc;
    size_t records;
    hr_reader_status st;
    char msg[700];
} outcome;

static outcome read_all(void)
{
    outcome o;
    hr_reader *r;
    hr_record rec;
    memset(&o, 0, sizeof o);
    lseek(mem_fd, 0, SEEK_SET);
    o.open_rc = hr_reader_open_fd(&r, mem_fd, tmp_path, 0);
    if (o.open_rc == 0) {
        while ((o.end_rc = hr_reader_next(r, &rec)) == 1)
            o.records++;
        hr_reader_status_get(r, &o.st);
    }
    snprintf(o.msg, sizeof o.msg, "%s", hr_reader_message(r));
    hr_reader_close(r);
    return o;
}

/* Every prefix of a complete trace reads as a truncated trace, up to its last complete frame. */
static void test_truncation(const uint8_t *buf, size_t size)
{
    size_t last_records = 0;
    uint64_t last_end = 0;
    for (size_t cut = 0; cut < size; cut++) {
        put_file(buf, cut);
        outcome o = read_all();
        if (o.open_rc < 0) {
            CHECK(cut < hr_get_u32(buf + 12)); /* only a cut header fails to open */
            CHECK(strstr(o.msg, tmp_path) != NULL);
            continue;
        }
        CHECK_EQ_U64(o.end_rc, 0);
        CHECK(o.st.truncated && !o.st.complete);
        CHECK(o.st.end_offset <= cut);
        CHECK(o.records >= last_records && o.st.end_offset >= last_end);
        CHECK(strstr(o.msg, "trace truncated at byte") != NULL);
        last_records = o.records;
        last_end = o.st.end_offset;
    }
    put_file(buf, size);
    outcome o = read_all();
    CHECK(o.st.complete && o.records == last_records); /* only the trailer was missing */
}

/* Every flipped byte is detected: an error, or a truncation when a length now runs past the end. */
static void test_flips(const uint8_t *buf, size_t size)
{
    uint8_t *copy = malloc(size);
    for (size_t i = 0; i < size; i++) {
        memcpy(copy, buf, size);
        copy[i] ^= 0x5a;
        put_file(copy, size);
        outcome o = read_all();
        int detected = o.open_rc < 0 || o.end_rc < 0 || o.st.truncated;
        if (!detected)
            fprintf(stderr, "flip at byte %zu not detected\n", i);
        CHECK(detected);
        CHECK(o.msg[0] != 0);
    }
    free(copy);
}

static void test_newer_major(const uint8_t *buf, size_t size)
{
    uint8_t *copy = malloc(size);
    memcpy(copy, buf, size);
    copy[8] = 2;
    copy[10] = 0; /* minor 0: the message names 2.0 */
    copy[11] = 0;
    put_file(copy, size);
    outcome o = read_all();
    CHECK_EQ_U64(o.open_rc, HR_ERR_VERSION);
    CHECK(strstr(o.msg, "trace format 2.0 is newer than this heaprr") != NULL);
    free(copy);
}

static size_t frame(uint8_t *out, uint8_t type, const uint8_t *raw, size_t raw_len)
{
    uint8_t z[8192];
    size_t zn = raw_len;
    const uint8_t *payload = raw;
    if (type == HR_FRAME_CHUNK) {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        zn = ZSTD_compress2(c, z, sizeof z, raw, raw_len);
        ZSTD_freeCCtx(c);
        payload = z;
    }
    hr_frame_header_encode(out, type, payload, (uint32_t)zn, (uint32_t)raw_len);
    memcpy(out + HR_FRAME_HEADER, payload, zn);
    return HR_FRAME_HEADER + zn;
}

static void append_typed(hr_enc *e, uint8_t tag, const uint8_t *body, size_t len)
{
    e->col[HR_COL_TAG][e->len[HR_COL_TAG]++] = tag;
    e->col[HR_COL_TYPED][e->len[HR_COL_TYPED]++] = (uint8_t)len;
    memcpy(e->col[HR_COL_TYPED] + e->len[HR_COL_TYPED], body, len);
    e->len[HR_COL_TYPED] += len;
    e->nrec++;
}

/* A chunk with an 11th column this reader does not know. */
static size_t raw_chunk(const hr_enc *e, uint8_t *raw)
{
    size_t n = hr_put_varint(raw, e->nrec);
    n += hr_put_varint(raw + n, HR_NCOL + 1);
    for (int c = 0; c < HR_NCOL; c++)
        n += hr_put_varint(raw + n, e->len[c]);
    n += hr_put_varint(raw + n, 3);
    for (int c = 0; c < HR_NCOL; c++) {
        memcpy(raw + n, e->col[c], e->len[c]);
        n += e->len[c];
    }
    memcpy(raw + n, "new", 3);
    return n + 3;
}

/* A minor version 1.7 file with a longer header, an unknown frame type, unknown typed records
 * (ordered and not) and an unknown column: all skipped, the rest read right. */
static void test_newer_minor(void)
{
    static uint8_t file[16384], raw[8192], mem[HR_NCOL][4096];
    uint8_t *cols[HR_NCOL];
    size_t caps[HR_NCOL];
    hr_header h = {0};
    h.pointer_size = 8;
    h.byte_order = 1;
    h.time_unit_ns = 1;
    size_t n = (size_t)hr_header_encode(&h, file, sizeof file);
    /* Grow the header by 6 unknown bytes and bump the minor version. */
    memset(file + n - 4, 0xee, 6);
    n += 6;
    hr_put_u16(file + 10, 7);
    hr_put_u32(file + 12, (uint32_t)n);
    hr_put_u32(file + n - 4, hr_crc32c(0, file, n - 4));

    for (int c = 0; c < HR_NCOL; c++) {
        cols[c] = mem[c];
        caps[c] = sizeof mem[c];
    }
    hr_enc e;
    CHECK_FATAL(hr_enc_init(&e, cols, caps, &hr_default_alloc) == 0);
    hr_enc_reset(&e);
    hr_record tr = {.thread = 1, .seq = 1, .time_ns = 5};
    tr.u.thread.index = 1;
    CHECK(hr_enc_ordered(&e, HR_REC_THREAD_START, &tr) == 0);
    static const uint8_t unknown_plain[] = {1, 2, 3};
    static const uint8_t unknown_ordered[] = {1, 4, 2, 0xaa, 0xbb}; /* thread 1, seq +4, time +2 */
    append_typed(&e, 0x30, unknown_plain, sizeof unknown_plain);
    append_typed(&e, 0x60, unknown_ordered, sizeof unknown_ordered);
    e.seq = 5;
    e.time = 7;
    hr_event ev = {.kind = HR_MALLOC, .ptr = 0x1000, .size = 42};
    CHECK(hr_enc_event(&e, 1, 6, 8, &ev) == 0);
    n += frame(file + n, 9, (const uint8_t *)"future", 6);
    n += frame(file + n, HR_FRAME_CHUNK, raw, raw_chunk(&e, raw));
    hr_enc_free(&e);

    put_file(file, n);
    hr_reader *r;
    hr_record rec;
    lseek(mem_fd, 0, SEEK_SET);
    CHECK_FATAL(hr_reader_open_fd(&r, mem_fd, tmp_path, 0) == 0);
    CHECK(hr_reader_next(r, &rec) == 1 && rec.type == HR_REC_THREAD_START);
    CHECK(hr_reader_next(r, &rec) == 1 && rec.type == 0x30);
    CHECK(hr_reader_next(r, &rec) == 1 && rec.type == 0x60 && rec.seq == 5);
    CHECK(hr_reader_next(r, &rec) == 1 && rec.type == HR_REC_EVENT);
    CHECK_EQ_U64(rec.seq, 6);
    CHECK_EQ_U64(rec.time_ns, 8);
    CHECK_EQ_U64(rec.u.event.size, 42);
    CHECK_EQ_U64(rec.u.event.ptr, 0x1000);
    CHECK(hr_reader_next(r, &rec) == 0);
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    CHECK(st.truncated); /* no trailer */
    hr_reader_close(r);
}

static void test_garbage(void)
{
    put_file((const uint8_t *)"", 0);
    outcome o = read_all();
    CHECK(o.open_rc == HR_ERR_NOT_TRACE && strstr(o.msg, "empty file"));
    put_file((const uint8_t *)"hello world, this is not a trace at all, no no no no no", 55);
    o = read_all();
    CHECK(o.open_rc == HR_ERR_NOT_TRACE && strstr(o.msg, "byte 0") && strstr(o.msg, "not a heaprr trace"));
    hr_reader *r;
    CHECK(hr_reader_open(&r, "/nonexistent/x.hrr", 0) == HR_ERR_IO);
    CHECK(strstr(hr_reader_message(r), "No such file"));
    hr_reader_close(r);
}

int main(void)
{
    size_t size;
    gen_trace t;
    uint8_t *buf = make_sample(&size, &t);
    test_truncation(buf, size);
    test_flips(buf, size);
    test_newer_major(buf, size);
    test_newer_minor();
    test_garbage();
    free(buf);
    gen_free(&t);
    unlink(tmp_path);
    return check_done("test-damage");
}
