/* SPDX-License-Identifier: MIT */
/* Chunk decoder (formats/SPEC.md 5): one cursor per column, the site dictionaries and the pointer
 * model replayed exactly as the writer kept them. Every read is bounded; a chunk that breaks a
 * rule ends with the record index, the column and what was expected. */
#include "internal.h"
#include "varint.h"

static const char *const column_names[HR_NCOL] = {
    "TAG",      "ORDER",     "ORDER+", "TIME",  "TIME+", "XFLAGS", "XFLAGS+", "SITE",  "SITE+", "FSITE", "FSITE+",
    "NEWSTACK", "NEWSTACK+", "APTR",   "APTR+", "FPTR",  "FPTR+",  "SIZE",    "SIZE+", "AUX",   "AUX+",  "TYPED"};

const char *hr_column_name(int col)
{
    return col >= 0 && col < HR_NCOL ? column_names[col] : "header";
}

int hr_dec_init(hr_dec *d, const hr_alloc *a)
{
    memset(d, 0, sizeof *d);
    HR_FORWARD(hr_model_init(&d->model, a));
    int rc = hr_sites_init(&d->sites, a);
    if (rc < 0)
        hr_model_free(&d->model);
    return rc;
}

void hr_dec_free(hr_dec *d)
{
    const hr_alloc *a = d->model.alloc;
    if (a && d->model.ord_ptr)
        a->free(a->opaque, d->model.ord_ptr);
    d->model.ord_ptr = NULL;
    hr_model_free(&d->model);
    hr_sites_free(&d->sites);
}

static int fail(hr_dec *d, int col, const char *why)
{
    d->why = why;
    d->err_col = col;
    d->err_rec = d->done;
    return HR_ERR_CORRUPT;
}

/* Prepares the model's ordinal index for up to nrec allocations. */
static int prepare(hr_dec *d, uint64_t nrec, uint64_t next_node)
{
    hr_model *m = &d->model;
    if (nrec > m->ord_cap) {
        const hr_alloc *a = m->alloc;
        uint64_t *p = a->alloc(a->opaque, nrec * sizeof *p);
        if (!p)
            return HR_ERR_NOMEM;
        if (m->ord_ptr)
            a->free(a->opaque, m->ord_ptr);
        m->ord_ptr = p;
    }
    m->ord_cap = nrec; /* an allocation beyond the chunk's records is corrupt */
    hr_model_reset(m);
    hr_sites_reset(&d->sites);
    d->nrec = nrec;
    d->done = 0;
    d->seq = d->time = d->ip = d->newstack = 0;
    d->thread = 0;
    d->nodes_left = 0;
    d->next_node = next_node;
    d->why = NULL;
    return 0;
}

int hr_dec_open_cols(hr_dec *d, uint64_t nrec, const uint8_t *const cols[HR_NCOL], const size_t lens[HR_NCOL],
                     uint64_t next_node)
{
    if (nrec > HR_CHUNK_RECORDS_MAX)
        return fail(d, -1, "expected at most 262144 records in a chunk");
    if (lens[HR_COL_TAG] != nrec)
        return fail(d, HR_COL_TAG, "expected one tag byte per record");
    HR_FORWARD(prepare(d, nrec, next_node));
    for (int c = 0; c < HR_NCOL; c++) {
        d->start[c] = d->p[c] = cols[c];
        d->end[c] = cols[c] + lens[c];
    }
    return 0;
}

int hr_dec_open(hr_dec *d, const uint8_t *raw, size_t len, uint64_t next_node)
{
    const uint8_t *p = raw, *end = raw + len;
    uint64_t nrec, ncol, size;
    const uint8_t *cols[HR_NCOL];
    size_t lens[HR_NCOL];
    d->done = 0;
    if (hr_get_varint(&p, end, &nrec) < 0 || hr_get_varint(&p, end, &ncol) < 0)
        return fail(d, -1, "expected the record and column counts of the chunk");
    if (ncol < HR_NCOL || ncol > 64)
        return fail(d, -1, "expected between 22 and 64 columns");
    uint64_t sizes[64], total = 0;
    for (uint64_t c = 0; c < ncol; c++) {
        if (hr_get_varint(&p, end, &size) < 0 || size > len)
            return fail(d, -1, "expected the column sizes of the chunk");
        sizes[c] = size;
        total += size;
    }
    if (total != (uint64_t)(end - p))
        return fail(d, -1, "expected the column sizes to add up to the chunk's size");
    for (int c = 0; c < HR_NCOL; c++) {
        cols[c] = p;
        lens[c] = (size_t)sizes[c];
        p += sizes[c];
    }
    return hr_dec_open_cols(d, nrec, cols, lens, next_node);
}

/* Reads one split varint (low column c) of the current record. */
#define GET(d, c, out, what)                                                                              \
    do {                                                                                                  \
        if (hr_get_varint_split(&(d)->p[c], (d)->end[c], &(d)->p[(c) + 1], (d)->end[(c) + 1], (out)) < 0) \
            return fail((d), (c), "expected " what);                                                      \
    } while (0)

static int size_present(unsigned kind, uint32_t xflags)
{
    return !hr_kind_is_free(kind) || (xflags & HR_XF_SIZED);
}

static int align_present(unsigned kind, uint32_t xflags)
{
    return hr_kind_has_align(kind) || (xflags & HR_XF_ALIGNED);
}

static int advance(hr_dec *d, int col, uint64_t seq_delta, uint64_t time_delta)
{
    if (seq_delta == 0 || d->seq + seq_delta < d->seq)
        return fail(d, col, "expected a strictly increasing sequence number");
    if (d->time + time_delta < d->time)
        return fail(d, col, "expected a timestamp that fits in 64 bits");
    d->seq += seq_delta;
    d->time += time_delta;
    return 0;
}

static int dec_order(hr_dec *d, uint8_t tag, hr_event *ev)
{
    uint64_t v, gap = 0, tdelta, xf = 0;
    if (tag & 0x10) {
        GET(d, HR_COL_ORDER, &v, "a thread index");
        if (v == 0 || v > UINT32_MAX)
            return fail(d, HR_COL_ORDER, "expected a thread index between 1 and 2^32-1");
        d->thread = (uint32_t)v;
    }
    if (tag & 0x20)
        GET(d, HR_COL_ORDER, &gap, "a sequence gap");
    GET(d, HR_COL_TIME, &tdelta, "a time delta");
    if (gap == UINT64_MAX)
        return fail(d, HR_COL_ORDER, "expected a sequence gap below 2^64-1");
    HR_FORWARD(advance(d, HR_COL_ORDER, gap + 1, tdelta));
    if (tag & 0x40) {
        GET(d, HR_COL_XFLAGS, &xf, "event xflags");
        if (xf & ~(uint64_t)HR_XF_KNOWN)
            return fail(d, HR_COL_XFLAGS, "expected xflags without reserved bits");
    }
    ev->xflags = (uint32_t)xf;
    return 0;
}

static int dec_site(hr_dec *d, hr_event *ev)
{
    uint64_t site, delta;
    int col = hr_kind_is_free(ev->kind) ? HR_COL_FSITE : HR_COL_SITE;
    GET(d, col, &site, "a site");
    if (site == d->sites.n[ev->kind]) {
        GET(d, HR_COL_NEWSTACK, &delta, "a new site's stack id");
        ev->stack = d->newstack + (uint64_t)hr_unzigzag(delta);
        d->newstack = ev->stack;
        return hr_sites_append(&d->sites, ev->kind, ev->stack);
    }
    if (hr_sites_lookup(&d->sites, ev->kind, site, &ev->stack) < 0)
        return fail(d, col, "expected a site of this kind's dictionary or the next new one");
    return 0;
}

static int dec_free(hr_dec *d, int release, uint64_t *p)
{
    uint64_t code, escaped = 0;
    GET(d, HR_COL_FPTR, &code, "a free code");
    if (hr_model_free_escaped(code))
        GET(d, HR_COL_FPTR, &escaped, "a pointer after an escape code");
    if (hr_model_free_decode(&d->model, code, escaped, release, p) < 0)
        return fail(d, HR_COL_FPTR, "expected a free code the pointer model allows");
    return 0;
}

static int dec_pointers(hr_dec *d, hr_event *ev)
{
    unsigned k = ev->kind;
    uint64_t code, escaped = 0;
    if (hr_kind_is_realloc(k))
        HR_FORWARD(dec_free(d, !(ev->xflags & (HR_XF_FAILED | HR_XF_INCOMPLETE)), &ev->old_ptr));
    if (hr_kind_is_free(k))
        return dec_free(d, 1, &ev->ptr);
    GET(d, HR_COL_APTR, &code, "an allocation code");
    if (hr_model_alloc_escaped(code))
        GET(d, HR_COL_APTR, &escaped, "a pointer after an escape code");
    int rc = hr_model_alloc_decode(&d->model, code, escaped, hr_event_bytes(ev), &ev->ptr);
    if (rc == HR_ERR_NOMEM)
        return rc;
    if (rc < 0)
        return fail(d, HR_COL_APTR, "expected an allocation code the pointer model allows");
    return 0;
}

static int dec_event(hr_dec *d, uint8_t tag, hr_record *r)
{
    unsigned k = tag & 0x0f;
    hr_event *ev = &r->u.event;
    if (k == 0 || k >= HR_KIND_COUNT)
        return fail(d, HR_COL_TAG, "expected an event kind between 1 and 14");
    memset(ev, 0, sizeof *ev);
    ev->kind = k;
    HR_FORWARD(dec_order(d, tag, ev));
    HR_FORWARD(dec_site(d, ev));
    if (size_present(k, ev->xflags))
        GET(d, HR_COL_SIZE, &ev->size, "a size");
    if (hr_kind_has_count(k))
        GET(d, HR_COL_AUX, &ev->count, "an element count");
    if (align_present(k, ev->xflags))
        GET(d, HR_COL_AUX, &ev->align, "an alignment");
    HR_FORWARD(dec_pointers(d, ev));
    if (ev->xflags & HR_XF_FAILED)
        GET(d, HR_COL_AUX, &ev->err, "an errno value");
    if (ev->xflags & HR_XF_FREE_SEQ) {
        uint64_t v;
        GET(d, HR_COL_AUX, &v, "a free sequence distance");
        if (v >= d->seq)
            return fail(d, HR_COL_AUX, "expected a free sequence number before the event's");
        ev->free_seq = d->seq - v;
    }
    r->type = HR_REC_EVENT;
    return 1;
}

/* ---- typed records ---- */

static int body_varint(hr_dec *d, const uint8_t **p, const uint8_t *end, uint64_t *v, const char *why)
{
    return hr_get_varint(p, end, v) < 0 ? fail(d, HR_COL_TYPED, why) : 0;
}

static int body_str(hr_dec *d, const uint8_t **p, const uint8_t *end, hr_str *s, const char *why)
{
    uint64_t n;
    if (hr_get_varint(p, end, &n) < 0 || n > (uint64_t)(end - *p))
        return fail(d, HR_COL_TYPED, why);
    s->ptr = (const char *)*p;
    s->len = (size_t)n;
    *p += n;
    return 0;
}

#define BV(out, why) HR_FORWARD(body_varint(d, &p, end, (out), "expected " why))
#define BS(out, why) HR_FORWARD(body_str(d, &p, end, (out), "expected " why))

static int dec_node(hr_dec *d, hr_record *r)
{
    const uint8_t *p = d->nodes_p, *end = d->nodes_end;
    uint64_t back, ipd;
    BV(&back, "a node's parent distance");
    BV(&ipd, "a node's ip delta");
    if (back == 0 || back > d->next_node)
        return fail(d, HR_COL_TYPED, "expected a node parent defined earlier");
    d->nodes_p = p;
    d->ip += (uint64_t)hr_unzigzag(ipd);
    r->type = HR_REC_STACK_NODE;
    r->u.node.id = d->next_node;
    r->u.node.parent = d->next_node - back;
    r->u.node.ip = d->ip;
    d->next_node++;
    d->nodes_left--;
    return 1;
}

static int dec_process(hr_dec *d, const uint8_t *p, const uint8_t *end, hr_record *r)
{
    hr_process_info *pi = &r->u.process;
    uint64_t v;
    BS(&pi->recorder, "the recorder name");
    BV(&v, "the process origin");
    pi->origin = (uint32_t)(v > 255 ? 255 : v);
    BV(&v, "the parent pid");
    pi->parent_pid = (uint32_t)v;
    BS(&pi->parent_trace, "the parent trace path");
    BV(&pi->fork_seq, "the fork sequence number");
    BS(&pi->cwd, "the working directory");
    BV(&pi->guard_bytes, "the guard size");
    return 0;
}

static int dec_thread(hr_dec *d, unsigned type, const uint8_t *p, const uint8_t *end, hr_record *r)
{
    uint64_t v;
    BV(&v, "a thread index");
    if (v == 0 || v > UINT32_MAX)
        return fail(d, HR_COL_TYPED, "expected a thread index between 1 and 2^32-1");
    r->u.thread.index = (uint32_t)v;
    if (type == HR_REC_THREAD_START) {
        BV(&v, "a thread id");
        r->u.thread.tid = (uint32_t)v;
    }
    if (type != HR_REC_THREAD_END)
        BS(&r->u.thread.name, "a thread name");
    return 0;
}

/* The end of EXEC and SPAWN: path, result, and flags (format 1.1; absent before). */
static int dec_image(hr_dec *d, const uint8_t *p, const uint8_t *end, hr_record *r)
{
    uint64_t v;
    BS(&r->u.exec.path, "a program path");
    BV(&v, "a result");
    r->u.exec.result = hr_unzigzag(v);
    if (p < end) {
        BV(&v, "image flags");
        r->u.exec.flags = (uint32_t)v;
    }
    return 0;
}

static int dec_ordered_body(hr_dec *d, unsigned type, const uint8_t *p, const uint8_t *end, hr_record *r)
{
    uint64_t v;
    switch (type) {
    case HR_REC_MODULE_LOAD:
        BV(&r->u.module.id, "a module id");
        BV(&r->u.module.bias, "a load bias");
        BV(&r->u.module.start, "a module start address");
        BV(&r->u.module.end, "a module end address");
        BS(&r->u.module.build_id, "a build-id");
        BS(&r->u.module.path, "a module path");
        return 0;
    case HR_REC_MODULE_UNLOAD: BV(&r->u.module.id, "a module id"); return 0;
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME:
    case HR_REC_THREAD_END: return dec_thread(d, type, p, end, r);
    case HR_REC_MARK:
    case HR_REC_STOPPED: BS(&r->u.text, "a text"); return 0;
    case HR_REC_FORK:
        BV(&v, "a child pid");
        r->u.fork.child_pid = (uint32_t)v;
        return 0;
    case HR_REC_EXEC: return dec_image(d, p, end, r);
    case HR_REC_SPAWN:
        BV(&v, "a child pid");
        r->u.exec.child_pid = (uint32_t)v;
        return dec_image(d, p, end, r);
    case HR_REC_GUARD:
    case HR_REC_GUARD_BEFORE:
        BV(&r->u.guard.ptr, "a guarded pointer");
        BV(&r->u.guard.size, "a guarded size");
        BS(&r->u.guard.found, "a guard zone");
        return 0;
    case HR_REC_MALLOPT:
        BV(&v, "a mallopt command");
        r->u.mallopt.param = hr_unzigzag(v);
        BV(&v, "a mallopt value");
        r->u.mallopt.value = hr_unzigzag(v);
        BV(&v, "a mallopt result");
        r->u.mallopt.result = hr_unzigzag(v);
        return 0;
    case HR_REC_FREED_WRITE:
        BV(&r->u.freed.ptr, "a freed pointer");
        BV(&r->u.freed.offset, "an offset into a freed block");
        BV(&r->u.freed.bytes, "a count of bytes written");
        BS(&r->u.freed.found, "the bytes of a freed block");
        return 0;
    case HR_REC_ACCESS:
        BV(&r->u.access.ptr, "a block pointer");
        BV(&r->u.access.size, "a block size");
        BV(&r->u.access.at, "an accessed address");
        BV(&r->u.access.len, "an accessed length");
        BV(&v, "an access function");
        if (v > UINT32_MAX)
            return fail(d, HR_COL_TYPED, "expected an access function below 2^32");
        r->u.access.what = (uint32_t)v;
        BV(&r->u.access.stack, "a stack id");
        return 0;
    default: return 0; /* unknown ordered type: prefix only */
    }
}

static int dec_ordered(hr_dec *d, unsigned type, const uint8_t *p, const uint8_t *end, hr_record *r)
{
    uint64_t th, sd, td;
    BV(&th, "a thread index");
    BV(&sd, "a sequence delta");
    BV(&td, "a time delta");
    if (th > UINT32_MAX)
        return fail(d, HR_COL_TYPED, "expected a thread index below 2^32");
    HR_FORWARD(advance(d, HR_COL_TYPED, sd, td));
    d->thread = (uint32_t)th;
    return dec_ordered_body(d, type, p, end, r);
}

static int dec_typed(hr_dec *d, uint8_t tag, hr_record *r)
{
    uint64_t len;
    if (hr_get_varint(&d->p[HR_COL_TYPED], d->end[HR_COL_TYPED], &len) < 0)
        return fail(d, HR_COL_TYPED, "expected a record length");
    if (len > (uint64_t)(d->end[HR_COL_TYPED] - d->p[HR_COL_TYPED]))
        return fail(d, HR_COL_TYPED, "expected a record body inside the column");
    const uint8_t *p = d->p[HR_COL_TYPED], *end = p + len;
    d->p[HR_COL_TYPED] = end;
    memset(&r->u, 0, sizeof r->u);
    r->type = tag;
    if (tag == HR_REC_STACK_NODES) {
        BV(&d->nodes_left, "a node count");
        if (d->nodes_left == 0 || d->nodes_left > len)
            return fail(d, HR_COL_TYPED, "expected between 1 and body-size nodes");
        d->nodes_p = p;
        d->nodes_end = end;
        return dec_node(d, r);
    }
    int rc = 0;
    if (tag == HR_REC_PROCESS_INFO)
        rc = dec_process(d, p, end, r);
    else if (hr_rec_type_is_ordered(tag))
        rc = dec_ordered(d, tag, p, end, r);
    return rc < 0 ? rc : 1;
}

static int check_consumed(hr_dec *d)
{
    for (int c = 0; c < HR_NCOL; c++)
        if ((!d->typed_only || c == HR_COL_TAG || c == HR_COL_TYPED) && d->p[c] != d->end[c])
            return fail(d, c, "expected no bytes after the last record's fields");
    return 0;
}

/* Typed-only decoding: past the events before the next typed record, looking only at their tag
 * bytes (high bit set), eight at a time while all eight are events. */
static void skip_events(hr_dec *d)
{
    const uint8_t *p = d->p[HR_COL_TAG];
    uint64_t left = d->nrec - d->done, w;
    while (left >= 8) {
        memcpy(&w, p, 8);
        if ((w & 0x8080808080808080ull) != 0x8080808080808080ull)
            break;
        p += 8;
        left -= 8;
    }
    while (left && (*p & 0x80)) {
        p++;
        left--;
    }
    d->p[HR_COL_TAG] = p;
    d->done = d->nrec - left;
}

int hr_dec_next(hr_dec *d, hr_record *r)
{
    if (d->nodes_left)
        return dec_node(d, r);
    if (d->typed_only)
        skip_events(d);
    if (d->done == d->nrec)
        return check_consumed(d);
    uint8_t tag = *d->p[HR_COL_TAG]++;
    int rc;
    if (tag & 0x80)
        rc = dec_event(d, tag, r);
    else if (tag == 0)
        return fail(d, HR_COL_TAG, "expected a record tag, found 0x00");
    else
        rc = dec_typed(d, tag, r);
    if (rc > 0) {
        d->done++;
        if (r->type == HR_REC_EVENT || hr_rec_type_is_ordered(r->type)) {
            r->thread = d->thread;
            r->seq = d->seq;
            r->time_ns = d->time;
        }
    }
    return rc;
}
