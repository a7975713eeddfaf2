/* SPDX-License-Identifier: MIT */
/* heaprr dump FILE: every record of a trace, one line each, in file (= sequence) order. */
#include "cli.h"
#include "traces.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

static const char help[] =
    "usage: heaprr dump [--stacks] [--tree] FILE...\n"
    "\n"
    "Prints the header, then one line per record: sequence number, time in seconds since the\n"
    "start, thread index and the record (allocation calls with arguments and result, stack nodes,\n"
    "modules, threads, marks, fork and exec, trailer).\n"
    "\n"
    "Several traces, or --tree FILE for a trace and its descendants': each in turn.\n"
    "\n"
    "  --stacks   after each event, its backtrace as raw return addresses\n";

static void print_cmdline(hr_str c)
{
    for (size_t i = 0; i < c.len; i++)
        putchar(c.ptr[i] ? c.ptr[i] : (i + 1 < c.len ? ' ' : '\n'));
    if (!c.len)
        putchar('\n');
}

static void print_header(const hr_header *h, const char *path)
{
    time_t secs = (time_t)(h->start_realtime_ns / 1000000000ull);
    struct tm tm;
    char when[32];
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("# %s: heaprr trace %u.%u, pid %u, parent %u, started %s\n", path, h->major, h->minor, h->pid, h->ppid,
           when);
    printf("# exe %.*s, pointer size %u, page size %u, time unit %u ns%s, depth %u%s\n", (int)h->exe.len, h->exe.ptr,
           h->pointer_size, h->page_size, h->time_unit_ns, (h->flags & HR_HF_COARSE_TIME) ? " (coarse clock)" : "",
           h->max_depth, (h->flags & HR_HF_FREE_STACKS) ? ", full free stacks" : "");
    printf("# cmdline ");
    print_cmdline(h->cmdline);
}

static void print_event(const hr_event *e)
{
    const char *name = hr_kind_name(e->kind);
    if (hr_kind_is_free(e->kind)) {
        printf("%s(0x%" PRIx64, name, e->ptr);
        if (e->xflags & HR_XF_SIZED)
            printf(", size=%" PRIu64, e->size);
        if (e->xflags & HR_XF_ALIGNED)
            printf(", align=%" PRIu64, e->align);
        printf(")");
    } else {
        printf("%s(", name);
        if (hr_kind_is_realloc(e->kind))
            printf("0x%" PRIx64 ", ", e->old_ptr);
        if (hr_kind_has_count(e->kind))
            printf("%" PRIu64 ", ", e->count);
        printf("%" PRIu64, e->size);
        if (hr_kind_has_align(e->kind) || (e->xflags & HR_XF_ALIGNED))
            printf(", align=%" PRIu64, e->align);
        if (e->xflags & HR_XF_NOTHROW)
            printf(", nothrow");
        printf(") = 0x%" PRIx64, e->ptr);
    }
    if (e->xflags & HR_XF_FAILED)
        printf(" failed: %s%s", strerror((int)e->err), (e->xflags & HR_XF_INJECTED) ? " (injected)" : "");
    if (e->xflags & HR_XF_INCOMPLETE)
        printf(" (never returned)");
    if (e->xflags & HR_XF_FREE_SEQ)
        printf(" old released after #%" PRIu64, e->free_seq);
    printf(" stack=%" PRIu64, e->stack);
}

/* A write into a freed block: where, how many bytes, and the first ones found. */
static void print_freed(const hr_record *r)
{
    printf("freed-write ptr=0x%" PRIx64 " offset=%" PRIu64 " bytes=%" PRIu64 " found:", r->u.freed.ptr,
           r->u.freed.offset, r->u.freed.bytes);
    for (size_t i = 0; i < r->u.freed.found.len && i < 16; i++)
        printf(" %02x", (uint8_t)r->u.freed.found.ptr[i]);
    printf("\n");
}

/* A call of memcpy and friends the access checks caught: the function, the range, the block. */
static void print_access(const hr_record *r)
{
    const char *fn = hr_access_fn_name(r->u.access.what & HR_ACCESS_FN_MASK);
    printf("access %s %s ptr=0x%" PRIx64 " size=%" PRIu64 " at=0x%" PRIx64 " len=%" PRIu64 "%s stack=%" PRIu64,
           fn ? fn : "?", (r->u.access.what & HR_ACCESS_WRITE) ? "write" : "read", r->u.access.ptr, r->u.access.size,
           r->u.access.at, r->u.access.len, (r->u.access.what & HR_ACCESS_FREED) ? " freed" : "", r->u.access.stack);
}

/* The zone before a block: offsets (negative) and the bytes found there. */
static void print_guard_before(const hr_record *r)
{
    printf("guard-before ptr=0x%" PRIx64 " size=%" PRIu64 " damaged:", r->u.guard.ptr, r->u.guard.size);
    size_t len = r->u.guard.found.len, shown = 0;
    for (size_t i = 0; i < len && shown < 16; i++) {
        uint8_t b = (uint8_t)r->u.guard.found.ptr[i];
        if (b != hr_guard_byte_before(len - 1 - i)) {
            printf(" -%zu=0x%02x", len - i, b);
            shown++;
        }
    }
    printf("\n");
}

/* The guard zone's damage: offsets past the end of the request and the bytes found there. */
static void print_guard(const hr_record *r)
{
    printf("guard ptr=0x%" PRIx64 " size=%" PRIu64 " damaged:", r->u.guard.ptr, r->u.guard.size);
    int shown = 0;
    for (size_t i = 0; i < r->u.guard.found.len && shown < 16; i++) {
        uint8_t b = (uint8_t)r->u.guard.found.ptr[i];
        if (b != hr_guard_byte(i)) {
            printf(" +%" PRIu64 "=0x%02x", r->u.guard.size + i, b);
            shown++;
        }
    }
}

static void print_module(const hr_module_info *m)
{
    printf("module-load id=%" PRIu64 " [0x%" PRIx64 "-0x%" PRIx64 ") bias=0x%" PRIx64 " build-id=", m->id, m->start,
           m->end, m->bias);
    for (size_t i = 0; i < m->build_id.len; i++)
        printf("%02x", (unsigned char)m->build_id.ptr[i]);
    printf("%s %.*s", m->build_id.len ? "" : "-", (int)m->path.len, m->path.ptr);
}

/* exec and spawn: the program, whether it started, and why it will not be recorded if not. */
static void print_image(const hr_record *r)
{
    static const char *const why[] = {"static", "secure", "no-preload", "foreign"};
    if (r->type == HR_REC_SPAWN)
        printf("spawn child=%u ", r->u.exec.child_pid);
    else
        printf("exec ");
    printf("\"%.*s\"", (int)r->u.exec.path.len, r->u.exec.path.ptr);
    if (r->u.exec.result)
        printf(" failed: %s", strerror((int)r->u.exec.result));
    const char *sep = " unrecorded=";
    for (unsigned i = 0; i < sizeof why / sizeof *why; i++)
        if (r->u.exec.flags & (1u << i)) {
            printf("%s%s", sep, why[i]);
            sep = ",";
        }
}

static void print_typed(const hr_record *r)
{
    const char *name = hr_rec_type_name(r->type);
    switch (r->type) {
    case HR_REC_PROCESS_INFO: {
        const hr_process_info *p = &r->u.process;
        printf("process recorder=\"%.*s\" origin=%s parent-pid=%u parent-trace=\"%.*s\" fork-seq=%" PRIu64
               " cwd=\"%.*s\"",
               (int)p->recorder.len, p->recorder.ptr, hr_origin_name(p->origin), p->parent_pid,
               (int)p->parent_trace.len, p->parent_trace.ptr, p->fork_seq, (int)p->cwd.len, p->cwd.ptr);
        break;
    }
    case HR_REC_STACK_NODE:
        printf("stack-node %" PRIu64 " parent=%" PRIu64 " ip=0x%" PRIx64, r->u.node.id, r->u.node.parent, r->u.node.ip);
        break;
    case HR_REC_MODULE_LOAD: print_module(&r->u.module); break;
    case HR_REC_MODULE_UNLOAD: printf("module-unload id=%" PRIu64, r->u.module.id); break;
    case HR_REC_THREAD_START:
        printf("thread-start index=%u tid=%u name=\"%.*s\"", r->u.thread.index, r->u.thread.tid,
               (int)r->u.thread.name.len, r->u.thread.name.ptr);
        break;
    case HR_REC_THREAD_NAME:
        printf("thread-name index=%u name=\"%.*s\"", r->u.thread.index, (int)r->u.thread.name.len,
               r->u.thread.name.ptr);
        break;
    case HR_REC_THREAD_END: printf("thread-end index=%u", r->u.thread.index); break;
    case HR_REC_MARK: printf("mark \"%.*s\"", (int)r->u.text.len, r->u.text.ptr); break;
    case HR_REC_STOPPED: printf("stopped \"%.*s\"", (int)r->u.text.len, r->u.text.ptr); break;
    case HR_REC_FORK: printf("fork child=%u", r->u.fork.child_pid); break;
    case HR_REC_EXEC:
    case HR_REC_SPAWN: print_image(r); break;
    case HR_REC_GUARD: print_guard(r); break;
    case HR_REC_GUARD_BEFORE: print_guard_before(r); break;
    case HR_REC_FREED_WRITE: print_freed(r); break;
    case HR_REC_ACCESS: print_access(r); break;
    case HR_REC_MALLOPT:
        printf("mallopt param=%" PRId64 " value=%" PRId64 " result=%" PRId64 "\n", r->u.mallopt.param,
               r->u.mallopt.value, r->u.mallopt.result);
        break;
    case HR_REC_TRAILER:
        printf("trailer last-seq=%" PRIu64 " records=%" PRIu64, r->u.trailer.last_seq, r->u.trailer.records);
        break;
    default: printf("unknown record type 0x%x%s", r->type, name ? name : ""); break;
    }
}

static void print_stack(hr_reader *rd, uint64_t id)
{
    uint64_t ips[HR_MAX_DEPTH];
    size_t n = hr_reader_stack(rd, id, ips, HR_MAX_DEPTH);
    for (size_t i = 0; i < n; i++)
        printf("        #%zu 0x%" PRIx64 "\n", i, ips[i]);
}

static void dump_one(const char *path, int stacks)
{
    hr_reader *r = cli_open_trace(path, HR_READ_NODES | HR_READ_TRAILER);
    print_header(hr_reader_header(r), path);
    hr_record rec;
    int rc;
    while ((rc = hr_reader_next(r, &rec)) == 1) {
        int ordered = rec.type == HR_REC_EVENT || hr_rec_type_is_ordered(rec.type);
        if (ordered)
            printf("%8" PRIu64 " %11.6f %3u  ", rec.seq, (double)rec.time_ns / 1e9, rec.thread);
        else
            printf("%8s %11s %3s  ", "-", "-", "-");
        if (rec.type == HR_REC_EVENT)
            print_event(&rec.u.event);
        else
            print_typed(&rec);
        putchar('\n');
        if (stacks && rec.type == HR_REC_EVENT)
            print_stack(r, rec.u.event.stack);
    }
    if (rc < 0)
        cli_trace_error(r);
    hr_reader_status st;
    hr_reader_status_get(r, &st);
    if (st.truncated)
        printf("# %s\n", hr_reader_message(r));
    hr_reader_close(r);
}

int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        {"stacks", no_argument, NULL, 's'}, {"tree", no_argument, NULL, 'T'}, {"help", no_argument, NULL, 'h'}, {0}};
    int stacks = 0, tree = 0, c;
    while ((c = cli_getopt("dump", argc, argv, "h", opts)) != -1)
        if (c == 'h')
            cli_help(help);
        else if (c == 's')
            stacks = 1;
        else if (c == 'T')
            tree = 1;
    cli_trace_set t;
    cli_trace_set_collect("dump", argc, argv, tree, &t);
    for (size_t i = 0; i < t.n; i++) {
        if (i)
            putchar('\n');
        dump_one(t.paths[i], stacks);
    }
    cli_trace_set_free(&t);
    return 0;
}
