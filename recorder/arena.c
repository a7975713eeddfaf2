/* SPDX-License-Identifier: MIT */
/* The recorder's own memory (writer, zstd contexts, tables), never the program's allocator: never
 * recorded, never recursing into the hooks, surviving a program that corrupts its heap. Blocks up
 * to SMALL_MAX are carved from 1 MiB mappings and, once freed, kept on a lock-free list per
 * power-of-two class for the next block of that class; bigger ones are mappings of their own. A
 * short-lived process thus makes a few system calls where it made one per block. Every block
 * comes back zero-filled (fresh pages, or cleared when reused), which the format library relies
 * on (hr_mem_hooks.zeroed). No lock: any thread, a signal handler or a vfork child may call in. */
#include "recorder.h"

#include <string.h>
#include <sys/mman.h>

#define HDR 16 /* keeps 16-byte alignment; holds the block's size (its class for small ones) */
#define MIN_SHIFT 5
#define SMALL_SHIFT 16
#define SMALL_MAX (1u << SMALL_SHIFT)
#define CLASSES (SMALL_SHIFT - MIN_SHIFT + 1)
#define SLAB (1u << 20)
#define TAG_SHIFT 48 /* x86-64 user addresses fit in 47 bits: the rest counts pushes (ABA) */
#define PTR_MASK ((1ull << TAG_SHIFT) - 1)

/* A mapping small blocks are carved from: its header holds the bump pointer. */
typedef struct slab {
    char *next, *end;
} slab;

static slab *cur_slab;
static uint64_t free_head[CLASSES];

static void *map(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static unsigned class_of(size_t total)
{
    unsigned c = 0;
    while (((size_t)1 << (MIN_SHIFT + c)) < total)
        c++;
    return c;
}

static void *pop(unsigned c)
{
    uint64_t head = __atomic_load_n(&free_head[c], __ATOMIC_ACQUIRE);
    while (head & PTR_MASK) {
        char *b = (char *)(uintptr_t)(head & PTR_MASK);
        uint64_t next = *(uint64_t *)(b + 8), tagged = (next & PTR_MASK) | (head & ~PTR_MASK);
        if (__atomic_compare_exchange_n(&free_head[c], &head, tagged, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return b;
    }
    return NULL;
}

static void push(unsigned c, char *b)
{
    uint64_t head = __atomic_load_n(&free_head[c], __ATOMIC_RELAXED), tagged;
    do {
        *(uint64_t *)(b + 8) = head & PTR_MASK;
        tagged = (uint64_t)(uintptr_t)b | ((head & ~PTR_MASK) + (1ull << TAG_SHIFT));
    } while (!__atomic_compare_exchange_n(&free_head[c], &head, tagged, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* Carves n bytes from the current slab, starting a new one when it is used up (the tail of a
 * used-up slab is left unused). */
static char *carve(size_t n)
{
    for (;;) {
        slab *sl = __atomic_load_n(&cur_slab, __ATOMIC_ACQUIRE);
        if (sl) {
            char *p = __atomic_fetch_add(&sl->next, n, __ATOMIC_ACQ_REL);
            if (p + n <= sl->end)
                return p;
        }
        slab *fresh = map(SLAB);
        if (!fresh)
            return NULL;
        fresh->next = (char *)fresh + HDR;
        fresh->end = (char *)fresh + SLAB;
        /* Whoever installs a slab first wins; one that loses the race is given back. */
        if (!__atomic_compare_exchange_n(&cur_slab, &sl, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            munmap(fresh, SLAB);
    }
}

static void *small_alloc(size_t total)
{
    unsigned c = class_of(total);
    size_t n = (size_t)1 << (MIN_SHIFT + c);
    char *b = pop(c);
    if (b)
        memset(b + 8, 0, n - 8); /* the link word and whatever the last owner left */
    else if (!(b = carve(n)))
        return NULL;
    *(size_t *)b = c;
    return b + HDR;
}

void *hr_mem_alloc(size_t size)
{
    size_t total = size + HDR;
    if (total < size)
        return NULL;
    if (total <= SMALL_MAX)
        return small_alloc(total);
    char *p = map(total);
    if (!p)
        return NULL;
    *(size_t *)p = total;
    return p + HDR;
}

void hr_mem_free(void *p)
{
    if (!p)
        return;
    char *base = (char *)p - HDR;
    size_t v = *(size_t *)base;
    if (v < CLASSES)
        push((unsigned)v, base);
    else
        munmap(base, v);
}

char *hr_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = hr_mem_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void *hook_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return hr_mem_alloc(size);
}

static void hook_free(void *opaque, void *p)
{
    (void)opaque;
    hr_mem_free(p);
}

const hr_alloc hr_mem_hooks = {hook_alloc, hook_free, NULL, 1}; /* every block zero-filled */
