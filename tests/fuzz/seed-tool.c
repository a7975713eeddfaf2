/* SPDX-License-Identifier: MIT */
/* fuzz-seed-tool: turns recorded traces into the input layouts of fuzz-records and fuzz-recover
 * (make-seeds.sh uses it), and expands a fuzz-recover input back into TRACE and TRACE.stage so
 * that a failing input can be replayed with `heaprr recover` and `heaprr dump`. */
#define _GNU_SOURCE
#include "fuzz-common.h"

#include <heaprr/format.h>
#include <heaprr/stage.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#define GAP_MERGE 16 /* zero runs shorter than this stay inside a segment */
#define SEG_MAX 0xFFFFu

static const char usage[] =
    "usage: fuzz-seed-tool records TRACE OUT        a trace as a fuzz-records input\n"
    "       fuzz-seed-tool recover TRACE STAGE OUT  a trace and its staging file as a fuzz-recover input\n"
    "       fuzz-seed-tool expand INPUT DIR         a fuzz-recover input as DIR/trace.hrr(.stage)\n";

static void die(const char *what, const char *path) __attribute__((noreturn));

static void die(const char *what, const char *path)
{
    fprintf(stderr, "fuzz-seed-tool: %s: %s\n", path, what);
    exit(1);
}

static uint8_t *load(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open", path);
    uint8_t *p = NULL;
    size_t cap = 0, len = 0, k;
    do {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            p = realloc(p, cap);
            if (!p)
                die("out of memory", path);
        }
        len += k = fread(p + len, 1, cap - len, f);
    } while (k > 0);
    fclose(f);
    *size = len;
    return p;
}

static void put(FILE *f, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, f) != n)
        die("cannot write", "output");
}

static void put_u32(FILE *f, uint32_t v)
{
    uint8_t b[4];
    fz_put_u32(b, v);
    put(f, b, 4);
}

static void put_entry(FILE *f, uint8_t op, const uint8_t *p, size_t n)
{
    uint8_t h[3] = {op, (uint8_t)n, (uint8_t)(n >> 8)};
    if (n > SEG_MAX)
        die("a frame is too large for a fuzz-records entry (record a smaller program)", "trace");
    put(f, h, 3);
    put(f, p, n);
}

static void put_chunk(FILE *f, const uint8_t *z, size_t zn, size_t raw)
{
    uint8_t *out = malloc(raw ? raw : 1);
    if (!out)
        die("out of memory", "chunk");
    size_t got = ZSTD_decompress(out, raw, z, zn);
    if (ZSTD_isError(got) || got != raw)
        die("cannot decompress a chunk", "trace");
    put_entry(f, 0, out, raw);
    free(out);
}

static int cmd_records(const char *in, const char *out)
{
    size_t size, pos;
    uint8_t *t = load(in, &size);
    if (size < HR_HEADER_FIXED || (pos = fz_get_u32(t + 12)) > size)
        die("not a trace", in);
    FILE *f = fopen(out, "wb");
    if (!f)
        die("cannot create", out);
    while (size - pos >= HR_FRAME_HEADER) {
        const uint8_t *fh = t + pos, *pl = fh + HR_FRAME_HEADER;
        size_t n = fz_get_u32(fh + 4), raw = fz_get_u32(fh + 8);
        if (n > size - pos - HR_FRAME_HEADER)
            break;
        if (fh[0] == 1)
            put_chunk(f, pl, n, raw);
        else
            put_entry(f, fh[0] == 2 ? 1 : (uint8_t)(fh[0] << 2 | 2), pl, n);
        pos += HR_FRAME_HEADER + n;
    }
    if (pos < size)
        put_entry(f, 3, t + pos, size - pos); /* a cut last frame stays cut */
    if (fclose(f) != 0)
        die("cannot write", out);
    free(t);
    return 0;
}

/* The bytes of s to write: the non-zero ones, and the header fields of the file and of every ring
 * even when zero (a fuzzer can only mutate bytes that are in the input). */
static uint8_t *wanted(const uint8_t *s, size_t size)
{
    const hr_stage_header *h = (const hr_stage_header *)s;
    uint8_t *want = malloc(size);
    if (!want)
        die("out of memory", "stage");
    for (size_t i = 0; i < size; i++)
        want[i] = s[i] != 0;
    memset(want, 1, offsetof(hr_stage_header, trace_path));
    for (uint32_t i = 0; i < h->ring_count && h->ring_stride; i++) {
        uint64_t at = h->rings_offset + i * h->ring_stride;
        if (at + sizeof(hr_ring_header) <= size)
            memset(want + at, 1, sizeof(hr_ring_header));
    }
    return want;
}

/* The wanted runs of s as segments, runs closer than GAP_MERGE merged. */
static void put_sparse(FILE *f, const uint8_t *s, size_t size)
{
    uint8_t *want = wanted(s, size);
    put_u32(f, (uint32_t)size);
    for (size_t at = 0; at < size;) {
        while (at < size && !want[at])
            at++;
        size_t end = at, gap = 0;
        while (end < size && end - at < SEG_MAX && gap < GAP_MERGE) {
            gap = want[end] ? 0 : gap + 1;
            end++;
        }
        end -= gap;
        if (end > at) {
            uint8_t h[6];
            fz_put_u32(h, (uint32_t)at);
            h[4] = (uint8_t)(end - at);
            h[5] = (uint8_t)((end - at) >> 8);
            put(f, h, 6);
            put(f, s + at, end - at);
        }
        at = end + gap;
    }
    free(want);
}

/* Zeroes the ring bytes recovery never reads (outside [tail, head), except a call in progress at
 * head), so that seeds stay small. The chunk is kept whole: how much of it counts is the private
 * business of the writer, and a small recorded program leaves little in it. */
static void trim_rings(uint8_t *s, size_t size)
{
    const hr_stage_header *h = (const hr_stage_header *)s;
    uint64_t rsize = h->ring_data_size;
    if (rsize < 64 || (rsize & (rsize - 1)))
        return;
    for (uint32_t i = 0; i < h->ring_count; i++) {
        uint64_t at = h->rings_offset + i * h->ring_stride;
        if (at + HR_STAGE_RING_HEADER + rsize > size)
            break;
        const hr_ring_header *rh = (const hr_ring_header *)(s + at);
        uint8_t *data = s + at + HR_STAGE_RING_HEADER, *keep = calloc(1, rsize);
        if (!keep)
            die("out of memory", "stage");
        uint64_t end = rh->head;
        if (rh->pending && (rh->head & 7) == 0)
            end += ((const hr_stage_rec *)(data + (rh->head & (rsize - 1))))->len;
        for (uint64_t c = rh->tail; c < end && c - rh->tail < rsize; c++)
            keep[c & (rsize - 1)] = data[c & (rsize - 1)];
        memcpy(data, keep, rsize);
        free(keep);
    }
}

static int cmd_recover(const char *tpath, const char *spath, const char *out)
{
    size_t tsize, ssize;
    uint8_t *t = load(tpath, &tsize), *s = load(spath, &ssize);
    if (ssize < sizeof(hr_stage_header) || ssize > FZ_STAGE_MAX)
        die("not a staging file that fuzz-recover takes (at most 2 MiB)", spath);
    hr_stage_header *h = (hr_stage_header *)s;
    trim_rings(s, ssize);
    h->pid = 0; /* fuzz-recover replaces it by a pid that cannot exist */
    memset(h->trace_path, 0, sizeof h->trace_path);
    strcpy(h->trace_path, "trace.hrr"); /* seeds must not depend on where they were made */
    FILE *f = fopen(out, "wb");
    if (!f)
        die("cannot create", out);
    put_u32(f, (uint32_t)tsize);
    put(f, t, tsize);
    put_sparse(f, s, ssize);
    if (fclose(f) != 0)
        die("cannot write", out);
    free(t);
    free(s);
    return 0;
}

static int cmd_expand(const char *in, const char *dir)
{
    size_t size;
    char trace[4096], stage[4200];
    uint8_t *d = load(in, &size);
    mkdir(dir, 0777);
    snprintf(trace, sizeof trace, "%s/trace.hrr", dir);
    snprintf(stage, sizeof stage, "%s.stage", trace);
    if (fz_write_recover_files(d, size, trace, stage, 0x7FFFFFFFu) < 0)
        die("cannot expand (input under 4 bytes, or a write failed)", in);
    printf("%s\n", trace);
    free(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "records") == 0)
        return cmd_records(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "recover") == 0)
        return cmd_recover(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "expand") == 0)
        return cmd_expand(argv[2], argv[3]);
    fputs(usage, stderr);
    return 2;
}
