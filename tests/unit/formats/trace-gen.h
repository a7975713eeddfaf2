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
void gen_free(gen_trace *t);

#endif
