/* SPDX-License-Identifier: MIT */
/* What the replay engine allocates from: the band/arena model, or a real malloc (the C library's,
 * or one loaded from a shared object). Blocks are named by hr_mblock; for a real allocator its
 * addr is the pointer itself. */
#ifndef HEAPRR_BACKEND_H
#define HEAPRR_BACKEND_H

#include "bandheap.h"

typedef struct hr_backend {
    void *self;
    const char *name;
    int deterministic; /* addresses are the same on every run (the model) */
    int (*alloc)(void *self, uint64_t size, uint64_t align, uint64_t owner, hr_mblock *out);
    void (*free)(void *self, const hr_mblock *b);
    int (*realloc)(void *self, hr_mblock *b, uint64_t size, uint64_t owner);
    /* The bytes at b's address, and how far before (lo <= 0) and after (hi) it they may be written. */
    uint8_t *(*memory)(void *self, const hr_mblock *b, int64_t *lo, int64_t *hi);
    /* Bytes the allocator holds from the OS now (cheap for the model, a /proc read otherwise). */
    uint64_t (*footprint)(void *self);
    void (*destroy)(void *self);
    /* The allocator's own mallopt, for the commands a trace recorded (NULL: it has none). */
    int (*mallopt)(void *self, int param, int value);
} hr_backend;

/* The band model behind the interface (h stays the caller's). */
void hr_backend_band(hr_backend *be, hr_bandheap *h);
/* A real allocator: the C library's (path NULL) or the malloc family of the shared object at path.
 * Returns 0, or -1 with why. */
int hr_backend_system(hr_backend *be, const char *path, char *why, size_t why_size);

#endif
