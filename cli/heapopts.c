/* SPDX-License-Identifier: MIT */
/* Model options shared by config and replay (heapopts.h). */
#include "heapopts.h"

#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cli_heap_option(cli_heapopts *h, int c, const char *arg)
{
    switch (c) {
    case OPT_MODEL: h->model = arg; return 1;
    case OPT_BANDS: h->bands = arg; return 1;
    case OPT_ARENA: h->arena = arg; return 1;
    case OPT_MAXBLK: h->maxblk = arg; return 1;
    case OPT_MAXSZ: h->maxsz = arg; return 1;
    case OPT_PREALLOC: h->prealloc = arg; return 1;
    case OPT_HOLD: h->hold = 1; return 1;
    case OPT_LENIENT: h->lenient = 1; return 1;
    default: return 0;
    }
}

static const char *env_get(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void cli_heap_config(const char *cmd, const cli_heapopts *h, hr_heap_config *out)
{
    hr_layout_kind kind = HR_LAYOUT_NATIVE;
    if (h->model && strcmp(h->model, "qnx32") == 0)
        kind = HR_LAYOUT_QNX32;
    else if (h->model && strcmp(h->model, "native") != 0)
        cli_usage(cmd, "--model expects qnx32 or native, not '%s'", h->model);
    hr_heapcfg_default(out, kind);
    char why[256];
    if (hr_heapcfg_from_env(out, env_get, h->lenient, why, sizeof why) < 0)
        cli_usage(cmd, "%s", why);
    if (h->bands && hr_heapcfg_parse_bands(out, h->bands, why, sizeof why) < 0 && !h->lenient)
        cli_usage(cmd, "%s", why);
    if (h->arena &&
        hr_heapcfg_set_arena_size(out, cli_number(cmd, "--arena-size", h->arena, 0, UINT64_MAX), why, sizeof why) < 0)
        cli_usage(cmd, "%s", why);
    if (h->maxblk)
        out->cache_maxblk = cli_number(cmd, "--cache-maxblk", h->maxblk, 0, UINT32_MAX);
    if (h->maxsz)
        out->cache_maxsz = cli_number(cmd, "--cache-maxsz", h->maxsz, 0, UINT64_MAX);
    if (h->prealloc)
        out->preallocate = cli_number(cmd, "--preallocate", h->prealloc, 0, 1ull << 36);
    if (h->hold)
        out->memory_hold = 1;
}
