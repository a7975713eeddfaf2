/* SPDX-License-Identifier: MIT */
/* Configuration of the band/arena allocator model (the QNX allocator's design): bands of small
 * blocks, arenas for large ones, an arena cache, and the data-structure sizes of the target the
 * model predicts for. Parsed from MALLOC_* strings or command-line values and normalized as QNX
 * does. */
#ifndef HEAPRR_HEAPCFG_H
#define HEAPRR_HEAPCFG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HR_MAX_BANDS 64
#define HR_BAND_ARENA_MAX (16u << 20) /* largest band arena a configuration may need */

typedef enum hr_layout_kind { HR_LAYOUT_NATIVE = 0, HR_LAYOUT_QNX32 = 1 } hr_layout_kind;

/* Sizes of the allocator's own structures on the target (bytes). */
typedef struct hr_layout {
    hr_layout_kind kind;
    uint32_t pointer_size;
    uint32_t block_header; /* in front of every block */
    uint32_t list_node;    /* free-list links of a band block */
    uint32_t band_arena;   /* header of a band arena */
    uint32_t arena_header; /* header of a large-block arena */
    uint32_t align;        /* alignment of every block (_MALLOC_ALIGN) */
} hr_layout;

typedef struct hr_band {
    uint32_t size;     /* block size, a multiple of 8 */
    uint32_t blocks;   /* blocks per band arena, after normalization */
    uint32_t prealloc; /* blocks to preallocate */
} hr_band;

typedef struct hr_heap_config {
    hr_layout layout;
    uint32_t nbands;
    hr_band bands[HR_MAX_BANDS];
    uint32_t band_arena_size; /* E: bytes of one band arena (4096 doubled as needed) */
    uint64_t arena_size;      /* MALLOC_ARENA_SIZE: large-block arenas (default 32 KiB) */
    uint64_t cache_maxblk;    /* MALLOC_ARENA_CACHE_MAXBLK: arenas the cache keeps */
    uint64_t cache_maxsz;     /* MALLOC_ARENA_CACHE_MAXSZ: bytes the cache keeps */
    int memory_hold;          /* MALLOC_MEMORY_HOLD: never return memory */
    uint64_t preallocate;     /* MALLOC_MEMORY_PREALLOCATE: bytes put in the cache at start */
} hr_heap_config;

/* The default configuration for a layout (QNX's default bands). */
void hr_heapcfg_default(hr_heap_config *c, hr_layout_kind kind);
/* Parses "N:s1,n1,p1:...:sN,nN,pN" into c's bands (then normalizes). Returns 0, or -1 with a
 * one-line explanation in why (the string is rejected whole, as QNX does). */
int hr_heapcfg_parse_bands(hr_heap_config *c, const char *str, char *why, size_t why_size);
/* Sets the arena size (a multiple of 4 KiB, below 256 KiB). Returns 0 or -1 with why. */
int hr_heapcfg_set_arena_size(hr_heap_config *c, uint64_t size, char *why, size_t why_size);
/* Applies MALLOC_* variables from getenv-like lookup (NULL entries ignored). Returns 0, or -1 with
 * why for the first bad value unless lenient (then bad values are ignored). */
int hr_heapcfg_from_env(hr_heap_config *c, const char *(*get)(const char *name), int lenient, char *why,
                        size_t why_size);
/* Recomputes band block counts and the band arena size from sizes and requested counts. */
void hr_heapcfg_normalize(hr_heap_config *c);
/* The smallest band index whose blocks hold size bytes, or -1 (a large block). */
int hr_heapcfg_band_for(const hr_heap_config *c, uint64_t size);

#ifdef __cplusplus
}
#endif
#endif
