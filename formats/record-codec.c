/* SPDX-License-Identifier: MIT */
/* Encoding and decoding of the records inside a chunk (formats/SPEC.md section 5): the delta
 * state, allocation events with their tag bits, and typed records with a length-prefixed body.
 * The decoder trusts nothing: every read is bounded and every error names what was expected. */
#include "internal.h"
#include "varint.h"

/* ---- encoder ---- */

void hr_enc_reset(hr_enc *e)
{
    e->len = 0;
    e->seq = e->time = e->ptr = e->ip = 0;
    e->thread = 0;
}

static int align_present(unsigned kind, uint32_t xflags)
{
    return hr_kind_has_align(kind) || (xflags & HR_XF_ALIGNED);
}

static int size_present(unsigned kind, uint32_t xflags)
{
    return !hr_kind_is_free(kind) || (xflags & HR_XF_SIZED);
}

static int check_order(const hr_enc *e, uint64_t seq, uint64_t time)
{
    return seq > e->seq && time >= e->time ? 0 : HR_ERR_ARG;
}

static void count_record(hr_enc *e, unsigned code_kind, unsigned type, uint64_t seq)
{
    if (!e->counts)
        return;
    if (code_kind)
        e->counts->events[code_kind]++;
    else
        e->counts->typed[type]++;
    e->counts->records++;
    if (seq > e->counts->last_seq)
        e->counts->last_seq = seq;
}

int hr_enc_event(hr_enc *e, uint32_t thread, uint64_t seq, uint64_t time, const hr_event *ev)
{
    unsigned k = ev->kind;
    uint32_t xf = ev->xflags;
    HR_RETURN_IF(k < 1 || k >= HR_KIND_COUNT || (xf & ~HR_XF_KNOWN), HR_ERR_ARG);
    HR_RETURN_IF((xf & HR_XF_FREE_SEQ) && ev->free_seq > seq, HR_ERR_ARG);
    HR_FORWARD(check_order(e, seq, time));
    HR_RETURN_IF(e->cap - e->len < HR_ENC_EVENT_MAX, HR_ERR_LIMIT);
    uint8_t *p = e->buf + e->len, *tag = p++;
    uint8_t t = (uint8_t)(0x80 | k);
    if (thread != e->thread) {
        t |= 0x10;
        p += hr_put_varint(p, thread);
    }
    if (seq != e->seq + 1) {
        t |= 0x20;
        p += hr_put_varint(p, seq - e->seq - 1);
    }
    p += hr_put_varint(p, time - e->time);
    if (xf) {
        t |= 0x40;
        p += hr_put_varint(p, xf);
    }
    p += hr_put_varint(p, hr_zigzag((int64_t)(ev->ptr - e->ptr)));
    e->ptr = ev->ptr;
    if (size_present(k, xf))
        p += hr_put_varint(p, ev->size);
    if (hr_kind_has_count(k))
        p += hr_put_varint(p, ev->count);
    if (align_present(k, xf))
        p += hr_put_varint(p, ev->align);
    if (hr_kind_is_realloc(k)) {
        p += hr_put_varint(p, hr_zigzag((int64_t)(ev->old_ptr - e->ptr)));
        e->ptr = ev->old_ptr;
    }
    if (xf & HR_XF_FAILED)
        p += hr_put_varint(p, ev->err);
    if (xf & HR_XF_FREE_SEQ)
        p += hr_put_varint(p, seq - ev->free_seq);
    p += hr_put_varint(p, ev->stack);
    *tag = t;
    e->len = (size_t)(p - e->buf);
    e->thread = thread;
    e->seq = seq;
    e->time = time;
    count_record(e, k, 0, seq);
    return 0;
}

/* Typed records: the body is written 5 bytes after the tag (room for any length varint of a
 * body under 32 GiB) and moved back once its length is known. */
#define BODY_GAP 5

static uint8_t *typed_begin(hr_enc *e, size_t need)
{
    if (e->cap - e->len < need + 1 + BODY_GAP)
        return NULL;
    return e->buf + e->len + 1 + BODY_GAP;
}

static void typed_end(hr_enc *e, unsigned type, uint8_t *body, uint8_t *body_end, uint64_t seq)
{
    uint8_t *p = e->buf + e->len;
    size_t blen = (size_t)(body_end - body);
    *p++ = (uint8_t)type;
    p += hr_put_varint(p, blen);
    memmove(p, body, blen);
    e->len = (size_t)(p + blen - e->buf);
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
    uint8_t *body = typed_begin(e, HR_VARINT_MAX + n * 2 * HR_VARINT_MAX), *p = body;
    HR_RETURN_IF(!body, HR_ERR_LIMIT);
    p += hr_put_varint(p, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t id = first_id + i;
        HR_RETURN_IF(parents[i] >= id, HR_ERR_ARG);
        p += hr_put_varint(p, id - parents[i]);
        p += hr_put_varint(p, hr_zigzag((int64_t)(ips[i] - e->ip)));
        e->ip = ips[i];
    }
    typed_end(e, HR_REC_STACK_NODES, body, p, 0);
    return 0;
}

static size_t ordered_need(unsigned type, const hr_record *r)
{
    size_t need = 8 * HR_VARINT_MAX;
    switch (type) {
    case HR_REC_MODULE_LOAD: return need + r->u.module.build_id.len + r->u.module.path.len;
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME: return need + r->u.thread.name.len;
    case HR_REC_MARK:
    case HR_REC_STOPPED: return need + r->u.text.len;
    case HR_REC_EXEC: return need + r->u.exec.path.len;
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
    case HR_REC_THREAD_NAME:
        p += hr_put_varint(p, r->u.thread.index);
        return put_str(p, r->u.thread.name);
    case HR_REC_THREAD_END: return p + hr_put_varint(p, r->u.thread.index);
    case HR_REC_MARK:
    case HR_REC_STOPPED: return put_str(p, r->u.text);
    case HR_REC_FORK: return p + hr_put_varint(p, r->u.fork.child_pid);
    case HR_REC_EXEC:
        p = put_str(p, r->u.exec.path);
        return p + hr_put_varint(p, hr_zigzag(r->u.exec.result));
    default: return NULL;
    }
}

int hr_enc_ordered(hr_enc *e, unsigned type, const hr_record *rec)
{
    HR_RETURN_IF(!hr_rec_type_is_ordered(type) || !hr_rec_type_name(type), HR_ERR_ARG);
    HR_FORWARD(check_order(e, rec->seq, rec->time_ns));
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

/* ---- decoder ---- */

void hr_dec_init(hr_dec *d, const uint8_t *buf, size_t len, uint64_t next_node)
{
    memset(d, 0, sizeof *d);
    d->start = d->p = buf;
    d->end = buf + len;
    d->next_node = next_node;
}

static int fail(hr_dec *d, const uint8_t *at, const char *why)
{
    d->why = why;
    d->err_at = (size_t)(at - d->start);
    return HR_ERR_CORRUPT;
}

/* Reads one varint of the current record; on failure the record is corrupt. */
#define GET(d, end, out, what)                          \
    do {                                                \
        const uint8_t *at_ = (d)->p;                    \
        if (hr_get_varint(&(d)->p, (end), (out)) < 0)   \
            return fail((d), at_, "expected " what);   \
    } while (0)

static int get_str(hr_dec *d, const uint8_t *end, hr_str *s, const char *what)
{
    uint64_t n;
    const uint8_t *at = d->p;
    if (hr_get_varint(&d->p, end, &n) < 0 || n > (uint64_t)(end - d->p))
        return fail(d, at, what);
    s->ptr = (const char *)d->p;
    s->len = (size_t)n;
    d->p += n;
    return 0;
}

static int advance_seq(hr_dec *d, const uint8_t *at, uint64_t seq_delta, uint64_t time_delta)
{
    if (seq_delta == 0 || d->seq + seq_delta < d->seq)
        return fail(d, at, "expected a strictly increasing sequence number");
    if (d->time + time_delta < d->time)
        return fail(d, at, "expected a timestamp that fits in 64 bits");
    d->seq += seq_delta;
    d->time += time_delta;
    return 0;
}

static int dec_event(hr_dec *d, uint8_t tag, hr_record *r)
{
    const uint8_t *at = d->p - 1;
    unsigned k = tag & 0x0f;
    uint64_t v, gap = 0, tdelta, xf = 0;
    hr_event *ev = &r->u.event;
    if (k == 0 || k >= HR_KIND_COUNT)
        return fail(d, at, "expected an event kind between 1 and 14");
    memset(ev, 0, sizeof *ev);
    ev->kind = k;
    if (tag & 0x10) {
        GET(d, d->end, &v, "a thread index");
        if (v == 0 || v > UINT32_MAX)
            return fail(d, at, "expected a thread index between 1 and 2^32-1");
        d->thread = (uint32_t)v;
    }
    if (tag & 0x20)
        GET(d, d->end, &gap, "a sequence gap");
    GET(d, d->end, &tdelta, "a time delta");
    if (gap == UINT64_MAX)
        return fail(d, at, "expected a sequence gap below 2^64-1");
    int rc = advance_seq(d, at, gap + 1, tdelta);
    if (rc < 0)
        return rc;
    if (tag & 0x40) {
        GET(d, d->end, &xf, "event xflags");
        if (xf & ~(uint64_t)HR_XF_KNOWN)
            return fail(d, at, "expected xflags without reserved bits");
        ev->xflags = (uint32_t)xf;
    }
    GET(d, d->end, &v, "a pointer delta");
    d->ptr += (uint64_t)hr_unzigzag(v);
    ev->ptr = d->ptr;
    if (size_present(k, ev->xflags))
        GET(d, d->end, &ev->size, "a size");
    if (hr_kind_has_count(k))
        GET(d, d->end, &ev->count, "an element count");
    if (align_present(k, ev->xflags))
        GET(d, d->end, &ev->align, "an alignment");
    if (hr_kind_is_realloc(k)) {
        GET(d, d->end, &v, "an old-pointer delta");
        d->ptr += (uint64_t)hr_unzigzag(v);
        ev->old_ptr = d->ptr;
    }
    if (xf & HR_XF_FAILED)
        GET(d, d->end, &ev->err, "an errno value");
    if (xf & HR_XF_FREE_SEQ) {
        GET(d, d->end, &v, "a free sequence distance");
        if (v >= d->seq)
            return fail(d, at, "expected a free sequence number before the event's");
        ev->free_seq = d->seq - v;
    }
    GET(d, d->end, &ev->stack, "a stack id");
    r->type = HR_REC_EVENT;
    return 1;
}

static int dec_node(hr_dec *d, hr_record *r)
{
    uint64_t back, ipd;
    const uint8_t *at = d->p;
    GET(d, d->nodes_end, &back, "a node's parent distance");
    GET(d, d->nodes_end, &ipd, "a node's ip delta");
    if (back == 0 || back > d->next_node)
        return fail(d, at, "expected a node parent defined earlier");
    d->ip += (uint64_t)hr_unzigzag(ipd);
    r->type = HR_REC_STACK_NODE;
    r->u.node.id = d->next_node;
    r->u.node.parent = d->next_node - back;
    r->u.node.ip = d->ip;
    d->next_node++;
    if (--d->nodes_left == 0)
        d->p = d->nodes_end; /* skip bytes a later minor version appended */
    return 1;
}

static int dec_process(hr_dec *d, const uint8_t *end, hr_record *r)
{
    hr_process_info *pi = &r->u.process;
    uint64_t v;
    memset(pi, 0, sizeof *pi);
    if (get_str(d, end, &pi->recorder, "expected the recorder name") < 0)
        return HR_ERR_CORRUPT;
    GET(d, end, &v, "the process origin");
    pi->origin = (uint32_t)(v > 255 ? 255 : v);
    GET(d, end, &v, "the parent pid");
    pi->parent_pid = (uint32_t)v;
    if (get_str(d, end, &pi->parent_trace, "expected the parent trace path") < 0)
        return HR_ERR_CORRUPT;
    GET(d, end, &pi->fork_seq, "the fork sequence number");
    if (get_str(d, end, &pi->cwd, "expected the working directory") < 0)
        return HR_ERR_CORRUPT;
    GET(d, end, &pi->guard_bytes, "the guard size");
    return 0;
}

static int dec_ordered_body(hr_dec *d, unsigned type, const uint8_t *end, hr_record *r)
{
    uint64_t v;
    switch (type) {
    case HR_REC_MODULE_LOAD:
        GET(d, end, &r->u.module.id, "a module id");
        GET(d, end, &r->u.module.bias, "a load bias");
        GET(d, end, &r->u.module.start, "a module start address");
        GET(d, end, &r->u.module.end, "a module end address");
        if (get_str(d, end, &r->u.module.build_id, "expected a build-id") < 0 ||
            get_str(d, end, &r->u.module.path, "expected a module path") < 0)
            return HR_ERR_CORRUPT;
        return 0;
    case HR_REC_MODULE_UNLOAD: GET(d, end, &r->u.module.id, "a module id"); return 0;
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME:
    case HR_REC_THREAD_END:
        GET(d, end, &v, "a thread index");
        if (v == 0 || v > UINT32_MAX)
            return fail(d, d->p, "expected a thread index between 1 and 2^32-1");
        r->u.thread.index = (uint32_t)v;
        if (type == HR_REC_THREAD_START) {
            GET(d, end, &v, "a thread id");
            r->u.thread.tid = (uint32_t)v;
        }
        if (type != HR_REC_THREAD_END)
            return get_str(d, end, &r->u.thread.name, "expected a thread name");
        return 0;
    case HR_REC_MARK:
    case HR_REC_STOPPED: return get_str(d, end, &r->u.text, "expected a text");
    case HR_REC_FORK:
        GET(d, end, &v, "a child pid");
        r->u.fork.child_pid = (uint32_t)v;
        return 0;
    case HR_REC_EXEC:
        if (get_str(d, end, &r->u.exec.path, "expected an exec path") < 0)
            return HR_ERR_CORRUPT;
        GET(d, end, &v, "an exec result");
        r->u.exec.result = hr_unzigzag(v);
        return 0;
    default: return 0; /* unknown ordered type: prefix only */
    }
}

static int dec_typed(hr_dec *d, uint8_t tag, hr_record *r)
{
    const uint8_t *at = d->p - 1;
    uint64_t len;
    GET(d, d->end, &len, "a record length");
    if (len > (uint64_t)(d->end - d->p))
        return fail(d, at, "expected a record body inside the chunk");
    const uint8_t *end = d->p + len;
    memset(&r->u, 0, sizeof r->u);
    r->type = tag;
    int rc = 0;
    if (tag == HR_REC_STACK_NODES) {
        GET(d, end, &d->nodes_left, "a node count");
        if (d->nodes_left == 0 || d->nodes_left > len)
            return fail(d, at, "expected between 1 and body-size nodes");
        d->nodes_end = end;
        return dec_node(d, r);
    }
    if (tag == HR_REC_PROCESS_INFO) {
        rc = dec_process(d, end, r);
    } else if (hr_rec_type_is_ordered(tag)) {
        uint64_t th, sd, td;
        GET(d, end, &th, "a thread index");
        GET(d, end, &sd, "a sequence delta");
        GET(d, end, &td, "a time delta");
        if (th > UINT32_MAX)
            return fail(d, at, "expected a thread index below 2^32");
        if ((rc = advance_seq(d, at, sd, td)) < 0)
            return rc;
        d->thread = (uint32_t)th;
        rc = dec_ordered_body(d, tag, end, r);
    }
    if (rc < 0)
        return rc;
    d->p = end;
    return 1;
}

int hr_dec_next(hr_dec *d, hr_record *r)
{
    if (d->nodes_left)
        return dec_node(d, r);
    if (d->p >= d->end)
        return 0;
    uint8_t tag = *d->p++;
    int rc;
    if (tag & 0x80)
        rc = dec_event(d, tag, r);
    else if (tag == 0)
        return fail(d, d->p - 1, "expected a record tag, found 0x00");
    else
        rc = dec_typed(d, tag, r);
    if (rc > 0 && (r->type == HR_REC_EVENT || hr_rec_type_is_ordered(r->type))) {
        r->thread = d->thread;
        r->seq = d->seq;
        r->time_ns = d->time;
    }
    return rc;
}
