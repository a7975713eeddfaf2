/* SPDX-License-Identifier: MIT */
/* Chunk encoder (formats/SPEC.md 5): records are split by field into columns, stacks coded through
 * per-kind site dictionaries and pointers through the chunk's pointer model. A record is written
 * whole or not at all: room in every column is checked before anything is written. */
#include "internal.h"
#include "varint.h"

#define EVENT_ROOM 64 /* most bytes an event adds to any one column */

int hr_enc_init(hr_enc *e, uint8_t *const cols[HR_NCOL], const size_t caps[HR_NCOL], const hr_alloc *a)
{
    memset(e, 0, sizeof *e);
    for (int c = 0; c < HR_NCOL; c++) {
        HR_RETURN_IF(caps[c] < 4 * EVENT_ROOM, HR_ERR_ARG);
        e->col[c] = cols[c];
        e->cap[c] = caps[c];
    }
    HR_FORWARD(hr_model_init(&e->model, a));
    int rc = hr_sites_init(&e->sites, a);
    if (rc < 0)
        hr_model_free(&e->model);
    return rc;
}

void hr_enc_columns(hr_enc *e, uint8_t *const cols[HR_NCOL], const size_t caps[HR_NCOL])
{
    for (int c = 0; c < HR_NCOL; c++) {
        e->col[c] = cols[c];
        e->cap[c] = caps[c];
    }
}

void hr_enc_free(hr_enc *e)
{
    hr_model_free(&e->model);
    hr_sites_free(&e->sites);
}

void hr_enc_reset(hr_enc *e)
{
    memset(e->len, 0, sizeof e->len);
    e->nrec = 0;
    e->total = 0;
    e->room = 0;
    e->seq = e->time = e->ip = e->newstack = 0;
    e->thread = 0;
    hr_model_reset(&e->model);
    hr_sites_reset(&e->sites);
}

size_t hr_enc_size(const hr_enc *e)
{
    return e->total;
}

/* Writes v to the split-varint field whose low column is c. */
static inline void put(hr_enc *e, int c, uint64_t v)
{
    uint8_t *lo = e->col[c] + e->len[c], *hi = e->col[c + 1] + e->len[c + 1];
    hr_put_varint_split(&lo, &hi, v);
    size_t lo_len = (size_t)(lo - e->col[c]), hi_len = (size_t)(hi - e->col[c + 1]);
    e->total += lo_len - e->len[c] + hi_len - e->len[c + 1];
    e->len[c] = lo_len;
    e->len[c + 1] = hi_len;
}

/* Events certainly fit while e->room > 0; it is recomputed (over every column) only when it runs
 * out, and cleared after typed records, whose size varies. */
static int room_for_event(hr_enc *e)
{
    if (!e->room) {
        size_t room = HR_CHUNK_RECORDS_MAX - e->nrec;
        for (int c = 0; c < HR_NCOL; c++)
            if ((e->cap[c] - e->len[c]) / EVENT_ROOM < room)
                room = (e->cap[c] - e->len[c]) / EVENT_ROOM;
        e->room = room;
    }
    return e->room > 0;
}

static void count_record(hr_enc *e, unsigned kind, unsigned type, uint64_t seq)
{
    e->nrec++;
    if (!e->counts)
        return;
    if (kind)
        e->counts->events[kind]++;
    else
        e->counts->typed[type]++;
    e->counts->records++;
    if (seq > e->counts->last_seq)
        e->counts->last_seq = seq;
}

static int check_event(hr_enc *e, uint64_t seq, uint64_t time, const hr_event *ev)
{
    unsigned k = ev->kind;
    HR_RETURN_IF(k < 1 || k >= HR_KIND_COUNT || (ev->xflags & ~HR_XF_KNOWN), HR_ERR_ARG);
    HR_RETURN_IF((ev->xflags & HR_XF_FREE_SEQ) && (ev->free_seq == 0 || ev->free_seq > seq), HR_ERR_ARG);
    HR_RETURN_IF(seq <= e->seq || time < e->time, HR_ERR_ARG);
    return room_for_event(e) ? 0 : HR_ERR_LIMIT;
}

static int size_present(unsigned kind, uint32_t xflags)
{
    return !hr_kind_is_free(kind) || (xflags & HR_XF_SIZED);
}

static int align_present(unsigned kind, uint32_t xflags)
{
    return hr_kind_has_align(kind) || (xflags & HR_XF_ALIGNED);
}

void hr_event_as_read(const hr_event *in, hr_event *out)
{
    unsigned k = in->kind;
    uint32_t xf = in->xflags;
    *out = (hr_event){.kind = k, .xflags = xf, .ptr = in->ptr, .stack = in->stack};
    if (hr_kind_is_realloc(k))
        out->old_ptr = in->old_ptr;
    if (size_present(k, xf))
        out->size = in->size;
    if (hr_kind_has_count(k))
        out->count = in->count;
    if (align_present(k, xf))
        out->align = in->align;
    if (xf & HR_XF_FAILED)
        out->err = in->err;
    if (xf & HR_XF_FREE_SEQ)
        out->free_seq = in->free_seq;
}

static void put_free(hr_enc *e, uint64_t p, int release)
{
    uint64_t code = hr_model_free_code(&e->model, p, release);
    put(e, HR_COL_FPTR, code);
    if (hr_model_free_escaped(code))
        put(e, HR_COL_FPTR, p);
}

static int put_pointers(hr_enc *e, const hr_event *ev)
{
    unsigned k = ev->kind;
    hr_model_refs_clear(&e->model);
    if (hr_kind_is_realloc(k))
        put_free(e, ev->old_ptr, !(ev->xflags & (HR_XF_FAILED | HR_XF_INCOMPLETE)));
    if (hr_kind_is_free(k)) {
        put_free(e, ev->ptr, 1);
        return 0;
    }
    uint64_t code;
    HR_FORWARD(hr_model_alloc_code(&e->model, ev->ptr, hr_event_bytes(ev), &code));
    put(e, HR_COL_APTR, code);
    if (hr_model_alloc_escaped(code))
        put(e, HR_COL_APTR, ev->ptr);
    return 0;
}

int hr_enc_event(hr_enc *e, uint32_t thread, uint64_t seq, uint64_t time, const hr_event *ev)
{
    HR_FORWARD(check_event(e, seq, time, ev));
    uint64_t site;
    int is_new;
    HR_FORWARD(hr_sites_code(&e->sites, ev->kind, ev->stack, &site, &is_new));
    unsigned k = ev->kind;
    uint32_t xf = ev->xflags;
    uint8_t tag = (uint8_t)(0x80 | k);
    if (thread != e->thread) {
        tag |= 0x10;
        put(e, HR_COL_ORDER, thread);
    }
    if (seq != e->seq + 1) {
        tag |= 0x20;
        put(e, HR_COL_ORDER, seq - e->seq - 1);
    }
    put(e, HR_COL_TIME, time - e->time);
    if (xf) {
        tag |= 0x40;
        put(e, HR_COL_XFLAGS, xf);
    }
    e->col[HR_COL_TAG][e->len[HR_COL_TAG]++] = tag;
    e->total++;
    put(e, hr_kind_is_free(k) ? HR_COL_FSITE : HR_COL_SITE, site);
    if (is_new) {
        put(e, HR_COL_NEWSTACK, hr_zigzag((int64_t)(ev->stack - e->newstack)));
        e->newstack = ev->stack;
    }
    if (size_present(k, xf))
        put(e, HR_COL_SIZE, ev->size);
    if (hr_kind_has_count(k))
        put(e, HR_COL_AUX, ev->count);
    if (align_present(k, xf))
        put(e, HR_COL_AUX, ev->align);
    HR_FORWARD(put_pointers(e, ev));
    if (xf & HR_XF_FAILED)
        put(e, HR_COL_AUX, ev->err);
    if (xf & HR_XF_FREE_SEQ)
        put(e, HR_COL_AUX, seq - ev->free_seq);
    e->thread = thread;
    e->seq = seq;
    e->time = time;
    e->room--;
    count_record(e, k, 0, seq);
    return 0;
}

/* Typed records: the body goes to TYPED 5 bytes after its start (room for any length varint of a
 * body under 32 GiB) and moves back once its length is known. */
#define BODY_GAP 5

static uint8_t *typed_begin(hr_enc *e, size_t need)
{
    if (e->nrec >= HR_CHUNK_RECORDS_MAX || e->cap[HR_COL_TAG] - e->len[HR_COL_TAG] < 1 ||
        e->cap[HR_COL_TYPED] - e->len[HR_COL_TYPED] < need + BODY_GAP)
        return NULL;
    return e->col[HR_COL_TYPED] + e->len[HR_COL_TYPED] + BODY_GAP;
}

static void typed_end(hr_enc *e, unsigned type, uint8_t *body, uint8_t *body_end, uint64_t seq)
{
    uint8_t *p = e->col[HR_COL_TYPED] + e->len[HR_COL_TYPED];
    size_t blen = (size_t)(body_end - body);
    p += hr_put_varint(p, blen);
    memmove(p, body, blen);
    size_t len = (size_t)(p + blen - e->col[HR_COL_TYPED]);
    e->total += len - e->len[HR_COL_TYPED] + 1;
    e->len[HR_COL_TYPED] = len;
    e->col[HR_COL_TAG][e->len[HR_COL_TAG]++] = (uint8_t)type;
    e->room = 0;
    count_record(e, 0, type, seq);
}

static uint8_t *put_str(uint8_t *p, hr_str s)
{
    p += hr_put_varint(p, s.len);
    if (s.len)
        memcpy(p, s.ptr, s.len);
    return p + s.len;
}

int hr_enc_process(hr_enc *e, const hr_process_info *pi)
{
    size_t need = 6 * HR_VARINT_MAX + pi->recorder.len + pi->parent_trace.len + pi->cwd.len;
    uint8_t *body = typed_begin(e, need), *p = body;
    HR_RETURN_IF(!body, HR_ERR_LIMIT);
    p = put_str(p, pi->recorder);
    p += hr_put_varint(p, pi->origin);
    p += hr_put_varint(p, pi->parent_pid);
    p = put_str(p, pi->parent_trace);
    p += hr_put_varint(p, pi->fork_seq);
    p = put_str(p, pi->cwd);
    p += hr_put_varint(p, pi->guard_bytes);
    typed_end(e, HR_REC_PROCESS_INFO, body, p, 0);
    return 0;
}

int hr_enc_nodes(hr_enc *e, uint64_t first_id, const uint64_t *parents, const uint64_t *ips, size_t n)
{
    HR_RETURN_IF(n == 0, HR_ERR_ARG);
    for (size_t i = 0; i < n; i++)
        HR_RETURN_IF(parents[i] >= first_id + i, HR_ERR_ARG);
    uint8_t *body = typed_begin(e, HR_VARINT_MAX + n * 2 * HR_VARINT_MAX), *p = body;
    HR_RETURN_IF(!body, HR_ERR_LIMIT);
    p += hr_put_varint(p, n);
    for (size_t i = 0; i < n; i++) {
        p += hr_put_varint(p, first_id + i - parents[i]);
        p += hr_put_varint(p, hr_zigzag((int64_t)(ips[i] - e->ip)));
        e->ip = ips[i];
    }
    typed_end(e, HR_REC_STACK_NODES, body, p, 0);
    return 0;
}

static size_t ordered_need(unsigned type, const hr_record *r)
{
    size_t need = 10 * HR_VARINT_MAX;
    switch (type) {
    case HR_REC_MODULE_LOAD: return need + r->u.module.build_id.len + r->u.module.path.len;
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME: return need + r->u.thread.name.len;
    case HR_REC_MARK:
    case HR_REC_STOPPED: return need + r->u.text.len;
    case HR_REC_EXEC:
    case HR_REC_SPAWN: return need + r->u.exec.path.len;
    case HR_REC_GUARD:
    case HR_REC_GUARD_BEFORE: return need + r->u.guard.found.len;
    case HR_REC_FREED_WRITE: return need + r->u.freed.found.len;
    default: return need;
    }
}

static uint8_t *ordered_body(uint8_t *p, unsigned type, const hr_record *r)
{
    switch (type) {
    case HR_REC_MODULE_LOAD:
        p += hr_put_varint(p, r->u.module.id);
        p += hr_put_varint(p, r->u.module.bias);
        p += hr_put_varint(p, r->u.module.start);
        p += hr_put_varint(p, r->u.module.end);
        p = put_str(p, r->u.module.build_id);
        return put_str(p, r->u.module.path);
    case HR_REC_MODULE_UNLOAD: return p + hr_put_varint(p, r->u.module.id);
    case HR_REC_THREAD_START:
        p += hr_put_varint(p, r->u.thread.index);
        p += hr_put_varint(p, r->u.thread.tid);
        return put_str(p, r->u.thread.name);
    case HR_REC_THREAD_NAME: p += hr_put_varint(p, r->u.thread.index); return put_str(p, r->u.thread.name);
    case HR_REC_THREAD_END: return p + hr_put_varint(p, r->u.thread.index);
    case HR_REC_MARK:
    case HR_REC_STOPPED: return put_str(p, r->u.text);
    case HR_REC_FORK: return p + hr_put_varint(p, r->u.fork.child_pid);
    case HR_REC_EXEC:
        p = put_str(p, r->u.exec.path);
        p += hr_put_varint(p, hr_zigzag(r->u.exec.result));
        return p + hr_put_varint(p, r->u.exec.flags);
    case HR_REC_SPAWN:
        p += hr_put_varint(p, r->u.exec.child_pid);
        p = put_str(p, r->u.exec.path);
        p += hr_put_varint(p, hr_zigzag(r->u.exec.result));
        return p + hr_put_varint(p, r->u.exec.flags);
    case HR_REC_GUARD:
    case HR_REC_GUARD_BEFORE:
        p += hr_put_varint(p, r->u.guard.ptr);
        p += hr_put_varint(p, r->u.guard.size);
        return put_str(p, r->u.guard.found);
    case HR_REC_MALLOPT:
        p += hr_put_varint(p, hr_zigzag(r->u.mallopt.param));
        p += hr_put_varint(p, hr_zigzag(r->u.mallopt.value));
        return p + hr_put_varint(p, hr_zigzag(r->u.mallopt.result));
    case HR_REC_FREED_WRITE:
        p += hr_put_varint(p, r->u.freed.ptr);
        p += hr_put_varint(p, r->u.freed.offset);
        p += hr_put_varint(p, r->u.freed.bytes);
        return put_str(p, r->u.freed.found);
    case HR_REC_ACCESS:
        p += hr_put_varint(p, r->u.access.ptr);
        p += hr_put_varint(p, r->u.access.size);
        p += hr_put_varint(p, r->u.access.at);
        p += hr_put_varint(p, r->u.access.len);
        p += hr_put_varint(p, r->u.access.what);
        return p + hr_put_varint(p, r->u.access.stack);
    default: return NULL;
    }
}

int hr_enc_ordered(hr_enc *e, unsigned type, const hr_record *rec)
{
    HR_RETURN_IF(!hr_rec_type_is_ordered(type) || !hr_rec_type_name(type), HR_ERR_ARG);
    HR_RETURN_IF(rec->seq <= e->seq || rec->time_ns < e->time, HR_ERR_ARG);
    uint8_t *body = typed_begin(e, ordered_need(type, rec)), *p = body;
    HR_RETURN_IF(!body, HR_ERR_LIMIT);
    p += hr_put_varint(p, rec->thread);
    p += hr_put_varint(p, rec->seq - e->seq);
    p += hr_put_varint(p, rec->time_ns - e->time);
    p = ordered_body(p, type, rec);
    e->thread = rec->thread;
    e->seq = rec->seq;
    e->time = rec->time_ns;
    typed_end(e, type, body, p, rec->seq);
    return 0;
}
