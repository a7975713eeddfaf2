/* SPDX-License-Identifier: MIT */
/* The API a program may call while it runs under libheaprr.so. Declared weak, so a program built
 * with it runs unchanged without the recorder: check the function pointer before calling.
 *
 *     #include <heaprr/heaprr.h>
 *     if (heaprr_mark) heaprr_mark("request 42 done");
 */
#ifndef HEAPRR_HEAPRR_H
#define HEAPRR_HEAPRR_H

#ifdef __cplusplus
extern "C" {
#endif

/* mallopt() commands of the QNX allocator, by the names of its <malloc.h>: under libheaprr.so a
 * call with one of them is recorded and answered 1 (the C library never sees it; its own commands
 * pass through to it, recorded too), and 'heaprr replay' applies it to its model at that point:
 *   MALLOC_ARENA_CACHE_MAXBLK, MALLOC_ARENA_CACHE_MAXSZ  arena cache limits (0: cache nothing)
 *   MALLOC_ARENA_CACHE_FREE_NOW  value 1: release every cached arena; 0: trim to the limits
 *   MALLOC_MEMORY_HOLD           value 1: never give memory back to the OS; 0: as the limits say
 *   MALLOC_VERIFY                walk the whole heap now (a chain check)
 *   MALLOC_CKBOUNDS, MALLOC_CKCHAIN  value 1/0: that check level on or off from here */
#define HEAPRR_MALLOPT_BASE 0x48520000
#define HEAPRR_MALLOPT_LAST (HEAPRR_MALLOPT_BASE + 7)
#ifndef MALLOC_ARENA_CACHE_MAXBLK
#define MALLOC_ARENA_CACHE_MAXBLK (HEAPRR_MALLOPT_BASE + 1)
#define MALLOC_ARENA_CACHE_MAXSZ (HEAPRR_MALLOPT_BASE + 2)
#define MALLOC_ARENA_CACHE_FREE_NOW (HEAPRR_MALLOPT_BASE + 3)
#define MALLOC_MEMORY_HOLD (HEAPRR_MALLOPT_BASE + 4)
#define MALLOC_VERIFY (HEAPRR_MALLOPT_BASE + 5)
#define MALLOC_CKBOUNDS (HEAPRR_MALLOPT_BASE + 6)
#define MALLOC_CKCHAIN (HEAPRR_MALLOPT_BASE + 7)
#endif

/* Adds a MARK record with text at this point of the global order. Returns 0, or -1 when the
 * process is not recording. */
__attribute__((weak)) int heaprr_mark(const char *text);

/* A leak check at this point, for later: adds a MARK record named label. 'heaprr leaks --at
 * LABEL' then lists the blocks live here, and 'heaprr leaks --since A --until B' those allocated
 * after the check named A and still live at the one named B (the leak that grows with every
 * request, say). Returns 0, or -1 when the process is not recording. */
__attribute__((weak)) int heaprr_leak_check(const char *label);

/* Drains everything recorded so far into the trace file (a trailer is still written at exit).
 * Returns 0, or -1 when the process is not recording. */
__attribute__((weak)) int heaprr_flush(void);

#ifdef __cplusplus
}
#endif
#endif
