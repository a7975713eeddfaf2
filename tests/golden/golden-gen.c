/* SPDX-License-Identifier: MIT */
/* Writes tests/golden/sample.hrr: a small trace with a known script of calls on two threads
 * (leaks, a realloc chain, a temporary allocation, a double free, C++ operators, a failed call),
 * stacks of made-up addresses (no module holds them, so every tool prints them as they are, the
 * same on any machine). The golden outputs in expected/ were checked by hand against the script.
 * Usage: golden-gen OUT.hrr */
#include <heaprr/writer.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct step {
    uint32_t thread;
    unsigned kind;
    uint64_t ptr, old, size, count;
    int stack; /* index into stacks[] */
    int failed;
} step;

static const uint64_t stacks[][4] = {
    {0x401010, 0x402020, 0x403030, 0}, /* 0: parse <- load <- main */
    {0x401110, 0x402020, 0x403030, 0}, /* 1: another line of parse */
    {0x404040, 0x403030, 0, 0},        /* 2: cache_grow <- main */
    {0x405050, 0x406060, 0, 0},        /* 3: worker_job <- worker_main */
    {0x407070, 0x403030, 0, 0},        /* 4: make_node <- main */
};

static const step script[] = {
    {1, HR_MALLOC, 0x1000, 0, 24, 0, 0, 0},
    {1, HR_MALLOC, 0x2000, 0, 100, 0, 1, 0},
    {1, HR_CALLOC, 0x3000, 0, 8, 4, 0, 0},
    {1, HR_REALLOC, 0x4000, 0x2000, 300, 0, 2, 0},
    {1, HR_FREE, 0x1000, 0, 0, 0, 0, 0},
    {1, HR_NEW, 0x5000, 0, 40, 0, 4, 0},
    {2, HR_MALLOC, 0x6000, 0, 24, 0, 3, 0},
    {2, HR_FREE, 0x6000, 0, 0, 0, 3, 0}, /* temporary */
    {2, HR_MALLOC, 0x7000, 0, 2, 0, 3, 0},
    {1, HR_MALLOC, 0x8000, 0, 5000, 0, 2, 0},
    {1, HR_MALLOC, 0, 0, 1ull << 40, 0, 2, 1}, /* fails */
    {2, HR_DELETE, 0x5000, 0, 0, 0, 3, 0},
    {2, HR_FREE, 0x1000, 0, 0, 0, 3, 0}, /* double free */
    {1, HR_MALLOC, 0x9000, 0, 4096, 0, 0, 0},
    {1, HR_FREE, 0x9000, 0, 0, 0, 0, 0}, /* temporary */
    {1, HR_FREE, 0, 0, 0, 0, 0, 0},      /* free(NULL) */
};

static int thread(hr_writer *w, uint32_t index, uint32_t tid, const char *name, uint64_t seq, uint64_t time)
{
    hr_record r;
    memset(&r, 0, sizeof r);
    r.thread = index;
    r.seq = seq;
    r.time_ns = time;
    r.u.thread.index = index;
    r.u.thread.tid = tid;
    r.u.thread.name = (hr_str){name, strlen(name)};
    return hr_writer_ordered(w, HR_REC_THREAD_START, &r);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: golden-gen OUT.hrr\n");
        return 2;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    hr_writer *w;
    hr_writer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fd = fd;
    cfg.index_memory = 16u << 20; /* as the recorder does: the analyses answer from it */
    if (fd < 0 || hr_writer_create(&w, &cfg) < 0)
        return 1;
    static const char cmd[] = "golden\0";
    hr_header h;
    memset(&h, 0, sizeof h);
    h.pointer_size = 8;
    h.byte_order = 1;
    h.page_size = 4096;
    h.pid = 4242;
    h.ppid = 1;
    h.start_realtime_ns = 1790000000000000000ull;
    h.time_unit_ns = 1000;
    h.max_depth = 64;
    h.exe = (hr_str){"/usr/bin/golden", 15};
    h.cmdline = (hr_str){cmd, sizeof cmd - 1};
    hr_process_info pi = {{"golden-gen", 10}, HR_ORIGIN_ROOT, 1, {"", 0}, 0, {"/", 1}, 0};
    int rc = hr_writer_begin(w, &h);
    if (rc == 0)
        rc = hr_writer_process(w, &pi);
    uint64_t seq = 1, time = 0;
    if (rc == 0)
        rc = thread(w, 1, 4242, "golden", seq++, time);
    if (rc == 0)
        rc = thread(w, 2, 4243, "worker", seq++, time);
    for (size_t i = 0; rc == 0 && i < sizeof script / sizeof *script; i++) {
        const step *s = &script[i];
        hr_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = s->kind;
        ev.ptr = s->ptr;
        ev.old_ptr = s->old;
        ev.size = s->size;
        ev.count = s->count;
        if (s->failed) {
            ev.xflags = HR_XF_FAILED;
            ev.err = 12;
        }
        uint64_t path[4];
        uint32_t depth = 0;
        while (depth < 4 && stacks[s->stack][depth])
            depth++;
        rc = hr_writer_intern(w, stacks[s->stack], depth, 0, path, &ev.stack);
        time += 1000; /* 1 ms apart (the time unit is 1 us) */
        if (rc == 0)
            rc = hr_writer_event(w, s->thread, seq++, time, &ev);
    }
    if (rc == 0)
        rc = hr_writer_finish(w);
    hr_writer_destroy(w);
    close(fd);
    if (rc < 0) {
        fprintf(stderr, "golden-gen: %s\n", hr_strerror(rc));
        return 1;
    }
    return 0;
}
