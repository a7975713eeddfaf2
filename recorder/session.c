/* SPDX-License-Identifier: MIT */
/* Which file this process image writes, and the files themselves. The process started with
 * MALLOC_TRACE=FILE writes FILE (%p expands to its pid); every other image of the same session (a
 * forked child, a program it exec'd or spawned) writes FILE with ".PID" inserted before the
 * extension, and "-2", "-3"... after the pid if that name is taken (an image exec'd by a process
 * that already wrote one). The session is recognised through HEAPRR_TRACE_RAW (the root's
 * MALLOC_TRACE) and HEAPRR_PARENT ("pid:seq:trace" of the image that started this one). */
#define _GNU_SOURCE
#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

hr_session hr_sess;

#define ENV_CAP (sizeof hr_sess.trace_path + 64)
static char env_raw[ENV_CAP], env_tmpl[ENV_CAP], env_parent[ENV_CAP];
static char template_abs[4096];

static int expand(const char *tmpl, pid_t pid, char *out, size_t cap, int *had_pid)
{
    size_t n = 0;
    *had_pid = 0;
    for (const char *p = tmpl; *p; p++) {
        char num[24];
        const char *piece = NULL;
        if (p[0] == '%' && p[1] == 'p') {
            hr_fmt(num, sizeof num, "%d", (int)pid);
            piece = num;
            *had_pid = 1;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            piece = "%";
            p++;
        }
        size_t len = piece ? strlen(piece) : 1;
        if (n + len + 1 > cap)
            return -1;
        memcpy(out + n, piece ? piece : p, len);
        n += len;
    }
    out[n] = 0;
    return 0;
}

static int make_absolute(const char *in, char *out, size_t cap)
{
    if (in[0] == '/')
        return hr_fmt(out, cap, "%s", in) + 1 < cap ? 0 : -1;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    return hr_fmt(out, cap, "%s/%s", cwd, in) + 1 < cap ? 0 : -1;
}

/* Inserts ".PID" (unless the name has it from %p) and "-N" (N > 1) before the extension. */
static int derive(const char *base, int had_pid, pid_t pid, int n, char *out, size_t cap)
{
    const char *slash = strrchr(base, '/'), *dot = strrchr(base, '.');
    if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : base))
        dot = base + strlen(base);
    size_t stem = (size_t)(dot - base);
    char mid[48] = "";
    size_t m = had_pid ? 0 : hr_fmt(mid, sizeof mid, ".%d", (int)pid);
    if (n > 1)
        hr_fmt(mid + m, sizeof mid - m, "-%d", n);
    if (stem + strlen(mid) + strlen(dot) + 1 > cap)
        return -1;
    memcpy(out, base, stem);
    hr_fmt(out + stem, cap - stem, "%s%s", mid, dot);
    return 0;
}

/* Moves a descriptor out of the range programs use and expect to own (some dup2 onto 3, 4...). */
static int high_fd(int fd)
{
    if (fd < 0)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 700);
    if (h < 0)
        return fd;
    close(fd);
    return h;
}

static int is_trace(int fd)
{
    struct stat sb;
    return fstat(fd, &sb) == 0 && sb.st_dev == hr_sess.trace_dev && sb.st_ino == hr_sess.trace_ino;
}

/* Before each write: the trace descriptor must still be the trace file. A program that closed
 * every descriptor gets the trace reopened by name (if the name is still the same file); a
 * descriptor the program reused is left alone. */
static int still_ours(void *opaque, int fd, uint64_t size)
{
    (void)opaque;
    if (is_trace(fd))
        return fd;
    int nfd = high_fd(open(hr_sess.trace_path, O_WRONLY | O_CLOEXEC));
    if (nfd < 0)
        return -1;
    if (!is_trace(nfd) || lseek(nfd, (off_t)size, SEEK_SET) != (off_t)size) {
        close(nfd);
        return -1;
    }
    hr_sess.trace_fd = nfd;
    return nfd;
}

/* Whether a live process records into path: its staging file is locked (formats/stage.c). */
static int being_recorded(const char *path)
{
    char stage[sizeof hr_sess.stage_path];
    hr_fmt(stage, sizeof stage, "%s.stage", path);
    int fd = open(stage, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

static int create_trace(int root, pid_t pid)
{
    char expanded[4096];
    int had_pid;
    if (expand(template_abs, pid, expanded, sizeof expanded, &had_pid) < 0)
        return -1;
    /* A process whose markers were lost (a program cleared them from its environment) must not
     * truncate the trace of the session it belongs to: it writes a derived name like a child. */
    if (root && being_recorded(expanded)) {
        root = 0;
        hr_sess.origin = HR_ORIGIN_SPAWN;
    }
    if (root) {
        hr_fmt(hr_sess.trace_path, sizeof hr_sess.trace_path, "%s", expanded);
        return high_fd(open(expanded, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    }
    for (int n = 1; n < 1000; n++) {
        if (derive(expanded, had_pid, pid, n, hr_sess.trace_path, sizeof hr_sess.trace_path) < 0)
            return -1;
        int fd = open(hr_sess.trace_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return high_fd(fd);
    }
    return -1;
}

/* Whether this image belongs to a session started by an ancestor, and if so how it came to be. */
static int session_origin(char *parent_trace, size_t cap, uint32_t *ppid)
{
    if (!hr_cfg.session_raw || !hr_cfg.session_tmpl || strcmp(hr_cfg.session_raw, hr_cfg.trace) != 0)
        return -1;
    parent_trace[0] = 0;
    *ppid = (uint32_t)getppid();
    if (hr_cfg.parent) {
        char *end;
        long pid = strtol(hr_cfg.parent, &end, 10);
        const char *path = strchr(end, ':') ? strchr(end + 1, ':') : NULL;
        if (path)
            hr_fmt(parent_trace, cap, "%s", path + 1);
        if (pid == getpid())
            return HR_ORIGIN_EXEC;
        *ppid = (uint32_t)pid;
    }
    return HR_ORIGIN_SPAWN;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t n = 0;
    while (n < cap) {
        ssize_t k = read(fd, buf + n, cap - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    return n;
}

static int write_start(const char *parent_trace)
{
    static char cmdline[65536], exe[4096], cwd[4096];
    hr_header h = {0};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    h.pointer_size = sizeof(void *);
    h.byte_order = 1;
    h.flags = (uint16_t)((hr_cfg.free_stacks ? HR_HF_FREE_STACKS : 0) | (hr_cfg.precise_clock ? 0 : HR_HF_COARSE_TIME));
    h.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
    h.pid = (uint32_t)hr_sess.pid;
    h.ppid = (uint32_t)getppid();
    h.start_realtime_ns = hr_clock_realtime_ns();
    h.time_unit_ns = 1000;
    h.max_depth = hr_cfg.depth;
    h.exe = (hr_str){exe, strlen(exe)};
    h.cmdline = (hr_str){cmdline, read_file("/proc/self/cmdline", cmdline, sizeof cmdline)};
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    hr_process_info pi = {{HR_RECORDER_NAME, strlen(HR_RECORDER_NAME)},
                          (uint32_t)hr_sess.origin,
                          hr_sess.parent_pid,
                          {parent_trace, strlen(parent_trace)},
                          hr_sess.fork_seq,
                          {cwd, strlen(cwd)},
                          hr_cfg.guard ? hr_cfg.guard_size : 0};
    if (hr_writer_begin(hr_wr, &h) < 0 || hr_writer_process(hr_wr, &pi) < 0)
        return -1;
    /* Recovery may use the chunk from here on: it holds the process info. */
    hr_stage_commit_chunk(hr_stg, hr_wr);
    return 0;
}

/* Spare staging files (HEAPRR_POOL=1, which heaprr record sets and cleans up after): a process
 * that ends cleanly leaves its staging file for the next process of the session to take, next
 * to the traces, instead of deleting it. Creating and deleting a file per process is most of what
 * a short-lived child costs on a journaling file system. */
static int stage_open(void)
{
    char spare[sizeof hr_sess.stage_path + 32];
    for (unsigned k = 0; hr_cfg.pool && k < HR_STAGE_SPARES; k++) {
        hr_stage_spare_path(hr_sess.trace_path, k, spare, sizeof spare);
        if (hr_stage_adopt(hr_stg, spare, hr_sess.stage_path, hr_sess.trace_path, hr_cfg.ring_size,
                           hr_cfg.chunk_size, 1000, &hr_mem_hooks) == 0) {
            hr_stats.stage_adopted = 1;
            return 0;
        }
    }
    return hr_stage_recreate(hr_stg, hr_sess.stage_path, hr_sess.trace_path, hr_cfg.ring_size, hr_cfg.chunk_size,
                             1000, &hr_mem_hooks);
}

void hr_session_end_stage(int alone)
{
    char spare[sizeof hr_sess.stage_path + 32];
    for (unsigned k = 0; hr_cfg.pool && alone && k < HR_STAGE_SPARES; k++) {
        hr_stage_spare_path(hr_sess.trace_path, k, spare, sizeof spare);
        if (hr_stage_retire(hr_stg, spare) == 0)
            return;
    }
    unlink(hr_sess.stage_path);
}

static int open_files(void)
{
    hr_fmt(hr_sess.stage_path, sizeof hr_sess.stage_path, "%s.stage", hr_sess.trace_path);
    if (!hr_stg && !(hr_stg = hr_mem_alloc(sizeof *hr_stg)))
        return -1;
    if (stage_open() < 0)
        return -1;
    hr_stg->fd = high_fd(hr_stg->fd);
    struct stat sb;
    if (fstat(hr_sess.trace_fd, &sb) < 0)
        return -1;
    hr_sess.trace_dev = sb.st_dev;
    hr_sess.trace_ino = sb.st_ino;
    hr_writer_config wc = {.fd = hr_sess.trace_fd,
                           .alloc = &hr_mem_hooks,
                           .zstd_level = hr_cfg.zstd_level,
                           .chunk_size = hr_cfg.chunk_size,
                           .chunk_mem = hr_stg->chunk,
                           .chunk_mem_size = 2 * hr_stg->hdr->chunk_size,
                           .background = 1,
                           .on_frame = hr_stage_on_frame,
                           .check_fd = still_ours,
                           .opaque = hr_stg,
                           .index_memory = hr_cfg.index_memory};
    return hr_writer_create(&hr_wr, &wc) < 0 ? -1 : 0;
}

int hr_session_open(int origin, const char *parent_trace, uint64_t fork_seq)
{
    char from_env[4096];
    hr_sess.pid = getpid();
    hr_sess.fork_seq = fork_seq;
    hr_sess.parent_pid = (uint32_t)getppid();
    if (origin != HR_ORIGIN_FORK) {
        origin = session_origin(from_env, sizeof from_env, &hr_sess.parent_pid);
        parent_trace = origin < 0 ? "" : from_env;
        if (origin < 0) {
            origin = HR_ORIGIN_ROOT;
            if (make_absolute(hr_cfg.trace, template_abs, sizeof template_abs) < 0) {
                hr_log("MALLOC_TRACE is too long; not recording");
                return -1;
            }
        } else {
            hr_fmt(template_abs, sizeof template_abs, "%s", hr_cfg.session_tmpl);
        }
    }
    hr_sess.origin = origin;
    hr_fmt(hr_sess.parent_trace, sizeof hr_sess.parent_trace, "%s", parent_trace);
    hr_sess.trace_fd = create_trace(origin == HR_ORIGIN_ROOT, hr_sess.pid);
    if (hr_sess.trace_fd < 0) {
        hr_log("cannot create trace '%s': %s; not recording", hr_sess.trace_path, strerrordesc_np(errno));
        return -1;
    }
    if (open_files() < 0 || write_start(hr_sess.parent_trace) < 0) {
        int e = errno;
        hr_log("cannot set up trace '%s': %s; not recording", hr_sess.trace_path, strerrordesc_np(e));
        /* what was made of the files holds nothing: no empty trace or staging file is left behind */
        unlink(hr_sess.stage_path);
        unlink(hr_sess.trace_path);
        return -1;
    }
    return 0;
}

static void set_parent_value(void)
{
    hr_fmt(env_parent, sizeof env_parent, "HEAPRR_PARENT=%d:%llu:%s", (int)hr_sess.pid,
           (unsigned long long)__atomic_load_n(&hr_seq_counter, __ATOMIC_RELAXED), hr_sess.trace_path);
}

/* The markers' places in environ: every one the array lacks is added by giving environ a copy
 * in the recorder's memory (no allocation from the program's heap, which putenv or setenv would
 * make behind the program's back); those it has point at our buffers from now on, so that an
 * update to a buffer reaches every child started from environ (system(), popen(), a vfork child's
 * exec), including those whose start the hooks do not see. */
static void install_markers(void)
{
    char *mine[] = {env_raw, env_tmpl, env_parent};
    int have[3] = {0, 0, 0};
    size_t n = 0;
    for (; environ && environ[n]; n++)
        for (int k = 0; k < 3; k++)
            if (strncmp(environ[n], mine[k], (size_t)(strchr(mine[k], '=') - mine[k] + 1)) == 0) {
                environ[n] = mine[k];
                have[k] = 1;
            }
    if (have[0] && have[1] && have[2])
        return;
    char **env = hr_mem_alloc((n + 4) * sizeof *env);
    if (!env)
        return;
    if (n)
        memcpy(env, environ, n * sizeof *env);
    for (int k = 0; k < 3; k++)
        if (!have[k])
            env[n++] = mine[k];
    env[n] = NULL;
    environ = env;
}

void hr_session_export_env(void)
{
    set_parent_value();
    if (hr_sess.origin == HR_ORIGIN_FORK)
        return; /* our buffers are in environ already: set_parent_value rewrote ours */
    hr_fmt(env_raw, sizeof env_raw, "HEAPRR_TRACE_RAW=%s", hr_cfg.trace);
    hr_fmt(env_tmpl, sizeof env_tmpl, "HEAPRR_TRACE_TEMPLATE=%s", template_abs);
    install_markers();
}

static int is_marker(const char *e)
{
    return strncmp(e, "HEAPRR_TRACE_RAW=", 17) == 0 || strncmp(e, "HEAPRR_TRACE_TEMPLATE=", 22) == 0 ||
           strncmp(e, "HEAPRR_PARENT=", 14) == 0;
}

char **hr_session_child_env(char *const envp[], char **buf, size_t cap)
{
    const char *trace = NULL;
    size_t n = 0;
    if (!envp)
        return (char **)envp;
    for (; envp[n]; n++)
        if (strncmp(envp[n], "MALLOC_TRACE=", 13) == 0)
            trace = envp[n] + 13;
    if (!trace || !*trace || strcmp(trace, hr_cfg.trace) != 0)
        return (char **)envp; /* the child will not record in this session */
    char **out = n + 4 <= cap ? buf : hr_mem_alloc((n + 4) * sizeof *out);
    if (!out)
        return (char **)envp;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_marker(envp[i]))
            out[k++] = envp[i];
    set_parent_value();
    out[k++] = env_raw;
    out[k++] = env_tmpl;
    out[k++] = env_parent;
    out[k] = NULL;
    return out;
}
