/* SPDX-License-Identifier: MIT */
/* heaprr replay: replays a trace against the band/arena model and the checker, and reports the
 * findings, footprint, fragmentation and per-band figures. */
#include "cli.h"
#include "traces.h"
#include "heapopts.h"
#include "replay-fail.h"
#include "stacks.h"

#include <heaprr/replay.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_FINDINGS 3

static const char help[] =
    "usage: heaprr replay [OPTIONS] [--tree] FILE...\n"
    "\n"
    "Replays the allocation calls of a trace, in the order they happened, against a model of the\n"
    "QNX band/arena allocator and a heap checker. The replay is deterministic: the same trace and\n"
    "configuration give the same addresses, findings and digest. Exit status: 0 when the checker\n"
    "found nothing, 3 when it found errors, 1 for an unreadable trace, 2 for bad usage.\n"
    "Several traces (a process and its children), or --tree FILE for a trace and its descendants':\n"
    "each process's heap replayed in turn, a report each ({\"traces\": [...]} in JSON); exit status 3\n"
    "when any had errors.\n"
    "\n"
    "  --allocator A          band (the model, default), system (the C library's malloc) or the path\n"
    "                         of a shared object exporting the malloc family (libjemalloc.so.2, ...);\n"
    "                         real allocators run in a child process: their addresses, and so the\n"
    "                         digest, change from run to run, and only free errors are checked\n"
    "  --check LEVEL          none, basic (default), bounds (MALLOC_CKBOUNDS) or chain (MALLOC_CKCHAIN);\n"
    "                         traces recorded with 'heaprr record --guard' replay with bounds by default\n"
    "  --on-error continue|stop  go on after an error (default) or stop at the first (MALLOC_ACTION)\n"
    "  --max-errors N         errors listed in the report (all are counted; default 1000)\n"
    "  --timeline FILE.csv    footprint and live bytes every --every events (default 10000)\n"
    "  --every K              sampling interval of the timeline, in events\n"
    "  --stop-after N         replay the first N events only\n"
    "  --fail RULES           the calls these rules pick fail on the allocator (the rules of\n"
    "                         'heaprr record --fail': nth=N, every=K, random=P, size>N, kind=NAME,\n"
    "                         func=NAME, at=MODULE+0xOFFSET, site=..., count=M); the trace goes on\n"
    "                         as recorded: a failed allocation's block is never made, its free\n"
    "                         skipped; a failed realloc keeps the old block. The report counts them\n"
    "                         and lists the stacks where they failed\n"
    "  --json                 machine-readable output\n" CLI_HEAP_HELP;

enum {
    OPT_CHECK = 1100,
    OPT_ON_ERROR,
    OPT_TIMELINE,
    OPT_EVERY,
    OPT_ALLOCATOR,
    OPT_MAX_ERRORS,
    OPT_STOP_AFTER,
    OPT_FAIL,
    OPT_TREE
};

typedef struct replay_args {
    hr_replay_options o;
    const char *path, *timeline, *fail_text; /* path: the trace being replayed */
    int as_json, tree;
    hr_failspec fail;
    cli_trace_set set;
} replay_args;

static hr_failspec *fail_rules(const char *text, hr_failspec *spec)
{
    char why[256];
    if (hr_failspec_parse(text, spec, why, sizeof why) < 0)
        cli_usage("replay", "--fail %s: %s", text, why);
    return spec;
}

static void parse(int argc, char **argv, replay_args *a)
{
    static const struct option opts[] = {CLI_HEAP_LONGOPTS,
                                         {"check", required_argument, NULL, OPT_CHECK},
                                         {"on-error", required_argument, NULL, OPT_ON_ERROR},
                                         {"timeline", required_argument, NULL, OPT_TIMELINE},
                                         {"every", required_argument, NULL, OPT_EVERY},
                                         {"allocator", required_argument, NULL, OPT_ALLOCATOR},
                                         {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
                                         {"stop-after", required_argument, NULL, OPT_STOP_AFTER},
                                         {"fail", required_argument, NULL, OPT_FAIL},
                                         {"tree", no_argument, NULL, OPT_TREE},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    cli_heapopts ho = {0};
    const char *action = getenv("MALLOC_ACTION");
    int c;
    memset(a, 0, sizeof *a);
    a->o.check = HR_CHECK_BASIC;
    a->o.timeline_every = 10000;
    if (getenv("MALLOC_CKBOUNDS") && atoi(getenv("MALLOC_CKBOUNDS")))
        a->o.check = HR_CHECK_BOUNDS;
    if (getenv("MALLOC_CKCHAIN") && atoi(getenv("MALLOC_CKCHAIN")))
        a->o.check = HR_CHECK_CHAIN;
    a->o.stop_on_error = action && atoi(action) != 0;
    while ((c = cli_getopt("replay", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            a->as_json = 1;
        else if (c == OPT_CHECK && hr_check_from_name(optarg, &a->o.check) < 0)
            cli_usage("replay", "--check expects none, basic, bounds or chain, not '%s'", optarg);
        else if (c == OPT_ON_ERROR) {
            if (strcmp(optarg, "continue") != 0 && strcmp(optarg, "stop") != 0)
                cli_usage("replay", "--on-error expects continue or stop, not '%s'", optarg);
            a->o.stop_on_error = strcmp(optarg, "stop") == 0;
        } else if (c == OPT_TIMELINE)
            a->timeline = optarg;
        else if (c == OPT_EVERY)
            a->o.timeline_every = cli_number("replay", "--every", optarg, 1, UINT64_MAX);
        else if (c == OPT_STOP_AFTER)
            a->o.max_events = cli_number("replay", "--stop-after", optarg, 1, UINT64_MAX);
        else if (c == OPT_MAX_ERRORS)
            a->o.max_findings = cli_number("replay", "--max-errors", optarg, 1, 1u << 24);
        else if (c == OPT_ALLOCATOR)
            a->o.allocator = optarg;
        else if (c == OPT_FAIL)
            a->o.fail = fail_rules(a->fail_text = optarg, &a->fail);
        else if (c == OPT_TREE)
            a->tree = 1;
        else
            cli_heap_option(&ho, c, optarg);
    }
    cli_trace_set_collect("replay", argc, argv, a->tree, &a->set);
    a->path = a->set.paths[0];
    if (a->set.n > 1 && a->timeline)
        cli_usage("replay", "--timeline writes one trace's timeline: give one trace, not %zu", a->set.n);
    const char *al = a->o.allocator;
    if (al && strcmp(al, "band") != 0 && strcmp(al, "system") != 0 && access(al, R_OK) != 0)
        cli_usage("replay", "--allocator expects band, system or a shared object, not '%s' (%s)", al,
                  strerror(errno));
    cli_heap_config("replay", &ho, &a->o.heap);
}

/* An overrun found in a guard zone: "guard_zone": true, and "on_model": what its bytes hit in the
 * model's heap (null: nothing it checks). */
static void json_model_effect(json *j, const hr_finding *f)
{
    json_bool(j, "guard_zone", 1);
    if (!f->model_seen) {
        json_null(j, "on_model");
        return;
    }
    json_object_begin(j, "on_model");
    json_cstr(j, "kind", hr_finding_name(f->model_kind));
    if (f->model_block)
        cli_json_hex(j, "block", f->model_block);
    else
        json_null(j, "block");
    json_i64(j, "offset", f->model_offset);
    json_u64(j, "bytes_damaged", f->model_bytes);
    json_object_end(j);
}

static int is_access(const hr_finding *f)
{
    return f->kind == HR_FIND_ACCESS_OVERRUN || f->kind == HR_FIND_ACCESS_FREED;
}

static const char *access_call(const hr_finding *f)
{
    const char *name = hr_access_fn_name(f->access & HR_ACCESS_FN_MASK);
    return name ? name : "?";
}

static void json_finding(json *j, hr_reader *r, const hr_finding *f)
{
    json_object_begin(j, NULL);
    json_cstr(j, "kind", hr_finding_name(f->kind));
    if (is_access(f)) {
        json_u64(j, "event", f->seq);
        json_cstr(j, "call", access_call(f));
    } else if (f->seq && !f->event_kind) { /* a chain check mallopt asked for */
        json_u64(j, "event", f->seq);
        json_cstr(j, "call", "mallopt");
    } else if (f->seq) {
        json_u64(j, "event", f->seq);
        json_cstr(j, "call", hr_kind_name(f->event_kind));
    } else { /* found at exit, by no call */
        json_null(j, "event");
        json_null(j, "call");
    }
    json_u64(j, "thread", f->thread);
    cli_json_hex(j, "ptr", f->ptr);
    json_u64(j, "size", f->size);
    if (f->block)
        cli_json_hex(j, "block", f->block);
    if (f->kind == HR_FIND_INTERIOR_FREE || hr_finding_is_damage(f->kind)) {
        json_i64(j, "offset", f->offset);
        if (f->kind != HR_FIND_INTERIOR_FREE)
            json_u64(j, "bytes_damaged", f->bytes);
    }
    if (f->guard)
        json_model_effect(j, f);
    if (is_access(f)) {
        json_cstr(j, "access", (f->access & HR_ACCESS_WRITE) ? "write" : "read");
        json_i64(j, "offset", f->offset);
        json_u64(j, "length", f->length);
    }
    if (f->kind == HR_FIND_SIZE_MISMATCH)
        json_u64(j, "size_passed", f->passed);
    if (f->kind == HR_FIND_ALIGN_MISMATCH) {
        json_u64(j, "align_passed", f->passed);
        json_u64(j, "alloc_align", f->alloc_align);
    }
    cli_json_stack(j, "stack", r, f->stack);
    if (f->alloc_seq) {
        json_u64(j, "alloc_event", f->alloc_seq);
        json_cstr(j, "alloc_call", hr_kind_name(f->alloc_kind));
        json_u64(j, "alloc_thread", f->alloc_thread);
    }
    cli_json_stack(j, "alloc_stack", r, f->alloc_stack);
    if (f->free_seq) {
        json_u64(j, "free_event", f->free_seq);
        json_cstr(j, "free_call", hr_kind_name(f->free_kind));
        json_u64(j, "free_thread", f->free_thread);
    }
    cli_json_stack(j, "free_stack", r, f->free_stack);
    json_object_end(j);
}

static void print_json(json *j, const replay_args *a, hr_reader *r, const hr_replay_result *res,
                       const hr_finding *f, size_t nf, const hr_injected_call *calls, size_t ncalls)
{
    char digest[20];
    snprintf(digest, sizeof digest, "%016" PRIx64, res->digest);
    json_object_begin(j, NULL);
    json_cstr(j, "file", a->path);
    json_cstr(j, "allocator", res->allocator);
    json_cstr(j, "model", a->o.heap.layout.kind == HR_LAYOUT_QNX32 ? "qnx32" : "native");
    json_cstr(j, "check", hr_check_name(res->check));
    json_u64(j, "events", res->events);
    if (res->digest)
        json_cstr(j, "digest", digest);
    else
        json_null(j, "digest");
    json_u64(j, "error_count", res->findings_total);
    json_object_begin(j, "error_counts");
    for (int k = 0; k < HR_FIND_COUNT; k++)
        json_u64(j, hr_finding_name((hr_finding_kind)k), res->findings[k]);
    json_object_end(j);
    json_array_begin(j, "errors");
    for (size_t i = 0; i < nf; i++)
        json_finding(j, r, &f[i]);
    json_array_end(j);
    json_bool(j, "stopped", res->stopped);
    json_u64(j, "allocs", res->allocs);
    json_u64(j, "frees", res->frees);
    json_u64(j, "reallocs", res->reallocs);
    json_u64(j, "failed_calls", res->failed_skipped);
    json_u64(j, "recorded_injected_calls", res->recorded_injected);
    if (a->o.fail)
        cli_replay_fail_json(j, r, res, calls, ncalls);
    json_u64(j, "inherited_frees", res->inherited_frees);
    json_u64(j, "guard_records", res->guard_records);
    json_object_begin(j, "mallopt");
    json_u64(j, "calls", res->mallopt_calls);
    json_u64(j, "applied", res->mallopt_applied);
    json_object_end(j);
    json_u64(j, "peak_footprint_bytes", res->peak_footprint);
    json_u64(j, "peak_live_bytes", res->peak_live);
    json_u64(j, "live_at_peak_footprint_bytes", res->live_at_peak_footprint);
    json_u64(j, "final_footprint_bytes", res->footprint_end);
    json_u64(j, "final_live_bytes", res->live_end);
    json_u64(j, "final_live_blocks", res->live_blocks_end);
    json_object_begin(j, "fragmentation");
    json_double(j, "at_peak_footprint", res->frag_at_peak_footprint);
    json_double(j, "peak_vs_peak", res->frag_peak_vs_peak);
    json_object_end(j);
    json_array_begin(j, "bands");
    for (uint32_t k = 0; k < res->nbands; k++) {
        const hr_band_report *b = &res->bands[k];
        json_object_begin(j, NULL);
        json_u64(j, "size", b->size);
        json_u64(j, "blocks", b->blocks);
        json_u64(j, "allocs", b->allocs);
        json_u64(j, "peak_in_use", b->peak_in_use);
        json_u64(j, "peak_arenas", b->peak_arenas);
        json_double(j, "utilization", b->utilization);
        json_double(j, "internal_fragmentation", b->internal_frag);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_begin(j, "large");
    json_u64(j, "allocs", res->large_allocs);
    json_u64(j, "peak_in_use", res->peak_large_in_use);
    json_object_end(j);
    json_object_begin(j, "arena_cache");
    json_u64(j, "hits", res->cache_hits);
    json_u64(j, "misses", res->cache_misses);
    json_u64(j, "os_maps", res->os_maps);
    json_u64(j, "os_unmaps", res->os_unmaps);
    json_object_end(j);
    if (!res->digest) /* a real allocator: what the process used (the model's figures are exact) */
        json_u64(j, "peak_rss_bytes", res->peak_rss);
    json_double(j, "seconds", res->seconds);
    json_double(j, "events_per_second", res->seconds > 0 ? (double)res->events / res->seconds : 0.0);
    json_double(j, "engine_seconds", res->engine_seconds);
    json_double(j, "engine_events_per_second",
                res->engine_seconds > 0 ? (double)res->events / res->engine_seconds : 0.0);
    json_object_end(j);
}

static const char *bytes_word(uint64_t n)
{
    return n == 1 ? "byte" : "bytes";
}

static void print_guard(const hr_finding *f)
{
    printf(": %" PRIu64 " %s written %s the %" PRIu64 "-byte block 0x%" PRIx64 ", from offset %" PRId64
           " (its guard zone)",
           f->bytes, bytes_word(f->bytes), f->kind == HR_FIND_UNDERRUN ? "before the start of" : "past the end of",
           f->size, f->block, f->offset);
    if (!f->model_seen)
        return;
    if (f->model_kind == HR_FIND_CORRUPT_HEADER && f->model_block == f->block)
        printf("; on the model they hit its own header");
    else if (f->model_kind == HR_FIND_CORRUPT_HEADER)
        printf("; on the model they hit the header of %s 0x%" PRIx64, f->model_block ? "block" : "free block",
               f->model_block);
    else if (f->model_kind == HR_FIND_OVERRUN)
        printf("; on the model they hit the fill after the request");
    else
        printf("; on the model: %s of %s 0x%" PRIx64, hr_finding_name(f->model_kind),
               f->model_block ? "block" : "free block", f->model_block);
    printf(" (%" PRIu64 " %s from offset %" PRId64 ")", f->model_bytes, bytes_word(f->model_bytes), f->model_offset);
}

static void print_alignments(const hr_finding *f)
{
    if (f->passed)
        printf(": aligned %s (%" PRIu64 ")", hr_kind_name(f->event_kind), f->passed);
    else
        printf(": %s without alignment", hr_kind_name(f->event_kind));
    if (f->alloc_align)
        printf(" of a block from aligned %s (%" PRIu64 ")", hr_kind_name(f->alloc_kind), f->alloc_align);
    else
        printf(" of a block from %s without alignment", hr_kind_name(f->alloc_kind));
}

/* A use-after-free: what was written into the freed block, and when it was seen. */
static void print_freed_write(const hr_finding *f)
{
    printf(": %" PRIu64 " %s written from offset %" PRId64 " of the freed ", f->bytes, bytes_word(f->bytes), f->offset);
    if (f->alloc_seq)
        printf("%" PRIu64 "-byte ", f->size);
    printf("block 0x%" PRIx64 ", found when %s", f->block,
           f->seq ? "it left the quarantine" : "the program exited (still in quarantine)");
}

/* An access check's finding: what the call was about to touch. */
static void print_access(const hr_finding *f)
{
    printf(": %s %" PRIu64 " %s from offset %" PRId64 " of the %s%" PRIu64 "-byte block 0x%" PRIx64,
           (f->access & HR_ACCESS_WRITE) ? "writes" : "reads", f->length, bytes_word(f->length), f->offset,
           f->kind == HR_FIND_ACCESS_FREED ? "freed " : "", f->size, f->block);
    uint64_t end = (uint64_t)f->offset + f->length;
    if (f->kind == HR_FIND_ACCESS_OVERRUN && end > f->size)
        printf(", %" PRIu64 " past its end", end - f->size);
}

static void print_finding(hr_reader *r, const hr_finding *f)
{
    if (is_access(f))
        printf("\n%s: %s(0x%" PRIx64 ") at event #%" PRIu64 ", thread %u", hr_finding_name(f->kind), access_call(f),
               f->ptr, f->seq, f->thread);
    else if (f->seq && !f->event_kind)
        printf("\n%s: found by mallopt(MALLOC_VERIFY) at event #%" PRIu64 ", thread %u", hr_finding_name(f->kind),
               f->seq, f->thread);
    else if (f->seq)
        printf("\n%s: %s(0x%" PRIx64 ") at event #%" PRIu64 ", thread %u", hr_finding_name(f->kind),
               hr_kind_name(f->event_kind), f->ptr, f->seq, f->thread);
    else /* found at exit, by no call */
        printf("\n%s: at exit", hr_finding_name(f->kind));
    if (f->kind == HR_FIND_USE_AFTER_FREE)
        print_freed_write(f);
    else if (is_access(f))
        print_access(f);
    else if (f->kind == HR_FIND_INTERIOR_FREE)
        printf(": %" PRId64 " bytes into the %" PRIu64 "-byte block 0x%" PRIx64, f->offset, f->size, f->block);
    else if (f->guard)
        print_guard(f);
    else if (hr_finding_is_damage(f->kind))
        printf(": %" PRIu64 " bytes damaged from offset %" PRId64 " of %s 0x%" PRIx64 " (%" PRIu64 " bytes requested)",
               f->bytes, f->offset, f->block ? "block" : "free block", f->block, f->size);
    else if (f->kind == HR_FIND_MISMATCHED_FREE)
        printf(": the block came from %s", hr_kind_name(f->alloc_kind));
    else if (f->kind == HR_FIND_SIZE_MISMATCH)
        printf(": sized %s of %" PRIu64 " bytes, the block was asked for %" PRIu64, hr_kind_name(f->event_kind),
               f->passed, f->size);
    else if (f->kind == HR_FIND_ALIGN_MISMATCH)
        print_alignments(f);
    printf("\n");
    if (f->seq)
        cli_print_stack(r, "  at", f->stack);
    if (f->alloc_seq) {
        printf("  allocated by %s at event #%" PRIu64 ", thread %u\n", hr_kind_name(f->alloc_kind), f->alloc_seq,
               f->alloc_thread);
        cli_print_stack(r, "   ", f->alloc_stack);
    }
    if (f->free_seq) {
        printf("  %s by %s at event #%" PRIu64 ", thread %u\n",
               f->kind == HR_FIND_USE_AFTER_FREE || f->kind == HR_FIND_ACCESS_FREED ? "freed" : "first freed",
               hr_kind_name(f->free_kind), f->free_seq,
               f->free_thread);
        cli_print_stack(r, "   ", f->free_stack);
    }
}

static void print_text(const replay_args *a, hr_reader *r, const hr_replay_result *res, const hr_finding *f,
                       size_t nf, const hr_injected_call *calls, size_t ncalls)
{
    if (strcmp(res->allocator, "band") == 0)
        printf("%s: %" PRIu64 " events replayed on the band model (%s, check %s) in %.3f s, %.1f M events/s\n",
               a->path, res->events, a->o.heap.layout.kind == HR_LAYOUT_QNX32 ? "qnx32" : "native",
               hr_check_name(res->check), res->seconds, res->seconds > 0 ? res->events / res->seconds / 1e6 : 0.0);
    else
        printf("%s: %" PRIu64 " events replayed on %s (check %s) in %.3f s, %.1f M events/s\n", a->path, res->events,
               res->allocator, hr_check_name(res->check), res->seconds,
               res->seconds > 0 ? res->events / res->seconds / 1e6 : 0.0);
    if (res->digest)
        printf("  peak footprint %" PRIu64 " B, peak live %" PRIu64 " B; fragmentation %.3f at peak footprint, "
               "%.3f peak vs peak\n",
               res->peak_footprint, res->peak_live, res->frag_at_peak_footprint, res->frag_peak_vs_peak);
    else
        printf("  resident memory grew by %" PRIu64 " B at most (page-granular; the process peaked at %" PRIu64
               " B), peak live %" PRIu64 " B; fragmentation %.3f peak vs peak\n",
               res->peak_footprint, res->peak_rss, res->peak_live, res->frag_peak_vs_peak);
    if (!res->nbands)
        goto findings;
    printf("  %6s %7s %10s %11s %11s %9s\n", "band", "blocks", "allocs", "peak used", "utilization", "int.frag");
    for (uint32_t k = 0; k < res->nbands; k++) {
        const hr_band_report *b = &res->bands[k];
        printf("  %6u %7u %10" PRIu64 " %11" PRIu64 " %10.1f%% %8.1f%%\n", b->size, b->blocks, b->allocs,
               b->peak_in_use, 100 * b->utilization, 100 * b->internal_frag);
    }
    printf("  %6s %7s %10" PRIu64 " %11" PRIu64 "\n", "large", "-", res->large_allocs, res->peak_large_in_use);
    printf("  digest %016" PRIx64 "\n", res->digest);
findings:
    if (res->recorded_injected)
        printf("  %" PRIu64 " call%s failed on purpose in the recorded run (HEAPRR_FAIL)\n", res->recorded_injected,
               res->recorded_injected == 1 ? "" : "s");
    if (a->o.fail)
        cli_replay_fail_text(r, res, calls, ncalls);
    for (size_t i = 0; i < nf; i++)
        print_finding(r, &f[i]);
    printf("%s%" PRIu64 " error%s found%s\n", nf ? "\n" : "", res->findings_total,
           res->findings_total == 1 ? "" : "s",
           res->findings_total > nf ? " (see --max-errors for the ones not listed)" : "");
}

/* A real allocator runs in a child: the same command, exec'd with room in the static TLS block
 * for allocators that need it once loaded (jemalloc), and whatever it does to its heap cannot
 * take this process down. Returns the child's status. */
static int run_in_child(int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        cli_die(1, "cannot start the replay process: %s", strerror(errno));
    if (pid == 0) {
        char tun[1024];
        const char *t = getenv("GLIBC_TUNABLES");
        snprintf(tun, sizeof tun, "%s%sglibc.rtld.optional_static_tls=65536", t ? t : "", t && *t ? ":" : "");
        setenv("GLIBC_TUNABLES", tun, 1);
        setenv("HEAPRR_REPLAY_CHILD", "1", 1);
        char **args = calloc((size_t)argc + 2, sizeof *args);
        if (!args)
            _exit(1);
        args[0] = "heaprr";
        for (int i = 0; i < argc; i++)
            args[i + 1] = argv[i];
        execv("/proc/self/exe", args);
        fprintf(stderr, "heaprr: cannot run the replay process: %s\n", strerror(errno));
        _exit(1);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            cli_die(1, "cannot wait for the replay process: %s", strerror(errno));
    if (WIFSIGNALED(status))
        cli_die(1, "the allocator under test crashed the replay (%s)", strsignal(WTERMSIG(status)));
    return WEXITSTATUS(status);
}

/* Replays the trace at a->path and prints its report (into j for JSON); returns its findings. */
static uint64_t replay_one(replay_args *a, json *j)
{
    hr_reader *r = cli_open_trace(a->path, 0);
    FILE *tl = NULL;
    if (a->timeline && !(tl = fopen(a->timeline, "w")))
        cli_die(EXIT_USAGE, "cannot write %s: %s", a->timeline, strerror(errno));
    a->o.timeline = tl;
    hr_replay *rp;
    int rc = hr_replay_new(&rp, &a->o);
    if (rc < 0)
        cli_die(1, "%s", hr_replay_setup_error());
    rc = hr_replay_run(rp, r);
    if (rc < 0 && rc != HR_ERR_NOMEM)
        cli_trace_error(r);
    if (rc == HR_ERR_NOMEM)
        cli_die(1, "out of memory replaying %s", a->path);
    hr_replay_result res;
    hr_replay_result_get(rp, &res);
    size_t nf;
    const hr_finding *f = hr_replay_findings(rp, &nf);
    size_t ncalls;
    const hr_injected_call *calls = hr_replay_injected(rp, &ncalls);
    if (j)
        print_json(j, a, r, &res, f, nf, calls, ncalls);
    else
        print_text(a, r, &res, f, nf, calls, ncalls);
    cli_truncation_note(r, "replayed what it holds");
    if (tl && fclose(tl) != 0)
        cli_die(1, "cannot write %s: %s", a->timeline, strerror(errno));
    hr_replay_free(rp);
    cli_stacks_done();
    hr_reader_close(r);
    return res.findings_total;
}

int cmd_replay(int argc, char **argv)
{
    replay_args a;
    char **orig = malloc(((size_t)argc + 1) * sizeof *orig);
    if (!orig)
        cli_die(1, "out of memory");
    memcpy(orig, argv, ((size_t)argc + 1) * sizeof *orig);
    parse(argc, argv, &a);
    if (a.o.allocator && strcmp(a.o.allocator, "band") != 0 && !getenv("HEAPRR_REPLAY_CHILD")) {
        int status = run_in_child(argc, orig);
        free(orig);
        cli_trace_set_free(&a.set);
        return status;
    }
    free(orig);
    int many = a.set.n > 1;
    uint64_t findings = 0;
    json j;
    json_init(&j, stdout);
    if (a.as_json && many) {
        json_object_begin(&j, NULL);
        json_array_begin(&j, "traces");
    }
    for (size_t i = 0; i < a.set.n; i++) {
        if (i && !a.as_json)
            printf("\n");
        a.path = a.set.paths[i];
        if (i && a.fail_text) /* the rules count what they failed, and learn each trace's modules */
            a.o.fail = fail_rules(a.fail_text, &a.fail);
        findings += replay_one(&a, a.as_json ? &j : NULL);
    }
    if (a.as_json && many) {
        json_array_end(&j);
        json_object_end(&j);
    }
    if (a.as_json)
        json_finish(&j);
    cli_trace_set_free(&a.set);
    return findings ? EXIT_FINDINGS : 0;
}
