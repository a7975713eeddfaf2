/* SPDX-License-Identifier: MIT */
/* dlopen/dlclose: the plugin's load and unload are recorded with its path, range and build-id, and
 * the leaks it made point into its range, so they stay attributable after it is gone. */
#include "e2e.h"

int main(void)
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "dl.hrr");
    char *argv[] = {(char *)e2e_workload("wl-dlopen"), (char *)e2e_workload("libwl-plugin.so"), NULL};
    CHECK_FATAL(e2e_run_traced(&r, trace, argv, NULL) == 0);
    CHECK(r.exited && r.code == 0);

    hr_reader *rd;
    hr_record rec;
    uint64_t id = UINT64_MAX, start = 0, end = 0, load_seq = 0, unload_seq = 0, in_plugin = 0;
    size_t build_id_len = 0;
    CHECK_FATAL(hr_reader_open(&rd, trace, 0) == 0);
    while (hr_reader_next(rd, &rec) == 1) {
        if (rec.type == HR_REC_MODULE_LOAD && rec.u.module.path.len > 16 &&
            memcmp(rec.u.module.path.ptr + rec.u.module.path.len - 16, "/libwl-plugin.so", 16) == 0) {
            id = rec.u.module.id;
            start = rec.u.module.start;
            end = rec.u.module.end;
            build_id_len = rec.u.module.build_id.len;
            load_seq = rec.seq;
        } else if (rec.type == HR_REC_MODULE_UNLOAD && rec.u.module.id == id) {
            unload_seq = rec.seq;
        } else if (rec.type == HR_REC_EVENT && rec.u.event.kind == HR_MALLOC && rec.u.event.size == 123) {
            uint64_t ips[4];
            size_t d = hr_reader_stack(rd, rec.u.event.stack, ips, 4);
            in_plugin += d > 0 && ips[0] >= start && ips[0] < end;
        }
    }
    hr_reader_close(rd);
    CHECK(id != UINT64_MAX);
    CHECK(build_id_len >= 16);
    CHECK(load_seq > 0 && unload_seq > load_seq);
    CHECK_EQ_U64(in_plugin, 5);
    return check_done("e2e-dlopen");
}
