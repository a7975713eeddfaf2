/* SPDX-License-Identifier: MIT */
/* Settings from the environment, read once into hr_cfg from a single table. secure_getenv keeps
 * a setuid program from being made to write files by its caller. */
#define _GNU_SOURCE
#include "recorder.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

hr_config hr_cfg;
extern char **environ;

static unsigned long parse_num(const char *s, unsigned long def, unsigned long lo, unsigned long hi)
{
    if (!s || !*s)
        return def;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return def;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > hi)
            return hi;
    }
    return v < lo ? lo : v;
}

static int is_on(const char *s)
{
    return s && (strcmp(s, "1") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0);
}

int hr_env_read(void)
{
    if (!environ)
        return -1;
    const char *trace = secure_getenv("MALLOC_TRACE");
    hr_cfg.trace = trace && *trace ? trace : NULL;
    hr_cfg.depth = (unsigned)parse_num(secure_getenv("MALLOC_TRACEBTDEPTH"), 64, 1, 256);
    hr_cfg.free_stacks = is_on(secure_getenv("MALLOC_TRACE_FREE_STACKS"));
    const char *clk = secure_getenv("HEAPRR_CLOCK");
    hr_cfg.precise_clock = clk && strcmp(clk, "precise") == 0;
    hr_cfg.ring_size = parse_num(secure_getenv("HEAPRR_RING_KB"), 1024, 64, 1u << 20) << 10;
    hr_cfg.chunk_size = parse_num(secure_getenv("HEAPRR_CHUNK_KB"), 1024, 16, 32768) << 10;
    hr_cfg.zstd_level = (int)parse_num(secure_getenv("HEAPRR_ZSTD_LEVEL"), 1, 1, 19);
    hr_cfg.index_memory = (size_t)parse_num(secure_getenv("HEAPRR_INDEX_MB"), 256, 0, 1u << 20) << 20;
    hr_cfg.session_raw = secure_getenv("HEAPRR_TRACE_RAW");
    hr_cfg.session_tmpl = secure_getenv("HEAPRR_TRACE_TEMPLATE");
    hr_cfg.parent = secure_getenv("HEAPRR_PARENT");
    hr_cfg.quiet = is_on(secure_getenv("HEAPRR_QUIET"));
    const char *wt = secure_getenv("HEAPRR_WRITER_THREAD");
    hr_cfg.no_thread = wt && strcmp(wt, "0") == 0;
    hr_cfg.unwind_check = is_on(secure_getenv("HEAPRR_UNWIND_CHECK"));
    hr_cfg.stats = is_on(secure_getenv("HEAPRR_STATS"));
    hr_cfg.guard = is_on(secure_getenv("MALLOC_CKBOUNDS"));
    hr_cfg.guard_size = (parse_num(secure_getenv("MALLOC_GUARD_SIZE"), 32, 8, HR_GUARD_MAX) + 7) / 8 * 8;
    hr_cfg.ckfreed = hr_cfg.guard || is_on(secure_getenv("MALLOC_CKFREED"));
    hr_cfg.dump_leaks = is_on(secure_getenv("MALLOC_DUMP_LEAKS"));
    const char *action = secure_getenv("MALLOC_ACTION");
    hr_cfg.action = -1;
    if (action && action[0] >= '0' && action[0] <= '4' && !action[1])
        hr_cfg.action = action[0] - '0';
    else if (action && *action)
        hr_log("MALLOC_ACTION=%s is not one of 0 (ignore), 1 (abort), 2 (exit), 3 (core), 4 (stop): no checks at "
               "the call", action);
    hr_cfg.ckaccess = is_on(secure_getenv("MALLOC_CKACCESS"));
    hr_cfg.track = hr_cfg.action >= 0 || hr_cfg.ckaccess;
    heaprr__access_active = hr_cfg.ckaccess;
    const char *fail = secure_getenv("HEAPRR_FAIL");
    char why[256];
    if (fail && *fail && hr_inject_setup(fail, why, sizeof why) < 0)
        hr_log("HEAPRR_FAIL=%s: %s; no failures injected", fail, why);
    else
        hr_cfg.fail = fail && *fail;
    const char *torture = secure_getenv("HEAPRR_TORTURE");
    if (torture && *torture && hr_torture_setup(torture) < 0)
        hr_log("HEAPRR_TORTURE=%s is not realloc: no torture", torture);
    const char *errfile = secure_getenv("MALLOC_ERRFILE");
    hr_cfg.errfile = errfile && *errfile ? errfile : NULL;
    hr_cfg.quarantine_bytes = parse_num(secure_getenv("HEAPRR_QUARANTINE_MB"), 32, 1, 1u << 20) << 20;
    hr_cfg.pool = is_on(secure_getenv("HEAPRR_POOL"));
    hr_cfg.max_rings =
        (uint32_t)parse_num(secure_getenv("HEAPRR_MAX_RINGS"), HR_STAGE_MAX_RINGS, 2, HR_STAGE_MAX_RINGS);
    const char *uw = secure_getenv("HEAPRR_UNWIND");
    hr_cfg.unwind_libunwind = uw && strcmp(uw, "libunwind") == 0;
    /* Rings hold whole pages of records: round to a power of two. */
    size_t r = 65536;
    while (r < hr_cfg.ring_size)
        r <<= 1;
    hr_cfg.ring_size = r;
    return 0;
}
