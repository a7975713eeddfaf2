/* SPDX-License-Identifier: MIT */
/* Builds deterministic sample traces with hr_writer for the format tests, and remembers every
 * record written so a test can compare what the reader returns. */
#ifndef HEAPRR_TRACE_GEN_H
#define HEAPRR_TRACE_GEN_H

#include <heaprr/format.h>
#include <stddef.h>

typedef struct gen_rec {
    uint32_t type;
    uint32_t thread;
    uint64_t seq, time;
    hr_event ev;
    uint64_t frames[8];
    uint32_t depth;
    char text[64];
} gen_rec;

typedef struct gen_trace {
    gen_rec *recs;
    size_t n;
} gen_trace;

/* Writes a trace of about n_events events to fd (chunk_size small to get many frames). Returns 0
 * or a negative hr_err. finish: write a trailer. */
int gen_write(int fd, size_t n_events, size_t chunk_size, int finish, gen_trace *out);

struct hr_writer;
/* More control for gen_write_ex: the writer's chunk memory and callbacks, and a hook called after
 * every record that may stop the writing at once (a crash: nothing more is written). */
typedef struct gen_options {
    int background;
    uint8_t *chunk_mem;
    size_t chunk_mem_size;
    void (*on_frame)(void *opaque, const struct hr_writer *w);
    int (*after_record)(void *opaque, struct hr_writer *w, size_t records); /* nonzero: stop */
    void *opaque;
    size_t index_memory; /* hr_writer_config.index_memory: 0, no index */
    int consistent;      /* every free and realloc names a live block, no allocation a live address */
} gen_options;

/* Returns 0 (also when after_record stopped it), or a negative hr_err. */
int gen_write_ex(int fd, size_t n_events, size_t chunk_size, int finish, const gen_options *opt, gen_trace *out);
void gen_free(gen_trace *t);

#endif
