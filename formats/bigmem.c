/* SPDX-License-Identifier: MIT */
/* Large zeroed tables (include/heaprr/bigmem.h). Small ones come from calloc; big ones from mmap,
 * with a header holding the mapping's size, advised to use huge pages. */
#include <heaprr/bigmem.h>
#include <heaprr/keyed.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HEADER 64      /* keeps the table cache-line aligned */
#define BIG (1u << 20) /* below this, calloc */
#define HUGE_PAGE (2u << 20)

typedef struct big_header {
    size_t total; /* bytes mapped; 0: the block came from calloc */
} big_header;

void *hr_big_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes) || bytes > SIZE_MAX - HEADER - HUGE_PAGE)
        return NULL;
    if (bytes < BIG) {
        uint8_t *p = calloc(1, bytes + HEADER);
        if (!p)
            return NULL;
        ((big_header *)p)->total = 0;
        return p + HEADER;
    }
    size_t total = (bytes + HEADER + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    uint8_t *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, total, MADV_HUGEPAGE); /* a hint: without it the table works the same */
#endif
    ((big_header *)p)->total = total;
    return p + HEADER;
}

void hr_big_free(void *ptr)
{
    if (!ptr)
        return;
    uint8_t *p = (uint8_t *)ptr - HEADER;
    size_t total = ((big_header *)p)->total;
    if (total)
        munmap(p, total);
    else
        free(p);
}

void *hr_keyed_grow(void *slots, size_t *mask, size_t entry_size, size_t first)
{
    size_t n = slots ? (*mask + 1) * 2 : first;
    void *fresh = hr_big_calloc(n, entry_size);
    if (!fresh)
        return NULL;
    hr_keyed_move(fresh, n - 1, slots, *mask, entry_size);
    hr_big_free(slots);
    *mask = n - 1;
    return fresh;
}
