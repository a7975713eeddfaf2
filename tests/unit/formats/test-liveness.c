/* SPDX-License-Identifier: MIT */
/* heaprr recover and the state of a staging file: one whose lock is held belongs to a process
 * that still records and is left alone (hr_recover refuses it, naming the pid); once the lock is
 * free it is recovered; one that is all zeros or shorter than its header is a process that ended
 * before it recorded anything, said so when the trace does not read, removed when it does. */
#define _GNU_SOURCE
#include "../check.h"
#include "trace-gen.h"

#include <heaprr/recover.h>
#include <heaprr/stage.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#define NOT_RUNNING 0x7FFFFFF0u /* a pid no process has: the /proc check finds nothing */

static char dir[] = "/tmp/heaprr-live-XXXXXX";
static char trace[256], stage[300];

static void write_trace(int finish)
{
    gen_trace g;
    int fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && gen_write(fd, 500, 4096, finish, &g) == 0);
    close(fd);
    gen_free(&g);
}

/* A staging file as a recorder leaves it, naming pid. */
static void make_stage(uint32_t pid)
{
    hr_stage st;
    CHECK_FATAL(hr_stage_create(&st, stage, trace, 65536, 4096, 1000, NULL) == 0);
    st.hdr->pid = pid;
    hr_stage_close(&st);
}

static int lock_stage(void)
{
    int fd = open(stage, O_RDONLY);
    CHECK_FATAL(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
    return fd;
}

static void write_zeros(const char *path, size_t n)
{
    static char zeros[16384];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && n <= sizeof zeros && write(fd, zeros, n) == (ssize_t)n);
    close(fd);
}

static void test_locked(void)
{
    hr_recover_report rep;
    char msg[1024], expect[1024];
    uint32_t pid;
    write_trace(0);
    make_stage(NOT_RUNNING);
    int fd = lock_stage();
    CHECK_EQ_U64(hr_recover_probe(trace, &pid), HR_RECOVER_LIVE);
    CHECK_EQ_U64(pid, NOT_RUNNING);
    CHECK_EQ_U64(hr_recover(trace, &rep, msg, sizeof msg), HR_ERR_STATE);
    snprintf(expect, sizeof expect, "%s is still being written by a running process (pid %u); not completing it", trace,
             NOT_RUNNING);
    CHECK(strcmp(msg, expect) == 0);
    CHECK(access(stage, F_OK) == 0); /* left alone */
    close(fd);
    CHECK_EQ_U64(hr_recover_probe(trace, &pid), HR_RECOVER_LEFT);
    CHECK_EQ_U64(hr_recover(trace, &rep, msg, sizeof msg), 0);
    CHECK(rep.had_stage && !rep.was_complete);
    CHECK(access(stage, F_OK) < 0);

    /* Locked while its header is not written yet: no pid to name. */
    write_zeros(stage, 100);
    fd = lock_stage();
    CHECK_EQ_U64(hr_recover_probe(trace, &pid), HR_RECOVER_LIVE);
    CHECK_EQ_U64(pid, 0);
    CHECK_EQ_U64(hr_recover(trace, &rep, msg, sizeof msg), HR_ERR_STATE);
    snprintf(expect, sizeof expect, "%s is still being written by a running process; not completing it", trace);
    CHECK(strcmp(msg, expect) == 0);
    close(fd);
    unlink(stage);
}

static void test_empty(void)
{
    hr_recover_report rep;
    char msg[1024], expect[1024];
    CHECK_EQ_U64(hr_recover_probe(trace, NULL), HR_RECOVER_NO_STAGE);
    write_zeros(trace, 0);
    write_zeros(stage, HR_STAGE_HEADER_SIZE);
    CHECK_EQ_U64(hr_recover_probe(trace, NULL), HR_RECOVER_EMPTY);
    CHECK(hr_recover(trace, &rep, msg, sizeof msg) < 0);
    snprintf(expect, sizeof expect, "%s: the process ended before it recorded anything", trace);
    CHECK(strcmp(msg, expect) == 0);
    CHECK(access(stage, F_OK) == 0);

    write_trace(0); /* a trace cut short next to a staging file cut inside its header */
    write_zeros(stage, 10);
    CHECK_EQ_U64(hr_recover_probe(trace, NULL), HR_RECOVER_EMPTY);
    CHECK_EQ_U64(hr_recover(trace, &rep, msg, sizeof msg), 0);
    CHECK(rep.had_stage && !rep.was_complete);
    CHECK(access(stage, F_OK) < 0);
    CHECK_EQ_U64(hr_recover(trace, &rep, msg, sizeof msg), 0);
    CHECK(rep.was_complete);
}

int main(void)
{
    CHECK_FATAL(mkdtemp(dir) != NULL);
    snprintf(trace, sizeof trace, "%s/t.hrr", dir);
    snprintf(stage, sizeof stage, "%s.stage", trace);
    test_locked();
    test_empty();
    unlink(stage);
    unlink(trace);
    rmdir(dir);
    return check_done("test-liveness");
}
