/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the replay engine: the input is a .hrr trace (CRCs repaired so mutations
 * reach the events), replayed on the band model with bounds checking. Whatever events a damaged
 * trace holds (frees of anything, reallocs of freed blocks, huge sizes, guard records), the engine
 * must keep its books straight and never touch memory it does not own. */
#include "fuzz-common.h"

#include <heaprr/replay.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void replay_fd(int fd)
{
    hr_reader *r;
    if (hr_reader_open_fd(&r, fd, "fuzz-input", 0) < 0) {
        hr_reader_close(r);
        return;
    }
    hr_replay_options o;
    memset(&o, 0, sizeof o);
    hr_heapcfg_default(&o.heap, HR_LAYOUT_NATIVE);
    o.check = HR_CHECK_BOUNDS;
    o.sim_limit = 1ull << 30;
    o.max_findings = 50;
    hr_replay *rp;
    if (hr_replay_new(&rp, &o) == 0) {
        hr_replay_run(rp, r);
        hr_replay_result res;
        hr_replay_result_get(rp, &res);
        FZ_CHECK(res.peak_footprint >= res.footprint_end);
        FZ_CHECK(res.allocs >= res.live_blocks_end);
        size_t n;
        const hr_finding *f = hr_replay_findings(rp, &n);
        FZ_CHECK(n <= 50 && n <= res.findings_total);
        for (size_t i = 0; i < n; i++)
            FZ_CHECK(f[i].kind < HR_FIND_COUNT);
        hr_replay_free(rp);
    }
    hr_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = fz_copy(data, size, 1);
    if (!copy)
        return 0;
    int fd = fz_memfd("fuzz-replay", copy, size);
    free(copy);
    if (fd < 0)
        abort();
    replay_fd(fd);
    close(fd);
    return 0;
}
