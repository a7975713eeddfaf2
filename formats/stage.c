/* SPDX-License-Identifier: MIT */
/* The staging file (include/heaprr/stage.h): creation and mapping, and the drain that merges the
 * per-thread rings into the writer in sequence order. The same drain serves the recorder's writer
 * thread and `heaprr recover`, so a recovered trace holds exactly what a clean exit would have. */
#define _GNU_SOURCE /* renameat2 */
#include <heaprr/stage.h>

#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static uint64_t page_align(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 4096 ? (uint64_t)p : 4096;
}

static int reserve(int fd, uint64_t off, uint64_t len)
{
    int e = posix_fallocate(fd, (off_t)off, (off_t)len);
    if (e) {
        errno = e;
        return HR_ERR_IO;
    }
    return 0;
}

/* Pages are touched one at a time as records arrive: without MADV_RANDOM the first touch of a
 * fresh (fallocated) region reads ahead, zero-filling many pages at once, which dominated the
 * start of a short-lived process. */
static void *map_at(int fd, uint64_t off, uint64_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, len, MADV_RANDOM);
    return p;
}

/* Maps the header page and the chunk; st->hdr holds the (unmapped) header describing them. */
static int map_header(hr_stage *st)
{
    uint64_t len = st->hdr->rings_offset, chunk_offset = st->hdr->chunk_offset;
    void *p = map_at(st->fd, 0, len);
    if (!p)
        return HR_ERR_IO;
    st->hdr = p;
    st->chunk = (uint8_t *)p + chunk_offset;
    return 0;
}

/* Clears a stage whose fields are valid, writing only the ring entries in use (the others stay
 * zero) and not the drain's scratch: a forked child's recorder closes and re-creates its stage,
 * and each page it writes is a page the kernel copies. */
static void clear(hr_stage *st)
{
    uint32_t n = st->mapped;
    memset(st->rings, 0, n * sizeof *st->rings);
    memset(st->cons, 0, n * sizeof *st->cons);
    memset(st, 0, offsetof(hr_stage, rings));
    memset(&st->mapped, 0, offsetof(hr_stage, cur) - offsetof(hr_stage, mapped));
    st->fd = -1;
}

static int create(hr_stage *st, const char *path, const char *trace_path, uint64_t ring_data_size,
                  uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc, int reuse);

int hr_stage_create(hr_stage *st, const char *path, const char *trace_path, uint64_t ring_data_size,
                    uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc)
{
    memset(st, 0, sizeof *st);
    return create(st, path, trace_path, ring_data_size, chunk_size, time_unit_ns, alloc, 0);
}

int hr_stage_recreate(hr_stage *st, const char *path, const char *trace_path, uint64_t ring_data_size,
                      uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc)
{
    return create(st, path, trace_path, ring_data_size, chunk_size, time_unit_ns, alloc, 0);
}

void hr_stage_spare_path(const char *trace_path, unsigned k, char *out, size_t cap)
{
    const char *slash = strrchr(trace_path, '/');
    int dir = slash ? (int)(slash - trace_path) : 1;
    snprintf(out, cap, "%.*s/.heaprr-spare-%u.stage", dir, slash ? (slash == trace_path ? "/" : trace_path) : ".", k);
}

int hr_stage_adopt(hr_stage *st, const char *spare, const char *path, const char *trace_path,
                   uint64_t ring_data_size, uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc)
{
    if (renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_NOREPLACE) != 0)
        return HR_ERR_IO;
    int rc = create(st, path, trace_path, ring_data_size, chunk_size, time_unit_ns, alloc, 1);
    if (rc < 0)
        unlink(path); /* whatever went wrong with it, it is nobody's now */
    return rc;
}

int hr_stage_retire(hr_stage *st, const char *spare)
{
    HR_RETURN_IF(!st->hdr || st->fd < 0, HR_ERR_STATE);
    memset(st->hdr->magic, 0, sizeof st->hdr->magic); /* no recovery will read it as a process's */
    flock(st->fd, LOCK_UN);
    return renameat2(AT_FDCWD, st->path, AT_FDCWD, spare, RENAME_NOREPLACE) == 0 ? 0 : HR_ERR_IO;
}

static int create(hr_stage *st, const char *path, const char *trace_path, uint64_t ring_data_size,
                  uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc, int reuse)
{
    hr_stage_header h;
    st->fd = -1;
    st->alloc = alloc ? alloc : &hr_default_alloc;
    HR_RETURN_IF(strlen(trace_path) >= HR_STAGE_PATH_MAX, HR_ERR_LIMIT);
    HR_RETURN_IF(ring_data_size < 65536 || (ring_data_size & (ring_data_size - 1)), HR_ERR_ARG);
    memset(&h, 0, sizeof h);
    memcpy(h.magic, HR_STAGE_MAGIC, 8);
    h.version = HR_STAGE_VERSION;
    h.pid = (uint32_t)getpid();
    h.ring_data_size = ring_data_size;
    h.chunk_offset = HR_STAGE_HEADER_SIZE;
    h.chunk_size = hr_writer_chunk_mem(chunk_size);
    h.chunk_halves = 2;
    h.rings_offset = round_up(h.chunk_offset + 2 * h.chunk_size, page_align());
    h.ring_stride = round_up(HR_STAGE_RING_HEADER + ring_data_size, page_align());
    h.time_unit_ns = time_unit_ns;
    strcpy(h.trace_path, trace_path);
    st->fd = open(path, reuse ? O_RDWR | O_CLOEXEC | O_NOFOLLOW : O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    HR_RETURN_IF(st->fd < 0, HR_ERR_IO);
    /* Held while the file is in use: `heaprr recover` leaves a locked file alone (its process is
     * still recording). A spare someone still holds is not taken. */
    if (flock(st->fd, LOCK_EX | LOCK_NB) != 0 && reuse) {
        close(st->fd);
        st->fd = -1;
        return HR_ERR_STATE;
    }
    struct stat own;
    if (reuse && (fstat(st->fd, &own) != 0 || !S_ISREG(own.st_mode) || own.st_uid != geteuid())) {
        close(st->fd); /* a spare must be a file of ours */
        st->fd = -1;
        return HR_ERR_STATE;
    }
    st->reused = reuse;
    st->hdr = &h;
    if (reserve(st->fd, 0, h.rings_offset) < 0 || map_header(st) < 0) {
        int e = errno;
        close(st->fd);
        st->fd = -1;
        st->hdr = NULL;
        errno = e;
        return HR_ERR_IO;
    }
    memcpy(st->hdr, &h, sizeof h);
    snprintf(st->path, sizeof st->path, "%s", path);
    struct stat sb;
    if (fstat(st->fd, &sb) == 0) {
        st->dev = (uint64_t)sb.st_dev;
        st->ino = (uint64_t)sb.st_ino;
    }
    return 0;
}

static int check_header(const hr_stage_header *h, uint64_t file_size, const char **why)
{
    if (memcmp(h->magic, HR_STAGE_MAGIC, 8) != 0 || h->version != HR_STAGE_VERSION) {
        *why = "not a heaprr staging file of this version";
        return HR_ERR_CORRUPT;
    }
    uint64_t page = page_align();
    if (h->ring_data_size < 65536 || (h->ring_data_size & (h->ring_data_size - 1)) ||
        h->ring_data_size > (1ull << 32) || h->chunk_offset != HR_STAGE_HEADER_SIZE ||
        h->chunk_size > HR_CHUNK_MAX || h->chunk_size < hr_writer_chunk_mem(256) ||
        h->chunk_halves != 2 || h->rings_offset != round_up(h->chunk_offset + 2 * h->chunk_size, page) ||
        h->ring_stride != round_up(HR_STAGE_RING_HEADER + h->ring_data_size, page) ||
        h->ring_count > HR_STAGE_MAX_RINGS || h->commit_index > 1 || h->time_unit_ns == 0) {
        *why = "staging file header is damaged";
        return HR_ERR_CORRUPT;
    }
    if (file_size < h->rings_offset) {
        *why = "staging file is shorter than its header says";
        return HR_ERR_CORRUPT;
    }
    return 0;
}

int hr_stage_open(hr_stage *st, const char *path, const hr_alloc *alloc, const char **why)
{
    hr_stage_header h;
    struct stat sb;
    memset(st, 0, sizeof *st);
    st->alloc = alloc ? alloc : &hr_default_alloc;
    *why = "cannot open the staging file";
    st->fd = open(path, O_RDWR | O_CLOEXEC);
    HR_RETURN_IF(st->fd < 0, HR_ERR_IO);
    *why = "cannot read the staging file";
    if (fstat(st->fd, &sb) < 0 || pread(st->fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
        hr_stage_close(st);
        return HR_ERR_IO;
    }
    int rc = check_header(&h, (uint64_t)sb.st_size, why);
    if (rc == 0) {
        st->hdr = &h;
        rc = map_header(st);
        if (rc < 0) {
            st->hdr = NULL;
            *why = "cannot map the staging file";
        }
    }
    if (rc == 0) {
        /* Rings the file does not fully hold were being added when the process died. */
        uint64_t fit = ((uint64_t)sb.st_size - h.rings_offset) / h.ring_stride;
        if (st->hdr->ring_count > fit)
            st->hdr->ring_count = (uint32_t)fit;
        rc = hr_stage_map_rings(st);
        if (rc < 0)
            *why = "cannot map the staging file's rings";
    }
    if (rc < 0)
        hr_stage_close(st);
    return rc;
}

void hr_stage_close(hr_stage *st)
{
    for (uint32_t i = 0; i < st->mapped; i++) {
        if (st->rings[i].h)
            munmap(st->rings[i].h, st->hdr->ring_stride);
        if (st->cons[i])
            st->alloc->free(st->alloc->opaque, st->cons[i]);
    }
    if (st->hdr)
        munmap(st->hdr, st->hdr->rings_offset);
    if (st->fd >= 0)
        close(st->fd);
    clear(st);
}

/* A ring's consumer starts at its tail, or at the saved state if the writer saved one there or
 * past it before it died (formats/stage-drain.c, commit). A state that cannot be right is unused:
 * records that share frames with the record before the tail then lose those frames. */
static void restore_state(hr_stage *st, uint32_t i)
{
    const hr_ring_header *h = st->rings[i].h;
    hr_stage_consumer *c = st->cons[i];
    uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE), head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
    c->cursor = tail;
    uint32_t which = __atomic_load_n(&h->saved_index, __ATOMIC_ACQUIRE);
    if (which > 1)
        return;
    const hr_stage_saved *sv = &h->saved[which];
    if (sv->at < tail || sv->at > head || (sv->at & 7) || sv->at - tail > st->hdr->ring_data_size ||
        sv->depth > HR_STAGE_SAVED_PATH)
        return;
    c->cursor = sv->at;
    c->prev_depth = sv->depth;
    memcpy(c->path, sv->path, sv->depth * sizeof *c->path);
}

static int map_ring(hr_stage *st, uint32_t i)
{
    hr_stage_header *h = st->hdr;
    void *p = map_at(st->fd, h->rings_offset + i * h->ring_stride, h->ring_stride);
    HR_RETURN_IF(!p, HR_ERR_IO);
    st->cons[i] = hr_alloc_zeroed(st->alloc, sizeof(hr_stage_consumer));
    if (!st->cons[i]) {
        munmap(p, h->ring_stride);
        return HR_ERR_NOMEM;
    }
    st->rings[i].h = p;
    st->rings[i].data = (uint8_t *)p + HR_STAGE_RING_HEADER;
    restore_state(st, i);
    return 0;
}

static int same_file(const hr_stage *st, int fd)
{
    struct stat sb;
    return fstat(fd, &sb) == 0 && (uint64_t)sb.st_dev == st->dev && (uint64_t)sb.st_ino == st->ino;
}

/* Makes sure st->fd is still the staging file: a program that closed every descriptor gets it
 * reopened by name; one that reused our number keeps its file. */
static int own_fd(hr_stage *st)
{
    if (!st->ino || same_file(st, st->fd))
        return 0;
    int fd = st->path[0] ? open(st->path, O_RDWR | O_CLOEXEC) : -1;
    if (fd >= 0 && same_file(st, fd)) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 700);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
        st->fd = fd;
        flock(fd, LOCK_EX | LOCK_NB);
        return 0;
    }
    if (fd >= 0)
        close(fd);
    errno = EBADF;
    return HR_ERR_IO;
}

int hr_stage_add_ring(hr_stage *st)
{
    hr_stage_header *h = st->hdr;
    uint32_t i = h->ring_count;
    HR_RETURN_IF(i >= HR_STAGE_MAX_RINGS, HR_ERR_LIMIT);
    HR_FORWARD(own_fd(st));
    HR_FORWARD(reserve(st->fd, h->rings_offset + i * h->ring_stride, h->ring_stride));
    HR_FORWARD(map_ring(st, i));
    if (st->reused) { /* a spare's ring: what its last owner left there is not ours */
        memset(st->rings[i].h, 0, sizeof *st->rings[i].h);
        memset(st->cons[i], 0, sizeof *st->cons[i]);
    }
    st->rings[i].h->state = HR_RING_ACTIVE;
    __atomic_store_n(&st->mapped, i + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&h->ring_count, i + 1, __ATOMIC_RELEASE);
    return (int)i;
}

int hr_stage_map_rings(hr_stage *st)
{
    uint32_t n = __atomic_load_n(&st->hdr->ring_count, __ATOMIC_ACQUIRE);
    while (st->mapped < n) {
        HR_FORWARD(map_ring(st, st->mapped));
        st->mapped++;
    }
    return 0;
}

static void publish_commit(hr_stage *st, const hr_writer *w)
{
    hr_chunk_state cs;
    hr_writer_chunk_state(w, &cs);
    uint32_t next = st->hdr->commit_index ^ 1;
    hr_stage_commit *c = &st->hdr->commit[next];
    _Static_assert(HR_NCOL <= sizeof c->len / sizeof c->len[0], "commit holds every column");
    c->nrec = cs.nrec;
    c->half = cs.half;
    c->sealed = (uint32_t)cs.sealed;
    c->sealed_nrec = cs.sealed_nrec;
    for (int i = 0; i < HR_NCOL; i++) {
        c->len[i] = cs.lens[i];
        c->sealed_len[i] = cs.sealed_lens[i];
    }
    c->frames_written = cs.frames;
    c->trace_size = cs.file_size;
    __atomic_store_n(&st->hdr->commit_index, next, __ATOMIC_RELEASE);
}

void hr_stage_commit_chunk(hr_stage *st, const hr_writer *w)
{
    publish_commit(st, w);
}

void hr_stage_on_frame(void *stage, const hr_writer *w)
{
    publish_commit(stage, w); /* a chunk just written is no longer one recovery may use */
}

uint8_t *hr_stage_half(const hr_stage *st, unsigned half)
{
    return st->chunk + (half & 1) * st->hdr->chunk_size;
}
