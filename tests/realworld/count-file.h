/* SPDX-License-Identifier: MIT */
/* The count file of tests/realworld: what the counting preload (count-preload.c) writes, one file
 * per process image, $HRCOUNT_DIR/count.PID.N, and hrcount-dump reads. A fixed binary layout
 * mapped MAP_SHARED, so the counts are in the file whatever way the process ends. */
#ifndef HRCOUNT_FILE_H
#define HRCOUNT_FILE_H

#include <stdint.h>

#define HRCOUNT_MAGIC "HRCOUNT1"

/* The call kinds, in the order and with the names of `heaprr stats --json` "events". */
enum hrcount_kind {
    HRC_MALLOC,
    HRC_CALLOC,
    HRC_REALLOC,
    HRC_REALLOCARRAY,
    HRC_FREE,
    HRC_MEMALIGN,
    HRC_POSIX_MEMALIGN,
    HRC_ALIGNED_ALLOC,
    HRC_VALLOC,
    HRC_PVALLOC,
    HRC_NEW,
    HRC_NEW_ARRAY,
    HRC_DELETE,
    HRC_DELETE_ARRAY,
    HRC_KINDS
};

/* How the image came to be: a program started by execve, or a forked copy of its parent. */
enum hrcount_origin { HRC_ORIGIN_START = 1, HRC_ORIGIN_FORK = 2 };

typedef struct hrcount_file {
    char magic[8];
    uint32_t pid, ppid;
    uint32_t image;      /* N of count.PID.N: 1 for the first image of this pid */
    uint32_t origin;     /* enum hrcount_origin */
    uint32_t interposed; /* 1 when the process's malloc is not ours (another preload comes first) */
    uint32_t pad;
    char exe[4096];         /* /proc/self/exe when the file was made */
    char first_malloc[512]; /* the object defining the process's malloc (dladdr) */
    uint64_t counts[HRC_KINDS];
} hrcount_file;

#endif
