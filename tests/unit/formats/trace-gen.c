/* SPDX-License-Identifier: MIT */
/* Sample trace generator for the format tests (see trace-gen.h). */
#include "trace-gen.h"

#include <heaprr/writer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x12345678;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static gen_rec *push(gen_trace *t)
{
    if ((t->n & (t->n - 1)) == 0) /* at 0, 1, 2, 4, ...: capacity doubles (not quadratic under ASan) */
        t->recs = realloc(t->recs, (t->n ? 2 * t->n : 1) * sizeof *t->recs);
    if (!t->recs)
        abort();
    memset(&t->recs[t->n], 0, sizeof *t->recs);
    return &t->recs[t->n++];
}

static int write_header(hr_writer *w)
{
    static const char cmd[] = "prog\0--flag\0";
    hr_header h = {0};
    h.pointer_size = 8;
    h.byte_order = 1;
    h.page_size = 4096;
    h.pid = 1234;
    h.ppid = 1;
    h.start_realtime_ns = 1700000000000000000ull;
    h.time_unit_ns = 1000;
    h.max_depth = 64;
    h.exe = (hr_str){"/usr/bin/prog", 13};
    h.cmdline = (hr_str){cmd, sizeof cmd - 1};
    int rc = hr_writer_begin(w, &h);
    if (rc < 0)
        return rc;
    hr_process_info pi = {{"test-gen", 8}, HR_ORIGIN_ROOT, 1, {"", 0}, 0, {"/tmp", 4}, 0};
    return hr_writer_process(w, &pi);
}

#define SLOTS 100000
#define ADDR(i) (0x7f0000000000ull + (uint64_t)(i) * 16)

/* Consistent traces (gen_options.consistent): the addresses live in the trace, by slot. NULL: any
 * address goes, as in a trace with lost events (conflicts, unknown frees). */
static uint8_t *busy;

static uint64_t pick_address(void)
{
    size_t i = rnd() % SLOTS;
    while (busy && busy[i])
        i = (i + 1) % SLOTS;
    if (busy)
        busy[i] = 1;
    return ADDR(i);
}

static void unbusy(uint64_t p)
{
    if (busy)
        busy[(p - ADDR(0)) / 16] = 0;
}

static uint64_t take_live(uint64_t *live, size_t *nlive)
{
    size_t i = rnd() % *nlive;
    uint64_t p = live[i];
    live[i] = live[--*nlive];
    return p;
}

static void fill_free(hr_event *ev, uint64_t *live, size_t *nlive)
{
    ev->ptr = take_live(live, nlive);
    ev->kind = (rnd() % 4 == 0) ? HR_DELETE : HR_FREE;
    if (ev->kind == HR_DELETE && rnd() % 2) {
        ev->xflags = HR_XF_SIZED;
        ev->size = rnd() % 100;
    }
    if (busy && rnd() % 200 == 0)
        ev->xflags |= HR_XF_INCOMPLETE; /* the block stays live: it is never freed again */
    else
        unbusy(ev->ptr);
}

/* A realloc's old block: in a consistent trace a live one (kept in place a quarter of the time) or
 * none. */
static void fill_realloc(hr_event *ev, uint64_t *live, size_t *nlive)
{
    if (!busy) {
        ev->old_ptr = ADDR(rnd() % SLOTS);
        ev->xflags |= HR_XF_FREE_SEQ;
        return;
    }
    if (!*nlive || rnd() % 2)
        return;
    ev->old_ptr = take_live(live, nlive);
    if (rnd() % 4 == 0) {
        unbusy(ev->ptr);
        ev->ptr = ev->old_ptr;
    } else {
        unbusy(ev->old_ptr);
    }
}

static void fill_event(hr_event *ev, uint64_t *live, size_t *nlive)
{
    memset(ev, 0, sizeof *ev);
    if (*nlive && rnd() % 2) {
        fill_free(ev, live, nlive);
        return;
    }
    ev->kind = 1 + rnd() % 14;
    if (hr_kind_is_free(ev->kind))
        ev->kind = HR_MALLOC;
    ev->ptr = pick_address();
    ev->size = rnd() % 5000;
    if (hr_kind_has_count(ev->kind))
        ev->count = rnd() % 10;
    if (hr_kind_has_align(ev->kind))
        ev->align = 64;
    if (hr_kind_is_realloc(ev->kind))
        fill_realloc(ev, live, nlive);
    if (rnd() % 50 == 0) {
        ev->xflags |= HR_XF_FAILED;
        ev->err = 12;
        if (ev->ptr != ev->old_ptr)
            unbusy(ev->ptr);
        ev->ptr = 0;
        if (busy && ev->old_ptr) { /* a failed realloc keeps its block */
            busy[(ev->old_ptr - ADDR(0)) / 16] = 1;
            live[(*nlive)++] = ev->old_ptr;
        }
    } else if (busy && rnd() % 200 == 0) {
        ev->xflags |= HR_XF_INCOMPLETE; /* its address stays taken, and a realloc's old block live */
        if (ev->old_ptr)
            busy[(ev->old_ptr - ADDR(0)) / 16] = 1;
    } else if (*nlive < 1000) {
        live[(*nlive)++] = ev->ptr;
    }
}

static int add_event(hr_writer *w, gen_trace *t, uint32_t thread, uint64_t seq, uint64_t time, uint64_t *live,
                     size_t *nlive)
{
    gen_rec *g = push(t);
    uint64_t path[8];
    g->type = HR_REC_EVENT;
    g->thread = thread;
    g->seq = seq;
    g->time = time;
    fill_event(&g->ev, live, nlive);
    if (g->ev.xflags & HR_XF_FREE_SEQ)
        g->ev.free_seq = seq - 1 - rnd() % 3;
    g->depth = 1 + rnd() % 8;
    for (uint32_t d = 0; d < g->depth; d++)
        g->frames[d] = 0x400000 + (rnd() % 6) * 0x40 + d * 0x1000;
    int rc = hr_writer_intern(w, g->frames, g->depth, 0, path, &g->ev.stack);
    if (rc < 0)
        return rc;
    return hr_writer_event(w, thread, seq, time, &g->ev);
}

static int add_typed(hr_writer *w, gen_trace *t, unsigned type, uint32_t thread, uint64_t seq, uint64_t time)
{
    gen_rec *g = push(t);
    hr_record r;
    memset(&r, 0, sizeof r);
    g->type = type;
    g->thread = r.thread = thread;
    g->seq = r.seq = seq;
    g->time = r.time_ns = time;
    if (type == HR_REC_THREAD_START) {
        snprintf(g->text, sizeof g->text, "worker-%u", thread);
        r.u.thread = (typeof(r.u.thread)){thread, 1000 + thread, {g->text, strlen(g->text)}};
    } else if (type == HR_REC_MARK) {
        snprintf(g->text, sizeof g->text, "mark at %llu", (unsigned long long)seq);
        r.u.text = (hr_str){g->text, strlen(g->text)};
    } else if (type == HR_REC_SPAWN || type == HR_REC_EXEC) {
        snprintf(g->text, sizeof g->text, "/usr/bin/child-%llu", (unsigned long long)seq);
        r.u.exec = (typeof(r.u.exec)){
            {g->text, strlen(g->text)}, type == HR_REC_EXEC ? -2 : 0, 777, HR_IMG_STATIC | HR_IMG_NO_PRELOAD};
    } else if (type == HR_REC_MODULE_LOAD) {
        snprintf(g->text, sizeof g->text, "/lib/libx.so");
        r.u.module = (hr_module_info){0, 0x7f00000, 0x7f01000, 0x7f09000, {"\x01\x02\x03\x04", 4}, {g->text, 12}};
    }
    return hr_writer_ordered(w, type, &r);
}

int gen_write(int fd, size_t n_events, size_t chunk_size, int finish, gen_trace *out)
{
    gen_options opt = {0};
    return gen_write_ex(fd, n_events, chunk_size, finish, &opt, out);
}

int gen_write_ex(int fd, size_t n_events, size_t chunk_size, int finish, const gen_options *opt, gen_trace *out)
{
    hr_writer *w;
    hr_writer_config cfg = {.fd = fd,
                            .chunk_size = chunk_size,
                            .background = opt->background,
                            .chunk_mem = opt->chunk_mem,
                            .chunk_mem_size = opt->chunk_mem_size,
                            .on_frame = opt->on_frame,
                            .opaque = opt->opaque,
                            .index_memory = opt->index_memory};
    int stopped = 0;
    uint64_t live[1000], seq = 0, time = 0;
    size_t nlive = 0;
    memset(out, 0, sizeof *out);
    rng_state = 0x12345678;
    busy = opt->consistent ? calloc(SLOTS, 1) : NULL;
    int rc = hr_writer_create(&w, &cfg);
    if (rc < 0) {
        fprintf(stderr, "gen_write: cannot create a writer: %s\n", hr_strerror(rc));
        free(busy);
        return rc;
    }
    rc = write_header(w);
    for (uint32_t th = 1; rc == 0 && th <= 3; th++)
        rc = add_typed(w, out, HR_REC_THREAD_START, th, ++seq, time);
    if (rc == 0)
        rc = add_typed(w, out, HR_REC_MODULE_LOAD, 1, ++seq, time);
    if (rc == 0)
        rc = add_typed(w, out, HR_REC_SPAWN, 2, ++seq, time);
    if (rc == 0)
        rc = add_typed(w, out, HR_REC_EXEC, 3, ++seq, time);
    for (size_t i = 0; rc == 0 && !stopped && i < n_events; i++) {
        seq += 1 + (rnd() % 5 == 0 ? rnd() % 100 : 0);
        time += rnd() % 3;
        uint32_t th = 1 + (uint32_t)(rnd() % 3);
        rc = i % 97 == 50 ? add_typed(w, out, HR_REC_MARK, th, seq, time)
                          : add_event(w, out, th, seq, time, live, &nlive);
        if (rc == 0 && opt->after_record)
            stopped = opt->after_record(opt->opaque, w, out->n);
    }
    if (rc < 0)
        fprintf(stderr, "gen_write: %s after %zu records\n", hr_strerror(rc), out->n);
    if (rc == 0 && !stopped)
        rc = finish ? hr_writer_finish(w) : hr_writer_flush(w);
    hr_writer_destroy(w);
    free(busy);
    busy = NULL;
    return rc;
}

void gen_free(gen_trace *t)
{
    free(t->recs);
    t->recs = NULL;
    t->n = 0;
}
