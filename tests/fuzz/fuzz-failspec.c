/* SPDX-License-Identifier: MIT */
/* libFuzzer target for failure injection's rules (HEAPRR_FAIL, heaprr record --fail): the input is
 * the text. Rejected text gets a one-line reason; accepted text gives between 1 and the most rules,
 * each with names that end inside their buffers (site= frames too), and matching a few calls against them (with a
 * backtrace and code ranges added) gives no more failures than a lone rule's count= allows. */
#include "fuzz-common.h"

#include <heaprr/failspec.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_string(data, size), why[256];
    if (!s)
        return 0;
    hr_failspec spec;
    why[0] = 0;
    if (hr_failspec_parse(s, &spec, why, sizeof why) < 0) {
        FZ_CHECK(why[0] != 0 && strchr(why, '\n') == NULL);
        free(s);
        return 0;
    }
    FZ_CHECK(spec.nrules >= 1 && spec.nrules <= HR_FAIL_MAX_RULES);
    for (uint32_t i = 0; i < spec.nrules; i++) {
        hr_fail_rule *r = &spec.rules[i];
        FZ_CHECK(memchr(r->func, 0, sizeof r->func) && memchr(r->module, 0, sizeof r->module));
        FZ_CHECK(r->random <= 1);
        FZ_CHECK(r->nsite <= HR_FAIL_MAX_SITE);
        for (uint32_t k = 0; k < r->nsite; k++)
            FZ_CHECK(memchr(r->site[k].module, 0, sizeof r->site[k].module) && r->site[k].module[0]);
        hr_failspec_add_code(r, 0x1000, 0x2000);
    }
    hr_failspec_module(&spec, "/nonexistent/wl-oom", 0x1000); /* site= and at= frames resolved */
    const uint64_t frames[3] = {0x1800, 0x5000, 0x9000};
    uint64_t failures = 0;
    for (uint64_t n = 1; n <= 64; n++)
        failures += hr_failspec_fails(&spec, n, 1 + (unsigned)(n % 12), n * 8, frames, 3) != 0;
    if (spec.nrules == 1 && spec.rules[0].count) /* count=M: M failures at most */
        FZ_CHECK(failures <= spec.rules[0].count);
    free(s);
    return 0;
}
