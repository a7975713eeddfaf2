/* SPDX-License-Identifier: MIT */
/* Large zeroed tables (hash tables of live blocks and the like, hundreds of MiB for big traces)
 * straight from mmap, asking the kernel for huge pages: their accesses are random, and with 4 KiB
 * pages nearly every one would also miss the TLB. */
#ifndef HEAPRR_BIGMEM_H
#define HEAPRR_BIGMEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* n * size zeroed bytes (NULL on overflow or without memory); free with hr_big_free. */
void *hr_big_calloc(size_t n, size_t size);
void hr_big_free(void *p);
/* Doubles a keyed table (heaprr/keyed.h) held in this memory: returns a table of twice the slots of
 * slots (NULL: none yet; then of first slots) holding the same entries, frees slots and updates
 * *mask; NULL without memory (the table unchanged). */
void *hr_keyed_grow(void *slots, size_t *mask, size_t entry_size, size_t first);

#ifdef __cplusplus
}
#endif
#endif
