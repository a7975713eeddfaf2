/* SPDX-License-Identifier: MIT */
/* Address-ordered first fit over arenas (arena-fit.h). */
#include "arena-fit.h"

#include <heaprr/format.h>
#include <stdlib.h>
#include <string.h>

int hr_af_init(hr_arenafit *af)
{
    memset(af, 0, sizeof *af);
    af->segn = 1;
    af->seg = calloc(2, sizeof *af->seg);
    return af->seg ? 0 : HR_ERR_NOMEM;
}

void hr_af_destroy(hr_arenafit *af)
{
    for (uint32_t i = 0; i < af->cap_ar; i++) {
        free(af->ar[i].at);
        free(af->ar[i].size);
        free(af->ar[i].rec);
    }
    free(af->ar);
    free(af->ord);
    free(af->seg);
    memset(af, 0, sizeof *af);
}

/* Makes room for at least want elements of elem bytes in *arr (capacity *cap, doubling from
 * first); new elements are zeroed. */
static int reserve(void **arr, uint32_t *cap, uint32_t want, size_t elem, uint32_t first)
{
    if (want <= *cap)
        return 0;
    uint32_t n = *cap ? *cap : first;
    while (n < want)
        n *= 2;
    uint8_t *p = realloc(*arr, n * elem);
    if (!p)
        return HR_ERR_NOMEM;
    memset(p + (size_t)*cap * elem, 0, (size_t)(n - *cap) * elem);
    *arr = p;
    *cap = n;
    return 0;
}

static void seg_set(hr_arenafit *af, uint32_t pos, uint64_t v)
{
    uint32_t i = af->segn + pos;
    af->seg[i] = v;
    for (i >>= 1; i; i >>= 1) {
        uint64_t m = af->seg[2 * i] > af->seg[2 * i + 1] ? af->seg[2 * i] : af->seg[2 * i + 1];
        if (af->seg[i] == m)
            break; /* the maxima above are right already */
        af->seg[i] = m;
    }
}

/* Rebuilds positions and the tree after the address order changed. */
static int rebuild(hr_arenafit *af)
{
    uint32_t n = 1;
    while (n < af->nord)
        n *= 2;
    if (n != af->segn) {
        uint64_t *seg = calloc(2 * (size_t)n, sizeof *seg);
        if (!seg)
            return HR_ERR_NOMEM;
        free(af->seg);
        af->seg = seg;
        af->segn = n;
    } else {
        memset(af->seg, 0, 2 * (size_t)n * sizeof *af->seg);
    }
    for (uint32_t p = 0; p < af->nord; p++) {
        hr_afit_arena *a = &af->ar[af->ord[p]];
        a->pos = p;
        af->seg[n + p] = a->max;
    }
    for (uint32_t i = n - 1; i > 0; i--)
        af->seg[i] = af->seg[2 * i] > af->seg[2 * i + 1] ? af->seg[2 * i] : af->seg[2 * i + 1];
    return 0;
}

int hr_af_arena_add(hr_arenafit *af, uint32_t id, uint64_t addr)
{
    if (reserve((void **)&af->ar, &af->cap_ar, id + 1, sizeof *af->ar, 16) < 0 ||
        reserve((void **)&af->ord, &af->cap_ord, af->nord + 1, sizeof *af->ord, 16) < 0)
        return HR_ERR_NOMEM;
    hr_afit_arena *a = &af->ar[id];
    a->addr = addr;
    a->n = 0;
    a->max = 0;
    a->known = 1;
    uint32_t lo = 0, hi = af->nord;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (af->ar[af->ord[mid]].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(af->ord + lo + 1, af->ord + lo, (af->nord - lo) * sizeof *af->ord);
    af->ord[lo] = id;
    af->nord++;
    return rebuild(af);
}

void hr_af_arena_remove(hr_arenafit *af, uint32_t id)
{
    hr_afit_arena *a = &af->ar[id];
    uint32_t pos = a->pos;
    for (uint32_t i = 0; i < a->n; i++)
        af->bytes -= a->size[i];
    af->count -= a->n;
    a->n = 0;
    a->max = 0;
    a->known = 0;
    memmove(af->ord + pos, af->ord + pos + 1, (af->nord - pos - 1) * sizeof *af->ord);
    af->nord--;
    rebuild(af); /* cannot fail: the tree only shrinks or keeps its size */
}

/* Index of the first free block at or after addr in arena a. */
static uint32_t lower_bound(const hr_afit_arena *a, uint64_t addr)
{
    uint32_t lo = 0, hi = a->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a->at[mid] < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void refresh_max(hr_arenafit *af, hr_afit_arena *a)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < a->n; i++)
        m = a->size[i] > m ? a->size[i] : m;
    a->max = m;
    seg_set(af, a->pos, m);
}

/* Room for one more free block in arena a. */
static int grow_arena(hr_afit_arena *a)
{
    uint32_t cap = a->cap, c1 = cap, c2 = cap;
    if (reserve((void **)&a->at, &c1, a->n + 1, sizeof *a->at, 8) < 0 ||
        reserve((void **)&a->size, &c2, a->n + 1, sizeof *a->size, 8) < 0 ||
        reserve((void **)&a->rec, &cap, a->n + 1, sizeof *a->rec, 8) < 0)
        return HR_ERR_NOMEM;
    a->cap = cap;
    return 0;
}

int hr_af_insert(hr_arenafit *af, uint32_t id, uint64_t addr, uint64_t size, uint32_t rec)
{
    hr_afit_arena *a = &af->ar[id];
    if (grow_arena(a) < 0)
        return HR_ERR_NOMEM;
    uint32_t i = lower_bound(a, addr), move = a->n - i;
    memmove(a->at + i + 1, a->at + i, move * sizeof *a->at);
    memmove(a->size + i + 1, a->size + i, move * sizeof *a->size);
    memmove(a->rec + i + 1, a->rec + i, move * sizeof *a->rec);
    a->at[i] = addr;
    a->size[i] = size;
    a->rec[i] = rec;
    a->n++;
    af->count++;
    af->bytes += size;
    if (size > a->max) {
        a->max = size;
        seg_set(af, a->pos, size);
    }
    return 0;
}

void hr_af_remove(hr_arenafit *af, uint32_t id, uint64_t addr)
{
    hr_afit_arena *a = &af->ar[id];
    uint32_t i = lower_bound(a, addr);
    if (i >= a->n || a->at[i] != addr)
        return;
    uint64_t size = a->size[i];
    uint32_t move = a->n - i - 1;
    memmove(a->at + i, a->at + i + 1, move * sizeof *a->at);
    memmove(a->size + i, a->size + i + 1, move * sizeof *a->size);
    memmove(a->rec + i, a->rec + i + 1, move * sizeof *a->rec);
    a->n--;
    af->count--;
    af->bytes -= size;
    if (size == a->max)
        refresh_max(af, a);
}

void hr_af_set(hr_arenafit *af, uint32_t id, uint64_t addr, uint64_t new_addr, uint64_t new_size, uint32_t rec)
{
    hr_afit_arena *a = &af->ar[id];
    uint32_t i = lower_bound(a, addr);
    if (i >= a->n || a->at[i] != addr)
        return;
    uint64_t old = a->size[i];
    a->at[i] = new_addr;
    a->size[i] = new_size;
    a->rec[i] = rec;
    af->bytes += new_size - old;
    if (new_size > a->max) {
        a->max = new_size;
        seg_set(af, a->pos, new_size);
    } else if (old == a->max && new_size < old) {
        refresh_max(af, a);
    }
}

static void entry(const hr_afit_arena *a, uint32_t k, hr_afree *out)
{
    *out = (hr_afree){a->at[k], a->size[k], a->rec[k], 0};
}

int hr_af_first(const hr_arenafit *af, uint64_t need, uint32_t *id, hr_afree *out)
{
    if (!af->nord || af->seg[1] < need)
        return -1;
    uint32_t i = 1;
    while (i < af->segn)
        i = af->seg[2 * i] >= need ? 2 * i : 2 * i + 1;
    const hr_afit_arena *a = &af->ar[af->ord[i - af->segn]];
    for (uint32_t k = 0; k < a->n; k++) {
        if (a->size[k] >= need) {
            *id = af->ord[i - af->segn];
            entry(a, k, out);
            return 0;
        }
    }
    return -1; /* cannot happen: the arena's max said one fits */
}

int hr_af_find(const hr_arenafit *af, uint64_t addr, hr_afree *out)
{
    for (uint32_t p = af->nord; p-- > 0;) {
        const hr_afit_arena *a = &af->ar[af->ord[p]];
        if (a->addr > addr)
            continue;
        uint32_t i = lower_bound(a, addr);
        if (i >= a->n || a->at[i] != addr)
            return -1;
        entry(a, i, out);
        return 0;
    }
    return -1;
}
