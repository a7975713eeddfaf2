/* SPDX-License-Identifier: MIT */
/* hr_peek_trace: the header's pid, parent pid and start time, and the trailer's counts equal to
 * what the reader counts over the whole trace; a trace cut short or whose frames do not add up
 * is not complete; a file that is not a trace is refused. */
#include "../check.h"
#include "trace-gen.h"

#include <heaprr/peek.h>
#include <heaprr/reader.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/heaprr-peek-XXXXXX";

static const char *path_of(const char *name)
{
    static char buf[32][256];
    static int n;
    char *p = buf[n++ % 32];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void write_trace(const char *path, int finish)
{
    gen_trace g;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && gen_write(fd, 5000, 4096, finish, &g) == 0);
    close(fd);
    gen_free(&g);
}

static void test_complete(void)
{
    const char *path = path_of("full.hrr");
    write_trace(path, 1);
    hr_peek pk;
    CHECK_FATAL(hr_peek_trace(path, &pk) == 0);
    CHECK(pk.complete);
    hr_reader *r;
    hr_record rec;
    uint64_t events[HR_KIND_COUNT], typed[128];
    CHECK_FATAL(hr_reader_open(&r, path, 0) == 0);
    while (hr_reader_next(r, &rec) == 1)
        ;
    hr_reader_counts(r, events, typed);
    const hr_header *h = hr_reader_header(r);
    CHECK_EQ_U64(pk.pid, h->pid);
    CHECK_EQ_U64(pk.ppid, h->ppid);
    CHECK_EQ_U64(pk.start_realtime_ns, h->start_realtime_ns);
    hr_reader_close(r);
    for (unsigned k = 0; k < HR_KIND_COUNT; k++)
        CHECK_EQ_U64(pk.events[k], events[k]);
    for (unsigned t = 0; t < 128; t++)
        CHECK_EQ_U64(pk.typed[t], typed[t]);
    CHECK(pk.typed[HR_REC_EXEC] > 0 && pk.typed[HR_REC_SPAWN] > 0);
}

/* A copy of the first len bytes of from (len past its end: bytes appended). */
static void copy_cut(const char *from, const char *to, off_t len)
{
    static char data[1 << 22];
    int fd = open(from, O_RDONLY);
    ssize_t n = read(fd, data, sizeof data);
    close(fd);
    CHECK_FATAL(n > 0 && (size_t)len <= sizeof data);
    if (len > n)
        memset(data + n, 0x55, (size_t)(len - n));
    fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && write(fd, data, (size_t)len) == len);
    close(fd);
}

static void test_incomplete(void)
{
    struct stat sb;
    hr_peek pk;
    const char *full = path_of("full.hrr"), *open_end = path_of("open.hrr");
    write_trace(open_end, 0);
    CHECK_EQ_U64(hr_peek_trace(open_end, &pk), 0);
    CHECK(!pk.complete);
    CHECK_EQ_U64(pk.pid, 1234);
    CHECK_FATAL(stat(full, &sb) == 0);
    copy_cut(full, path_of("cut.hrr"), sb.st_size - 3); /* inside the trailer */
    CHECK_EQ_U64(hr_peek_trace(path_of("cut.hrr"), &pk), 0);
    CHECK(!pk.complete);
    copy_cut(full, path_of("long.hrr"), sb.st_size + 20); /* bytes after the trailer */
    CHECK_EQ_U64(hr_peek_trace(path_of("long.hrr"), &pk), 0);
    CHECK(!pk.complete);
    copy_cut(full, path_of("header.hrr"), 60);
    CHECK_EQ_U64(hr_peek_trace(path_of("header.hrr"), &pk), 0);
    CHECK(!pk.complete);

    /* A flipped byte in the trailer's payload: its CRC does not hold. */
    copy_cut(full, path_of("flip.hrr"), sb.st_size);
    int fd = open(path_of("flip.hrr"), O_RDWR);
    unsigned char b;
    CHECK_FATAL(pread(fd, &b, 1, sb.st_size - 6) == 1);
    b ^= 0x40;
    CHECK_FATAL(pwrite(fd, &b, 1, sb.st_size - 6) == 1);
    close(fd);
    CHECK_EQ_U64(hr_peek_trace(path_of("flip.hrr"), &pk), 0);
    CHECK(!pk.complete);
}

static void test_not_traces(void)
{
    hr_peek pk;
    int fd = open(path_of("text"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && write(fd, "just some text, not a trace at all, long enough for a header", 60) == 60);
    close(fd);
    CHECK_EQ_U64(hr_peek_trace(path_of("text"), &pk), HR_ERR_NOT_TRACE);
    CHECK_EQ_U64(hr_peek_trace(path_of("missing"), &pk), HR_ERR_IO);
}

int main(void)
{
    CHECK_FATAL(mkdtemp(dir) != NULL);
    test_complete();
    test_incomplete();
    test_not_traces();
    const char *names[] = {"full.hrr", "open.hrr", "cut.hrr", "long.hrr", "header.hrr", "flip.hrr", "text"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unlink(path_of(names[i]));
    rmdir(dir);
    return check_done("test-peek");
}
