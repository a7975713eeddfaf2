/* SPDX-License-Identifier: MIT */
/* .hrr to mtrace text (include/heaprr/mtrace.h). */
#include <heaprr/mtrace.h>

#include <inttypes.h>
#include <string.h>

/* "@ module:[0xoffset] " or "@ [0xaddress] " for the innermost frame of a stack. */
static void where(hr_reader *r, uint64_t stack, FILE *out)
{
    uint64_t ip;
    if (!stack || hr_reader_stack(r, stack, &ip, 1) != 1)
        return;
    for (uint64_t id = hr_reader_module_limit(r); id-- > 0;) {
        int unloaded;
        const hr_module_info *m = hr_reader_module(r, id, &unloaded);
        if (!m || ip < m->start || ip >= m->end || !m->path.len || memchr(m->path.ptr, ' ', m->path.len))
            continue;
        fprintf(out, "@ %.*s:[%#" PRIx64 "] ", (int)m->path.len, m->path.ptr, ip - m->bias);
        return;
    }
    fprintf(out, "@ [%#" PRIx64 "] ", ip);
}

static uint64_t bytes_of(const hr_event *ev)
{
    uint64_t n = ev->size, total;
    if (hr_kind_has_count(ev->kind))
        return __builtin_mul_overflow(ev->count, n, &total) ? UINT64_MAX : total;
    return n;
}

static void event(hr_reader *r, const hr_event *ev, FILE *out, hr_mtrace_counts *c)
{
    int failed = (ev->xflags & HR_XF_FAILED) != 0;
    if (hr_kind_is_free(ev->kind)) {
        if (!ev->ptr)
            return; /* glibc does not log free(NULL) */
        where(r, ev->stack, out);
        fprintf(out, "- %#" PRIx64 "\n", ev->ptr);
        c->frees++;
    } else if (hr_kind_is_realloc(ev->kind) && ev->old_ptr) {
        where(r, ev->stack, out);
        if (failed) {
            fprintf(out, "! %#" PRIx64 " %#" PRIx64 "\n", ev->old_ptr, bytes_of(ev));
            c->failed++;
        } else if (!ev->ptr) { /* realloc(p, 0) freed p */
            fprintf(out, "- %#" PRIx64 "\n", ev->old_ptr);
            c->frees++;
        } else {
            fprintf(out, "< %#" PRIx64 "\n", ev->old_ptr);
            where(r, ev->stack, out);
            fprintf(out, "> %#" PRIx64 " %#" PRIx64 "\n", ev->ptr, bytes_of(ev));
            c->reallocs++;
        }
    } else {
        where(r, ev->stack, out);
        if (failed || !ev->ptr) {
            fprintf(out, "+ (nil) %#" PRIx64 "\n", bytes_of(ev)); /* the script ignores these */
            c->failed++;
        } else {
            fprintf(out, "+ %#" PRIx64 " %#" PRIx64 "\n", ev->ptr, bytes_of(ev));
            c->allocs++;
        }
    }
    c->lines++;
}

int hr_mtrace_export(hr_reader *r, FILE *out, hr_mtrace_counts *counts)
{
    memset(counts, 0, sizeof *counts);
    fputs("= Start\n", out);
    hr_record rec;
    int rc;
    while ((rc = hr_reader_next(r, &rec)) > 0)
        if (rec.type == HR_REC_EVENT && !(rec.u.event.xflags & HR_XF_INCOMPLETE))
            event(r, &rec.u.event, out, counts);
    if (rc < 0)
        return rc;
    fputs("= End\n", out);
    return ferror(out) ? HR_ERR_IO : 0;
}
