/* SPDX-License-Identifier: MIT */
/* libFuzzer target for hr_recover(): a trace and its staging file TRACE.stage are written to a
 * per-process directory, recovered, and the result is read back through the reader.
 *
 *   input = u32le trace_len, trace_len bytes of trace, staging description (the rest)
 *   trace_len bit 31 set: the trace is written as it is; clear: its CRCs are repaired first
 *   staging description, absent when the input ends after the trace (no TRACE.stage):
 *     u32le size      the file's size, at most FZ_STAGE_MAX (2 MiB); all zero bytes at first
 *     segment*        u32le offset, u16le len, len bytes written at offset
 *
 * A staging file maps its chunk memory and 64 KiB+ rings, so it is described sparsely to keep
 * inputs small. The staging header's pid decides what recovery finds in /proc/PID/maps: pid 1
 * becomes this process (which maps the file while it recovers: "still writing"), any other pid
 * one that cannot exist, so that no unrelated process changes the outcome.
 * Files live in TMP/heaprr-fuzz-recover.PID (TMP: $HEAPRR_FUZZ_TMPDIR, else /dev/shm, else $TMPDIR
 * or /tmp); directories that crashed runs left behind are removed by the next run.
 * HEAPRR_FUZZ_STRICT=1 also requires a successful recovery to leave a trace that reads cleanly. */
#define _GNU_SOURCE
#include "fuzz-common.h"

#include <heaprr/recover.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_PREFIX "heaprr-fuzz-recover."

static char dir[512], trace[600], stage[640];
static int strict;

static void remove_in(const char *d)
{
    char p[700];
    snprintf(p, sizeof p, "%s/trace.hrr.stage", d);
    unlink(p);
    snprintf(p, sizeof p, "%s/trace.hrr", d);
    unlink(p);
    rmdir(d);
}

static void remove_dir(void)
{
    remove_in(dir);
}

static const char *tmp_base(void)
{
    const char *t = getenv("HEAPRR_FUZZ_TMPDIR");
    if (t && *t)
        return t;
    if (access("/dev/shm", W_OK) == 0)
        return "/dev/shm"; /* tmpfs: staging files are mapped, keep them off the disk */
    t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* A run that crashed (abort skips atexit) leaves its directory: remove those of dead processes. */
static void sweep(const char *base)
{
    DIR *d = opendir(base);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, DIR_PREFIX, strlen(DIR_PREFIX)) != 0)
            continue;
        long pid = strtol(e->d_name + strlen(DIR_PREFIX), &end, 10);
        if (*end || pid <= 0 || (pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)))
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        remove_in(path);
    }
    if (d)
        closedir(d);
}

static void setup(void)
{
    const char *base = tmp_base();
    sweep(base);
    snprintf(dir, sizeof dir, "%s/" DIR_PREFIX "%d", base, (int)getpid());
    if (mkdir(dir, 0700) < 0) {
        perror(dir);
        abort();
    }
    snprintf(trace, sizeof trace, "%s/trace.hrr", dir);
    snprintf(stage, sizeof stage, "%s.stage", trace);
    const char *s = getenv("HEAPRR_FUZZ_STRICT");
    strict = s && strcmp(s, "1") == 0;
    atexit(remove_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hr_recover_report rep;
    char msg[1024];
    if (size < 4)
        return 0;
    if (!dir[0])
        setup();
    if (fz_write_recover_files(data, size, trace, stage, (uint32_t)getpid()) < 0)
        abort(); /* the harness, not the input, is broken */
    int had_stage = access(stage, F_OK) == 0;
    memset(msg, 'x', sizeof msg);
    int rc = hr_recover(trace, &rep, msg, sizeof msg);
    FZ_CHECK(memchr(msg, 0, sizeof msg) != NULL);
    FZ_CHECK(rc <= 0 && (rc == 0 || msg[0] != 0));
    FZ_CHECK(rc < 0 || rep.had_stage == had_stage);
    FZ_CHECK(rc < 0 || !rep.had_stage || access(stage, F_OK) < 0);
    FZ_CHECK(rep.incomplete_calls <= rep.recovered_records);
    int rrc = fz_read_path(trace);
    if (strict && rc == 0)
        FZ_CHECK(rrc == 0);
    unlink(stage);
    unlink(trace);
    return 0;
}
