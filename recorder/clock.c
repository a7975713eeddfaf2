/* SPDX-License-Identifier: MIT */
/* Timestamps: by default the coarse monotonic clock (a few ns to read, tick resolution), or the
 * precise one with HEAPRR_CLOCK=precise. Both through the vDSO, no system call. */
#include "recorder.h"

#include <time.h>

static uint64_t start_ns;
static clockid_t clock_id = CLOCK_MONOTONIC_COARSE;

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hr_clock_start(void)
{
    clock_id = hr_cfg.precise_clock ? CLOCK_MONOTONIC : CLOCK_MONOTONIC_COARSE;
    start_ns = read_clock(clock_id);
}

uint64_t hr_clock_now(void)
{
    uint64_t t = read_clock(clock_id);
    return t > start_ns ? t - start_ns : 0;
}

uint64_t hr_clock_realtime_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}
