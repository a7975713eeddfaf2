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
            hr_stage_rec_size(event ? hr_stage_rec_frames(r) : r->depth, n1, n2) > len) {
            *bad = 1;
            return NULL;
        }
        return r;
    }
    return NULL;
}

/* Interns a record's stack. An unwound record leaves out the outermost frames it shares with the
 * previous unwound record of its ring: their node ids are in path[]. More frames are often shared
 * (the producer only counts those it proved unchanged): those equal to the previous record's are
 * not looked up either. If the shared frames are unknown (a staging file damaged on disk) the
 * stack is interned from its inner frames alone. */
static int intern(hr_stage *st, hr_writer *w, uint32_t i, const hr_stage_rec *r, uint64_t *stack)
{
    hr_stage_consumer *c = st->cons[i];
    const uint64_t *frames = (const uint64_t *)(r + 1);
    if (!(r->s1 & HR_STAGE_UNWOUND))
        return hr_writer_intern(w, frames, r->depth, 0, st->scratch, stack);
    uint32_t keep = hr_stage_rec_shared(r), depth = r->depth;
    if (keep > c->prev_depth || (keep && c->path[keep - 1] > hr_writer_node_count(w))) {
        c->prev_depth = c->ips_depth = 0;
        return hr_writer_intern(w, frames, depth - keep, 0, st->scratch, stack);
    }
    uint32_t known = c->ips_depth < depth ? c->ips_depth : depth;
    while (keep < known && c->ips[keep] == frames[depth - 1 - keep])
        keep++;
    int rc = hr_writer_intern(w, frames, depth, keep, c->path, stack);
    if (rc < 0) {
        c->prev_depth = c->ips_depth = 0;
        return rc;
    }
    for (uint32_t j = keep; j < depth; j++)
        c->ips[j] = frames[depth - 1 - j];
    c->prev_depth = depth;
    /* ips[] holds every frame if it held the shared ones (not so after a recovery started here) */
    c->ips_depth = c->ips_depth >= hr_stage_rec_shared(r) ? depth : 0;
    return 0;
}

static int emit_event(hr_stage *st, hr_writer *w, const hr_stage_cursor *c, const hr_stage_rec *r, uint64_t seq,
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
    HR_FORWARD(intern(st, w, c->ring, r, &ev.stack));
    return hr_writer_event(w, c->thread, seq, time, &ev);
}

static hr_str str_at(const hr_stage_rec *r, uint32_t which)
{
    const char *base = (const char *)(r + 1) + r->depth * 8u;
    return which == 1 ? (hr_str){base, r->s1} : (hr_str){base + r->s1, r->s2};
}

static int emit_typed(hr_stage *st, hr_writer *w, const hr_stage_cursor *c, const hr_stage_rec *r, uint64_t seq,
                      uint64_t time)
{
    hr_record rec;
    memset(&rec, 0, sizeof rec);
    rec.thread = c->thread;
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
    case HR_REC_SPAWN:
        rec.u.exec.path = str_at(r, 1);
        rec.u.exec.result = (int64_t)r->a[0];
        rec.u.exec.flags = (uint32_t)r->a[1];
        rec.u.exec.child_pid = (uint32_t)r->a[2];
        break;
    case HR_REC_GUARD:
    case HR_REC_GUARD_BEFORE:
        rec.u.guard.ptr = r->a[0];
        rec.u.guard.size = r->a[1];
        rec.u.guard.found = str_at(r, 1);
        break;
    case HR_REC_MALLOPT:
        rec.u.mallopt.param = (int64_t)r->a[0];
        rec.u.mallopt.value = (int64_t)r->a[1];
        rec.u.mallopt.result = (int64_t)r->a[2];
        break;
    case HR_REC_FREED_WRITE:
        rec.u.freed.ptr = r->a[0];
        rec.u.freed.offset = r->a[1];
        rec.u.freed.bytes = r->a[2];
        rec.u.freed.found = str_at(r, 1);
        break;
    case HR_REC_ACCESS: /* its frames are whole (never shared with the ring's events) */
        rec.u.access.ptr = r->a[0];
        rec.u.access.size = r->a[1];
        rec.u.access.at = r->a[2];
        rec.u.access.len = r->a[3];
        rec.u.access.what = (uint32_t)r->a[4];
        HR_FORWARD(hr_writer_intern(w, (const uint64_t *)(r + 1), r->depth, 0, st->scratch, &rec.u.access.stack));
        break;
    default: return 0; /* unknown staged type: nothing to write */
    }
    return hr_writer_ordered(w, r->type, &rec);
}

static int emit(hr_stage *st, hr_writer *w, const hr_stage_cursor *c, const hr_stage_rec *r, uint64_t seq)
{
    uint64_t time = st->hdr->time_unit_ns == 1000 ? r->time / 1000 : r->time / st->hdr->time_unit_ns;
    if (time < st->last_time)
        time = st->last_time; /* clocks read on different threads may disagree slightly */
    st->last_time = time;
    st->max_seq = seq;
    st->emitted++;
    if (r->type >= 1 && r->type < HR_KIND_COUNT)
        return emit_event(st, w, c, r, seq, time);
    return emit_typed(st, w, c, r, seq, time);
}

/* A record not written still defines the frames the ring's next records share. */
static void follow(hr_stage *st, hr_writer *w, const hr_stage_cursor *c, const hr_stage_rec *r)
{
    uint64_t stack;
    if (r->type >= 1 && r->type < HR_KIND_COUNT && (r->s1 & HR_STAGE_UNWOUND) && intern(st, w, c->ring, r, &stack) < 0)
        st->cons[c->ring]->prev_depth = st->cons[c->ring]->ips_depth = 0;
}

/* Saves the consumer's stack state at its cursor in the copy not in use, then switches to it. */
static void save_state(hr_ring_header *h, const hr_stage_consumer *c)
{
    uint32_t next = !h->saved_index;
    hr_stage_saved *sv = &h->saved[next];
    uint32_t depth = c->prev_depth <= HR_STAGE_SAVED_PATH ? c->prev_depth : 0;
    sv->at = c->cursor;
    sv->depth = depth;
    memcpy(sv->path, c->path, depth * sizeof *sv->path);
    __atomic_store_n(&h->saved_index, next, __ATOMIC_RELEASE);
}

/* Publishes how much of the chunk recovery may use, then gives the ring space back. Recovery
 * starts a ring at its saved state: that state is written after the chunk it depends on, and
 * before the space is given back. */
static void commit(hr_stage *st, hr_writer *w, const hr_stage_cursor *cur, uint32_t n)
{
    hr_stage_commit_chunk(st, w);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = cur[k].ring;
        hr_ring_header *h = st->rings[i].h;
        if (h->tail == st->cons[i]->cursor)
            continue;
        save_state(h, st->cons[i]);
        __atomic_store_n(&h->tail, st->cons[i]->cursor, __ATOMIC_RELEASE);
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
        cur[n++] = (hr_stage_cursor){i, st->rings[i].h->thread_index, head};
    }
    return n;
}

/* The record after the cursor of the ring the last record came from is likely the next one
 * emitted: the map slots its pointers will look up are loaded while this one is coded, and the
 * ring's lines further on too. Only hints: nothing read here is trusted. */
#define PREFETCH_LINES 512

static void prefetch_next(hr_stage *st, hr_writer *w, const hr_stage_cursor *cur)
{
    uint64_t cursor = st->cons[cur->ring]->cursor, size = st->hdr->ring_data_size, off = cursor & (size - 1);
    const uint8_t *data = st->rings[cur->ring].data;
    if (cur->head - cursor < HR_STAGE_REC_FIXED || (off & 7) || size - off < HR_STAGE_REC_FIXED)
        return;
    if (cur->head - cursor > PREFETCH_LINES + 64)
        __builtin_prefetch(data + ((cursor + PREFETCH_LINES) & (size - 1)));
    const hr_stage_rec *r = (const hr_stage_rec *)(data + off);
    if (r->type >= 1 && r->type < HR_KIND_COUNT) {
        hr_writer_prefetch(w, r->a[0]);
        hr_writer_prefetch(w, r->a[1]);
    }
}

/* Records taken between two commits within one drain (a power of 2). */
#define COMMIT_EVERY 512

int64_t hr_stage_drain(hr_stage *st, hr_writer *w, uint64_t horizon)
{
    hr_stage_cursor *cur = st->cur;
    int damaged = 0;
    uint32_t n = snapshot(st, cur, &damaged);
    int64_t before = (int64_t)st->emitted;
    int rc = damaged ? HR_ERR_CORRUPT : 0;
    uint32_t taken = 0;
    for (;;) {
        const hr_stage_rec *best = NULL;
        uint32_t bi = 0, bk = 0;
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
                bk = k;
            }
        }
        if (!best)
            break;
        if (!(++taken & (COMMIT_EVERY - 1)))
            commit(st, w, cur, n); /* gives room back to the producers while draining */
        st->cons[bi]->cursor += best->len;
        prefetch_next(st, w, &cur[bk]);
        if (best->seq == 0 || best->seq <= st->max_seq) {
            follow(st, w, &cur[bk], best); /* already in the trace (recovery) or never numbered */
            continue;
        }
        int erc = emit(st, w, &cur[bk], best, best->seq);
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
    return !(off & 7) && size - off >= HR_STAGE_REC_FIXED && r->len >= HR_STAGE_REC_FIXED && !(r->len & 7) &&
           r->len <= size - off && r->depth <= HR_MAX_DEPTH &&
           hr_stage_rec_size(hr_stage_rec_frames(r), 0, 0) <= r->len && r->type >= 1 && r->type < HR_KIND_COUNT;
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
        hr_stage_cursor c = {i, h->thread_index, h->head};
        int rc = emit(st, w, &c, r, st->max_seq + 1);
        if (rc == HR_ERR_ARG && st->lenient)
            st->dropped++;
        else if (rc < 0)
            return rc;
        h->pending = 0;
    }
    hr_stage_commit_chunk(st, w);
    return (int64_t)st->emitted - before;
}
