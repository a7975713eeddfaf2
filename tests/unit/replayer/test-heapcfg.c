/* SPDX-License-Identifier: MIT */
/* Band configuration: QNX's normalization tables for both layouts, strict parsing, arena sizes and
 * the MALLOC_* variables. */
#include "../check.h"

#include <heaprr/heapcfg.h>

static void expect_bands(const hr_heap_config *c, const uint32_t (*want)[2], uint32_t n)
{
    CHECK_EQ_U64(c->nbands, n);
    for (uint32_t i = 0; i < n && i < c->nbands; i++) {
        CHECK_EQ_U64(c->bands[i].size, want[i][0]);
        CHECK_EQ_U64(c->bands[i].blocks, want[i][1]);
    }
}

static void test_published_defaults(void)
{
    static const uint32_t qnx[][2] = {{16, 167}, {24, 125}, {32, 100}, {48, 71},
                                      {64, 55},  {80, 45},  {96, 38},  {128, 28}};
    hr_heap_config c;
    hr_heapcfg_default(&c, HR_LAYOUT_QNX32);
    expect_bands(&c, qnx, 8);
    CHECK_EQ_U64(c.band_arena_size, 4096);
    CHECK_EQ_U64(c.arena_size, 32768);
}

static void test_native_defaults(void)
{
    /* esize = size + 16; extra = ROUND(16 + 16, esize) + 64; blocks = (4096 - extra) / esize */
    static const uint32_t native[][2] = {{16, 125}, {24, 99}, {32, 83}, {48, 62},
                                         {64, 49},  {80, 41}, {96, 35}, {128, 27}};
    hr_heap_config c;
    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    expect_bands(&c, native, 8);
}

static void test_parse(void)
{
    hr_heap_config c;
    char why[256];
    hr_heapcfg_default(&c, HR_LAYOUT_QNX32);
    /* the chapter's example: sizes round up to multiples of 8 */
    CHECK(hr_heapcfg_parse_bands(&c, "8:2,32,60:15,32,60:29,32,60:55,24,60:100,24,60:130,24,60:260,8,60:600,4,60",
                                 why, sizeof why) == 0);
    static const uint32_t sizes[] = {8, 16, 32, 56, 104, 136, 264, 600};
    CHECK_EQ_U64(c.nbands, 8);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ_U64(c.bands[i].size, sizes[i]);
        CHECK_EQ_U64(c.bands[i].prealloc, 60);
    }
    CHECK_EQ_U64(c.bands[0].blocks, 251); /* (4096 - (ROUND(36, 16) + 32)) / 16 */
    /* many blocks: the band arena doubles until they fit */
    CHECK(hr_heapcfg_parse_bands(&c, "1:16,1000,0", why, sizeof why) == 0);
    CHECK_EQ_U64(c.band_arena_size, 32768);
    CHECK_EQ_U64(c.bands[0].blocks, (32768 - 80) / 24);
    static const char *const bad[] = {"",          "0:",           "2:16,3",         "1:16,3,0:",
                                      "1:16,3,0x", "2:32,3,0:16,3,0", "1:0,3,0",        "1:16,0,0",
                                      "x",         "1:16,3",       "65:16,3,0",      "1:-16,3,0"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hr_heapcfg_default(&c, HR_LAYOUT_QNX32);
        why[0] = 0;
        CHECK(hr_heapcfg_parse_bands(&c, bad[i], why, sizeof why) < 0);
        CHECK(strstr(why, "band configuration") != NULL);
        CHECK_EQ_U64(c.nbands, 8); /* rejected whole: the defaults stay */
    }
    /* the message quotes the input on one line: control bytes as \xNN, cut after 60 bytes */
    char longbad[100];
    memset(longbad, 'a', sizeof longbad - 1);
    longbad[sizeof longbad - 1] = 0;
    memcpy(longbad, "1:\n\\", 4);
    CHECK(hr_heapcfg_parse_bands(&c, longbad, why, sizeof why) < 0);
    CHECK(strstr(why, "'1:\\x0a\\x5caaaa") != NULL);
    CHECK(strstr(why, "aaa...'") != NULL);
    CHECK(strchr(why, '\n') == NULL);
}

static void test_arena_size(void)
{
    hr_heap_config c;
    char why[128];
    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    CHECK(hr_heapcfg_set_arena_size(&c, 65536, why, sizeof why) == 0);
    CHECK_EQ_U64(c.arena_size, 65536);
    CHECK(hr_heapcfg_set_arena_size(&c, 5000, why, sizeof why) < 0);
    CHECK(hr_heapcfg_set_arena_size(&c, 262144, why, sizeof why) < 0);
    CHECK(hr_heapcfg_set_arena_size(&c, 0, why, sizeof why) < 0);
    CHECK_EQ_U64(c.arena_size, 65536);
}

static const char *const *fake_env;

static const char *get(const char *name)
{
    for (const char *const *p = fake_env; *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static void test_env(void)
{
    static const char *const good[] = {"MALLOC_ARENA_SIZE", "16384", "MALLOC_ARENA_CACHE_MAXBLK", "3",
                                       "MALLOC_ARENA_CACHE_MAXSZ", "0", "MALLOC_MEMORY_HOLD", "1",
                                       "MALLOC_BAND_CONFIG_STR", "1:64,10,0", NULL};
    static const char *const bad[] = {"MALLOC_ARENA_SIZE", "12", "MALLOC_ARENA_CACHE_MAXBLK", "5", NULL};
    hr_heap_config c;
    char why[128];
    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    uint64_t maxsz = c.cache_maxsz;
    fake_env = good;
    CHECK(hr_heapcfg_from_env(&c, get, 0, why, sizeof why) == 0);
    CHECK_EQ_U64(c.arena_size, 16384);
    CHECK_EQ_U64(c.cache_maxblk, 3);
    CHECK_EQ_U64(c.cache_maxsz, maxsz); /* 0 is ignored, as QNX does */
    CHECK_EQ_U64(c.memory_hold, 1);
    CHECK_EQ_U64(c.nbands, 1);
    fake_env = bad;
    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    CHECK(hr_heapcfg_from_env(&c, get, 0, why, sizeof why) < 0);
    CHECK(strstr(why, "MALLOC_ARENA_SIZE") || strstr(why, "arena size"));
    hr_heapcfg_default(&c, HR_LAYOUT_NATIVE);
    CHECK(hr_heapcfg_from_env(&c, get, 1, why, sizeof why) == 0); /* lenient: bad values ignored */
    CHECK_EQ_U64(c.arena_size, 32768);
    CHECK_EQ_U64(c.cache_maxblk, 5);
}

int main(void)
{
    test_published_defaults();
    test_native_defaults();
    test_parse();
    test_arena_size();
    test_env();
    return check_failures ? 1 : 0;
}
