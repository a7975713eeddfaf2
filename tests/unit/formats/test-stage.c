/* SPDX-License-Identifier: MIT */
/* A writer building its chunks in a staging file, as the recorder does, "crashes" at the worst
 * moments: with a sealed chunk waiting for compression, halfway through compressing it, and after
 * writing a frame but before recording that it did. heaprr recover must then give back every
 * record the writer had committed, each exactly once, in order. */
#define _GNU_SOURCE
#include "../check.h"
#include "trace-gen.h"

#include <heaprr/reader.h>
#include <heaprr/recover.h>
#include <heaprr/stage.h>
#include <heaprr/writer.h>

#include <fcntl.h>
#include <unistd.h>

#define EVENTS 3000
#define CHUNK 4096

enum { CRASH_NONE, CRASH_SEALED, CRASH_COMPRESSING, CRASH_AFTER_FRAME };

typedef struct scenario {
    const char *name;
    int background, crash;
    hr_stage *st;
    size_t records, seals_seen;
    int armed, crashed;
} scenario;

static void on_frame(void *opaque, const hr_writer *w)
{
    scenario *s = opaque;
    if (s->armed && s->crash == CRASH_AFTER_FRAME) {
        s->crashed = 1; /* the frame is in the trace, the staging file does not say so */
        return;
    }
    hr_stage_on_frame(s->st, w);
}

/* Commits after every record, as the recorder's drains do, and decides when to crash. */
static int after_record(void *opaque, hr_writer *w, size_t records)
{
    scenario *s = opaque;
    if (s->crashed)
        return 1;
    hr_stage_commit_chunk(s->st, w);
    s->records = records;
    s->armed = records > EVENTS / 2;
    if (!s->armed || !s->background)
        return 0;
    if (hr_writer_pump(w, 0) != 1)
        return 0; /* no sealed chunk now */
    if (s->crash == CRASH_SEALED)
        return 1;
    if (s->crash == CRASH_COMPRESSING) {
        CHECK_FATAL(hr_writer_pump(w, 700) == 1);
        return 1;
    }
    hr_writer_pump(w, SIZE_MAX); /* CRASH_AFTER_FRAME: on_frame crashes */
    return s->crashed;
}

/* The recovered trace must hold the first n records of g, or n + extra: a frame that "crashed"
 * before its commit may hold the record whose arrival filled it, written but not yet counted. */
static void compare(const char *trace, const gen_trace *g, size_t n, size_t extra, const char *name)
{
    hr_reader *r;
    hr_record rec;
    size_t i = 0;
    int rc;
    CHECK_FATAL(hr_reader_open(&r, trace, 0) == 0);
    while ((rc = hr_reader_next(r, &rec)) == 1) {
        if (rec.type != HR_REC_EVENT && !hr_rec_type_is_ordered(rec.type))
            continue;
        if (i >= n + extra || rec.seq != g->recs[i].seq || rec.type != g->recs[i].type ||
            (rec.type == HR_REC_EVENT && rec.u.event.ptr != g->recs[i].ev.ptr)) {
            fprintf(stderr, "%s: record %zu differs (seq %llu type %u, expected seq %llu type %u)\n", name, i,
                    (unsigned long long)rec.seq, rec.type, i < g->n ? (unsigned long long)g->recs[i].seq : 0ull,
                    i < g->n ? g->recs[i].type : 0u);
            check_failures++;
            break;
        }
        i++;
    }
    CHECK(rc == 0);
    if (i < n || i > n + extra)
        fprintf(stderr, "%s: %zu of %zu records\n", name, i, n);
    CHECK(i >= n && i <= n + extra);
    hr_reader_close(r);
}

static void run(scenario *s)
{
    char dir[] = "/tmp/heaprr-stage-XXXXXX", trace[64], stage[72];
    CHECK_FATAL(mkdtemp(dir) != NULL);
    snprintf(trace, sizeof trace, "%s/t.hrr", dir);
    snprintf(stage, sizeof stage, "%s/t.hrr.stage", dir);
    hr_stage st;
    CHECK_FATAL(hr_stage_create(&st, stage, trace, 65536, CHUNK, 1000, NULL) == 0);
    s->st = &st;
    int fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0);
    gen_trace g;
    gen_options opt = {s->background, st.chunk, 2 * st.hdr->chunk_size, on_frame, after_record, s, 0, 0};
    CHECK_FATAL(gen_write_ex(fd, EVENTS, CHUNK, s->crash == CRASH_NONE, &opt, &g) == 0);
    if (s->crash == CRASH_NONE)
        __atomic_store_n(&st.hdr->clean, 1, __ATOMIC_RELEASE);
    else
        CHECK(s->records < g.n + 1 && s->records > EVENTS / 2);
    close(fd);
    st.hdr->pid = 0x7FFFFFFF; /* the "dead" writer: not this process, which maps the file to recover */
    hr_stage_close(&st);

    hr_recover_report rep;
    char msg[256];
    int rc = hr_recover(trace, &rep, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", s->name, msg);
    CHECK_FATAL(rc == 0);
    compare(trace, &g, s->crash == CRASH_NONE ? g.n : s->records, s->crash == CRASH_AFTER_FRAME, s->name);
    gen_free(&g);
    unlink(trace);
    unlink(stage);
    rmdir(dir);
}

int main(void)
{
    scenario cases[] = {
        {.name = "no crash", .background = 1, .crash = CRASH_NONE},
        {.name = "crash with a sealed chunk", .background = 1, .crash = CRASH_SEALED},
        {.name = "crash while compressing", .background = 1, .crash = CRASH_COMPRESSING},
        {.name = "crash after a frame, before its commit", .background = 1, .crash = CRASH_AFTER_FRAME},
        {.name = "crash after a frame, before its commit (no background)", .crash = CRASH_AFTER_FRAME},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run(&cases[i]);
    return check_done("test-stage");
}
