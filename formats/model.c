/* SPDX-License-Identifier: MIT */
/* The pointer model of a chunk (formats/SPEC.md 5.5), kept identically by writer and reader:
 * blocks allocated in the chunk, by pointer, with their allocation ordinal and size class, and per
 * class a short stack of recently released pointers. A free is coded by the rank of its block
 * among the live ones (how many live blocks are younger); an allocation by where its pointer sits
 * in its class's stack of released blocks. Allocators that reuse the last freed block of a size
 * (glibc's tcache, most others) make these codes small and repetitive.
 *
 * Which blocks are live is the bitmap of live ordinals; the map from pointer to ordinal is never
 * pruned within a chunk (an entry whose ordinal is no longer live is a released block), so a
 * release touches no map slot and a reader decoding a rank does not look its pointer up at all.
 * The map's slots carry a generation, so starting a new chunk is O(1). */
#include "internal.h"
#include "varint.h"

#define INITIAL_SLOTS 256
#define FILTER_SHIFT 19 /* bits of the filter of pointers the chunk has allocated (64 KiB) */
#define FILTER_WORDS ((1u << FILTER_SHIFT) / 64)
#define GEN_MAX 0xffffffu
#define WORDS (HR_CHUNK_RECORDS_MAX / 64)

static size_t slot_of(uint64_t p, size_t mask)
{
    uint64_t h = p * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32 ^ h) & mask;
}

/* ---- the set of live ordinals: a bitmap, and a Fenwick tree over the live count of each 64-bit
 * word, so that the rank of an ordinal and the ordinal of a rank are both O(log n) ---- */

static inline unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* The Fenwick tree covers fw_size words (a power of two) and doubles when ordinals outgrow it, so a
 * chunk that allocates little clears little. */
#define FW_MIN 64

static void fw_build(hr_model *m, uint32_t size)
{
    memset(m->sb_count, 0, (size + 1) * sizeof *m->sb_count);
    for (uint32_t i = 1; i <= size; i++) {
        m->sb_count[i] += popcount64(m->live_bits[i - 1]);
        uint32_t j = i + (i & (0u - i));
        if (j <= size)
            m->sb_count[j] += m->sb_count[i];
    }
    m->fw_size = size;
}

static void word_add(hr_model *m, uint32_t w, int delta)
{
    for (uint32_t i = w + 1; i <= m->fw_size; i += i & (0u - i))
        m->sb_count[i] += (uint32_t)delta;
}

static void ord_set(hr_model *m, uint32_t o, int on)
{
    uint64_t bit = 1ull << (o & 63);
    if (on)
        m->live_bits[o >> 6] |= bit;
    else
        m->live_bits[o >> 6] &= ~bit;
    if ((o >> 6) >= m->fw_size) { /* the bit is set: the rebuild counts it */
        uint32_t size = m->fw_size;
        while ((o >> 6) >= size)
            size *= 2;
        fw_build(m, size);
    } else {
        word_add(m, o >> 6, on ? 1 : -1);
    }
    m->live += on ? 1 : (uint64_t)-1;
}

/* Number of live ordinals <= o. */
static uint64_t ord_count_le(const hr_model *m, uint32_t o)
{
    uint64_t n = 0;
    for (uint32_t i = o >> 6; i > 0; i -= i & (0u - i))
        n += m->sb_count[i];
    uint64_t mask = (o & 63) == 63 ? ~0ull : (2ull << (o & 63)) - 1;
    return n + popcount64(m->live_bits[o >> 6] & mask);
}

/* The k-th smallest live ordinal (k >= 1), or -1. */
static int64_t ord_select(const hr_model *m, uint64_t k)
{
    uint32_t pos = 0;
    for (uint32_t step = m->fw_size; step; step >>= 1)
        if (pos + step <= m->fw_size && m->sb_count[pos + step] < k) {
            pos += step;
            k -= m->sb_count[pos];
        }
    if (pos >= m->fw_size)
        return -1;
    uint64_t bits = m->live_bits[pos];
    if (k > popcount64(bits))
        return -1;
    while (--k)
        bits &= bits - 1;
    return (int64_t)pos * 64 + __builtin_ctzll(bits);
}

int hr_model_init(hr_model *m, const hr_alloc *a)
{
    memset(m, 0, sizeof *m);
    m->alloc = a;
    m->mask = INITIAL_SLOTS - 1;
    m->slots = hr_alloc_zeroed(a, INITIAL_SLOTS * sizeof *m->slots);
    m->live_bits = hr_alloc_zeroed(a, WORDS * sizeof *m->live_bits);
    m->sb_count = hr_alloc_zeroed(a, (WORDS + 1) * sizeof *m->sb_count);
    m->ord_cls = hr_alloc_zeroed(a, HR_CHUNK_RECORDS_MAX);
    m->filter = hr_alloc_zeroed(a, FILTER_WORDS * sizeof *m->filter);
    m->gen = 1;
    m->fw_size = FW_MIN;
    if (!m->slots || !m->live_bits || !m->sb_count || !m->ord_cls || !m->filter) {
        hr_model_free(m);
        return HR_ERR_NOMEM;
    }
    return 0;
}

void hr_model_free(hr_model *m)
{
    void *p[5] = {m->slots, m->live_bits, m->sb_count, m->ord_cls, m->filter};
    for (int i = 0; i < 5; i++)
        if (p[i])
            m->alloc->free(m->alloc->opaque, p[i]);
    m->slots = NULL;
    m->live_bits = NULL;
    m->sb_count = NULL;
    m->ord_cls = NULL;
    m->filter = NULL;
}

void hr_model_reset(hr_model *m)
{
    if (m->count)
        memset(m->filter, 0, FILTER_WORDS * sizeof *m->filter);
    m->gen++;
    if (m->gen > GEN_MAX) { /* wrapped after 2^24 chunks: clear for real */
        memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
        m->gen = 1;
    }
    memset(m->live_bits, 0, ((m->ord + 63) / 64) * sizeof *m->live_bits);
    memset(m->sb_count, 0, (m->fw_size + 1) * sizeof *m->sb_count);
    m->fw_size = FW_MIN;
    m->count = 0;
    m->ord = 0;
    m->live = 0;
    m->last = 0;
    m->next = 0;
    memset(m->fhist, 0, sizeof m->fhist);
    memset(m->ahist, 0, sizeof m->ahist);
    m->fpos = m->apos = 0;
    memset(m->nbin, 0, sizeof m->nbin);
    memset(m->top, 0, sizeof m->top);
}

unsigned hr_model_class(uint64_t bytes)
{
    if (bytes < 24)
        return 2;
    uint64_t c = (bytes + 23) >> 4;
    return c > 255 || bytes + 23 < bytes ? 255 : (unsigned)c;
}

static int used(const hr_model *m, size_t s)
{
    return m->slots[s].tag >> 8 == m->gen;
}

static hr_live_slot *find(const hr_model *m, uint64_t p)
{
    for (size_t s = slot_of(p, m->mask);; s = (s + 1) & m->mask) {
        if (!used(m, s))
            return NULL;
        if (m->slots[s].ptr == p)
            return &m->slots[s];
    }
}

/* Whether the map entry e (NULL: none) names a live block: its ordinal is still live. */
static int live_entry(const hr_model *m, const hr_live_slot *e)
{
    return e && (m->live_bits[e->ord >> 6] >> (e->ord & 63) & 1);
}

/* The filter: one bit per hash of the pointers allocated in the chunk, small enough to stay in
 * cache. A clear bit answers "not in the map" without touching the map, which is what most frees of
 * blocks from earlier chunks ask. */
static uint64_t filter_bit(uint64_t p, size_t *word)
{
    uint64_t h = p * 0x9E3779B97F4A7C15ull >> (64 - FILTER_SHIFT);
    *word = (size_t)(h >> 6);
    return 1ull << (h & 63);
}

/* find(), skipped when the filter says p was never allocated in the chunk. */
static hr_live_slot *lookup(const hr_model *m, uint64_t p)
{
    size_t w;
    uint64_t bit = filter_bit(p, &w);
    return m->filter[w] & bit ? find(m, p) : NULL;
}

void hr_model_prefetch(const hr_model *m, uint64_t p)
{
    __builtin_prefetch(&m->slots[slot_of(p, m->mask)]);
}

static int grow(hr_model *m)
{
    size_t n = (m->mask + 1) * 2;
    hr_live_slot *slots = hr_alloc_zeroed(m->alloc, n * sizeof *slots);
    if (!slots)
        return HR_ERR_NOMEM;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!used(m, i))
            continue;
        size_t s = slot_of(m->slots[i].ptr, n - 1);
        while (slots[s].tag >> 8 == m->gen)
            s = (s + 1) & (n - 1);
        slots[s] = m->slots[i];
    }
    m->alloc->free(m->alloc->opaque, m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return 0;
}

/* Records p as allocated with the next ordinal; an entry for p (live or released) is reused. */
static int insert(hr_model *m, uint64_t p, unsigned cls)
{
    hr_live_slot *e = lookup(m, p);
    if (!e) {
        if ((m->count + 1) * 2 > m->mask + 1)
            HR_FORWARD(grow(m));
        size_t w;
        uint64_t bit = filter_bit(p, &w);
        m->filter[w] |= bit;
        size_t s = slot_of(p, m->mask);
        while (used(m, s))
            s = (s + 1) & m->mask;
        e = &m->slots[s];
        *e = (hr_live_slot){p, 0, m->gen << 8};
        m->count++;
    } else if (live_entry(m, e)) { /* an address still live was returned again (formats/SPEC.md 7) */
        m->refs.replaced = e->ord;
        ord_set(m, e->ord, 0);
    }
    m->refs.alloc = (int64_t)m->ord;
    e->ord = (uint32_t)m->ord;
    m->ord_cls[m->ord] = (uint8_t)cls;
    ord_set(m, (uint32_t)m->ord, 1);
    return 0;
}

/* Bins are circular: top[c] is where the next push goes, the entry at depth k is k below it. */
#define BIN_AT(m, c, k) ((m)->bin[c][((m)->top[c] - 1 - (k)) & (HR_MODEL_BIN_DEPTH - 1)])

static void push_bin(hr_model *m, unsigned cls, uint64_t p)
{
    m->bin[cls][m->top[cls]] = p;
    m->top[cls] = (uint8_t)((m->top[cls] + 1) & (HR_MODEL_BIN_DEPTH - 1));
    if (m->nbin[cls] < HR_MODEL_BIN_DEPTH)
        m->nbin[cls]++;
}

/* Releases the live block of ordinal o and pointer p (if do_release) and pushes p on its class's
 * bin. */
static void release(hr_model *m, uint32_t o, uint64_t p, int do_release)
{
    if (!do_release)
        return;
    m->refs.freed = o;
    ord_set(m, o, 0);
    push_bin(m, m->ord_cls[o], p);
}

/* Raw codes past these would not fit in 64 bits: such pointers (tagged pointers, distances above
 * 2^58) are written whole after an escape code. */
#define FREE_ESCAPE 2
#define FREE_RAW 4
#define FREE_RAW_MAX ((UINT64_MAX - FREE_RAW) / (2 * HR_MODEL_LAGS) - 1)
#define ALLOC_RAW_MAX ((UINT64_MAX - HR_MODEL_BIN_DEPTH - 3) / (HR_MODEL_LAGS + 1) - 1)

/* Raw pointers are coded against a short history of earlier raw pointers: a program that frees (or
 * allocates) the objects of a structure in a repeating order often puts each at a fixed distance
 * from its counterpart a few steps back, and a fixed (lag, distance) pair repeats. */
#define LAGS HR_MODEL_LAGS
#define HIST(h, pos, lag) ((h)[((pos) - 1 - (lag)) & (LAGS - 1)])

/* The lag whose history entry is nearest to p (the smallest lag on ties), and the distance. */
static unsigned nearest(const uint64_t *h, unsigned pos, uint64_t p, uint64_t *zdist)
{
    unsigned best = 0;
    uint64_t bz = hr_zigzag((int64_t)(p - HIST(h, pos, 0)));
    for (unsigned lag = 1; lag < LAGS; lag++) {
        uint64_t z = hr_zigzag((int64_t)(p - HIST(h, pos, lag)));
        if (z < bz) {
            bz = z;
            best = lag;
        }
    }
    *zdist = bz;
    return best;
}

static void remember(uint64_t *h, uint8_t *pos, uint64_t p)
{
    h[*pos & (LAGS - 1)] = p;
    *pos = (uint8_t)(*pos + 1);
}

uint64_t hr_model_free_code(hr_model *m, uint64_t p, int do_release)
{
    if (!p)
        return 0;
    hr_live_slot *e = lookup(m, p);
    uint64_t code;
    if (live_entry(m, e)) {
        /* r live blocks are younger than this one, q older: code the nearer end. */
        uint64_t r = m->live - ord_count_le(m, e->ord), q = m->live - 1 - r;
        code = r <= q ? 1 + 4 * r : 3 + 4 * q;
        release(m, e->ord, p, do_release);
    } else {
        uint64_t z;
        if (e)
            m->refs.earlier = e->ord; /* allocated in the chunk, released since */
        unsigned lag = nearest(m->fhist, m->fpos, p, &z);
        code = z > FREE_RAW_MAX ? FREE_ESCAPE : FREE_RAW + 2 * (z * LAGS + lag);
        remember(m->fhist, &m->fpos, p);
    }
    m->last = p;
    return code;
}

/* The block of rank r (r live blocks allocated after it) is the (live - r)-th live ordinal; the
 * reader's ordinal index (ord_ptr) gives its pointer. A code counts from the young end (r) or
 * from the old end (live - 1 - r), whichever is nearer. */
int hr_model_free_decode(hr_model *m, uint64_t code, uint64_t escaped, int do_release, uint64_t *out)
{
    if (code == 0) {
        *out = 0;
        return 0;
    }
    uint64_t p;
    if (code & 1) {
        uint64_t n = (code - 1) / 4, r = (code & 2) ? m->live - 1 - n : n;
        if (n >= m->live || !m->ord_ptr || ((code & 2) ? n >= r : r > m->live - 1 - r))
            return HR_ERR_CORRUPT; /* out of range, or not the nearer end */
        int64_t o = ord_select(m, m->live - r);
        if (o < 0 || (uint64_t)o >= m->ord)
            return HR_ERR_CORRUPT;
        p = m->ord_ptr[o]; /* a live ordinal's pointer: set when it was allocated */
        release(m, (uint32_t)o, p, do_release);
    } else {
        if (code == FREE_ESCAPE) {
            p = escaped;
        } else {
            uint64_t v = (code - FREE_RAW) / 2;
            p = HIST(m->fhist, m->fpos, v % LAGS) + (uint64_t)hr_unzigzag(v / LAGS);
        }
        hr_live_slot *e = p ? lookup(m, p) : NULL;
        if (!p || live_entry(m, e))
            return HR_ERR_CORRUPT; /* a writer would have coded it by reference */
        if (e)
            m->refs.earlier = e->ord;
        remember(m->fhist, &m->fpos, p);
    }
    m->last = p;
    *out = p;
    return 0;
}

/* Allocation codes after the bin depths (SPEC 5.5). */
#define CODE_SAME (HR_MODEL_BIN_DEPTH + 1)
#define CODE_ESCAPE (HR_MODEL_BIN_DEPTH + 2)
#define CODE_RAW (HR_MODEL_BIN_DEPTH + 3)

/* Where an allocator carving blocks in order from fresh memory puts the next one: after this
 * block's bytes, a header word and 16-byte rounding (glibc's layout; a guess for others). */
static uint64_t next_after(uint64_t p, uint64_t bytes)
{
    uint64_t chunk = bytes > (1ull << 48) ? 0 : (bytes + 8 + 15) & ~15ull;
    return p + (chunk < 32 ? 32 : chunk);
}

static int bin_depth(const hr_model *m, unsigned cls, uint64_t p)
{
    for (int k = 0; k < m->nbin[cls]; k++)
        if (BIN_AT(m, cls, k) == p)
            return k;
    return -1;
}

/* Removes the entry at depth k: the k newer entries move down one place. */
static void bin_remove(hr_model *m, unsigned cls, int k)
{
    for (int j = k; j > 0; j--)
        BIN_AT(m, cls, j) = BIN_AT(m, cls, j - 1);
    m->top[cls] = (uint8_t)((m->top[cls] - 1) & (HR_MODEL_BIN_DEPTH - 1));
    m->nbin[cls]--;
}

static int allocated(hr_model *m, uint64_t p, unsigned cls)
{
    m->last = p;
    HR_FORWARD(insert(m, p, cls));
    if (m->ord_ptr)
        m->ord_ptr[m->ord] = p;
    m->ord++;
    return 0;
}

int hr_model_alloc_code(hr_model *m, uint64_t p, uint64_t bytes, uint64_t *code)
{
    if (!p) {
        *code = 0;
        return 0;
    }
    if (m->ord >= HR_CHUNK_RECORDS_MAX)
        return HR_ERR_LIMIT; /* cannot happen: a chunk holds fewer records */
    unsigned cls = hr_model_class(bytes);
    int k = bin_depth(m, cls, p);
    if (k >= 0) {
        *code = 1 + (uint64_t)k;
        bin_remove(m, cls, k);
    } else if (p == m->last) {
        *code = CODE_SAME;
    } else {
        /* Nearest of `next` (choice 0) and the history of raw allocations (choice 1 + lag). */
        uint64_t z, zn = hr_zigzag((int64_t)(p - m->next));
        unsigned lag = nearest(m->ahist, m->apos, p, &z), which = z < zn ? 1 + lag : 0;
        uint64_t best = which ? z : zn;
        *code = best > ALLOC_RAW_MAX ? CODE_ESCAPE : CODE_RAW + best * (LAGS + 1) + which;
        m->next = next_after(p, bytes);
        remember(m->ahist, &m->apos, p);
    }
    return allocated(m, p, cls);
}

int hr_model_alloc_decode(hr_model *m, uint64_t code, uint64_t escaped, uint64_t bytes, uint64_t *out)
{
    if (code == 0) {
        *out = 0;
        return 0;
    }
    unsigned cls = hr_model_class(bytes);
    uint64_t p;
    if (code <= HR_MODEL_BIN_DEPTH) {
        int k = (int)code - 1;
        if (k >= m->nbin[cls])
            return HR_ERR_CORRUPT;
        p = BIN_AT(m, cls, k);
        bin_remove(m, cls, k);
    } else if (code == CODE_SAME) {
        p = m->last;
        if (!p || bin_depth(m, cls, p) >= 0)
            return HR_ERR_CORRUPT;
    } else if (code == CODE_ESCAPE) {
        p = escaped;
        if (!p || p == m->last || bin_depth(m, cls, p) >= 0)
            return HR_ERR_CORRUPT;
        m->next = next_after(p, bytes);
        remember(m->ahist, &m->apos, p);
    } else {
        uint64_t v = code - CODE_RAW, which = v % (LAGS + 1);
        uint64_t base = which ? HIST(m->ahist, m->apos, which - 1) : m->next;
        p = base + (uint64_t)hr_unzigzag(v / (LAGS + 1));
        if (!p || p == m->last || bin_depth(m, cls, p) >= 0)
            return HR_ERR_CORRUPT; /* a writer would have used a shorter code */
        m->next = next_after(p, bytes);
        remember(m->ahist, &m->apos, p);
    }
    if ((m->ord_ptr && m->ord >= m->ord_cap) || m->ord >= HR_CHUNK_RECORDS_MAX)
        return HR_ERR_CORRUPT;
    *out = p;
    return allocated(m, p, cls);
}
