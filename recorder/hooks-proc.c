/* SPDX-License-Identifier: MIT */
/* Process events around the allocator: fork (a FORK record in the parent; the child starts its
 * own trace from the atfork handler), exec (the trace is finished with a trailer before the image
 * is replaced, and resumed if exec fails), posix_spawn (children learn which trace started them),
 * dlopen/dlclose (module records), and thread names. */
#define _GNU_SOURCE
#include "hook-call.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <unistd.h>

extern char **environ;

#define REAL_FN(type, name)                          \
    static __typeof__(type) real_fn;                 \
    if (HR_UNLIKELY(!real_fn))                       \
        real_fn = (type)hr_real_sym(name);

/* Runs f(t) with recording state held, if recording. */
static void with_thread(void (*f)(hr_tls *, const void *), const void *arg)
{
    if (!hr_hook_enter())
        return;
    int saved = errno;
    hr_tls *t = hr_thread_get();
    if (t)
        f(t, arg);
    hr_hook_leave(saved);
}

static void stage_fork(hr_tls *t, const void *arg)
{
    uint64_t a[4] = {(uint64_t)(uintptr_t)arg, 0, 0, 0};
    hr_ring_typed(t, HR_REC_FORK, a, NULL, 0, NULL, 0);
}

HR_EXPORT pid_t fork(void)
{
    REAL_FN(pid_t (*)(void), "fork")
    pid_t pid = real_fn();
    if (pid > 0)
        with_thread(stage_fork, (const void *)(uintptr_t)pid);
    return pid;
}

/* _Fork runs no atfork handlers: the child must re-initialize here. */
HR_EXPORT pid_t _Fork(void)
{
    REAL_FN(pid_t (*)(void), "_Fork")
    if (!real_fn) {
        errno = ENOSYS;
        return -1;
    }
    pid_t pid = real_fn();
    if (pid == 0)
        hr_after_fork_child();
    else if (pid > 0)
        with_thread(stage_fork, (const void *)(uintptr_t)pid);
    return pid;
}

static void stage_scan(hr_tls *t, const void *arg)
{
    (void)arg;
    hr_modules_scan(t);
}

HR_EXPORT void *dlopen(const char *file, int mode)
{
    REAL_FN(void *(*)(const char *, int), "dlopen")
    void *h = real_fn(file, mode);
    if (h)
        with_thread(stage_scan, NULL);
    return h;
}

HR_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
    REAL_FN(void *(*)(Lmid_t, const char *, int), "dlmopen")
    void *h = real_fn(lmid, file, mode);
    if (h)
        with_thread(stage_scan, NULL);
    return h;
}

HR_EXPORT int dlclose(void *handle)
{
    REAL_FN(int (*)(void *), "dlclose")
    int rc = real_fn(handle);
    hr_unwind_invalidate(); /* cached unwind recipes may describe unloaded code */
    with_thread(stage_scan, NULL);
    return rc;
}

HR_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    REAL_FN(int (*)(pthread_t, const char *), "pthread_setname_np")
    int rc = real_fn(th, name);
    if (rc == 0 && hr_hook_enter()) {
        int saved = errno;
        hr_thread_named(th, name);
        hr_hook_leave(saved);
    }
    return rc;
}

/* ---- exec ---- */

typedef struct exec_rec {
    const char *path;
    int result;
} exec_rec;

static void stage_exec(hr_tls *t, const void *arg)
{
    const exec_rec *e = arg;
    uint64_t a[4] = {(uint64_t)(int64_t)e->result, 0, 0, 0};
    hr_ring_typed(t, HR_REC_EXEC, a, e->path, (uint32_t)strnlen(e->path, 4096), NULL, 0);
}

static void record_exec(const char *path, int result)
{
    exec_rec e = {path ? path : "", result};
    with_thread(stage_exec, &e);
}

/* Before exec replaces this image: its trace gets its trailer (exec runs no atexit handlers) and
 * the staging file goes away. Returns 1 if it did. */
static int exec_begin(const char *path)
{
    if (hr_sess.pid != getpid() || !hr_should_record())
        return 0; /* a vfork child shares our memory: leave the parent's trace alone */
    record_exec(path, 0);
    hr_self.busy++;
    hr_writer_finish_all();
    unlink(hr_sess.stage_path);
    hr_self.busy--;
    return 1;
}

/* exec failed: the process goes on, and so do its trace and its staging file. */
static void exec_failed(int began, const char *path, int err)
{
    if (!began)
        return;
    char proc[64];
    hr_fmt(proc, sizeof proc, "/proc/self/fd/%d", hr_stg->fd);
    linkat(AT_FDCWD, proc, AT_FDCWD, hr_sess.stage_path, AT_SYMLINK_FOLLOW);
    __atomic_store_n(&hr_stg->hdr->clean, 0, __ATOMIC_RELEASE);
    record_exec(path, err);
    errno = err;
}

HR_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    REAL_FN(int (*)(const char *, char *const[], char *const[]), "execve")
    char **env = hr_state == HR_RECORDING ? hr_session_child_env(envp) : (char **)envp;
    int st = exec_begin(path);
    int rc = real_fn(path, argv, env);
    exec_failed(st, path, errno);
    return rc;
}

HR_EXPORT int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

HR_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    REAL_FN(int (*)(const char *, char *const[], char *const[]), "execvpe")
    char **env = hr_state == HR_RECORDING ? hr_session_child_env(envp) : (char **)envp;
    int st = exec_begin(file);
    int rc = real_fn(file, argv, env);
    exec_failed(st, file, errno);
    return rc;
}

HR_EXPORT int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

HR_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    REAL_FN(int (*)(int, char *const[], char *const[]), "fexecve")
    char **env = hr_state == HR_RECORDING ? hr_session_child_env(envp) : (char **)envp;
    int st = exec_begin("(fexecve)");
    int rc = real_fn(fd, argv, env);
    exec_failed(st, "(fexecve)", errno);
    return rc;
}

/* execl, execlp, execle: collect the variadic arguments, then as execve/execvpe. */
#define COLLECT_ARGS(arg0, ap, argv)                        \
    size_t argc_ = 1;                                       \
    va_start(ap, arg0);                                     \
    while (va_arg(ap, const char *))                        \
        argc_++;                                            \
    va_end(ap);                                             \
    char *argv[argc_ + 1];                                  \
    argv[0] = (char *)arg0;                                 \
    va_start(ap, arg0);                                     \
    for (size_t i_ = 1; i_ <= argc_; i_++)                  \
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

/* posix_spawn: the child image must know it belongs to this session. */
HR_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    REAL_FN(int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                    char *const[], char *const[]),
            "posix_spawn")
    char **env = hr_state == HR_RECORDING ? hr_session_child_env(envp) : (char **)envp;
    int rc = real_fn(pid, path, fa, attr, argv, env);
    if (env != envp)
        hr_mem_free(env);
    return rc;
}

HR_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    REAL_FN(int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                    char *const[], char *const[]),
            "posix_spawnp")
    char **env = hr_state == HR_RECORDING ? hr_session_child_env(envp) : (char **)envp;
    int rc = real_fn(pid, file, fa, attr, argv, env);
    if (env != envp)
        hr_mem_free(env);
    return rc;
}
