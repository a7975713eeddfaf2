/* SPDX-License-Identifier: MIT */
/* Draining the staging rings into a writer: a merge of the per-thread rings by sequence number
 * up to a horizon below which every record is known to be published, conversion of staged records
 * to trace records, stack interning that reuses the outer frames a thread repeated, and the
 * bookkeeping that lets recovery after a crash neither lose nor duplicate a record. */
#include <heaprr/stage.h>

#include "internal.h"

/* Returns the record at the consumer's cursor, skipping padding, or NULL if the ring has no
 * complete record before head. A record that cannot be valid ends the ring (*bad set). */
static const hr_stage_rec *peek(hr_stage *st, uint32_t i, uint64_t head, int *bad)
{
    hr_stage_consumer *c = st->cons[i];
    uint64_t size = st->hdr->ring_data_size;
    while (c->cursor < head) {
        uint64_t off = c->cursor & (size - 1);
        const hr_stage_rec *r = (const hr_stage_rec *)(st->rings[i].data + off);
        uint32_t len = r->len;
        if (len < 8 || (len & 7) || len > size - off || len > head - c->cursor) {
            *bad = 1;
            return NULL;
        }
        if (r->type == HR_STAGE_PAD) {
            c->cursor += len;
            continue;
        }
        int event = r->type >= 1 && r->type < HR_KIND_COUNT;
        uint32_t n1 = event ? 0 : r->s1, n2 = event ? 0 : r->s2;
        if (len < HR_STAGE_REC_FIXED || n1 > len || n2 > len || r->depth > HR_MAX_DEPTH ||
            hr_stage_rec_size(r->depth, n1, n2) > len) {
            *bad = 1;
            return NULL;
        }
        return r;
    }
    return NULL;
}

/* Interns a record's stack. An unwound record says how many outermost frames it shares with the
 * previous unwound record of its thread: their node ids are reused from path[] and only the inner
 * frames are looked up. The hint cannot reach back past what this consumer saw (a recovery starts
 * mid-ring), and everything else is interned whole. */
static int intern(hr_stage *st, hr_writer *w, uint32_t i, const hr_stage_rec *r, uint64_t *stack)
{
    hr_stage_consumer *c = st->cons[i];
    const uint64_t *frames = (const uint64_t *)(r + 1);
    if (!(r->s1 & HR_STAGE_UNWOUND))
        return hr_writer_intern(w, frames, r->depth, 0, st->scratch, stack);
    uint32_t keep = r->s2 <= c->prev_depth && r->s2 <= r->depth ? r->s2 : 0;
    int rc = hr_writer_intern(w, frames, r->depth, keep, c->path, stack);
    c->prev_depth = rc < 0 ? 0 : r->depth;
    return rc;
}

static int emit_event(hr_stage *st, hr_writer *w, uint32_t i, const hr_stage_rec *r, uint64_t seq,
                      uint64_t time)
{
    hr_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = r->type;
    ev.xflags = r->xflags;
    ev.ptr = r->a[0];
    ev.old_ptr = r->a[1];
    ev.size = r->a[2];
    if (hr_kind_has_count(r->type))
        ev.count = r->a[3];
    else if (hr_kind_has_align(r->type) || (r->xflags & HR_XF_ALIGNED))
        ev.align = r->a[3];
    ev.err = r->a[4];
    ev.free_seq = r->a[5];
    if ((ev.xflags & HR_XF_FREE_SEQ) && (ev.free_seq == 0 || ev.free_seq >= seq))
        ev.xflags &= ~HR_XF_FREE_SEQ;
    HR_FORWARD(intern(st, w, i, r, &ev.stack));
    return hr_writer_event(w, st->rings[i].h->thread_index, seq, time, &ev);
}

static hr_str str_at(const hr_stage_rec *r, uint32_t which)
{
    const char *base = (const char *)(r + 1) + r->depth * 8u;
    return which == 1 ? (hr_str){base, r->s1} : (hr_str){base + r->s1, r->s2};
}

static int emit_typed(hr_stage *st, hr_writer *w, uint32_t i, const hr_stage_rec *r, uint64_t seq,
                      uint64_t time)
{
    hr_record rec;
    memset(&rec, 0, sizeof rec);
    rec.thread = st->rings[i].h->thread_index;
    rec.seq = seq;
    rec.time_ns = time;
    switch (r->type) {
    case HR_REC_MODULE_LOAD:
        rec.u.module = (hr_module_info){r->a[0], r->a[1], r->a[2], r->a[3], str_at(r, 1), str_at(r, 2)};
        break;
    case HR_REC_MODULE_UNLOAD: rec.u.module.id = r->a[0]; break;
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME:
    case HR_REC_THREAD_END:
        rec.u.thread.index = (uint32_t)r->a[0];
        rec.u.thread.tid = (uint32_t)r->a[1];
        rec.u.thread.name = str_at(r, 1);
        break;
    case HR_REC_MARK:
    case HR_REC_STOPPED: rec.u.text = str_at(r, 1); break;
    case HR_REC_FORK: rec.u.fork.child_pid = (uint32_t)r->a[0]; break;
    case HR_REC_EXEC:
        rec.u.exec.path = str_at(r, 1);
        rec.u.exec.result = (int64_t)r->a[0];
        break;
    default: return 0; /* unknown staged type: nothing to write */
    }
    return hr_writer_ordered(w, r->type, &rec);
}

static int emit(hr_stage *st, hr_writer *w, uint32_t i, const hr_stage_rec *r, uint64_t seq)
{
    uint64_t time = st->hdr->time_unit_ns == 1000 ? r->time / 1000 : r->time / st->hdr->time_unit_ns;
    if (time < st->last_time)
        time = st->last_time; /* clocks read on different threads may disagree slightly */
    st->last_time = time;
    st->max_seq = seq;
    st->emitted++;
    if (r->type >= 1 && r->type < HR_KIND_COUNT)
        return emit_event(st, w, i, r, seq, time);
    return emit_typed(st, w, i, r, seq, time);
}

/* Publishes how much of the chunk recovery may use, then gives the ring space back. */
static void commit(hr_stage *st, hr_writer *w, const hr_stage_cursor *cur, uint32_t n)
{
    hr_stage_commit_chunk(st, w);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = cur[k].ring;
        __atomic_store_n(&st->rings[i].h->tail, st->cons[i]->cursor, __ATOMIC_RELEASE);
    }
}

/* A ring whose positions no producer could have left (unaligned, or more than a ring's worth
 * apart) is damaged: it is read no further. Only a staging file damaged on disk has one. */
static int positions_ok(const hr_stage *st, uint64_t cursor, uint64_t head)
{
    return !(cursor & 7) && !(head & 7) && head >= cursor && head - cursor <= st->hdr->ring_data_size;
}

static uint32_t snapshot(hr_stage *st, hr_stage_cursor *cur, int *bad)
{
    uint32_t n = 0, rings = __atomic_load_n(&st->mapped, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < rings; i++) {
        uint64_t head = __atomic_load_n(&st->rings[i].h->head, __ATOMIC_ACQUIRE);
        if (st->cons[i]->cursor == head)
            continue;
        if (!positions_ok(st, st->cons[i]->cursor, head)) {
            *bad = 1;
            continue;
        }
        cur[n++] = (hr_stage_cursor){i, head};
    }
    return n;
}

int64_t hr_stage_drain(hr_stage *st, hr_writer *w, uint64_t horizon)
{
    hr_stage_cursor *cur = st->cur;
    int damaged = 0;
    uint32_t n = snapshot(st, cur, &damaged);
    int64_t before = (int64_t)st->emitted;
    int rc = damaged ? HR_ERR_CORRUPT : 0;
    for (;;) {
        const hr_stage_rec *best = NULL;
        uint32_t bi = 0;
        for (uint32_t k = 0; k < n; k++) {
            int bad = 0;
            const hr_stage_rec *r = peek(st, cur[k].ring, cur[k].head, &bad);
            if (bad) {
                rc = HR_ERR_CORRUPT;
                cur[k].head = st->cons[cur[k].ring]->cursor; /* stop reading this ring */
            }
            if (r && r->seq < horizon && (!best || r->seq < best->seq)) {
                best = r;
                bi = cur[k].ring;
            }
        }
        if (!best)
            break;
        st->cons[bi]->cursor += best->len;
        if (best->seq == 0 || best->seq <= st->max_seq)
            continue; /* already in the trace (recovery) or never numbered */
        int erc = emit(st, w, bi, best, best->seq);
        if (erc == HR_ERR_ARG && st->lenient) {
            st->dropped++; /* damaged staging data: a reader would refuse this record */
            continue;
        }
        if (erc < 0) {
            rc = erc;
            break;
        }
    }
    commit(st, w, cur, n);
    return rc < 0 ? rc : (int64_t)st->emitted - before;
}

static int is_pending_valid(hr_stage *st, uint32_t i, const hr_stage_rec *r)
{
    uint64_t size = st->hdr->ring_data_size;
    uint64_t off = st->cons[i]->cursor & (size - 1);
    return !(off & 7) && size - off >= HR_STAGE_REC_FIXED && r->len >= HR_STAGE_REC_FIXED && !(r->len & 7) && r->len <= size - off &&
           r->depth <= HR_MAX_DEPTH && hr_stage_rec_size(r->depth, 0, 0) <= r->len && r->type >= 1 &&
           r->type < HR_KIND_COUNT;
}

int64_t hr_stage_drain_pending(hr_stage *st, hr_writer *w)
{
    int64_t before = (int64_t)st->emitted;
    uint32_t rings = st->mapped;
    for (uint32_t i = 0; i < rings; i++) {
        hr_ring_header *h = st->rings[i].h;
        if (!h->pending || st->cons[i]->cursor != h->head || (h->head & 7))
            continue;
        uint64_t off = h->head & (st->hdr->ring_data_size - 1);
        hr_stage_rec *r = (hr_stage_rec *)(st->rings[i].data + off);
        if (!is_pending_valid(st, i, r))
            continue;
        r->xflags |= HR_XF_INCOMPLETE;
        r->a[0] = 0;
        int rc = emit(st, w, i, r, st->max_seq + 1);
        if (rc == HR_ERR_ARG && st->lenient)
            st->dropped++;
        else if (rc < 0)
            return rc;
        h->pending = 0;
    }
    hr_stage_commit_chunk(st, w);
    return (int64_t)st->emitted - before;
}
