/* SPDX-License-Identifier: MIT */
/* Starting programs: exec (the trace gets its trailer before the image is replaced, and goes on if
 * exec fails), posix_spawn, and exec in a vfork child. Each hands the new image an environment
 * that tells it which session and parent it belongs to (session.c), and first looks at the program
 * it starts: one the recorder cannot start in (static, set-user-ID, another architecture, or an
 * environment without the preload) is named on stderr and flagged in the EXEC or SPAWN record, so
 * that `heaprr record` knows which traces to expect. */
#define _GNU_SOURCE
#include "hook-call.h"

#include <heaprr/image.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <unistd.h>

extern char **environ;

/* Children's environments of up to this many entries are built on the stack: a vfork child shares
 * our memory, and a mapping it made would outlive its exec. */
#define ENV_ON_STACK 1024
/* Programs named as not recordable, per process image; then one more line says so. */
#define SAY_MAX 8

typedef struct start_call {
    const char *prog; /* as the program named it */
    char **env;       /* the environment to pass */
    unsigned flags;   /* HR_IMG_* */
    int began;        /* this image's trace was finished: resume it if exec fails */
    int holding;      /* ... and the drain lock is held until the image is replaced */
    int vfork_child;  /* a child sharing our memory: records go to the parent's trace */
    int recording;    /* the recorder was recording when the call began */
    char **heap_env;  /* env when it came from the recorder's memory */
} start_call;

static void libc_ready(void)
{
    if (HR_UNLIKELY(!__atomic_load_n(&hr_real_ready, __ATOMIC_ACQUIRE)))
        hr_real_init();
}

static const char *env_value(char *const env[], const char *name, size_t len)
{
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
            return env[i] + len + 1;
    return NULL;
}

/* Whether LD_PRELOAD (separated by spaces or colons) names a libheaprr.so. */
static int preloads_us(const char *pre)
{
    static const char me[] = "libheaprr.so";
    for (const char *p = pre; p && *p;) {
        const char *end = p + strcspn(p, " :");
        const char *base = end;
        while (base > p && base[-1] != '/')
            base--;
        if ((size_t)(end - base) == sizeof me - 1 && memcmp(base, me, sizeof me - 1) == 0)
            return 1;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static unsigned env_flags(char *const env[])
{
    const char *trace = env_value(env, "MALLOC_TRACE", 12);
    return trace && *trace && preloads_us(env_value(env, "LD_PRELOAD", 10)) ? 0 : HR_IMG_NO_PRELOAD;
}

static void say(const char *prog, unsigned flags)
{
    static unsigned said;
    unsigned n = __atomic_add_fetch(&said, 1, __ATOMIC_RELAXED);
    if (n > SAY_MAX) {
        if (n == SAY_MAX + 1)
            hr_log("more programs that cannot be recorded were started; not naming them");
        return;
    }
    /* The words of heaprr record's own check of the program it starts (cli/record-image.c). */
    const char *why =
        (flags & HR_IMG_FOREIGN)
            ? "is a program for another machine or word size: libheaprr.so cannot be loaded into it"
        : (flags & HR_IMG_STATIC) ? "is statically linked: LD_PRELOAD cannot record it"
        : (flags & HR_IMG_SECURE)
            ? "runs set-user-ID, set-group-ID or with file capabilities: the loader ignores LD_PRELOAD for it"
            : "is started without libheaprr.so in LD_PRELOAD or without MALLOC_TRACE";
    hr_log("%s %s; it runs unrecorded", prog, why);
}

/* What the recorder will miss of the program: path is resolved through PATH when search is set. */
static unsigned image_flags(const char *prog, int search, char *const env[])
{
    char found[4096];
    unsigned flags = env_flags(env), img = 0;
    const char *path = prog;
    if (search && hr_image_find(prog, env_value(environ, "PATH", 4), found, sizeof found) == 0)
        path = found;
    if (hr_image_check(path, &img) == 0)
        flags |= img;
    if (flags)
        say(prog, flags);
    return flags;
}

static void stage_image(unsigned type, const char *prog, int64_t result, unsigned flags, pid_t child)
{
    if (!hr_hook_enter())
        return;
    int saved = errno;
    hr_tls *t = hr_thread_get();
    uint64_t a[4] = {(uint64_t)result, flags, (uint64_t)child, 0};
    if (t)
        hr_ring_typed(t, type, a, prog, (uint32_t)strnlen(prog, 4096), NULL, 0);
    hr_hook_leave(saved);
}

/* Decides what the start of prog needs: its environment (in buf when it fits) and its flags;
 * before an exec of this image, finishes the trace. */
static void start_begin(start_call *c, const char *prog, int search, char *const envp[], char **buf)
{
    memset(c, 0, sizeof *c);
    c->prog = prog ? prog : "";
    c->env = (char **)envp;
    if (!hr_should_record())
        return;
    c->recording = 1;
    c->env = hr_session_child_env(envp, buf, ENV_ON_STACK);
    if (c->env != envp && c->env != buf)
        c->heap_env = c->env;
    c->flags = image_flags(c->prog, search, c->env);
    c->vfork_child = hr_sess.pid != getpid();
}

static void exec_begin(start_call *c)
{
    if (!c->recording)
        return;
    if (c->vfork_child) {
        stage_image(HR_REC_SPAWN, c->prog, 0, c->flags, getpid());
        return;
    }
    stage_image(HR_REC_EXEC, c->prog, 0, c->flags, 0);
    hr_self.busy++;
    c->holding = hr_writer_finish_hold() == 0;
    if (__atomic_load_n(&hr_stg->hdr->clean, __ATOMIC_ACQUIRE))
        unlink(hr_sess.stage_path);
    hr_self.busy--;
    c->began = 1;
}

/* exec failed: the process goes on, and so do its trace and its staging file. */
static void exec_failed(start_call *c, int err)
{
    if (c->holding)
        hr_writer_release();
    if (c->began) {
        char proc[64];
        hr_fmt(proc, sizeof proc, "/proc/self/fd/%d", hr_stg->fd);
        linkat(AT_FDCWD, proc, AT_FDCWD, hr_sess.stage_path, AT_SYMLINK_FOLLOW);
        __atomic_store_n(&hr_stg->hdr->clean, 0, __ATOMIC_RELEASE);
        stage_image(HR_REC_EXEC, c->prog, err, c->flags, 0);
    } else if (c->vfork_child && c->recording) {
        stage_image(HR_REC_SPAWN, c->prog, err, c->flags, getpid());
    }
    hr_mem_free(c->heap_env);
    errno = err;
}

typedef int (*exec_fn)(const char *, char *const[], char *const[]);

/* execve and execvpe (search: prog is looked up in PATH). */
static int exec_prog(exec_fn real, int search, const char *prog, char *const argv[], char *const envp[])
{
    char *buf[ENV_ON_STACK];
    start_call c;
    start_begin(&c, prog, search, envp, buf);
    exec_begin(&c);
    int rc = real ? real(prog, argv, c.env) : (errno = ENOSYS, -1);
    exec_failed(&c, errno);
    return rc;
}

HR_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    libc_ready();
    return exec_prog(hr_libc.execve, 0, path, argv, envp);
}

HR_EXPORT int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

HR_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    libc_ready();
    return exec_prog(hr_libc.execvpe, 1, file, argv, envp);
}

HR_EXPORT int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

HR_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    libc_ready();
    char *buf[ENV_ON_STACK], self[32];
    start_call c;
    hr_fmt(self, sizeof self, "/proc/self/fd/%d", fd);
    start_begin(&c, self, 0, envp, buf);
    exec_begin(&c);
    int rc = hr_libc.fexecve(fd, argv, c.env);
    exec_failed(&c, errno);
    return rc;
}

/* execl, execlp, execle: collect the variadic arguments, then as execve/execvpe. */
#define COLLECT_ARGS(arg0, ap, argv)       \
    size_t argc_ = 1;                      \
    va_start(ap, arg0);                    \
    while (va_arg(ap, const char *))       \
        argc_++;                           \
    va_end(ap);                            \
    char *argv[argc_ + 1];                 \
    argv[0] = (char *)arg0;                \
    va_start(ap, arg0);                    \
    for (size_t i_ = 1; i_ <= argc_; i_++) \
        argv[i_] = va_arg(ap, char *);

HR_EXPORT int execl(const char *path, const char *arg0, ...)
{
    va_list ap;
    COLLECT_ARGS(arg0, ap, argv)
    va_end(ap);
    return execve(path, argv, environ);
}

HR_EXPORT int execlp(const char *file, const char *arg0, ...)
{
    va_list ap;
    COLLECT_ARGS(arg0, ap, argv)
    va_end(ap);
    return execvpe(file, argv, environ);
}

HR_EXPORT int execle(const char *path, const char *arg0, ...)
{
    va_list ap;
    COLLECT_ARGS(arg0, ap, argv)
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
}

typedef int (*spawn_fn)(pid_t *, const char *, const void *, const void *, char *const[], char *const[]);

static int spawn(spawn_fn real, int search, pid_t *pid, const char *prog, const void *fa, const void *attr,
                 char *const argv[], char *const envp[])
{
    char *buf[ENV_ON_STACK];
    start_call c;
    pid_t child = 0;
    start_begin(&c, prog, search, envp, buf);
    int rc = real ? real(&child, prog, fa, attr, argv, c.env) : ENOSYS;
    if (pid && rc == 0)
        *pid = child;
    if (c.recording)
        stage_image(HR_REC_SPAWN, c.prog, rc, c.flags, rc == 0 ? child : 0);
    hr_mem_free(c.heap_env);
    return rc;
}

HR_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    libc_ready();
    return spawn(hr_libc.posix_spawn, 0, pid, path, fa, attr, argv, envp);
}

HR_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    libc_ready();
    return spawn(hr_libc.posix_spawnp, 1, pid, file, fa, attr, argv, envp);
}
