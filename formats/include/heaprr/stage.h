/* SPDX-License-Identifier: MIT */
/* The staging file (TRACE.stage, formats/SPEC.md section 8): per-thread rings of fixed-layout
 * records that the recorder fills on the hot path, and the chunk the writer is building, all in
 * a file mapped shared so that a crash or SIGKILL leaves them on disk. The recorder produces into
 * it; its writer thread and `heaprr recover` drain it into an hr_writer in sequence order.
 * The layout is private to one heaprr version. */
#ifndef HEAPRR_STAGE_H
#define HEAPRR_STAGE_H

#include <heaprr/format.h>
#include <heaprr/writer.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HR_STAGE_MAGIC "HRSTAGE1"
#define HR_STAGE_VERSION 3
#define HR_STAGE_HEADER_SIZE 8192u
#define HR_STAGE_RING_HEADER 4096u
#define HR_STAGE_MAX_RINGS 4096u
#define HR_STAGE_PATH_MAX 3072u

/* What recovery may use of the writer's chunks, and how far the trace goes. The chunk region has
 * two halves: the writer builds a chunk in one while the other may hold a full (sealed) chunk it
 * is compressing, due as the trace's next frame. Two copies of this, so that the one being
 * written is never the one in use: every field changes at once. */
typedef struct hr_stage_commit {
    uint64_t nrec;           /* the chunk being built: records */
    uint64_t len[32];        /* ... and column sizes */
    uint64_t frames_written; /* frames in the trace */
    uint64_t trace_size;     /* trace bytes after the last frame */
    uint32_t half;           /* the half the chunk being built is in */
    uint32_t sealed;         /* 1: the other half holds a sealed chunk, due as frame frames_written + 1 */
    uint64_t sealed_nrec;
    uint64_t sealed_len[32];
} hr_stage_commit;

/* Header page. Fields marked (w) are written by the writer to make recovery exact. */
typedef struct hr_stage_header {
    char magic[8];
    uint32_t version;
    uint32_t pid;
    uint64_t ring_data_size; /* bytes of records per ring, a power of two */
    uint64_t chunk_offset, chunk_size;
    uint64_t rings_offset, ring_stride;
    uint32_t ring_count; /* rings created (the file holds this many) */
    uint32_t flags;
    uint64_t time_unit_ns;
    uint32_t chunk_halves; /* 2: chunk_size bytes each */
    uint32_t reserved0;
    hr_stage_commit commit[2]; /* (w) */
    uint32_t commit_index;     /* (w) which commit is in use */
    uint32_t reserved;
    uint64_t clean; /* (w) 1: everything reached the trace, nothing to recover */
    char trace_path[HR_STAGE_PATH_MAX];
} hr_stage_header;

enum { HR_RING_FREE = 0, HR_RING_ACTIVE = 1, HR_RING_RETIRED = 2 };

/* The consumer's stack state at a ring position, saved at each commit so that recovery starting
 * there can resolve records that share outer frames with the record before it: the node ids of
 * the last unwound record before `at`, from its outermost frame. */
#define HR_STAGE_SAVED_PATH 240
typedef struct hr_stage_saved {
    uint64_t at;    /* ring position the state belongs to */
    uint32_t depth; /* entries of path in use; 0: no usable state */
    uint32_t reserved;
    uint64_t path[HR_STAGE_SAVED_PATH];
} hr_stage_saved;

/* Ring header page: producer fields and consumer fields on separate cache lines, then the saved
 * consumer states (two copies: the one being written is never the one in use). */
typedef struct hr_ring_header {
    uint64_t head;     /* bytes published by the producer (monotonic) */
    uint64_t last_seq; /* seq of the last record published */
    uint32_t announce; /* 1 while the producer holds a sequence number not yet published */
    uint32_t pending;  /* 1 while a record is written at head for a call in progress */
    uint32_t tid, thread_index;
    uint32_t state; /* HR_RING_* */
    uint32_t wake_sent;
    uint8_t pad1[64 - 40];
    uint64_t tail;        /* bytes consumed by the writer */
    uint32_t saved_index; /* which saved state is in use */
    uint8_t pad2[64 - 12];
    hr_stage_saved saved[2];
} hr_ring_header;

/* Staged record types beyond the event kinds (1..14): the typed record types (0x41..0x4B) and: */
#define HR_STAGE_PAD 0xFFu

/* One staged record: 80 bytes, then frames (events) or string bytes (typed), padded to 8. */
typedef struct hr_stage_rec {
    uint32_t len; /* total bytes, a multiple of 8 */
    uint8_t type; /* event kind, typed record type, or HR_STAGE_PAD */
    uint8_t xflags;
    uint16_t depth; /* frames after the fixed part */
    uint64_t seq;   /* 0 in a pending allocation: taken after the call */
    uint64_t time;  /* ns since the start of recording */
    /* events: ptr, old_ptr, size, count-or-align, errno, free_seq;
     * module-load: id, bias, start, end; thread-start: tid; fork: child pid; exec and spawn: result, HR_IMG_* flags,
     * child pid (spawn);
     * module-unload: id */
    uint64_t a[6];
    uint32_t s1, s2; /* typed: lengths of the strings that follow (s1 then s2);
                      * events: s1 HR_STAGE_UNWOUND when the frames come from the thread's unwinder,
                      * and then s2 how many outermost frames equal those of the previous unwound
                      * record of the ring: those are left out, only the depth - s2 inner ones
                      * follow */
} hr_stage_rec;
#define HR_STAGE_UNWOUND 1u
#define HR_STAGE_REC_FIXED ((uint32_t)sizeof(hr_stage_rec))

/* A mapped staging file. */
typedef struct hr_ring {
    hr_ring_header *h;
    uint8_t *data;
} hr_ring;

typedef struct hr_stage_consumer {
    uint32_t prev_depth;         /* depth of the previous unwound record (0: none seen) */
    uint32_t ips_depth;          /* entries of ips known (0 after a recovery started here) */
    uint64_t ips[HR_MAX_DEPTH];  /* that record's frames, from the outermost */
    uint64_t path[HR_MAX_DEPTH]; /* its node ids, from the outermost frame */
    uint64_t cursor;             /* next byte to read (>= tail) */
} hr_stage_consumer;

typedef struct hr_stage_cursor {
    uint32_t ring;
    uint32_t thread; /* the ring's thread index, read once: its header line is the producer's */
    uint64_t head;   /* snapshot of the ring's head for one drain */
} hr_stage_cursor;

typedef struct hr_stage {
    int fd;
    uint64_t dev, ino;                /* identity of the file behind fd, checked before it is used again */
    char path[HR_STAGE_PATH_MAX + 8]; /* to reopen it if the program closed fd */
    hr_stage_header *hdr;
    uint8_t *chunk;
    hr_ring rings[HR_STAGE_MAX_RINGS];
    hr_stage_consumer *cons[HR_STAGE_MAX_RINGS];
    uint32_t mapped; /* rings mapped in this process */
    const hr_alloc *alloc;
    uint64_t last_time;                      /* time units of the last record drained */
    uint64_t max_seq;                        /* largest seq already in the trace (records at or below are skipped) */
    uint64_t emitted;                        /* records drained so far */
    uint64_t dropped;                        /* records a lenient drain skipped because a reader would refuse them */
    int lenient;                             /* recovery: skip such records instead of failing */
    int reused; /* a spare of an earlier process (hr_stage_adopt): rings are cleared as they are added */
    hr_stage_cursor cur[HR_STAGE_MAX_RINGS]; /* drain scratch: kept off the caller's stack */
    uint64_t scratch[HR_MAX_DEPTH];
} hr_stage;

/* Creates path (truncating it) with room for the chunk of a writer with this chunk_size, and maps
 * it; an exclusive flock() on it is held while it stays open (a live recorder's file), also after
 * it had to be reopened. Returns 0 or hr_err. */
int hr_stage_create(hr_stage *st, const char *path, const char *trace_path, uint64_t ring_data_size,
                    uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc);
/* hr_stage_create for an st that hr_stage_close left (or that is all zero): it is not cleared
 * again, which spares a forked child's recorder from copying its pages. */
int hr_stage_recreate(hr_stage *st, const char *path, const char *trace_path, uint64_t ring_data_size,
                      uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc);
/* Spare staging files: at most HR_STAGE_SPARES beside a session's traces, named by
 * hr_stage_spare_path (k < HR_STAGE_SPARES) from the path of any trace in that directory. */
#define HR_STAGE_SPARES 4u
void hr_stage_spare_path(const char *trace_path, unsigned k, char *out, size_t cap);
/* A staging file another process of the session left behind when it ended cleanly (spare): it is
 * renamed to path (never replacing a file there) and set up as hr_stage_recreate would, without
 * creating, truncating or allocating a file: a short-lived process is spared the file system's
 * work. Returns 0, or a negative hr_err when there is no such spare or it is still held (the
 * caller then creates a file of its own). */
int hr_stage_adopt(hr_stage *st, const char *spare, const char *path, const char *trace_path,
                   uint64_t ring_data_size, uint64_t chunk_size, uint64_t time_unit_ns, const hr_alloc *alloc);
/* At the clean end of a process whose trace is complete, and only when no other thread of it can
 * write to the stage again: makes the file a spare named spare (not replacing one), unreadable as
 * a process's staging file and unlocked. Returns 0 or a negative hr_err (the caller then removes
 * the file). The mappings and the descriptor stay until the process ends. */
int hr_stage_retire(hr_stage *st, const char *spare);
/* Maps an existing staging file left by a process (for recovery). *why explains a failure. */
int hr_stage_open(hr_stage *st, const char *path, const hr_alloc *alloc, const char **why);
/* Unmaps everything and closes the file (it is not deleted). */
void hr_stage_close(hr_stage *st);

/* Grows the file by one ring, maps it and marks it active. Not thread-safe: callers serialise.
 * Returns the ring number or a negative hr_err (HR_ERR_IO when the disk is full). */
int hr_stage_add_ring(hr_stage *st);
/* Maps the rings that another process (or thread) added since the last call. */
int hr_stage_map_rings(hr_stage *st);

/* Drains every published record with seq < horizon into w, in sequence order, then records in
 * the header how far the chunk goes and releases the ring space. Returns the number of records
 * drained or a negative hr_err. */
int64_t hr_stage_drain(hr_stage *st, hr_writer *w, uint64_t horizon);
/* After a crash: also drains records left pending at ring heads (calls that never returned),
 * marked HR_XF_INCOMPLETE and placed after everything else. */
int64_t hr_stage_drain_pending(hr_stage *st, hr_writer *w);

/* The writer's on_frame callback for a writer whose chunk memory is st->chunk (with background
 * compression: st->hdr->chunk_halves halves). */
void hr_stage_on_frame(void *stage, const hr_writer *w);
/* Records in the header how much of w's chunks recovery may use. */
void hr_stage_commit_chunk(hr_stage *st, const hr_writer *w);
/* The chunk memory's halves and their size. */
uint8_t *hr_stage_half(const hr_stage *st, unsigned half);

/* Bytes a staged event with depth frames or a typed record with strings of n1 + n2 bytes takes. */
static inline uint32_t hr_stage_rec_size(uint32_t depth, uint32_t n1, uint32_t n2)
{
    return (HR_STAGE_REC_FIXED + depth * 8u + n1 + n2 + 7u) & ~7u;
}

/* Outer frames a staged event shares with the ring's previous unwound record (left out). */
static inline uint32_t hr_stage_rec_shared(const hr_stage_rec *r)
{
    return (r->s1 & HR_STAGE_UNWOUND) && r->s2 <= r->depth ? r->s2 : 0;
}

/* Frames a staged event holds. */
static inline uint32_t hr_stage_rec_frames(const hr_stage_rec *r)
{
    return r->depth - hr_stage_rec_shared(r);
}

_Static_assert(sizeof(hr_ring_header) <= HR_STAGE_RING_HEADER, "ring header page overflow");
_Static_assert(sizeof(hr_stage_header) <= HR_STAGE_HEADER_SIZE, "header page overflow");

#ifdef __cplusplus
}
#endif
#endif
