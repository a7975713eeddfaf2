/* SPDX-License-Identifier: MIT */
/* hr_writer: builds a .hrr trace. Records are encoded into a chunk buffer, compressed with zstd
 * into frames and appended to a file descriptor. Usable inside the recorder: it allocates only
 * through the hr_alloc it is given and calls no stdio. Not thread-safe: one caller at a time. */
#ifndef HEAPRR_WRITER_H
#define HEAPRR_WRITER_H

#include <heaprr/format.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_writer hr_writer;

typedef struct hr_writer_config {
    int fd;                     /* written with write(2); the writer does not close it */
    const hr_alloc *alloc;      /* NULL: malloc/free */
    int zstd_level;             /* 0: default (1) */
    size_t chunk_size;          /* raw bytes after which a chunk is compressed; 0: 1 MiB */
    uint8_t *chunk_mem;         /* optional caller memory for the chunk (e.g. the staging file) */
    size_t chunk_mem_size;      /* its size, at least hr_writer_chunk_mem(chunk_size), twice that
                                 * with background */
    /* Nonzero: a full chunk is sealed in one half of the chunk memory and compressed a slice at a
     * time by hr_writer_pump() while records go to the other half, so that no single call stalls
     * for the whole compression. */
    int background;
    /* Called after every frame is written, once the writer's state reflects it. */
    void (*on_frame)(void *opaque, const hr_writer *w);
    /* Called before every write with the descriptor and the file size so far; returns the
     * descriptor to write to (the same, or a replacement positioned at that size), or -1 to refuse
     * the write (HR_ERR_IO, errno EBADF). The recorder uses it to survive a program that closes
     * every descriptor, and never to write into a file the program reopened under our number. */
    int (*check_fd)(void *opaque, int fd, uint64_t file_size);
    void *opaque;
    /* Nonzero: the writer indexes what it writes (heaprr/index.h) with at most this many bytes of
     * memory and writes the index before each trailer (formats/SPEC.md 6.1); beyond the limit it
     * frees the index and writes none. 0: no index. */
    size_t index_memory;
} hr_writer_config;

/* Creates a writer. Returns 0 or a negative hr_err; *out is NULL on error. */
int hr_writer_create(hr_writer **out, const hr_writer_config *cfg);
/* Writes the file header. Call once, first, unless hr_writer_resume() is used. */
int hr_writer_begin(hr_writer *w, const hr_header *h);
/* Continues an existing trace whose first file_size bytes (CRC32C file_crc, records counted in
 * counts) are already on disk, e.g. to append recovered records. */
int hr_writer_resume(hr_writer *w, uint64_t file_size, uint32_t file_crc, uint64_t frames,
                     const uint64_t event_counts[HR_KIND_COUNT], const uint64_t typed_counts[128],
                     uint64_t records, uint64_t last_seq);
/* Declares a node already present in the trace being resumed; call in id order from 1. */
int hr_writer_known_node(hr_writer *w, uint64_t parent, uint64_t ip);

/* For importers: a header for a trace made from another tool's (exe "SOURCE", no pid, 1 us time
 * units, stacks up to max_depth) and its process info naming recorder. Returns 0 or an hr_err. */
int hr_writer_begin_import(hr_writer *w, const char *source, const char *recorder, uint32_t max_depth);

/* Appends records. time is in the header's time units. Sequence numbers must increase strictly
 * and times must not decrease across all ordered records. Each returns 0 or a negative hr_err;
 * after an I/O error every later call fails with HR_ERR_IO. */
int hr_writer_process(hr_writer *w, const hr_process_info *pi);
int hr_writer_event(hr_writer *w, uint32_t thread, uint64_t seq, uint64_t time, const hr_event *ev);
/* An ordered typed record (module, thread, mark, fork, exec, stopped); rec->seq, rec->thread and
 * rec->time_ns (in time units) give its place. */
int hr_writer_ordered(hr_writer *w, unsigned type, const hr_record *rec);

/* Interns a backtrace. frames[0] is the innermost frame, frames[depth-1] the outermost. path[j]
 * receives the node id of the stack made of the j+1 outermost frames; on entry path[0..keep-1]
 * must already hold the ids for the keep outermost frames (a caller that saw the same outer
 * frames before passes them to skip the lookups). Node records for new nodes are written at
 * once. *stack gets path[depth-1] (0 for depth 0). */
int hr_writer_intern(hr_writer *w, const uint64_t *frames, uint32_t depth, uint32_t keep,
                     uint64_t *path, uint64_t *stack);

/* A hint that an event naming pointer p comes soon: starts loading what coding it will look at. */
void hr_writer_prefetch(const hr_writer *w, uint64_t p);

/* With background compression: compresses about budget more bytes of the sealed chunk (0: none,
 * only tell), writing its frame once done. Returns 1 while a sealed chunk remains, 0 when none
 * does, or an hr_err. */
int hr_writer_pump(hr_writer *w, size_t budget);

/* Compresses and writes the sealed chunk if any, then the current chunk, if it holds records. */
int hr_writer_flush(hr_writer *w);
/* Flushes and writes a trailer. The writer may still be used afterwards (a later trailer then
 * covers everything). */
int hr_writer_finish(hr_writer *w);
/* The leaks of the trace so far, from the writer's index (after hr_writer_finish): bytes and
 * blocks live, and the allocation stacks they come from. Returns 0, or -1 when the writer keeps no
 * index (HEAPRR_INDEX_MB=0, or it outgrew its memory). */
int hr_writer_leaks(hr_writer *w, uint64_t *bytes, uint64_t *blocks, uint64_t *stacks);
void hr_writer_destroy(hr_writer *w);

/* Memory a writer needs for a chunk of chunk_size raw bytes (0: the default size). */
size_t hr_writer_chunk_mem(size_t chunk_size);
/* Raw bytes in the current chunk. */
size_t hr_writer_chunk_len(const hr_writer *w);
uint64_t hr_writer_file_size(const hr_writer *w);
uint64_t hr_writer_node_count(const hr_writer *w);
/* errno of the last failed write, 0 if none. */
int hr_writer_errno(const hr_writer *w);

#ifdef __cplusplus
}
#endif
#endif
