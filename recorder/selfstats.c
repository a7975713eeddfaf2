/* SPDX-License-Identifier: MIT */
/* The recorder's own costs, counted only with HEAPRR_STATS=1 and reported at exit: how much CPU
 * the writer thread used, how many records each drain took, and how long program threads waited
 * for room in their rings (the one way the recorder can stall a program beyond its per-call cost). */
#include "recorder.h"

#include <sys/resource.h>
#include <time.h>

hr_selfstats hr_stats;

static uint64_t ns_of(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

uint64_t hr_selfstats_now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ns_of(&ts);
}

void hr_selfstats_waited(uint64_t ns)
{
    __atomic_add_fetch(&hr_stats.waits, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&hr_stats.wait_ns, ns, __ATOMIC_RELAXED);
}

void hr_selfstats_report(void)
{
    if (!hr_cfg.stats)
        return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t cpu = (uint64_t)ru.ru_utime.tv_sec * 1000000ull + (uint64_t)ru.ru_utime.tv_usec +
                   (uint64_t)ru.ru_stime.tv_sec * 1000000ull + (uint64_t)ru.ru_stime.tv_usec;
    uint64_t drains = hr_stats.drains ? hr_stats.drains : 1;
    hr_log(
        "recorder costs: %llu records drained by the writer thread in %llu drains (%llu per drain), "
        "using %llu ms of CPU; program threads waited for ring space %llu times, %llu ms in all; "
        "the process used %llu ms of CPU",
        (unsigned long long)hr_stats.records, (unsigned long long)hr_stats.drains,
        (unsigned long long)(hr_stats.records / drains), (unsigned long long)(hr_stats.writer_cpu_ns / 1000000),
        (unsigned long long)hr_stats.waits, (unsigned long long)(hr_stats.wait_ns / 1000000),
        (unsigned long long)(cpu / 1000));
    hr_log("stack bounds of %llu threads: %llu from glibc's thread descriptors, %llu main, %llu from /proc/self/maps",
           (unsigned long long)(hr_stats.stacks_descriptor + hr_stats.stacks_main + hr_stats.stacks_maps),
           (unsigned long long)hr_stats.stacks_descriptor, (unsigned long long)hr_stats.stacks_main,
           (unsigned long long)hr_stats.stacks_maps);
    if (hr_cfg.ckaccess)
        hr_log("access checks: %llu calls checked, %llu ranges, %llu of them inside a block the recorder knows",
               (unsigned long long)hr_stats.access_calls, (unsigned long long)hr_stats.access_ranges,
               (unsigned long long)hr_stats.access_in_block);
    hr_log("staging file %s", hr_stats.stage_adopted ? "taken over from an earlier process of the session" : "created");
}
