/* SPDX-License-Identifier: MIT */
/* mtrace text to .hrr (include/heaprr/mtrace.h). */
#define _GNU_SOURCE
#include <heaprr/mtrace.h>
#include <heaprr/writer.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MODULES 4096
#define MODULE_SPAN 0x10000000000ull /* the made-up mapping of each module: 1 TiB apart */
#define MODULE_BASE 0x100000000000ull

typedef struct importer {
    const char *name;
    hr_writer *w;
    uint64_t seq, line;
    char *modules[MAX_MODULES];
    uint32_t nmodules;
    uint64_t pending_old, pending_line, pending_ip; /* a '<' waiting for its '>' */
    int pending;
    char *why;
    size_t why_size;
    hr_mtrace_counts *c;
} importer;

static int fail(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(importer *im, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(im->why, im->why_size, "%s: line %" PRIu64 ": %s", im->name, im->line, msg);
    return HR_ERR_CORRUPT;
}

/* A hexadecimal number "0x..." (or "0", as %#lx prints zero), or "(nil)" for a pointer. */
static int number(const char *s, int pointer, uint64_t *out)
{
    if (pointer && strcmp(s, "(nil)") == 0) {
        *out = 0;
        return 0;
    }
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s + 2, &end, 16);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* The module record of path (made on first use): its index, or -1. */
static int module_of(importer *im, const char *path, size_t len)
{
    for (uint32_t i = 0; i < im->nmodules; i++)
        if (strlen(im->modules[i]) == len && memcmp(im->modules[i], path, len) == 0)
            return (int)i;
    if (im->nmodules == MAX_MODULES || !(im->modules[im->nmodules] = strndup(path, len)))
        return -1;
    uint32_t id = im->nmodules++;
    hr_record r;
    memset(&r, 0, sizeof r);
    r.thread = 1;
    r.seq = im->seq++;
    uint64_t base = MODULE_BASE + (uint64_t)id * MODULE_SPAN;
    r.u.module = (hr_module_info){id, base, base, base + MODULE_SPAN, {"", 0}, {im->modules[id], len}};
    return hr_writer_ordered(im->w, HR_REC_MODULE_LOAD, &r) < 0 ? -1 : (int)id;
}

/* The caller's address: "[0xA]", "PATH:[0xOFF]" (a module offset) or "PATH:(SYM+0xOFF)[0xA]". */
static int caller(importer *im, const char *where, uint64_t *ip)
{
    size_t n = strlen(where);
    if (n < 3 || where[n - 1] != ']')
        return fail(im, "expected a caller such as [0x401136] or prog:[0x1136], not '%.60s'", where);
    const char *open = strrchr(where, '[');
    char num[32];
    size_t k = (size_t)(where + n - 1 - open - 1);
    if (!open || k == 0 || k >= sizeof num)
        return fail(im, "expected a caller address in brackets in '%.60s'", where);
    memcpy(num, open + 1, k);
    num[k] = 0;
    if (number(num, 0, ip) < 0)
        return fail(im, "expected a hexadecimal caller address in '%.60s'", where);
    if (open > where && open[-1] == ':') { /* PATH:[0xOFF]: an offset in PATH */
        int m = module_of(im, where, (size_t)(open - 1 - where));
        if (m < 0)
            return HR_ERR_NOMEM;
        *ip += MODULE_BASE + (uint64_t)m * MODULE_SPAN;
    }
    return 0;
}

static int emit(importer *im, hr_event *ev, uint64_t ip)
{
    uint64_t path[1];
    int rc = ip ? hr_writer_intern(im->w, &ip, 1, 0, path, &ev->stack) : 0;
    if (rc == 0)
        rc = hr_writer_event(im->w, 1, im->seq++, 0, ev);
    return rc;
}

static int op_line(importer *im, char op, char **tok, int ntok, uint64_t ip)
{
    uint64_t p = 0, size = 0;
    int need = (op == '+' || op == '>' || op == '!') ? 3 : 2;
    if (ntok != need)
        return fail(im, "expected %d fields after the caller for '%c', found %d", need, op, ntok);
    if (number(tok[1], 1, &p) < 0)
        return fail(im, "expected a pointer (0x... or (nil)), not '%.40s'", tok[1]);
    if (need == 3 && number(tok[2], 0, &size) < 0)
        return fail(im, "expected a hexadecimal size, not '%.40s'", tok[2]);
    if (im->pending && op != '>')
        return fail(im, "expected the '>' line of the realloc begun on line %" PRIu64, im->pending_line);
    hr_event ev;
    memset(&ev, 0, sizeof ev);
    switch (op) {
    case '+':
        ev = (hr_event){.kind = HR_MALLOC, .ptr = p, .size = size};
        if (!p) {
            ev.xflags = HR_XF_FAILED;
            ev.err = ENOMEM;
            im->c->failed++;
        } else {
            im->c->allocs++;
        }
        return emit(im, &ev, ip);
    case '-':
        ev = (hr_event){.kind = HR_FREE, .ptr = p};
        im->c->frees++;
        return emit(im, &ev, ip);
    case '<':
        im->pending = 1;
        im->pending_old = p;
        im->pending_line = im->line;
        im->pending_ip = ip;
        return 0;
    case '>':
        if (!im->pending)
            return fail(im, "a '>' line without the '<' line of its realloc");
        im->pending = 0;
        ev = (hr_event){.kind = HR_REALLOC, .ptr = p, .old_ptr = im->pending_old, .size = size};
        im->c->reallocs++;
        return emit(im, &ev, ip ? ip : im->pending_ip);
    default: /* '!' */
        ev = (hr_event){.kind = HR_REALLOC, .xflags = HR_XF_FAILED, .err = ENOMEM, .old_ptr = p, .size = size};
        im->c->failed++;
        return emit(im, &ev, ip);
    }
}

static int line(importer *im, char *text)
{
    char *tok[8], *save;
    int n = 0;
    for (char *t = strtok_r(text, " \t\r", &save); t && n < 8; t = strtok_r(NULL, " \t\r", &save))
        tok[n++] = t;
    if (n == 0)
        return 0;
    if (strcmp(tok[0], "=") == 0) /* "= Start", "= End" */
        return 0;
    uint64_t ip = 0;
    int first = 0;
    if (strcmp(tok[0], "@") == 0) {
        if (n < 3)
            return fail(im, "expected an operation after the caller");
        int rc = caller(im, tok[1], &ip);
        if (rc < 0)
            return rc;
        first = 2;
    }
    const char *op = tok[first];
    if (strlen(op) != 1 || !strchr("+-<>!", op[0]))
        return fail(im, "expected '+', '-', '<', '>' or '!', not '%.20s'", op);
    return op_line(im, op[0], tok + first, n - first, ip);
}

static int start(importer *im, const char *name)
{
    char exe[512];
    snprintf(exe, sizeof exe, "mtrace:%s", name);
    int rc = hr_writer_begin_import(im->w, exe, "heaprr import --from mtrace", 1);
    hr_record t;
    memset(&t, 0, sizeof t);
    t.thread = 1;
    t.seq = im->seq++;
    t.u.thread = (typeof(t.u.thread)){1, 0, {"mtrace", 6}};
    if (rc == 0)
        rc = hr_writer_ordered(im->w, HR_REC_THREAD_START, &t);
    return rc;
}

int hr_mtrace_import(FILE *in, const char *name, int out_fd, hr_mtrace_counts *counts, char *why, size_t why_size)
{
    memset(counts, 0, sizeof *counts);
    if (why_size)
        why[0] = 0;
    importer im;
    memset(&im, 0, sizeof im);
    im.name = name;
    im.seq = 1;
    im.why = why;
    im.why_size = why_size;
    im.c = counts;
    hr_writer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fd = out_fd;
    int rc = hr_writer_create(&im.w, &cfg);
    if (rc < 0) {
        snprintf(why, why_size, "%s", hr_strerror(rc));
        return rc;
    }
    rc = start(&im, name);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while (rc == 0 && (len = getline(&buf, &cap, in)) >= 0) {
        im.line++;
        counts->lines++;
        if ((size_t)len != strlen(buf)) {
            rc = fail(&im, "expected text, found a NUL byte");
            break;
        }
        if (len && buf[len - 1] == '\n')
            buf[len - 1] = 0;
        rc = line(&im, buf);
    }
    if (rc == 0 && ferror(in)) {
        snprintf(why, why_size, "%s: %s", name, strerror(errno));
        rc = HR_ERR_IO;
    }
    if (rc == 0 && im.pending)
        rc = fail(&im, "the text ends inside the realloc begun on line %" PRIu64, im.pending_line);
    if (rc == 0 && (rc = hr_writer_finish(im.w)) < 0)
        snprintf(why, why_size, "%s", hr_strerror(rc));
    if (rc < 0 && !why[0])
        snprintf(why, why_size, "%s: line %" PRIu64 ": %s", name, im.line, hr_strerror(rc));
    free(buf);
    for (uint32_t i = 0; i < im.nmodules; i++)
        free(im.modules[i]);
    hr_writer_destroy(im.w);
    return rc;
}
