/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the band configuration parser (MALLOC_BAND_CONFIG_STR, --band-config):
 * the input is the string. A string the parser accepts must give a configuration the model can
 * run: sizes that grow, every band with blocks, a band arena that holds them; then a model built
 * on it serves a request for every band size and frees it. */
#include "fuzz-common.h"

#include "bandheap.h"

#include <stdlib.h>
#include <string.h>

static void noop(void *ctx, const hr_damage *d)
{
    (void)ctx;
    (void)d;
    fz_fail(__FILE__, __LINE__, "damage reported on a fresh heap");
}

static void run_model(const hr_heap_config *c)
{
    hr_bandheap h;
    if (hr_bh_init(&h, c, HR_CHECK_CHAIN, 1ull << 26) < 0)
        return;
    h.on_damage = noop;
    for (uint32_t i = 0; i < c->nbands; i++) {
        hr_mblock b;
        if (hr_bh_alloc(&h, c->bands[i].size, 0, 0x1000 + i, &b) == 0) {
            FZ_CHECK(b.band == i || (i > 0 && c->bands[i - 1].size == c->bands[i].size));
            hr_bh_free(&h, &b);
        }
    }
    hr_bh_destroy(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_string(data, size), why[256];
    if (!s)
        return 0;
    for (hr_layout_kind k = HR_LAYOUT_NATIVE; k <= HR_LAYOUT_QNX32; k++) {
        hr_heap_config c;
        hr_heapcfg_default(&c, k);
        why[0] = 0;
        if (hr_heapcfg_parse_bands(&c, s, why, sizeof why) < 0) {
            FZ_CHECK(why[0] != 0 && strchr(why, '\n') == NULL);
            FZ_CHECK(c.nbands == 8); /* rejected whole */
            continue;
        }
        FZ_CHECK(c.nbands >= 1 && c.nbands <= HR_MAX_BANDS);
        for (uint32_t i = 0; i < c.nbands; i++) {
            FZ_CHECK(c.bands[i].size % 8 == 0 && c.bands[i].size > 0);
            FZ_CHECK(i == 0 || c.bands[i].size >= c.bands[i - 1].size);
            FZ_CHECK(c.bands[i].blocks > 0);
        }
        FZ_CHECK(c.band_arena_size >= 4096 && c.band_arena_size <= HR_BAND_ARENA_MAX);
        if (k == HR_LAYOUT_NATIVE && size < 64 && c.band_arena_size <= 65536) /* keeps runs fast */
            run_model(&c);
    }
    free(s);
    return 0;
}
