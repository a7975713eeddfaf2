/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the writer/reader round trip: events built from the input are written with
 * hr_writer, read back with hr_reader and must come back field for field. The pointer model and
 * site dictionaries (SPEC.md 5.4, 5.5) are only correct if writer and reader keep them
 * identically; a trace the reader refuses, or reads differently, is a writer bug.
 *
 * The input is consumed byte by byte (zeros past its end), one event at a time:
 *   u8 kind: 1 + kind % 14; bit 7 also flushes the chunk first
 *   u8 xflags (& 0x3F)
 *   pointer, old pointer: u8 mode; mode % 4: 0 a recent pointer (mode >> 2 picks it), 1 the same
 *                         plus i8 * 16, 2 a raw u64le, 3 null
 *   u8 size (>= 200: a raw u64le follows instead), u8 count, u8 log2 align, u8 errno,
 *   u8 sequence gap (% 4), u8 time delta, u8 stack (depth % 4, frames from a small set),
 *   u8 free-sequence distance (free_seq = seq - distance, at least 0)
 * An odd-sized input uses background compression: full chunks are sealed and compressed 512 bytes
 * after each event. */
#include "fuzz-common.h"

#include <heaprr/reader.h>
#include <heaprr/writer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVENTS 4096
#define RECENT 8

typedef struct src {
    const uint8_t *p;
    size_t n, at;
} src;

typedef struct gen {
    src in;
    uint64_t recent[RECENT];
    unsigned nrecent;
    uint64_t seq, time;
    uint64_t path[HR_MAX_DEPTH];
    int pump; /* background compression: pump after each event */
} gen;

static uint8_t take8(src *s)
{
    return s->at < s->n ? s->p[s->at++] : 0;
}

static uint64_t take64(src *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)take8(s) << (8 * i);
    return v;
}

static uint64_t make_ptr(gen *g)
{
    uint8_t mode = take8(&g->in);
    uint64_t base = g->recent[(mode >> 2) % RECENT];
    switch (mode & 3) {
    case 0: return base;
    case 1: return base + (uint64_t)(int64_t)(int8_t)take8(&g->in) * 16;
    case 2: return take64(&g->in);
    default: return 0;
    }
}

static uint64_t make_stack(gen *g, hr_writer *w)
{
    static const uint64_t ips[4] = {0x401000, 0x401234, 0x7f0000001000, 0x7f0000002468};
    uint8_t s = take8(&g->in);
    uint64_t frames[3], stack = 0;
    uint32_t depth = s % 4;
    for (uint32_t i = 0; i < depth; i++)
        frames[i] = ips[(s >> (2 + i)) & 3];
    return hr_writer_intern(w, frames, depth, 0, g->path, &stack) < 0 ? UINT64_MAX : stack;
}

/* Builds the next event; *flush when the chunk is to be flushed first. */
static void make_event(gen *g, hr_writer *w, hr_event *ev, int *flush)
{
    uint8_t k = take8(&g->in), size;
    memset(ev, 0, sizeof *ev);
    *flush = k >> 7;
    ev->kind = 1 + (k & 0x7F) % 14;
    ev->xflags = take8(&g->in) & HR_XF_KNOWN;
    ev->ptr = make_ptr(g);
    ev->old_ptr = make_ptr(g);
    size = take8(&g->in);
    ev->size = size < 200 ? size : take64(&g->in);
    ev->count = take8(&g->in);
    ev->align = 1ull << (take8(&g->in) % 13);
    ev->err = take8(&g->in);
    g->seq += 1 + take8(&g->in) % 4;
    g->time += take8(&g->in);
    ev->stack = make_stack(g, w);
    uint8_t back = take8(&g->in);
    ev->free_seq = g->seq > back ? g->seq - back : 0;
}

/* The event as a reader returns it: fields the encoding does not carry are 0. */
static hr_event expected(const hr_event *ev)
{
    hr_event e = *ev;
    unsigned k = ev->kind;
    if (hr_kind_is_free(k) && !(ev->xflags & HR_XF_SIZED))
        e.size = 0;
    if (!hr_kind_has_count(k))
        e.count = 0;
    if (!hr_kind_has_align(k) && !(ev->xflags & HR_XF_ALIGNED))
        e.align = 0;
    if (!hr_kind_is_realloc(k))
        e.old_ptr = 0;
    if (!(ev->xflags & HR_XF_FAILED))
        e.err = 0;
    if (!(ev->xflags & HR_XF_FREE_SEQ))
        e.free_seq = 0;
    return e;
}

typedef struct written {
    hr_event ev[MAX_EVENTS];
    uint64_t seq[MAX_EVENTS], time[MAX_EVENTS];
    size_t n;
} written;

static void remember(gen *g, written *out, const hr_event *ev)
{
    out->ev[out->n] = expected(ev);
    out->seq[out->n] = g->seq;
    out->time[out->n] = g->time;
    out->n++;
    if (ev->ptr)
        g->recent[g->nrecent++ % RECENT] = ev->ptr;
}

static int start(hr_writer *w)
{
    hr_header h = {.pointer_size = 8, .byte_order = 1, .page_size = 4096, .time_unit_ns = 1};
    h.exe = (hr_str){"/fuzz", 5};
    hr_record rec = {.thread = 1, .seq = 1};
    rec.u.thread.index = 1;
    rec.u.thread.name = (hr_str){"fuzz", 4};
    return hr_writer_begin(w, &h) < 0 || hr_writer_ordered(w, HR_REC_THREAD_START, &rec) < 0 ? -1 : 0;
}

/* Writes the input's events; returns 0, or -1 when the writer stopped (out of memory). */
static int write_events(gen *g, hr_writer *w, written *out)
{
    hr_event ev;
    int flush;
    uint64_t seq = g->seq, time = g->time;
    while (g->in.at < g->in.n && out->n < MAX_EVENTS) {
        make_event(g, w, &ev, &flush);
        if (flush && hr_writer_flush(w) < 0)
            return -1;
        int rc = ev.stack == UINT64_MAX ? HR_ERR_ARG : hr_writer_event(w, 1, g->seq, g->time, &ev);
        if (rc == HR_ERR_NOMEM || rc == HR_ERR_IO)
            return -1;
        if (rc < 0) { /* refused: the next event continues from the last one written */
            g->seq = seq;
            g->time = time;
            continue;
        }
        remember(g, out, &ev);
        if (g->pump && hr_writer_pump(w, 512) < 0)
            return -1;
        seq = g->seq;
        time = g->time;
    }
    return hr_writer_finish(w) < 0 ? -1 : 0;
}

static void report(size_t i, const char *field, uint64_t want, uint64_t got)
{
    fprintf(stderr, "fuzz-writer: event %zu: %s written as %#llx, read as %#llx\n", i, field, (unsigned long long)want,
            (unsigned long long)got);
}

#define SAME(i, field, want, got)              \
    do {                                       \
        if ((want) != (got)) {                 \
            report((i), field, (want), (got)); \
            FZ_CHECK((want) == (got));         \
        }                                      \
    } while (0)

static void compare(size_t i, const written *out, const hr_record *rec)
{
    const hr_event *w = &out->ev[i], *r = &rec->u.event;
    SAME(i, "seq", out->seq[i], rec->seq);
    SAME(i, "time", out->time[i], rec->time_ns);
    SAME(i, "thread", 1u, rec->thread);
    SAME(i, "kind", w->kind, r->kind);
    SAME(i, "xflags", w->xflags, r->xflags);
    SAME(i, "ptr", w->ptr, r->ptr);
    SAME(i, "old_ptr", w->old_ptr, r->old_ptr);
    SAME(i, "size", w->size, r->size);
    SAME(i, "count", w->count, r->count);
    SAME(i, "align", w->align, r->align);
    SAME(i, "errno", w->err, r->err);
    SAME(i, "free_seq", w->free_seq, r->free_seq);
    SAME(i, "stack", w->stack, r->stack);
}

static void read_back(int fd, const written *out)
{
    hr_reader *r = NULL;
    hr_record rec;
    size_t i = 0;
    int rc = hr_reader_open_fd(&r, fd, "fuzz-writer", 0);
    if (!r)
        return; /* out of memory */
    if (rc == 0)
        while ((rc = hr_reader_next(r, &rec)) == 1)
            if (rec.type == HR_REC_EVENT) {
                FZ_CHECK(i < out->n);
                compare(i++, out, &rec);
            }
    if (rc != 0 || i != out->n)
        fprintf(stderr, "fuzz-writer: %zu of %zu events read back: %s\n", i, out->n, hr_reader_message(r));
    FZ_CHECK(rc == 0 && i == out->n);
    hr_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static written out;
    static gen g;
    hr_writer *w = NULL;
    int fd = fz_memfd("fuzz-writer", NULL, 0);
    if (fd < 0)
        abort();
    memset(&g, 0, sizeof g);
    g.in = (src){data, size, 0};
    g.seq = 1;
    out.n = 0;
    /* odd-sized inputs seal full chunks and compress them a slice after each event */
    hr_writer_config cfg = {.fd = fd, .chunk_size = 4096, .background = (int)(size & 1)};
    g.pump = cfg.background;
    if (hr_writer_create(&w, &cfg) == 0 && start(w) == 0 && write_events(&g, w, &out) == 0 &&
        lseek(fd, 0, SEEK_SET) == 0)
        read_back(fd, &out);
    hr_writer_destroy(w);
    close(fd);
    return 0;
}
