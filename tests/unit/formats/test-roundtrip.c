/* SPDX-License-Identifier: MIT */
/* Writes sample traces and reads them back: every field of every record, the stacks, the thread
 * and module tables, the trailer, and the varint and CRC32C primitives underneath. */
#include "../check.h"
#include "trace-gen.h"

#include <heaprr/reader.h>

#include "crc32c.h"
#include "varint.h"

#include <stdio.h>
#include <unistd.h>

static void test_varint(void)
{
    uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        uint8_t buf[HR_VARINT_MAX];
        size_t n = hr_put_varint(buf, vals[i]);
        CHECK_EQ_U64(n, hr_varint_size(vals[i]));
        const uint8_t *p = buf;
        uint64_t v = 0;
        CHECK(hr_get_varint(&p, buf + n, &v) == 0);
        CHECK_EQ_U64(v, vals[i]);
        p = buf;
        CHECK(n == 1 || hr_get_varint(&p, buf + n - 1, &v) < 0); /* cut short */
        CHECK_EQ_U64(hr_unzigzag(hr_zigzag((int64_t)vals[i])), vals[i]);
    }
    uint8_t overlong[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0};
    const uint8_t *p = overlong;
    uint64_t v;
    CHECK(hr_get_varint(&p, overlong + 11, &v) < 0);
}

static void test_crc(void)
{
    /* RFC 3720 test vector: 32 bytes of zeros -> 0x8A9136AA; "123456789" -> 0xE3069283. */
    uint8_t zeros[32] = {0};
    CHECK_EQ_U64(hr_crc32c(0, zeros, 32), 0x8A9136AAu);
    CHECK_EQ_U64(hr_crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_U64(hr_crc32c_portable(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_U64(hr_crc32c(hr_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
    char big[1000];
    for (int i = 0; i < 1000; i++)
        big[i] = (char)(i * 7);
    CHECK_EQ_U64(hr_crc32c(0, big, 1000), hr_crc32c_portable(0, big, 1000));
}

static int compare(const gen_rec *g, const hr_record *r, const hr_reader *rd)
{
    int before = check_failures;
    CHECK_EQ_U64(r->type, g->type);
    CHECK_EQ_U64(r->seq, g->seq);
    CHECK_EQ_U64(r->thread, g->thread);
    CHECK_EQ_U64(r->time_ns, g->time * 1000);
    if (g->type == HR_REC_EVENT) {
        const hr_event *e = &r->u.event;
        CHECK_EQ_U64(e->kind, g->ev.kind);
        CHECK_EQ_U64(e->xflags, g->ev.xflags);
        CHECK_EQ_U64(e->ptr, g->ev.ptr);
        CHECK_EQ_U64(e->old_ptr, g->ev.old_ptr);
        CHECK_EQ_U64(e->size, g->ev.size);
        CHECK_EQ_U64(e->count, g->ev.count);
        CHECK_EQ_U64(e->align, g->ev.align);
        CHECK_EQ_U64(e->err, g->ev.err);
        CHECK_EQ_U64(e->free_seq, g->ev.free_seq);
        CHECK_EQ_U64(e->stack, g->ev.stack);
        uint64_t ips[16];
        size_t d = hr_reader_stack(rd, e->stack, ips, 16);
        CHECK_EQ_U64(d, g->depth);
        for (size_t i = 0; i < d && i < g->depth; i++)
            CHECK_EQ_U64(ips[i], g->frames[i]);
    } else if (g->type == HR_REC_MARK) {
        CHECK_STR(r->u.text.ptr, r->u.text.len, g->text);
    } else if (g->type == HR_REC_THREAD_START) {
        CHECK_STR(r->u.thread.name.ptr, r->u.thread.name.len, g->text);
        CHECK_EQ_U64(r->u.thread.tid, 1000 + g->thread);
    } else if (g->type == HR_REC_SPAWN || g->type == HR_REC_EXEC) {
        CHECK_STR(r->u.exec.path.ptr, r->u.exec.path.len, g->text);
        CHECK_EQ_U64((uint64_t)r->u.exec.result, g->type == HR_REC_EXEC ? (uint64_t)-2 : 0);
        CHECK_EQ_U64(r->u.exec.child_pid, g->type == HR_REC_SPAWN ? 777 : 0);
        CHECK_EQ_U64(r->u.exec.flags, HR_IMG_STATIC | HR_IMG_NO_PRELOAD);
    } else if (g->type == HR_REC_MODULE_LOAD) {
        CHECK_STR(r->u.module.path.ptr, r->u.module.path.len, g->text);
        CHECK_EQ_U64(r->u.module.end, 0x7f09000);
        CHECK_EQ_U64(r->u.module.build_id.len, 4);
    }
    return check_failures == before;
}

static void test_roundtrip(size_t n, size_t chunk)
{
    char path[] = "/tmp/heaprr-rt-XXXXXX";
    int fd = mkstemp(path);
    gen_trace t;
    CHECK_FATAL(fd >= 0);
    CHECK_FATAL(gen_write(fd, n, chunk, 1, &t) == 0);
    close(fd);

    hr_reader *r;
    hr_record rec;
    CHECK_FATAL(hr_reader_open(&r, path, 0) == 0);
    const hr_header *h = hr_reader_header(r);
    CHECK_EQ_U64(h->pid, 1234);
    CHECK_STR(h->exe.ptr, h->exe.len, "/usr/bin/prog");
    CHECK_EQ_U64(h->cmdline.len, 12);
    CHECK(hr_reader_next(r, &rec) == 1 && rec.type == HR_REC_PROCESS_INFO);
    CHECK(hr_reader_process(r) && strcmp(hr_reader_process(r)->cwd.ptr, "/tmp") == 0);
    size_t i = 0;
    int rc;
    while ((rc = hr_reader_next(r, &rec)) == 1 && i < t.n)
        if (!compare(&t.recs[i++], &rec, r))
            break;
    CHECK_EQ_U64(rc, 0);
    CHECK_EQ_U64(i, t.n);
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    CHECK(st.complete && !st.truncated);
    CHECK_EQ_U64(hr_reader_thread_count(r), 3);
    uint32_t tid;
    hr_str name;
    CHECK(hr_reader_thread(r, 2, &tid, &name) == 0 && tid == 1002);
    CHECK(hr_reader_module(r, 0, NULL) != NULL);
    if (chunk && chunk < 4096)
        CHECK(st.frames > 10);
    hr_reader_close(r);
    gen_free(&t);
    unlink(path);
}

int main(void)
{
    test_varint();
    test_crc();
    test_roundtrip(0, 0);
    test_roundtrip(5000, 0);
    test_roundtrip(5000, 1000); /* tiny chunks: many frames, nodes spread across them */
    return check_done("test-roundtrip");
}
