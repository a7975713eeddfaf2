/* SPDX-License-Identifier: MIT */
/* End-to-end test helpers (see e2e.h). */
#define _GNU_SOURCE
#include "e2e.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *e2e_lib(void) { return HEAPRR_LIB_PATH; }
const char *e2e_heaprr(void) { return HEAPRR_CLI_PATH; }

const char *e2e_workload(const char *name)
{
    static char buf[8][4096];
    static int n;
    char *p = buf[n++ % 8];
    snprintf(p, 4096, "%s/%s", HEAPRR_WORKLOAD_DIR, name);
    return p;
}

static char tmpdir[256];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tmpdir(void)
{
    if (tmpdir[0] && !getenv("E2E_KEEP"))
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *e2e_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/heaprr-e2e-XXXXXX");
        CHECK_FATAL(mkdtemp(tmpdir) != NULL);
        atexit(rm_tmpdir);
    }
    return tmpdir;
}

void e2e_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", e2e_tmpdir(), name);
}

static void drain_pipes(int out_fd, int err_fd, run_result *r)
{
    size_t no = 0, ne = 0;
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open_fds = 2;
    while (open_fds) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char *buf = i ? r->err : r->out;
            size_t *n = i ? &ne : &no, cap = (i ? sizeof r->err : sizeof r->out) - 1;
            char tmp[4096];
            ssize_t k = read(fds[i].fd, tmp, sizeof tmp);
            if (k <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            size_t take = (size_t)k < cap - *n ? (size_t)k : cap - *n;
            memcpy(buf + *n, tmp, take);
            *n += take;
            buf[*n] = 0;
        }
    }
}

int e2e_run(run_result *r, char *const argv[], char *const env[])
{
    int po[2], pe[2];
    memset(r, 0, sizeof *r);
    if (pipe(po) < 0 || pipe(pe) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        for (size_t i = 0; env && env[i]; i++)
            putenv(env[i]);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    drain_pipes(po[0], pe[0], r);
    int status;
    waitpid(pid, &status, 0);
    r->exited = WIFEXITED(status);
    r->code = r->exited ? WEXITSTATUS(status) : -1;
    r->signaled = WIFSIGNALED(status);
    r->sig = r->signaled ? WTERMSIG(status) : 0;
    return 0;
}

int e2e_run_traced(run_result *r, const char *trace, char *const argv[], char *const env[])
{
    static char preload[4200], mt[4200];
    char *full[32];
    size_t n = 0;
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", e2e_lib());
    snprintf(mt, sizeof mt, "MALLOC_TRACE=%s", trace);
    full[n++] = preload;
    full[n++] = mt;
    full[n++] = "HEAPRR_TRACE_RAW=";
    for (size_t i = 0; env && env[i] && n < 31; i++)
        full[n++] = env[i];
    full[n] = NULL;
    return e2e_run(r, argv, full);
}

static thread_counts *thread_of(trace_summary *s, uint32_t index)
{
    for (uint32_t i = 0; i < s->nthreads; i++)
        if (s->threads[i].index == index)
            return &s->threads[i];
    if (s->nthreads == 64)
        return NULL;
    thread_counts *t = &s->threads[s->nthreads++];
    memset(t, 0, sizeof *t);
    t->index = index;
    return t;
}

static void note(trace_summary *s, const hr_record *rec)
{
    thread_counts *t;
    if (rec->type == HR_REC_PROCESS_INFO) {
        s->process = rec->u.process;
        snprintf(s->parent_trace, sizeof s->parent_trace, "%.*s", (int)rec->u.process.parent_trace.len,
                 rec->u.process.parent_trace.ptr);
        s->process.parent_trace.ptr = s->parent_trace;
    } else if ((rec->type == HR_REC_THREAD_START || rec->type == HR_REC_THREAD_NAME) &&
               (t = thread_of(s, rec->u.thread.index))) {
        snprintf(t->name, sizeof t->name, "%.*s", (int)rec->u.thread.name.len, rec->u.thread.name.ptr);
    } else if (rec->type == HR_REC_THREAD_END && (t = thread_of(s, rec->u.thread.index))) {
        t->ended = 1;
    } else if (rec->type == HR_REC_EVENT && (t = thread_of(s, rec->thread))) {
        s->kinds[rec->u.event.kind]++;
        if (t->ended) {
            t->after_end++;
            return;
        }
        t->kinds[rec->u.event.kind]++;
        if (rec->u.event.xflags & HR_XF_FAILED) {
            t->failed++;
            s->failed++;
        }
        if (rec->u.event.xflags & HR_XF_INCOMPLETE)
            s->incomplete++;
    }
}

int e2e_summarize(const char *path, trace_summary *s)
{
    hr_reader *r;
    hr_record rec;
    memset(s, 0, sizeof *s);
    int rc = hr_reader_open(&r, path, 0);
    if (rc == 0)
        while ((rc = hr_reader_next(r, &rec)) == 1) {
            s->records++;
            note(s, &rec);
        }
    hr_reader_status st;
    if (r) {
        hr_reader_status_get(r, &st);
        s->complete = st.complete;
        s->truncated = st.truncated;
        snprintf(s->message, sizeof s->message, "%s", hr_reader_message(r));
    }
    hr_reader_close(r);
    s->read_rc = rc;
    return rc < 0 ? rc : 0;
}

const thread_counts *e2e_thread(const trace_summary *s, const char *name)
{
    for (uint32_t i = 0; i < s->nthreads; i++)
        if (strcmp(s->threads[i].name, name) == 0)
            return &s->threads[i];
    return NULL;
}

uint64_t e2e_sum(const trace_summary *s, const char *prefix, unsigned kind)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nthreads; i++)
        if (strncmp(s->threads[i].name, prefix, strlen(prefix)) == 0)
            n += s->threads[i].kinds[kind];
    return n;
}

uint64_t e2e_count_size(const char *path, unsigned kind, uint64_t size)
{
    hr_reader *r;
    hr_record rec;
    uint64_t n = 0;
    if (hr_reader_open(&r, path, 0) == 0)
        while (hr_reader_next(r, &rec) == 1)
            if (rec.type == HR_REC_EVENT && (!kind || rec.u.event.kind == kind) && rec.u.event.size == size)
                n++;
    hr_reader_close(r);
    return n;
}

uint64_t e2e_depth_mismatches(const char *path, unsigned kind, uint64_t size, unsigned period)
{
    hr_reader *r;
    hr_record rec;
    uint64_t ips[256], i = 0, bad = 0;
    size_t base = 0;
    if (hr_reader_open(&r, path, 0) < 0)
        return UINT64_MAX;
    while (hr_reader_next(r, &rec) == 1) {
        if (rec.type != HR_REC_EVENT || rec.u.event.kind != kind || rec.u.event.size != size)
            continue;
        size_t depth = hr_reader_stack(r, rec.u.event.stack, ips, 256);
        if (i == 0)
            base = depth;
        if (depth != base + i % period)
            bad++;
        i++;
    }
    hr_reader_close(r);
    return i ? bad : UINT64_MAX;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

size_t e2e_list(const char *prefix, char names[][256], size_t max)
{
    size_t n = 0;
    DIR *d = opendir(e2e_tmpdir());
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            snprintf(names[n++], 256, "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, 256, cmp_names);
    return n;
}
