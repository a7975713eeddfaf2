/* SPDX-License-Identifier: MIT */
/* heaprr replay on real recordings: a cross-thread double free that glibc lets pass is reported
 * with the stacks of the faulting free, of the allocation and of the first free; two replays give
 * the same report; --check none finds nothing; bad input gets one line and the documented status. */
#include "e2e.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* The JSON report without its timing lines ("seconds", "engine_seconds", "..._per_second"). */
static void strip_timing(char *s)
{
    char *out = s;
    for (char *line = s; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        char *hit = strstr(line, "second");
        if (!hit || (end && hit > end)) {
            memmove(out, line, len);
            out += len;
        }
        line += len;
    }
    *out = 0;
}

/* The stack array after key in a finding: its frames counted, and whether one is in module. */
static size_t frames_after(const char *json, const char *key, const char *module, int *in_module)
{
    const char *p = strstr(json, key);
    if (!p)
        return 0;
    const char *end = strchr(p, ']');
    size_t n = 0;
    *in_module = 0;
    for (const char *q = p; (q = strstr(q, "\"address\"")) != NULL && q < end; q++)
        n++;
    const char *m = strstr(p, module);
    if (m && m < end)
        *in_module = 1;
    return n;
}

int main(void)
{
    char trace[4096];
    run_result r;
    e2e_path(trace, sizeof trace, "xthread.hrr");
    char *rec[] = {(char *)e2e_heaprr(), "record", "-q", "--free-stacks", "-o", trace, "--",
                   (char *)e2e_workload("wl-xthread-df"), NULL};
    CHECK_FATAL(e2e_run(&r, rec, NULL) == 0);
    CHECK(r.exited && r.code == 0); /* glibc did not notice */

    char *replay[] = {(char *)e2e_heaprr(), "replay", "--json", trace, NULL};
    CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
    CHECK(r.exited && r.code == 3);
    CHECK(strstr(r.out, "\"allocator\": \"band\"") != NULL);
    CHECK(strstr(r.out, "\"error_count\": 1,") != NULL);
    CHECK_EQ_U64(count(r.out, "\"kind\": \"double-free\""), 1);
    int in;
    CHECK(frames_after(r.out, "\"stack\":", "wl-xthread-df", &in) >= 2 && in);
    CHECK(frames_after(r.out, "\"alloc_stack\":", "wl-xthread-df", &in) >= 2 && in);
    CHECK(frames_after(r.out, "\"free_stack\":", "wl-xthread-df", &in) >= 2 && in);
    CHECK(frames_after(r.out, "\"stack\":", "\"function\": \"second\"", &in) && in);
    CHECK(frames_after(r.out, "\"alloc_stack\":", "\"function\": \"main\"", &in) && in);
    CHECK(frames_after(r.out, "\"free_stack\":", "\"function\": \"first\"", &in) && in);
    CHECK(frames_after(r.out, "\"stack\":", "wl-xthread-df.c\"", &in) && in); /* the file */
    CHECK(strstr(r.out, "\"digest\": \"") != NULL);
    CHECK(strstr(r.out, "\"fragmentation\"") != NULL);
    static char first[16384];
    strip_timing(r.out);
    memcpy(first, r.out, sizeof first);
    CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
    strip_timing(r.out);
    CHECK(strcmp(first, r.out) == 0); /* deterministic */

    /* the same trace on the C library's malloc and on jemalloc: the same free error, found by the
     * engine whatever the allocator; real allocators give no digest */
    static const char *const allocators[] = {"system", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"};
    for (size_t i = 0; i < 2; i++) {
        char *other[] = {(char *)e2e_heaprr(), "replay", "--json", "--allocator", (char *)allocators[i], trace, NULL};
        CHECK_FATAL(e2e_run(&r, other, NULL) == 0);
        CHECK(r.exited && r.code == 3);
        char want[256];
        snprintf(want, sizeof want, "\"allocator\": \"%s\"", allocators[i]);
        CHECK(strstr(r.out, want) != NULL);
        CHECK(strstr(r.out, "\"error_count\": 1,") != NULL);
        CHECK_EQ_U64(count(r.out, "\"kind\": \"double-free\""), 1);
        CHECK(strstr(r.out, "\"digest\": null") != NULL);
        CHECK(strstr(r.out, "\"peak_footprint_bytes\"") != NULL);
    }
    char *bad_alloc[] = {(char *)e2e_heaprr(), "replay", "--allocator", "/usr/lib/x86_64-linux-gnu/libz.so.1", trace,
                         NULL};
    CHECK_FATAL(e2e_run(&r, bad_alloc, NULL) == 0);
    CHECK(r.exited && r.code == 1 && count(r.err, "\n") == 1 && strstr(r.err, "does not define malloc"));

    char *text[] = {(char *)e2e_heaprr(), "replay", trace, NULL};
    CHECK_FATAL(e2e_run(&r, text, NULL) == 0);
    CHECK(strstr(r.out, "double-free: free(") != NULL);
    CHECK(strstr(r.out, "first freed by free") != NULL);
    CHECK(strstr(r.out, "1 error found") != NULL);

    /* a timeline: a header and one line per K events */
    char csv[4096];
    e2e_path(csv, sizeof csv, "timeline.csv");
    char *tl[] = {(char *)e2e_heaprr(), "replay", "--timeline", csv, "--every", "2", trace, NULL};
    CHECK_FATAL(e2e_run(&r, tl, NULL) == 0);
    CHECK(r.exited && r.code == 3);
    FILE *tf = fopen(csv, "r");
    CHECK_FATAL(tf != NULL);
    char line[256];
    size_t lines = 0, ok_lines = 0;
    while (fgets(line, sizeof line, tf)) {
        unsigned long long ev, seq, t, fp, live, blocks;
        if (lines++ == 0)
            CHECK(strcmp(line, "event,seq,time_ns,footprint_bytes,live_bytes,live_blocks\n") == 0);
        else if (sscanf(line, "%llu,%llu,%llu,%llu,%llu,%llu", &ev, &seq, &t, &fp, &live, &blocks) == 6 &&
                 ev == 2 * (lines - 1) && fp >= live)
            ok_lines++;
    }
    fclose(tf);
    CHECK(lines > 3 && ok_lines == lines - 1);

    char *none[] = {(char *)e2e_heaprr(), "replay", "--check", "none", trace, NULL};
    CHECK_FATAL(e2e_run(&r, none, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    CHECK(strstr(r.out, "0 errors found") != NULL);

    /* compare: the same report is no regression; a band configuration with huge band arenas
     * regresses the footprint; a damaged report gets one line */
    char base_json[4096], new_json[4096], bad_json[4096];
    e2e_path(base_json, sizeof base_json, "base.json");
    e2e_path(new_json, sizeof new_json, "new.json");
    e2e_path(bad_json, sizeof bad_json, "bad.json");
    CHECK_FATAL(e2e_run(&r, replay, NULL) == 0);
    FILE *f = fopen(base_json, "w");
    CHECK_FATAL(f && fputs(r.out, f) >= 0 && fclose(f) == 0);
    char *big[] = {(char *)e2e_heaprr(), "replay", "--json", "--band-config", "1:128,2000,0", trace, NULL};
    CHECK_FATAL(e2e_run(&r, big, NULL) == 0);
    f = fopen(new_json, "w");
    CHECK_FATAL(f && fputs(r.out, f) >= 0 && fclose(f) == 0);
    f = fopen(bad_json, "w");
    CHECK_FATAL(f && fputs("{\"allocator\": \"band\", \"peak_footprint_bytes\": ", f) >= 0 && fclose(f) == 0);
    char *same[] = {(char *)e2e_heaprr(), "compare", "--ignore", "time", base_json, base_json, NULL};
    CHECK_FATAL(e2e_run(&r, same, NULL) == 0);
    CHECK(r.exited && r.code == 0 && strstr(r.out, "no regression"));
    char *worse[] = {(char *)e2e_heaprr(), "compare", "--ignore", "time", base_json, new_json, NULL};
    CHECK_FATAL(e2e_run(&r, worse, NULL) == 0);
    CHECK(r.exited && r.code == 1);
    CHECK(strstr(r.out, "peak footprint") && strstr(r.out, "REGRESSION"));
    char *better[] = {(char *)e2e_heaprr(), "compare", "--ignore", "time", new_json, base_json, NULL};
    CHECK_FATAL(e2e_run(&r, better, NULL) == 0);
    CHECK(r.exited && r.code == 0);
    char *damaged[] = {(char *)e2e_heaprr(), "compare", base_json, bad_json, NULL};
    CHECK_FATAL(e2e_run(&r, damaged, NULL) == 0);
    CHECK(r.exited && r.code == 1 && count(r.err, "\n") == 1 && strstr(r.err, "byte"));
    char *bad_ignore[] = {(char *)e2e_heaprr(), "compare", "--ignore", "speed", base_json, base_json, NULL};
    CHECK_FATAL(e2e_run(&r, bad_ignore, NULL) == 0);
    CHECK(r.exited && r.code == 2);

    char missing[4096];
    e2e_path(missing, sizeof missing, "missing.hrr");
    char *bad_file[] = {(char *)e2e_heaprr(), "replay", missing, NULL};
    CHECK_FATAL(e2e_run(&r, bad_file, NULL) == 0);
    CHECK(r.exited && r.code == 1 && count(r.err, "\n") == 1);
    char *bad_check[] = {(char *)e2e_heaprr(), "replay", "--check", "most", trace, NULL};
    CHECK_FATAL(e2e_run(&r, bad_check, NULL) == 0);
    CHECK(r.exited && r.code == 2 && count(r.err, "\n") == 1);
    char *bad_bands[] = {(char *)e2e_heaprr(), "replay", "--band-config", "2:16,3,0", trace, NULL};
    CHECK_FATAL(e2e_run(&r, bad_bands, NULL) == 0);
    CHECK(r.exited && r.code == 2 && strstr(r.err, "band configuration") && count(r.err, "\n") == 1);
    char *lenient[] = {(char *)e2e_heaprr(), "replay", "--lenient", "--band-config", "2:16,3,0", trace, NULL};
    CHECK_FATAL(e2e_run(&r, lenient, NULL) == 0);
    CHECK(r.exited && r.code == 3);
    char *env[] = {"MALLOC_ARENA_SIZE=1000", NULL};
    CHECK_FATAL(e2e_run(&r, replay, env) == 0);
    CHECK(r.exited && r.code == 2 && strstr(r.err, "MALLOC_ARENA_SIZE"));
    return check_done("e2e-replay");
}
