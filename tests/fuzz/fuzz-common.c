/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fuzz targets (see fuzz-common.h). The reader walk is where the fuzzers
 * check behaviour beyond "does not crash": every lookup a record implies must succeed, and the
 * end of a walk must be reported the way reader.h promises. */
#define _GNU_SOURCE
#include "fuzz-common.h"

#include <heaprr/reader.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Frames walked through hr_reader_stack() per input: a tiny compressed chunk can hold millions
 * of events, and the walk must stay fast whatever the input. */
#define STACK_BUDGET (1u << 20)
#define LOOKUP_LIMIT 4096u /* ids probed by the final sweep over the tables */

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: contract broken: %s\n", file, line, what);
    abort();
}

uint32_t fz_crc32c(uint32_t crc, const void *data, size_t len)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0x82F63B78u & -(c & 1u));
            table[i] = c;
        }
    const uint8_t *p = data;
    uint32_t c = ~crc;
    while (len--)
        c = (c >> 8) ^ table[(c ^ *p++) & 0xFF];
    return ~c;
}

void fz_repair_crcs(uint8_t *buf, size_t size)
{
    if (size < 48 || memcmp(buf, HR_MAGIC, HR_MAGIC_LEN) != 0)
        return;
    uint32_t hsize = fz_get_u32(buf + 12);
    if (hsize < HR_HEADER_FIXED + 6 || hsize > size)
        return;
    fz_put_u32(buf + hsize - 4, fz_crc32c(0, buf, hsize - 4));
    uint32_t file_crc = fz_crc32c(0, buf, hsize);
    size_t pos = hsize;
    while (size - pos >= HR_FRAME_HEADER) {
        uint8_t *fh = buf + pos, *payload = fh + HR_FRAME_HEADER;
        uint32_t psize = fz_get_u32(fh + 4);
        if (psize > size - pos - HR_FRAME_HEADER)
            break;
        if (fh[0] == 2 && psize >= 4) /* trailer: CRC of every byte before its frame */
            fz_put_u32(payload + psize - 4, file_crc);
        fz_put_u32(fh + 12, fz_crc32c(fz_crc32c(0, fh, 12), payload, psize));
        file_crc = fz_crc32c(file_crc, fh, HR_FRAME_HEADER + (size_t)psize);
        pos += HR_FRAME_HEADER + (size_t)psize;
    }
}

static int write_all(int fd, const uint8_t *data, size_t size)
{
    while (size) {
        ssize_t k = write(fd, data, size);
        if (k <= 0)
            return -1;
        data += k;
        size -= (size_t)k;
    }
    return 0;
}

uint8_t *fz_copy(const uint8_t *data, size_t size, int repair)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return NULL;
    if (size)
        memcpy(copy, data, size);
    if (repair)
        fz_repair_crcs(copy, size);
    return copy;
}

int fz_memfd(const char *name, const uint8_t *data, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int fz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, data, size);
    return close(fd) < 0 ? -1 : rc;
}

/* ---- the reader walk ---- */

typedef struct walk {
    hr_reader *r;
    uint64_t budget; /* stack frames still allowed */
    uint64_t ips[HR_MAX_DEPTH];
} walk;

static volatile uint64_t sink; /* keeps the string reads from being optimised away */

/* Reads every byte of s, so that ASan checks the memory the reader handed out. */
static void touch(hr_str s)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum += (uint8_t)s.ptr[i];
    sink += sum;
}

static void check_stack(walk *w, uint64_t id, int defined)
{
    size_t max = w->budget < HR_MAX_DEPTH ? (size_t)w->budget : HR_MAX_DEPTH;
    size_t n = hr_reader_stack(w->r, id, w->ips, max);
    FZ_CHECK(n <= max);
    FZ_CHECK(n == 0 || id != 0);
    FZ_CHECK(!defined || id == 0 || max == 0 || n >= 1);
    w->budget -= n;
}

static void check_thread(const walk *w, uint32_t index, int must_exist)
{
    uint32_t tid;
    hr_str name;
    int rc = hr_reader_thread(w->r, index, &tid, &name);
    FZ_CHECK(rc == 0 || rc == HR_ERR_ARG);
    FZ_CHECK(rc == 0 || !must_exist);
    if (rc == 0)
        touch(name);
}

static void check_module(const walk *w, uint64_t id, int must_exist)
{
    int unloaded = -1;
    const hr_module_info *m = hr_reader_module(w->r, id, &unloaded);
    FZ_CHECK(m || !must_exist);
    if (!m)
        return;
    FZ_CHECK(unloaded == 0 || unloaded == 1);
    FZ_CHECK(m->id == id);
    touch(m->path);
    touch(m->build_id);
}

static void check_node(const walk *w, const hr_record *rec)
{
    uint64_t parent, ip;
    FZ_CHECK(hr_reader_node(w->r, rec->u.node.id, &parent, &ip) == 0);
    FZ_CHECK(parent == rec->u.node.parent && ip == rec->u.node.ip && parent < rec->u.node.id);
}

static void check_record(walk *w, const hr_record *rec)
{
    switch (rec->type) {
    case HR_REC_EVENT:
        FZ_CHECK(hr_kind_name(rec->u.event.kind) != NULL);
        check_stack(w, rec->u.event.stack, 1); /* events only name defined nodes */
        check_thread(w, rec->thread, 1);
        break;
    case HR_REC_STACK_NODE: check_node(w, rec); break;
    case HR_REC_PROCESS_INFO: {
        const hr_process_info *pi = hr_reader_process(w->r);
        FZ_CHECK(pi != NULL);
        touch(pi->recorder);
        touch(pi->parent_trace);
        touch(pi->cwd);
        break;
    }
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME: touch(rec->u.thread.name); /* fall through */
    case HR_REC_THREAD_END: check_thread(w, rec->u.thread.index, 1); break;
    case HR_REC_MODULE_LOAD:
        touch(rec->u.module.path);
        touch(rec->u.module.build_id);
        check_module(w, rec->u.module.id, 1);
        break;
    case HR_REC_MODULE_UNLOAD: check_module(w, rec->u.module.id, 1); break;
    case HR_REC_MARK:
    case HR_REC_STOPPED: touch(rec->u.text); break;
    case HR_REC_EXEC:
    case HR_REC_SPAWN: touch(rec->u.exec.path); break;
    default: break;
    }
}

/* After the last record: the status and every table entry the reader can be asked for. */
static void check_end(walk *w, int rc)
{
    hr_reader_status st;
    uint64_t events[HR_KIND_COUNT], typed[128];
    hr_reader_status_get(w->r, &st);
    FZ_CHECK(!(st.complete && st.truncated));
    FZ_CHECK(rc < 0 || st.complete || st.truncated);
    FZ_CHECK(rc == 0 || hr_reader_message(w->r)[0] != 0);
    hr_reader_counts(w->r, events, typed);
    uint64_t sum = 0;
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        sum += events[k];
    for (unsigned t = 0; t < 128; t++)
        sum += typed[t];
    FZ_CHECK(sum == st.records);
    uint64_t limit = hr_reader_module_limit(w->r);
    for (uint64_t id = 0; id < limit && id < LOOKUP_LIMIT; id++)
        check_module(w, id, 0);
    check_module(w, limit, 0);
    check_module(w, UINT64_MAX, 0);
    uint32_t threads = hr_reader_thread_count(w->r);
    for (uint32_t i = 0; i <= threads + 1 && i < LOOKUP_LIMIT; i++)
        check_thread(w, i, 0);
    check_thread(w, UINT32_MAX, 0);
    uint64_t nodes = hr_reader_node_count(w->r);
    check_stack(w, nodes, 1);
    check_stack(w, nodes + 1, 0);
    check_stack(w, UINT64_MAX, 0);
}

static void check_header(const hr_reader *r)
{
    const hr_header *h = hr_reader_header(r);
    if (!h)
        return;
    FZ_CHECK(h->major == HR_FORMAT_MAJOR && h->time_unit_ns != 0);
    touch(h->exe);
    touch(h->cmdline);
}

static int walk_reader(hr_reader *r, int rc)
{
    walk *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->r = r;
    w->budget = STACK_BUDGET;
    if (rc == 0) {
        hr_record rec;
        check_header(r);
        while ((rc = hr_reader_next(r, &rec)) == 1)
            check_record(w, &rec);
        FZ_CHECK(rc <= 0);
        FZ_CHECK(hr_reader_next(r, &rec) == rc); /* the end, or the error, stays */
    }
    check_end(w, rc);
    free(w);
    return rc;
}

int fz_read_fd(int fd, const char *name)
{
    hr_reader *r = NULL;
    int rc = hr_reader_open_fd(&r, fd, name, HR_READ_NODES | HR_READ_TRAILER);
    if (!r) /* only when out of memory */
        return rc;
    rc = walk_reader(r, rc);
    hr_reader_close(r);
    return rc;
}

int fz_read_path(const char *path)
{
    hr_reader *r = NULL;
    int rc = hr_reader_open(&r, path, HR_READ_NODES | HR_READ_TRAILER);
    if (!r)
        return rc;
    rc = walk_reader(r, rc);
    hr_reader_close(r);
    return rc;
}

/* ---- recover-target inputs ---- */

/* Writes the staging description (fuzz-recover.c) to path. */
static int write_stage(const uint8_t *p, size_t n, const char *path, uint32_t stage_pid)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    uint32_t size = n >= 4 ? fz_get_u32(p) : 0;
    size = size > FZ_STAGE_MAX ? FZ_STAGE_MAX : size;
    int rc = ftruncate(fd, size);
    for (size_t at = 4; rc == 0 && n >= at + 6;) {
        uint32_t off = fz_get_u32(p + at);
        size_t len = fz_get_u16(p + at + 4);
        at += 6;
        len = len > n - at ? n - at : len;
        if (off < size && pwrite(fd, p + at, len > size - off ? size - off : len, off) < 0)
            rc = -1;
        at += len;
    }
    uint8_t pid[4];
    if (rc == 0 && size >= 16 && pread(fd, pid, 4, 12) == 4) {
        fz_put_u32(pid, fz_get_u32(pid) == 1 ? stage_pid : 0x7FFFFFFFu); /* above any pid_max */
        if (pwrite(fd, pid, 4, 12) != 4)
            rc = -1;
    }
    return close(fd) < 0 ? -1 : rc;
}

int fz_write_recover_files(const uint8_t *data, size_t size, const char *trace, const char *stage, uint32_t stage_pid)
{
    if (size < 4)
        return -1;
    uint32_t word = fz_get_u32(data);
    size_t tlen = word & 0x7FFFFFFFu;
    tlen = tlen > size - 4 ? size - 4 : tlen;
    uint8_t *t = fz_copy(data + 4, tlen, !(word & 0x80000000u));
    if (!t)
        return -1;
    int rc = fz_write_file(trace, t, tlen);
    free(t);
    unlink(stage);
    size_t rest = size - 4 - tlen;
    if (rc == 0 && rest)
        rc = write_stage(data + 4 + tlen, rest, stage, stage_pid);
    return rc;
}

char *fz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}
