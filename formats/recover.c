/* SPDX-License-Identifier: MIT */
/* heaprr recover (include/heaprr/recover.h). The trace is read once to learn what it holds
 * (records, stack nodes, CRC, where its last complete frame ends); the staging file then tells
 * whether the writer's chunks (a sealed one being compressed, the one being built) are already in
 * the trace (frames_written), and the rings give every record after them. Records already in the
 * trace are skipped by sequence number,
 * so a crash at any point of the writer's work neither loses nor duplicates a record. A staging
 * file whose process still records (it holds a lock on it) is left alone. */
#include <heaprr/reader.h>
#include <heaprr/recover.h>
#include <heaprr/stage.h>
#include <heaprr/writer.h>

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECOVER_INDEX_MEMORY ((size_t)1 << 30) /* the index of a recovered trace: heaprr's own memory */

typedef struct rstate {
    const char *path;
    char *msg;
    size_t msg_size;
    hr_reader *r;
    hr_reader_status st;
    uint64_t last_time; /* time units */
    hr_stage stage;
    int have_stage;
    hr_writer *w;
    int fd;
} rstate;

static int say(rstate *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(rstate *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, s->msg_size, fmt, ap);
    va_end(ap);
    return rc;
}

/* Reads the whole trace: counts, nodes, CRC, the end of the last complete frame. */
static int read_trace(rstate *s)
{
    hr_record rec;
    int rc = hr_reader_open(&s->r, s->path, 0);
    if (rc == 0)
        while ((rc = hr_reader_next(s->r, &rec)) == 1)
            if (rec.type == HR_REC_EVENT || hr_rec_type_is_ordered(rec.type))
                s->last_time = rec.time_ns;
    if (rc < 0)
        return say(s, rc, "%s", s->r ? hr_reader_message(s->r) : "out of memory");
    hr_reader_status_get(s->r, &s->st);
    s->last_time /= hr_reader_header(s->r)->time_unit_ns;
    return 0;
}

/* The process that owns the staging file still has it mapped while it runs (for a recorder that
 * holds no lock on it). */
static int owner_mapped(uint32_t pid, uint64_t ino)
{
    char maps[64], line[4352];
    snprintf(maps, sizeof maps, "/proc/%u/maps", pid);
    FILE *f = pid ? fopen(maps, "r") : NULL;
    if (!f)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long inode = 0;
        if (sscanf(line, "%*s %*s %*s %*s %llu", &inode) == 1 && inode == (unsigned long long)ino)
            found = 1;
    }
    fclose(f);
    return found;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* A recorder holds an exclusive flock() on its staging file while it records: a lock we cannot
 * take is a live process. A file shorter than its header or without its magic is a process that
 * ended while it was creating the file. */
static hr_recover_state probe(const char *stage_path, uint32_t *pid)
{
    hr_stage_header h;
    struct stat sb;
    *pid = 0;
    int fd = open(stage_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? HR_RECOVER_NO_STAGE : HR_RECOVER_LEFT; /* hr_stage_open says why */
    int locked = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    ssize_t n = fstat(fd, &sb) == 0 ? pread(fd, &h, sizeof h, 0) : -1;
    close(fd);
    int empty = n < (ssize_t)sizeof h || all_zero(h.magic, sizeof h.magic);
    if (!empty)
        *pid = h.pid;
    if (locked)
        return HR_RECOVER_LIVE;
    if (empty)
        return HR_RECOVER_EMPTY;
    return owner_mapped(h.pid, (uint64_t)sb.st_ino) ? HR_RECOVER_LIVE : HR_RECOVER_LEFT;
}

static void stage_name(const char *trace_path, char *out, size_t cap)
{
    snprintf(out, cap, "%s.stage", trace_path);
}

int hr_recover_probe(const char *trace_path, uint32_t *pid)
{
    char stage_path[4200];
    uint32_t p;
    stage_name(trace_path, stage_path, sizeof stage_path);
    hr_recover_state st = probe(stage_path, &p);
    if (pid)
        *pid = p;
    return (int)st;
}

int hr_recover_live_message(const char *trace_path, uint32_t pid, char *msg, size_t msg_size)
{
    if (pid)
        return snprintf(msg, msg_size, "%s is still being written by a running process (pid %u); not completing it",
                        trace_path, pid);
    return snprintf(msg, msg_size, "%s is still being written by a running process; not completing it", trace_path);
}

static int open_stage(rstate *s, const char *stage_path)
{
    const char *why;
    int rc = hr_stage_open(&s->stage, stage_path, NULL, &why);
    if (rc < 0)
        return say(s, rc, "%s: %s", stage_path, why);
    s->have_stage = 1;
    return 0;
}

/* The writer must know the threads and modules the trace holds, to refuse what would not read. */
static int learn_tables(rstate *s)
{
    hr_record rec;
    memset(&rec, 0, sizeof rec);
    for (uint32_t i = 1; i < hr_reader_thread_limit(s->r); i++) {
        hr_str name;
        if (hr_reader_thread(s->r, i, &rec.u.thread.tid, &name) < 0)
            continue;
        rec.type = HR_REC_THREAD_START;
        rec.u.thread.index = i;
        HR_FORWARD(hr_writer_learn(s->w, &rec));
    }
    for (uint64_t id = 0; id < hr_reader_module_limit(s->r); id++) {
        int unloaded;
        if (!hr_reader_module(s->r, id, &unloaded))
            continue;
        rec.u.module.id = id;
        rec.type = HR_REC_MODULE_LOAD;
        HR_FORWARD(hr_writer_learn(s->w, &rec));
        rec.type = HR_REC_MODULE_UNLOAD;
        if (unloaded)
            HR_FORWARD(hr_writer_learn(s->w, &rec));
    }
    return 0;
}

static int open_writer(rstate *s)
{
    uint64_t ev[HR_KIND_COUNT], typed[128];
    s->fd = open(s->path, O_WRONLY | O_CLOEXEC);
    if (s->fd < 0 || ftruncate(s->fd, (off_t)s->st.end_offset) < 0 ||
        lseek(s->fd, (off_t)s->st.end_offset, SEEK_SET) < 0)
        return say(s, HR_ERR_IO, "%s: cannot write: %s", s->path, strerror(errno));
    hr_writer_config cfg = {.fd = s->fd};
    HR_FORWARD(hr_writer_create(&s->w, &cfg));
    hr_reader_counts(s->r, ev, typed);
    HR_FORWARD(hr_writer_resume(s->w, s->st.end_offset, s->st.crc, s->st.frames, ev, typed, s->st.records,
                                s->st.last_seq));
    uint64_t n = hr_reader_node_count(s->r), parent, ip;
    for (uint64_t id = 1; id <= n; id++) {
        hr_reader_node(s->r, id, &parent, &ip);
        HR_FORWARD(hr_writer_known_node(s->w, parent, ip));
    }
    return learn_tables(s);
}

/* One of the writer's chunks as the commit describes it: its columns in their half of the chunk
 * region. Returns 0 if it holds nothing usable. */
static int chunk_columns(rstate *s, unsigned half, uint64_t nrec, const uint64_t *clens, const uint8_t *cols[],
                         size_t lens[])
{
    uint8_t *mcols[HR_NCOL];
    size_t caps[HR_NCOL];
    hr_chunk_layout(hr_stage_half(&s->stage, half), s->stage.hdr->chunk_size, mcols, caps);
    for (int i = 0; i < HR_NCOL; i++) {
        if (clens[i] > caps[i])
            return 0; /* damaged: recover without it */
        cols[i] = mcols[i];
        lens[i] = (size_t)clens[i];
    }
    return nrec > 0 && nrec <= HR_CHUNK_RECORDS_MAX;
}

typedef struct chunk_scan {
    hr_counts add;
    uint64_t *parents, *ips;
    size_t nodes, cap;
} chunk_scan;

static int keep_node(chunk_scan *c, const hr_record *rec)
{
    if (c->nodes == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        uint64_t *p = realloc(c->parents, cap * sizeof *p), *q;
        if (!p)
            return HR_ERR_NOMEM;
        c->parents = p;
        if (!(q = realloc(c->ips, cap * sizeof *q)))
            return HR_ERR_NOMEM;
        c->ips = q;
        c->cap = cap;
    }
    c->parents[c->nodes] = rec->u.node.parent;
    c->ips[c->nodes++] = rec->u.node.ip;
    return 0;
}

static void count_record(rstate *s, chunk_scan *c, const hr_record *rec)
{
    if (rec->type == HR_REC_EVENT)
        c->add.events[rec->u.event.kind]++;
    else if (rec->type < HR_REC_TYPE_LIMIT)
        c->add.typed[rec->type]++;
    c->add.records++;
    if (rec->type == HR_REC_EVENT || hr_rec_type_is_ordered(rec->type)) {
        c->add.last_seq = rec->seq;
        s->last_time = rec->time_ns;
    }
}

/* Decodes the whole committed chunk; returns 1 if it is sound, 0 if not, < 0 on error. */
static int scan_chunk(rstate *s, chunk_scan *c, uint64_t nrec, const uint8_t *const cols[], const size_t lens[])
{
    hr_dec d;
    hr_record rec;
    HR_FORWARD(hr_dec_init(&d, &hr_default_alloc));
    int rc = hr_dec_open_cols(&d, nrec, cols, lens, hr_writer_node_count(s->w) + 1);
    while (rc == 0 && (rc = hr_dec_next(&d, &rec)) == 1) {
        rc = 0;
        if (rec.type == HR_REC_STACK_NODE && (rc = keep_node(c, &rec)) < 0)
            break;
        if (rec.type != HR_REC_STACK_NODE || !d.nodes_left)
            count_record(s, c, &rec);
    }
    hr_dec_free(&d);
    return rc == HR_ERR_NOMEM ? rc : rc == 0;
}

/* Teaches the writer the threads and modules a chunk about to be kept starts and loads. */
static int learn_chunk(rstate *s, uint64_t nrec, const uint8_t *const cols[], const size_t lens[])
{
    hr_dec d;
    hr_record rec;
    HR_FORWARD(hr_dec_init(&d, &hr_default_alloc));
    int rc = hr_dec_open_cols(&d, nrec, cols, lens, hr_writer_node_count(s->w) + 1);
    while (rc == 0 && (rc = hr_dec_next(&d, &rec)) == 1)
        rc = hr_writer_learn(s->w, &rec);
    hr_dec_free(&d);
    return rc < 0 ? rc : 0;
}

/* Appends a chunk of the staging file, decoded first to learn its nodes and counts (a chunk that
 * does not decode is left out). */
static int append_chunk(rstate *s, hr_recover_report *rep, unsigned half, uint64_t nrec, const uint64_t *clens)
{
    const uint8_t *cols[HR_NCOL];
    size_t lens[HR_NCOL];
    uint64_t time_before = s->last_time;
    chunk_scan c;
    if (!chunk_columns(s, half, nrec, clens, cols, lens))
        return 0;
    memset(&c, 0, sizeof c);
    int rc = scan_chunk(s, &c, nrec, cols, lens);
    if (rc == 1) {
        for (size_t i = 0; i < c.nodes && rc >= 0; i++)
            rc = hr_writer_known_node(s->w, c.parents[i], c.ips[i]);
        if (rc >= 0)
            rc = learn_chunk(s, nrec, cols, lens);
        if (rc >= 0)
            rc = hr_writer_raw_cols(s->w, nrec, cols, lens, &c.add);
        rep->recovered_records += c.add.records;
        if (c.add.last_seq > s->stage.max_seq)
            s->stage.max_seq = c.add.last_seq;
    } else {
        s->last_time = time_before;
    }
    free(c.parents);
    free(c.ips);
    return rc < 0 ? rc : 0;
}

/* The sealed chunk is due as frame frames_written + 1 and the chunk being built after it: each is
 * appended unless the trace already has its frame (the writer died between writing a frame and
 * committing that it did). */
static int append_chunks(rstate *s, hr_recover_report *rep)
{
    const hr_stage_header *h = s->stage.hdr;
    const hr_stage_commit *c = &h->commit[h->commit_index & 1];
    uint64_t frames = s->st.frames, due = c->frames_written + 1;
    if (c->sealed) {
        if (frames < due)
            HR_FORWARD(append_chunk(s, rep, c->half ^ 1, c->sealed_nrec, c->sealed_len));
        due++;
    }
    return frames < due ? append_chunk(s, rep, c->half, c->nrec, c->len) : 0;
}

static int recover_stage(rstate *s, hr_recover_report *rep)
{
    s->stage.lenient = 1;
    s->stage.max_seq = s->st.last_seq;
    HR_FORWARD(append_chunks(s, rep));
    s->stage.last_time = s->last_time;
    uint64_t before = s->stage.emitted;
    int64_t n = hr_stage_drain(&s->stage, s->w, UINT64_MAX);
    if (n == HR_ERR_CORRUPT) /* a damaged ring ends early: what came before it is kept */
        n = (int64_t)(s->stage.emitted - before);
    if (n < 0)
        return (int)n;
    rep->recovered_records += (uint64_t)n;
    int64_t p = hr_stage_drain_pending(&s->stage, s->w);
    if (p < 0)
        return (int)p;
    rep->recovered_records += (uint64_t)p;
    rep->incomplete_calls = (uint64_t)p;
    return 0;
}

static void cleanup(rstate *s)
{
    if (s->w)
        hr_writer_destroy(s->w);
    if (s->fd >= 0)
        close(s->fd);
    if (s->have_stage)
        hr_stage_close(&s->stage);
    hr_reader_close(s->r);
}

/* The index of the whole trace, read back once every recovered record is on disk, for the
 * trailer's index frame (SPEC 6.1); a trace that cannot be indexed is completed without one. */
static void index_all(rstate *s)
{
    hr_reader *r;
    hr_indexer *x;
    hr_record rec;
    hr_indexer_config cfg = {.memory_limit = RECOVER_INDEX_MEMORY};
    if (hr_indexer_new(&x, &cfg) < 0)
        return;
    int rc = hr_reader_open(&r, s->path, 0);
    while (rc == 0 && (rc = hr_reader_next(r, &rec)) == 1)
        rc = hr_indexer_add(x, &rec, NULL);
    hr_reader_close(r);
    if (rc == 0)
        hr_writer_adopt_index(s->w, x);
    else
        hr_indexer_free(x);
}

static int run(rstate *s, hr_recover_report *rep, const char *stage_path)
{
    uint32_t pid;
    hr_recover_state state = probe(stage_path, &pid);
    if (state == HR_RECOVER_LIVE) {
        hr_recover_live_message(s->path, pid, s->msg, s->msg_size);
        return HR_ERR_STATE;
    }
    int rc = read_trace(s);
    if (rc < 0 && state == HR_RECOVER_EMPTY)
        return say(s, rc, "%s: the process ended before it recorded anything", s->path);
    HR_FORWARD(rc);
    if (state == HR_RECOVER_LEFT)
        HR_FORWARD(open_stage(s, stage_path));
    rep->had_stage = state != HR_RECOVER_NO_STAGE; /* an empty one holds nothing: it is only removed */
    rep->kept_records = s->st.records;
    if (s->st.complete && (!s->have_stage || s->stage.hdr->clean)) {
        rep->was_complete = 1;
        return 0;
    }
    struct stat sb;
    if (stat(s->path, &sb) == 0 && (uint64_t)sb.st_size > s->st.end_offset)
        rep->cut_bytes = (uint64_t)sb.st_size - s->st.end_offset;
    rc = open_writer(s);
    if (rc == 0 && s->have_stage)
        rc = recover_stage(s, rep);
    if (rc == 0 && (rc = hr_writer_flush(s->w)) == 0)
        index_all(s);
    if (rc == 0)
        rc = hr_writer_finish(s->w);
    if (rc < 0 && !s->msg[0])
        say(s, rc, "%s: cannot complete the trace: %s", s->path,
            rc == HR_ERR_IO ? strerror(hr_writer_errno(s->w)) : hr_strerror(rc));
    return rc;
}

int hr_recover(const char *trace_path, hr_recover_report *rep, char *msg, size_t msg_size)
{
    rstate s;
    char stage_path[4200];
    memset(&s, 0, sizeof s);
    memset(rep, 0, sizeof *rep);
    s.path = trace_path;
    s.msg = msg;
    s.msg_size = msg_size;
    s.fd = -1;
    msg[0] = 0;
    stage_name(trace_path, stage_path, sizeof stage_path);
    int rc = run(&s, rep, stage_path);
    cleanup(&s);
    if (rc == 0 && rep->had_stage)
        unlink(stage_path);
    return rc;
}
