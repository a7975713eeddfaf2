/* SPDX-License-Identifier: MIT */
/* The band/arena model: bands and their arenas, first fit with splitting and coalescing, arenas
 * going back through the cache and its limits, requests larger than an arena, alignment, realloc
 * in place, and the checker's damage reports. */
#include "../check.h"

#include "bandheap.h"

static hr_damage last;
static int damages;

static void on_damage(void *ctx, const hr_damage *d)
{
    (void)ctx;
    last = *d;
    damages++;
}

static void setup(hr_bandheap *h, hr_layout_kind kind, hr_check_level check, uint64_t maxblk)
{
    hr_heap_config c;
    hr_heapcfg_default(&c, kind);
    if (maxblk != UINT64_MAX)
        c.cache_maxblk = maxblk;
    CHECK_FATAL(hr_bh_init(h, &c, check, 1ull << 32) == 0);
    h->on_damage = on_damage;
    damages = 0;
}

static hr_mblock alloc(hr_bandheap *h, uint64_t size, uint64_t owner)
{
    hr_mblock b;
    CHECK_FATAL(hr_bh_alloc(h, size, 0, owner, &b) == 0);
    return b;
}

static void test_bands(void)
{
    hr_bandheap h;
    setup(&h, HR_LAYOUT_QNX32, HR_CHECK_BASIC, UINT64_MAX);
    hr_mblock b[170];
    for (int i = 0; i < 168; i++)
        b[i] = alloc(&h, 13, 0x1000 + (uint64_t)i);
    CHECK_EQ_U64(b[0].band, 0);
    CHECK_EQ_U64(b[1].addr - b[0].addr, 24); /* 16-byte blocks + 8-byte list nodes */
    CHECK_EQ_U64(b[167].ref != b[0].ref, 1); /* 167 blocks per band arena: the 168th needs a second */
    CHECK_EQ_U64(h.os.mapped, 2 * 4096);
    CHECK_EQ_U64(h.bands[0].peak_in_use, 168);
    CHECK_EQ_U64(alloc(&h, 17, 0x9000).band, 1); /* 17 bytes: the 24-byte band */
    CHECK_EQ_U64(alloc(&h, 128, 0x9001).band, 7);
    CHECK_EQ_U64(alloc(&h, 129, 0x9002).band, HR_BH_LARGE);
    /* last freed, first reused */
    hr_bh_free(&h, &b[5]);
    hr_mblock again = alloc(&h, 16, 0x2000);
    CHECK_EQ_U64(again.addr, b[5].addr);
    /* an arena that empties while it is its band's only one with free blocks stays... */
    hr_mblock c = alloc(&h, 16, 0x2001); /* from the second arena: the first is full */
    CHECK_EQ_U64(c.ref, b[167].ref);
    hr_bh_free(&h, &c);
    CHECK_EQ_U64(h.bands[0].arenas, 2);
    /* ...and goes back to the cache when it empties while another has free blocks */
    hr_bh_free(&h, &b[0]);
    hr_bh_free(&h, &b[167]);
    CHECK_EQ_U64(h.bands[0].arenas, 1);
    CHECK_EQ_U64(h.cache.count, 1);
    CHECK_EQ_U64(damages, 0);
    hr_bh_destroy(&h);
}

static void test_first_fit(void)
{
    hr_bandheap h;
    setup(&h, HR_LAYOUT_NATIVE, HR_CHECK_BASIC, UINT64_MAX);
    hr_mblock a = alloc(&h, 1000, 1), b = alloc(&h, 1000, 2), c = alloc(&h, 1000, 3), d = alloc(&h, 1000, 4);
    uint64_t step = b.addr - a.addr;
    CHECK_EQ_U64(step, 1024); /* 16-byte header + 1000 bytes, rounded to 16 */
    CHECK_EQ_U64(c.addr - b.addr, step);
    CHECK_EQ_U64(h.freelist.count, 1); /* the arena's tail */
    hr_bh_free(&h, &b);
    CHECK_EQ_U64(h.freelist.count, 2);
    hr_mblock e = alloc(&h, 400, 5); /* first fit: b's hole, split */
    CHECK_EQ_U64(e.addr, b.addr);
    CHECK_EQ_U64(h.freelist.count, 2);
    hr_bh_free(&h, &c); /* joins the rest of b's hole */
    CHECK_EQ_U64(h.freelist.count, 2);
    hr_bh_free(&h, &e); /* joins too: one hole from b to d */
    CHECK_EQ_U64(h.freelist.count, 2);
    hr_afree hole;
    CHECK_FATAL(hr_af_find(&h.freelist, b.addr - h.hsize, &hole) == 0);
    CHECK_EQ_U64(hole.size, 2 * step);
    CHECK_EQ_U64(h.os.mapped, 32768);
    hr_bh_free(&h, &a);
    hr_bh_free(&h, &d); /* the arena is wholly free: it goes to the cache */
    CHECK_EQ_U64(h.freelist.count, 0);
    CHECK_EQ_U64(h.cache.count, 1);
    CHECK_EQ_U64(h.os.mapped, 32768); /* cached arenas stay mapped */
    hr_mblock f = alloc(&h, 2000, 6); /* and come back from the cache */
    CHECK_EQ_U64(h.cache.hits, 1);
    CHECK_EQ_U64(f.addr, a.addr);
    CHECK_EQ_U64(damages, 0);
    hr_bh_destroy(&h);
}

static void test_cache_limits(void)
{
    hr_bandheap h;
    setup(&h, HR_LAYOUT_NATIVE, HR_CHECK_NONE, 1);
    hr_mblock b[3];
    for (int i = 0; i < 3; i++)
        b[i] = alloc(&h, 30000, (uint64_t)i + 1); /* one arena each */
    CHECK_EQ_U64(h.os.mapped, 3 * 32768);
    for (int i = 0; i < 3; i++)
        hr_bh_free(&h, &b[i]);
    CHECK_EQ_U64(h.cache.count, 1); /* MALLOC_ARENA_CACHE_MAXBLK=1 */
    CHECK_EQ_U64(h.os.unmaps, 2);
    CHECK_EQ_U64(h.os.mapped, 32768);
    CHECK_EQ_U64(h.os.peak_mapped, 3 * 32768);
    hr_bh_destroy(&h);

    hr_heap_config c;
    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    c.memory_hold = 1;
    c.cache_maxblk = 1;
    CHECK_FATAL(hr_bh_init(&h, &c, HR_CHECK_NONE, 1ull << 32) == 0);
    for (int i = 0; i < 3; i++)
        b[i] = alloc(&h, 30000, (uint64_t)i + 1);
    for (int i = 0; i < 3; i++)
        hr_bh_free(&h, &b[i]);
    CHECK_EQ_U64(h.os.unmaps, 0); /* MALLOC_MEMORY_HOLD: nothing goes back */
    CHECK_EQ_U64(h.cache.count, 3);
    hr_bh_destroy(&h);

    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    c.preallocate = 100000;
    CHECK_FATAL(hr_bh_init(&h, &c, HR_CHECK_NONE, 1ull << 32) == 0);
    CHECK_EQ_U64(h.cache.count, 4); /* 100000 B in 32 KiB arenas */
    alloc(&h, 5000, 1);
    CHECK_EQ_U64(h.cache.hits, 1);
    CHECK_EQ_U64(h.os.maps, 4);
    hr_bh_destroy(&h);
}

static void test_big_and_aligned(void)
{
    hr_bandheap h;
    setup(&h, HR_LAYOUT_NATIVE, HR_CHECK_BASIC, UINT64_MAX);
    hr_mblock big = alloc(&h, 100000, 1); /* more than an arena: a multiple of the arena size */
    CHECK_EQ_U64(h.os.mapped, 4 * 32768);
    CHECK_EQ_U64(h.freelist.count, 1); /* the rest is free */
    CHECK_EQ_U64(h.freelist.bytes, 4 * 32768 - 64 - 100016);
    hr_mblock al;
    CHECK_FATAL(hr_bh_alloc(&h, 100, 4096, 2, &al) == 0);
    CHECK_EQ_U64(al.addr % 4096, 0);
    CHECK_EQ_U64(al.band, HR_BH_LARGE);
    hr_bh_free(&h, &al);
    hr_bh_free(&h, &big);
    CHECK_EQ_U64(h.freelist.count, 0);
    CHECK_EQ_U64(damages, 0);
    hr_bh_destroy(&h);
}

static void test_realloc(void)
{
    hr_bandheap h;
    setup(&h, HR_LAYOUT_NATIVE, HR_CHECK_BOUNDS, UINT64_MAX);
    hr_mblock a = alloc(&h, 1000, 1), b = alloc(&h, 1000, 2), c = alloc(&h, 1000, 3);
    hr_bh_free(&h, &b);
    uint64_t at = a.addr;
    CHECK(hr_bh_realloc(&h, &a, 1800, 1) == 0); /* grows into b's hole */
    CHECK_EQ_U64(a.addr, at);
    CHECK(hr_bh_realloc(&h, &a, 3000, 1) == 0); /* no room left: moves */
    CHECK(a.addr != at);
    CHECK(hr_bh_realloc(&h, &c, 200, 3) == 0); /* shrinks in place */
    CHECK_EQ_U64(hr_bh_requested(&h, &c), 200);
    hr_mblock s = alloc(&h, 20, 4);
    CHECK(hr_bh_realloc(&h, &s, 24, 4) == 0); /* fits its band block */
    CHECK_EQ_U64(s.band, 1);
    CHECK(hr_bh_realloc(&h, &s, 60, 4) == 0);
    CHECK_EQ_U64(s.band, 4);
    CHECK_EQ_U64(damages, 0);
    hr_bh_destroy(&h);
}

static void test_damage(void)
{
    hr_bandheap h;
    setup(&h, HR_LAYOUT_NATIVE, HR_CHECK_BOUNDS, UINT64_MAX);
    hr_mblock a = alloc(&h, 10, 0xa), b = alloc(&h, 16, 0xb);
    uint8_t *p = hr_simos_host(&h.os, a.addr);
    p[12] = 0; /* inside a's slack: an overrun of 3 bytes, found at free */
    hr_bh_free(&h, &a);
    CHECK_EQ_U64(damages, 1);
    CHECK_EQ_U64(last.kind, HR_FIND_OVERRUN);
    CHECK_EQ_U64(last.owner, 0xa);
    CHECK_EQ_U64((uint64_t)last.offset, 12);
    a = alloc(&h, 16, 0xa2);
    CHECK_EQ_U64(a.addr + 32, b.addr); /* same slot again; b follows */
    p = hr_simos_host(&h.os, a.addr);
    p[16] = 'x'; /* past a's block: b's header */
    p[17] = 'y';
    hr_bh_free(&h, &a);
    CHECK_EQ_U64(damages, 2);
    CHECK_EQ_U64(last.kind, HR_FIND_CORRUPT_HEADER);
    CHECK_EQ_U64(last.owner, 0xb);
    CHECK_EQ_U64((uint64_t)(-last.offset), 16);
    CHECK_EQ_U64(last.bytes, 2);
    hr_bh_free(&h, &b); /* repaired when reported: no second report */
    CHECK_EQ_U64(damages, 2);
    hr_bh_destroy(&h);

    setup(&h, HR_LAYOUT_NATIVE, HR_CHECK_CHAIN, UINT64_MAX);
    hr_mblock x = alloc(&h, 500, 0x1), y = alloc(&h, 64, 0x2);
    hr_simos_host(&h.os, x.addr)[-3] ^= 0xff; /* x's header, far from y */
    hr_bh_free(&h, &y);
    CHECK_EQ_U64(damages, 1);
    CHECK_EQ_U64(last.kind, HR_FIND_CORRUPT_CHAIN);
    CHECK_EQ_U64(last.owner, 0x1);
    hr_bh_destroy(&h);
}

static void test_fittree(void)
{
    hr_fittree t;
    CHECK_FATAL(hr_fit_init(&t) == 0);
    /* ranges at 0, 100, ..., 9900 of sizes that vary */
    for (uint64_t i = 0; i < 100; i++)
        CHECK(hr_fit_insert(&t, i * 100, 1 + (i * 37) % 90, (uint32_t)i) == 0);
    for (uint64_t want = 1; want <= 90; want++) {
        uint64_t expect = UINT64_MAX;
        for (uint64_t i = 0; i < 100 && expect == UINT64_MAX; i++)
            if (1 + (i * 37) % 90 >= want)
                expect = i * 100;
        hr_fit_node *n = hr_fit_first(&t, want);
        CHECK_FATAL(n != NULL);
        CHECK_EQ_U64(n->addr, expect);
    }
    CHECK(hr_fit_first(&t, 91) == NULL);
    CHECK(hr_fit_remove(&t, 500) == 0);
    CHECK(hr_fit_remove(&t, 500) < 0);
    CHECK_EQ_U64(hr_fit_floor(&t, 550)->addr, 400);
    CHECK_EQ_U64(hr_fit_ceil(&t, 450)->addr, 600);
    CHECK(hr_fit_update(&t, 600, 590, 95) == 0);
    CHECK_EQ_U64(hr_fit_first(&t, 91)->addr, 590);
    CHECK_EQ_U64(t.count, 99);
    hr_fit_destroy(&t);
}

/* Arena-indexed first fit against a plain scan of every free block, over random changes. */
static void test_arenafit(void)
{
    enum { ARENAS = 12, SLOTS = 16 };
    hr_arenafit af;
    CHECK_FATAL(hr_af_init(&af) == 0);
    uint64_t size[ARENAS][SLOTS] = {{0}}; /* block k of arena a at 1000000 * (order) + 1000 * k */
    uint64_t base[ARENAS];
    uint64_t x = 7;
    for (uint32_t a = 0; a < ARENAS; a++) { /* arenas added out of address order */
        base[a] = 1000000ull * ((a * 5) % ARENAS + 1);
        CHECK(hr_af_arena_add(&af, a, base[a]) == 0);
    }
    for (int step = 0; step < 20000; step++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t a = (uint32_t)(x >> 33) % ARENAS, k = (uint32_t)(x >> 45) % SLOTS;
        uint64_t at = base[a] + 1000 * k, sz = 1 + (x >> 52) % 900;
        if (!size[a][k]) {
            CHECK(hr_af_insert(&af, a, at, sz, k) == 0);
            size[a][k] = sz;
        } else if (x & 0x10000) {
            hr_af_remove(&af, a, at);
            size[a][k] = 0;
        } else {
            hr_af_set(&af, a, at, at, sz, k);
            size[a][k] = sz;
        }
        uint64_t need = 1 + (x >> 20) % 950, want = UINT64_MAX;
        for (uint32_t b = 0; b < ARENAS; b++)
            for (uint32_t j = 0; j < SLOTS; j++)
                if (size[b][j] >= need && base[b] + 1000 * j < want)
                    want = base[b] + 1000 * j;
        uint32_t id;
        hr_afree f;
        CHECK_EQ_U64(hr_af_first(&af, need, &id, &f) == 0 ? f.addr : UINT64_MAX, want);
        if (check_failures)
            break;
    }
    hr_af_destroy(&af);
}

int main(void)
{
    test_arenafit();
    test_fittree();
    test_bands();
    test_first_fit();
    test_cache_limits();
    test_big_and_aligned();
    test_realloc();
    test_damage();
    return check_failures ? 1 : 0;
}
