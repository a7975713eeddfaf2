/* SPDX-License-Identifier: MIT */
/* hr_writer: chunk building, zstd framing, trailer and the stack interner wiring. */
#include <heaprr/writer.h>

#include "crc32c.h"
#include "internal.h"
#include "varint.h"

#include <errno.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: exported by libzstd.so since 1.3 */
#include <zstd.h>

#define DEFAULT_CHUNK (1u << 20)
#define COLUMN_SPREAD 4 /* chunk memory = 4 x chunk_size: no one column fills before the target */
#define NODE_BATCH HR_MAX_DEPTH

/* A chunk on its way into a frame: its columns are fed to zstd a slice at a time. */
typedef struct hr_stream {
    int active;
    unsigned half;
    uint64_t nrec;
    const uint8_t *cols[HR_NCOL];
    size_t lens[HR_NCOL];
    uint8_t head[HR_CHUNK_HEADER_MAX];
    size_t hn, raw;
    int col;    /* column being fed; -1: the chunk header */
    size_t pos; /* bytes of it fed */
    size_t out; /* compressed bytes in zbuf */
} hr_stream;

struct hr_writer {
    hr_alloc alloc;
    int fd;
    int level;
    size_t chunk_size;
    hr_enc enc;
    int enc_ready;
    int background;
    uint8_t *half_mem[2]; /* the chunk memory's halves (background), or [0] alone */
    size_t half_size;
    unsigned half; /* the half the encoder fills */
    hr_stream sealed;
    uint8_t *own_mem;
    uint8_t *zbuf;
    size_t zcap;
    ZSTD_CCtx *cctx;
    hr_counts counts;
    uint32_t crc;
    uint64_t file_size, frames;
    hr_interner in;
    int error, err_no;
    void (*on_frame)(void *, const hr_writer *);
    int (*check_fd)(void *, int, uint64_t);
    void *opaque;
    hr_rules rules;
    uint64_t batch_parent[NODE_BATCH], batch_ip[NODE_BATCH];
    size_t batch_n;
    uint64_t batch_first;
    hr_windex *index;      /* NULL: no index (none asked for, or given up) */
    uint64_t time_unit_ns; /* of the header, for the index's times */
};

static void *zalloc(void *opaque, size_t size)
{
    hr_writer *w = opaque;
    return w->alloc.alloc(w->alloc.opaque, size);
}

static void zfree(void *opaque, void *ptr)
{
    hr_writer *w = opaque;
    if (ptr)
        w->alloc.free(w->alloc.opaque, ptr);
}

size_t hr_writer_chunk_mem(size_t chunk_size)
{
    size_t n = (chunk_size ? chunk_size : DEFAULT_CHUNK) * COLUMN_SPREAD;
    return n < 32 * 1024 ? 32 * 1024 : n; /* room for a record in every column */
}

/* Shares of the chunk memory per column: tags and typed records (stack nodes) need more. */
static unsigned share(int c)
{
    return c == HR_COL_TAG ? 2 : c == HR_COL_TYPED ? 4 : 1;
}

void hr_chunk_layout(uint8_t *mem, size_t size, uint8_t *cols[], size_t caps[])
{
    unsigned total = 0;
    for (int c = 0; c < HR_NCOL; c++)
        total += share(c);
    size_t unit = size / total, off = 0;
    for (int c = 0; c < HR_NCOL; c++) {
        cols[c] = mem + off;
        caps[c] = unit * share(c);
        off += caps[c];
    }
}

static int setup_buffers(hr_writer *w, const hr_writer_config *cfg)
{
    unsigned halves = w->background ? 2 : 1;
    size_t need = hr_writer_chunk_mem(w->chunk_size), size = need * halves;
    uint8_t *mem = cfg->chunk_mem, *cols[HR_NCOL];
    size_t caps[HR_NCOL];
    if (mem) {
        HR_RETURN_IF(cfg->chunk_mem_size < size, HR_ERR_ARG);
        size = cfg->chunk_mem_size;
    } else {
        mem = w->own_mem = w->alloc.alloc(w->alloc.opaque, size);
        HR_RETURN_IF(!mem, HR_ERR_NOMEM);
    }
    w->half_size = size / halves;
    w->half_mem[0] = mem;
    w->half_mem[1] = halves == 2 ? mem + w->half_size : NULL;
    hr_chunk_layout(mem, w->half_size, cols, caps);
    HR_FORWARD(hr_enc_init(&w->enc, cols, caps, &w->alloc));
    w->enc_ready = 1;
    w->zcap = ZSTD_compressBound(w->half_size) + HR_CHUNK_HEADER_MAX;
    w->zbuf = w->alloc.alloc(w->alloc.opaque, w->zcap);
    HR_RETURN_IF(!w->zbuf, HR_ERR_NOMEM);
    ZSTD_customMem zmem = {zalloc, zfree, w};
    w->cctx = ZSTD_createCCtx_advanced(zmem);
    HR_RETURN_IF(!w->cctx, HR_ERR_NOMEM);
    HR_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->level)), HR_ERR_ZSTD);
    HR_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)), HR_ERR_ZSTD);
    HR_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1)), HR_ERR_ZSTD);
    return hr_interner_init(&w->in, &w->alloc);
}

int hr_writer_create(hr_writer **out, const hr_writer_config *cfg)
{
    const hr_alloc *a = cfg->alloc ? cfg->alloc : &hr_default_alloc;
    *out = NULL;
    HR_RETURN_IF(cfg->fd < 0, HR_ERR_ARG);
    hr_writer *w = hr_alloc_zeroed(a, sizeof *w);
    HR_RETURN_IF(!w, HR_ERR_NOMEM);
    w->alloc = *a;
    w->fd = cfg->fd;
    w->level = cfg->zstd_level ? cfg->zstd_level : 1;
    w->background = cfg->background != 0;
    w->chunk_size = cfg->chunk_size ? cfg->chunk_size : DEFAULT_CHUNK;
    hr_rules_init(&w->rules, &w->alloc);
    w->on_frame = cfg->on_frame;
    w->check_fd = cfg->check_fd;
    w->opaque = cfg->opaque;
    int rc = w->chunk_size <= HR_CHUNK_MAX / 8 && w->chunk_size >= 256 ? setup_buffers(w, cfg) : HR_ERR_ARG;
    if (rc == 0)
        rc = hr_windex_open(&w->index, &w->alloc, cfg->index_memory);
    if (rc < 0) {
        hr_writer_destroy(w);
        return rc;
    }
    w->enc.counts = &w->counts;
    hr_enc_reset(&w->enc);
    *out = w;
    return 0;
}

void hr_writer_destroy(hr_writer *w)
{
    if (!w)
        return;
    hr_interner_free(&w->in);
    hr_rules_free(&w->rules);
    hr_windex_drop(&w->index);
    if (w->enc_ready)
        hr_enc_free(&w->enc);
    if (w->cctx)
        ZSTD_freeCCtx(w->cctx);
    if (w->zbuf)
        w->alloc.free(w->alloc.opaque, w->zbuf);
    if (w->own_mem)
        w->alloc.free(w->alloc.opaque, w->own_mem);
    hr_alloc a = w->alloc;
    a.free(a.opaque, w);
}

static int write_all(hr_writer *w, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    if (w->check_fd && (w->fd = w->check_fd(w->opaque, w->fd, w->file_size)) < 0) {
        w->err_no = EBADF;
        w->error = HR_ERR_IO;
        return HR_ERR_IO;
    }
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->err_no = k < 0 ? errno : ENOSPC;
            w->error = HR_ERR_IO;
            return HR_ERR_IO;
        }
        p += k;
        n -= (size_t)k;
    }
    w->crc = hr_crc32c(w->crc, buf, (size_t)(p - (const uint8_t *)buf));
    w->file_size += (uint64_t)(p - (const uint8_t *)buf);
    return 0;
}

/* Writes a frame. The caller brings its own state up to date, then calls frame_done(). */
static int write_frame(hr_writer *w, uint8_t type, const void *payload, size_t size, size_t raw)
{
    uint8_t fh[HR_FRAME_HEADER];
    hr_frame_header_encode(fh, type, payload, (uint32_t)size, (uint32_t)raw);
    HR_FORWARD(write_all(w, fh, sizeof fh));
    HR_FORWARD(write_all(w, payload, size));
    w->frames++;
    return 0;
}

static void frame_done(hr_writer *w)
{
    if (w->on_frame)
        w->on_frame(w->opaque, w);
}

int hr_writer_begin(hr_writer *w, const hr_header *h)
{
    uint8_t *buf = w->zbuf; /* large enough and unused yet */
    HR_RETURN_IF(w->file_size, HR_ERR_STATE);
    HR_RETURN_IF(hr_header_size(h) > w->zcap, HR_ERR_LIMIT);
    int n = hr_header_encode(h, buf, w->zcap);
    HR_FORWARD(n);
    w->time_unit_ns = h->time_unit_ns;
    return write_all(w, buf, (size_t)n);
}

int hr_writer_resume(hr_writer *w, uint64_t file_size, uint32_t file_crc, uint64_t frames,
                     const uint64_t event_counts[HR_KIND_COUNT], const uint64_t typed_counts[128],
                     uint64_t records, uint64_t last_seq)
{
    HR_RETURN_IF(w->file_size, HR_ERR_STATE);
    hr_windex_drop(&w->index); /* it would not see the records already on disk */
    w->file_size = file_size;
    w->crc = file_crc;
    w->frames = frames;
    memcpy(w->counts.events, event_counts, sizeof w->counts.events);
    memcpy(w->counts.typed, typed_counts, sizeof w->counts.typed);
    w->counts.records = records;
    w->counts.last_seq = last_seq;
    return 0;
}

int hr_writer_known_node(hr_writer *w, uint64_t parent, uint64_t ip)
{
    HR_RETURN_IF(parent > w->in.count, HR_ERR_ARG);
    int64_t id = hr_interner_add(&w->in, parent, ip);
    return id < 0 ? (int)id : 0;
}

/* Grows the compression buffer (recovery may hand over a chunk bigger than this writer's own). */
static int ensure_zbuf(hr_writer *w, size_t need)
{
    if (need <= w->zcap)
        return 0;
    uint8_t *z = w->alloc.alloc(w->alloc.opaque, need);
    HR_RETURN_IF(!z, HR_ERR_NOMEM);
    w->alloc.free(w->alloc.opaque, w->zbuf);
    w->zbuf = z;
    w->zcap = need;
    return 0;
}

/* Starts compressing a chunk given as columns: one zstd frame of the chunk header and the columns,
 * with a new block (and entropy tables) for each column. */
static int stream_start(hr_writer *w, unsigned half, uint64_t nrec, const uint8_t *const cols[], const size_t lens[])
{
    hr_stream *st = &w->sealed;
    size_t hn = hr_put_varint(st->head, nrec), total = 0;
    hn += hr_put_varint(st->head + hn, HR_NCOL);
    for (int c = 0; c < HR_NCOL; c++) {
        hn += hr_put_varint(st->head + hn, lens[c]);
        total += lens[c];
        st->cols[c] = cols[c];
        st->lens[c] = lens[c];
    }
    HR_RETURN_IF(hn + total > HR_CHUNK_MAX, HR_ERR_LIMIT);
    HR_FORWARD(ensure_zbuf(w, ZSTD_compressBound(hn + total)));
    ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
    HR_RETURN_IF(ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(w->cctx, hn + total)), HR_ERR_ZSTD);
    st->active = 1;
    st->half = half;
    st->nrec = nrec;
    st->hn = hn;
    st->raw = hn + total;
    st->col = -1;
    st->pos = 0;
    st->out = 0;
    return 0;
}

/* Feeds zstd up to n bytes of the current column (to its end: with a flush, or the frame end);
 * *fed gets how many. */
static int stream_feed(hr_writer *w, size_t n, size_t *fed)
{
    hr_stream *st = &w->sealed;
    const uint8_t *src = st->col < 0 ? st->head : st->cols[st->col];
    size_t size = st->col < 0 ? st->hn : st->lens[st->col];
    if (n > size - st->pos)
        n = size - st->pos;
    int last = st->pos + n == size;
    ZSTD_EndDirective mode = !last ? ZSTD_e_continue : st->col == HR_NCOL - 1 ? ZSTD_e_end : ZSTD_e_flush;
    ZSTD_inBuffer in = {src + st->pos, n, 0};
    ZSTD_outBuffer out = {w->zbuf, w->zcap, st->out};
    size_t left;
    do {
        size_t before = out.pos + in.pos;
        left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
        HR_RETURN_IF(ZSTD_isError(left), HR_ERR_ZSTD);
        HR_RETURN_IF(out.pos + in.pos == before && (in.pos < in.size || left), HR_ERR_LIMIT);
    } while (in.pos < in.size || (mode != ZSTD_e_continue && left != 0));
    st->out = out.pos;
    st->pos += n;
    *fed = n;
    if (last) {
        st->col++;
        st->pos = 0;
    }
    return 0;
}

/* Compresses about budget more bytes of the chunk in the stream; writes its frame when done.
 * Returns 1 if more remains, 0 when the frame is written, or an hr_err. */
static int stream_step(hr_writer *w, size_t budget)
{
    hr_stream *st = &w->sealed;
    while (st->col < HR_NCOL) {
        if (!budget)
            return 1;
        size_t fed;
        HR_FORWARD(stream_feed(w, budget, &fed));
        budget = fed < budget ? budget - fed : 0;
    }
    st->active = 0;
    return write_frame(w, HR_FRAME_CHUNK, w->zbuf, st->out, st->raw);
}

/* Runs a writer step that may fail the writer for good. */
static int fatal(hr_writer *w, int rc)
{
    if (rc < 0 && !w->error)
        w->error = rc;
    return rc;
}

int hr_writer_pump(hr_writer *w, size_t budget)
{
    HR_RETURN_IF(w->error, w->error);
    if (!w->sealed.active || !budget)
        return w->sealed.active;
    int rc = fatal(w, stream_step(w, budget));
    if (rc == 0)
        frame_done(w);
    return rc;
}

static int finish_sealed(hr_writer *w)
{
    return w->sealed.active ? hr_writer_pump(w, SIZE_MAX) : 0;
}

/* The encoder starts a chunk; the index ends its own. */
static void new_chunk(hr_writer *w)
{
    hr_windex_chunk_end(&w->index);
    hr_enc_reset(&w->enc);
}

/* Ends the chunk being built: it is sealed and compressed in the background (hr_writer_pump)
 * while the encoder fills the other half of the chunk memory, or compressed and written now. */
static int seal(hr_writer *w, int now)
{
    HR_FORWARD(finish_sealed(w));
    if (w->enc.nrec == 0)
        return 0;
    HR_FORWARD(fatal(w, stream_start(w, w->half, w->enc.nrec, (const uint8_t *const *)w->enc.col, w->enc.len)));
    if (w->background) {
        uint8_t *cols[HR_NCOL];
        size_t caps[HR_NCOL];
        w->half ^= 1;
        hr_chunk_layout(w->half_mem[w->half], w->half_size, cols, caps);
        hr_enc_columns(&w->enc, cols, caps);
        new_chunk(w);
        return now ? finish_sealed(w) : 0;
    }
    int rc = fatal(w, stream_step(w, SIZE_MAX));
    new_chunk(w);
    if (rc == 0)
        frame_done(w);
    return rc;
}

int hr_writer_flush(hr_writer *w)
{
    HR_RETURN_IF(w->error, w->error);
    return seal(w, 1);
}

int hr_writer_raw_cols(hr_writer *w, uint64_t nrec, const uint8_t *const cols[], const size_t lens[],
                       const hr_counts *added)
{
    HR_FORWARD(hr_writer_flush(w));
    hr_windex_drop(&w->index); /* records it does not see */
    if (!nrec)
        return 0;
    HR_FORWARD(fatal(w, stream_start(w, 0, nrec, cols, lens)));
    HR_FORWARD(fatal(w, stream_step(w, SIZE_MAX)));
    frame_done(w);
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        w->counts.events[k] += added->events[k];
    for (unsigned t = 0; t < HR_REC_TYPE_LIMIT; t++)
        w->counts.typed[t] += added->typed[t];
    w->counts.records += added->records;
    if (added->last_seq > w->counts.last_seq)
        w->counts.last_seq = added->last_seq;
    return 0;
}

void hr_writer_chunk_state(const hr_writer *w, hr_chunk_state *cs)
{
    cs->nrec = w->enc.nrec;
    memcpy(cs->lens, w->enc.len, sizeof cs->lens);
    cs->half = w->half;
    cs->sealed = w->sealed.active;
    cs->sealed_half = w->sealed.half;
    cs->sealed_nrec = w->sealed.active ? w->sealed.nrec : 0;
    if (w->sealed.active)
        memcpy(cs->sealed_lens, w->sealed.lens, sizeof cs->sealed_lens);
    else
        memset(cs->sealed_lens, 0, sizeof cs->sealed_lens);
    cs->frames = w->frames;
    cs->file_size = w->file_size;
}

void hr_writer_adopt_index(hr_writer *w, hr_indexer *x)
{
    hr_windex_adopt(&w->index, &w->alloc, x);
}

/* The index frame of the records so far; an index that cannot be made is left out. */
static int write_index(hr_writer *w)
{
    uint8_t *payload;
    size_t n;
    if (!w->index)
        return 0;
    if (hr_windex_payload(w->index, &w->alloc, &payload, &n) < 0) {
        hr_windex_drop(&w->index);
        return 0;
    }
    int rc = write_frame(w, HR_FRAME_INDEX, payload, n, n);
    w->alloc.free(w->alloc.opaque, payload);
    if (rc == 0)
        frame_done(w);
    return rc;
}

int hr_writer_leaks(hr_writer *w, uint64_t *bytes, uint64_t *blocks, uint64_t *stacks)
{
    return w->index ? hr_windex_leaks(w->index, bytes, blocks, stacks) : -1;
}

int hr_writer_finish(hr_writer *w)
{
    uint8_t buf[HR_TRAILER_MAX];
    HR_FORWARD(hr_writer_flush(w));
    HR_FORWARD(write_index(w));
    size_t n = hr_trailer_encode(buf, &w->counts, w->crc);
    HR_FORWARD(write_frame(w, HR_FRAME_TRAILER, buf, n, n));
    frame_done(w);
    return 0;
}

/* Runs an encoder call; when the chunk has no room, seals it and retries once in a fresh chunk. */
#define ENCODE_IN_CHUNK(w, call)                        \
    do {                                                \
        HR_RETURN_IF((w)->error, (w)->error);           \
        int enc_rc_ = (call);                           \
        if (enc_rc_ == HR_ERR_LIMIT && (w)->enc.nrec) { \
            HR_FORWARD(seal(w, 0));                     \
            enc_rc_ = (call);                           \
        }                                               \
        if (enc_rc_ == HR_ERR_NOMEM)                    \
            (w)->error = enc_rc_;                       \
        HR_FORWARD(enc_rc_);                            \
    } while (0)

static int seal_if_full(hr_writer *w)
{
    return hr_enc_size(&w->enc) >= w->chunk_size ? seal(w, 0) : 0;
}

/* ENCODE_IN_CHUNK, then a full chunk is sealed. */
#define ENCODE(w, call)                   \
    do {                                  \
        ENCODE_IN_CHUNK(w, call);         \
        HR_FORWARD(seal_if_full(w));      \
    } while (0)

int hr_writer_begin_import(hr_writer *w, const char *source, const char *recorder, uint32_t max_depth)
{
    hr_header h;
    memset(&h, 0, sizeof h);
    h.pointer_size = 8;
    h.byte_order = 1;
    h.page_size = 4096;
    h.time_unit_ns = 1000;
    h.max_depth = max_depth;
    h.exe = (hr_str){source, strlen(source)};
    h.cmdline = (hr_str){"", 0};
    hr_process_info pi = {{recorder, strlen(recorder)}, HR_ORIGIN_ROOT, 0, {"", 0}, 0, {"", 0}, 0};
    int rc = hr_writer_begin(w, &h);
    return rc == 0 ? hr_writer_process(w, &pi) : rc;
}

int hr_writer_process(hr_writer *w, const hr_process_info *pi)
{
    ENCODE(w, hr_enc_process(&w->enc, pi));
    return 0;
}

int hr_writer_learn(hr_writer *w, const hr_record *rec)
{
    return hr_rules_learn(&w->rules, rec);
}

int hr_writer_event(hr_writer *w, uint32_t thread, uint64_t seq, uint64_t time, const hr_event *ev)
{
    HR_RETURN_IF(ev->stack > w->in.count, HR_ERR_ARG);
    HR_RETURN_IF(seq <= w->counts.last_seq || !hr_rules_thread_known(&w->rules, thread), HR_ERR_ARG);
    ENCODE_IN_CHUNK(w, hr_enc_event(&w->enc, thread, seq, time, ev));
    hr_windex_event(&w->index, w->time_unit_ns, thread, seq, time, ev, &w->enc.model.refs);
    return seal_if_full(w);
}

void hr_writer_prefetch(const hr_writer *w, uint64_t p)
{
    if (!p)
        return;
    hr_model_prefetch(&w->enc.model, p); /* the index loads its own when it takes the event */
}

int hr_writer_ordered(hr_writer *w, unsigned type, const hr_record *rec)
{
    HR_RETURN_IF(w->error, w->error);
    HR_RETURN_IF(rec->seq <= w->counts.last_seq, HR_ERR_ARG);
    HR_FORWARD(hr_rules_typed(&w->rules, type, rec));
    ENCODE(w, hr_enc_ordered(&w->enc, type, rec));
    hr_windex_typed(&w->index, w->time_unit_ns, type, rec);
    return 0;
}

static int flush_batch(hr_writer *w)
{
    if (!w->batch_n)
        return 0;
    ENCODE(w, hr_enc_nodes(&w->enc, w->batch_first, w->batch_parent, w->batch_ip, w->batch_n));
    w->batch_n = 0;
    return 0;
}

static int64_t intern_one(hr_writer *w, uint64_t parent, uint64_t ip)
{
    uint64_t id = hr_interner_find(&w->in, parent, ip);
    if (id)
        return (int64_t)id;
    int64_t nid = hr_interner_add(&w->in, parent, ip);
    if (nid < 0)
        return nid;
    if (!w->batch_n)
        w->batch_first = (uint64_t)nid;
    w->batch_parent[w->batch_n] = parent;
    w->batch_ip[w->batch_n] = ip;
    w->batch_n++;
    return nid;
}

int hr_writer_intern(hr_writer *w, const uint64_t *frames, uint32_t depth, uint32_t keep,
                     uint64_t *path, uint64_t *stack)
{
    HR_RETURN_IF(w->error, w->error);
    HR_RETURN_IF(depth > HR_MAX_DEPTH || keep > depth, HR_ERR_ARG);
    uint64_t parent = keep ? path[keep - 1] : 0;
    HR_RETURN_IF(parent > w->in.count, HR_ERR_ARG);
    for (uint32_t j = keep; j < depth; j++) {
        int64_t id = intern_one(w, parent, frames[depth - 1 - j]);
        if (id < 0) {
            w->error = (int)id; /* nodes interned but not written: the trace cannot go on */
            return (int)id;
        }
        path[j] = parent = (uint64_t)id;
    }
    *stack = depth ? path[depth - 1] : 0;
    return flush_batch(w);
}

size_t hr_writer_chunk_len(const hr_writer *w)
{
    return hr_enc_size(&w->enc);
}

uint64_t hr_writer_file_size(const hr_writer *w)
{
    return w->file_size;
}

uint64_t hr_writer_node_count(const hr_writer *w)
{
    return w->in.count;
}

int hr_writer_errno(const hr_writer *w)
{
    return w->err_no;
}
