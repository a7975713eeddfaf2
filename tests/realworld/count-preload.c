/* SPDX-License-Identifier: MIT */
/* libhrcount.so: an independent count of the allocation calls a process makes, to hold heaprr's
 * traces against. Preloaded after libheaprr.so, it interposes the same entry points, counts each
 * outermost call per thread by kind and forwards it to the next definition (glibc, libstdc++).
 * The counts live in a MAP_SHARED file per process image, $HRCOUNT_DIR/count.PID.N (count-file.h),
 * so they survive _exit, abort and SIGKILL. It never allocates: files and state are mmap'd. */
#define _GNU_SOURCE
#include "count-file.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The operators and the C functions are declared by headers C cannot or need not include. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#define EXPORT __attribute__((visibility("default")))

/* ---- the calls in progress on this thread: only the outermost one counts ---- */

static __thread unsigned depth __attribute__((tls_model("initial-exec")));

static void leave(int *outer)
{
    (void)outer;
    depth--;
}

static void count(unsigned kind);

/* Opens a counted scope; it closes when the hook returns or an exception unwinds through it. */
#define ENTER(kind)                                            \
    int scope_ __attribute__((cleanup(leave))) = depth++ == 0; \
    if (scope_)                                                \
    count(kind)

/* ---- bootstrap: served while dlsym looks up the real functions ---- */

#define BOOT_SIZE (128u << 10)
static _Alignas(64) unsigned char boot_buf[BOOT_SIZE];
static size_t boot_used;

static void *boot_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    for (;;) {
        size_t used = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
        size_t start = (used + 16 + align - 1) & ~(align - 1); /* the size goes in front */
        if (start + size > BOOT_SIZE || start + size < start)
            return NULL;
        if (__atomic_compare_exchange_n(&boot_used, &used, start + size, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            *(size_t *)(boot_buf + start - 16) = size;
            return boot_buf + start; /* static memory is zero: calloc holds */
        }
    }
}

static int boot_owns(const void *p)
{
    return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + BOOT_SIZE;
}

static size_t boot_size(const void *p)
{
    return *(const size_t *)((const unsigned char *)p - 16);
}

/* ---- strings without libc: a sanitizer's string interceptors refuse calls made while its
 * runtime starts, which is when a sanitized program's first allocations reach us ---- */

/* Copies src into dst of cap bytes; returns 0, or -1 (dst empty) when it does not fit. */
static int copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; src[n]; n++)
        if (n + 1 >= cap) {
            dst[0] = 0;
            return -1;
        }
    for (size_t i = 0; i <= n; i++)
        dst[i] = src[i];
    return 0;
}

/* The value of an environment variable, read from environ directly. */
static const char *env_value(const char *name)
{
    for (char **e = environ; e && *e; e++) {
        const char *a = *e, *b = name;
        while (*b && *a == *b)
            a++, b++;
        if (!*b && *a == '=')
            return a + 1;
    }
    return NULL;
}

/* ---- the real functions ---- */

static struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    void (*free)(void *);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
} real;
static int real_ready, resolving;
static uint32_t interposed;
static char first_malloc[512];

/* Whether another object's malloc comes before ours, and which one. */
static void find_interposer(void)
{
    Dl_info first, self;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    if (!m || !dladdr(m, &first) || !dladdr((void *)find_interposer, &self))
        return;
    interposed = first.dli_fbase != self.dli_fbase;
    if (first.dli_fname)
        (void)copy_str(first_malloc, sizeof first_malloc, first.dli_fname);
}

#define RESOLVE(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)

/* 1 once the real functions are known; 0 while they are looked up (callers use the bootstrap). */
static int ready(void)
{
    if (__atomic_load_n(&real_ready, __ATOMIC_ACQUIRE))
        return 1;
    int expected = 0;
    if (!__atomic_compare_exchange_n(&resolving, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return 0;
    RESOLVE(malloc);
    RESOLVE(calloc);
    RESOLVE(realloc);
    RESOLVE(reallocarray);
    RESOLVE(free);
    RESOLVE(memalign);
    RESOLVE(posix_memalign);
    RESOLVE(aligned_alloc);
    RESOLVE(valloc);
    RESOLVE(pvalloc);
    RESOLVE(malloc_usable_size);
    find_interposer();
    if (!real.malloc || !real.free || !real.calloc || !real.realloc)
        abort(); /* no allocator after us: nothing sensible to forward to */
    __atomic_store_n(&real_ready, 1, __ATOMIC_RELEASE);
    return 1;
}

/* ---- the count file of this process image ---- */

/* Wiped by the kernel in a forked child (MADV_WIPEONFORK): the child starts a file of its own
 * at its first call, whichever fork handlers run before, and never writes into its parent's. */
typedef struct image_state {
    hrcount_file *file;
    int lock;
    int pad;
    uint64_t pending[HRC_KINDS]; /* calls made before the environment could be read */
} image_state;

static image_state *img; /* the page itself; its address is inherited across fork */
static int img_lock;     /* guards the page's creation (first calls of the first image) */
static char dir[3584];   /* $HRCOUNT_DIR, read once, kept across fork */
static int dir_state;    /* 0 unknown, 1 read, -1 unset: count nothing */

static void spin_lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(l, __ATOMIC_RELAXED))
            ;
}

static void spin_unlock(int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void wipe_in_child(void)
{
    memset(img, 0, sizeof *img);
}

static image_state *image(void)
{
    image_state *s = __atomic_load_n(&img, __ATOMIC_ACQUIRE);
    if (s)
        return s;
    spin_lock(&img_lock);
    if (!img) {
        void *p = mmap(NULL, sizeof *img, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            if (madvise(p, sizeof *img, MADV_WIPEONFORK) != 0) /* kernels before 4.14 */
                pthread_atfork(NULL, NULL, wipe_in_child);
            __atomic_store_n(&img, (image_state *)p, __ATOMIC_RELEASE);
        }
    }
    spin_unlock(&img_lock);
    return img;
}

/* Appends text to buf at *n, keeping room for the terminating zero. */
static void put_str(char *buf, size_t cap, size_t *n, const char *s)
{
    while (*s && *n + 1 < cap)
        buf[(*n)++] = *s++;
    buf[*n] = 0;
}

static void put_uint(char *buf, size_t cap, size_t *n, unsigned long v)
{
    char tmp[24];
    size_t k = 0;
    do
        tmp[k++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (k && *n + 1 < cap)
        buf[(*n)++] = tmp[--k];
    buf[*n] = 0;
}

/* Reads $HRCOUNT_DIR once the environment exists (it does not yet in the loader's first calls). */
static int read_dir(void)
{
    if (dir_state)
        return dir_state;
    if (!environ)
        return 0;
    const char *d = env_value("HRCOUNT_DIR");
    dir_state = d && *d && copy_str(dir, sizeof dir, d) == 0 ? 1 : -1;
    return dir_state;
}

/* Creates count.PID.N with the first free N: an exec'd image of a pid follows the earlier ones. */
static hrcount_file *create_file(uint32_t *image_no)
{
    char path[sizeof dir + 64];
    unsigned long pid = (unsigned long)getpid();
    for (uint32_t k = 1; k < 10000; k++) {
        size_t n = 0;
        put_str(path, sizeof path, &n, dir);
        put_str(path, sizeof path, &n, "/count.");
        put_uint(path, sizeof path, &n, pid);
        put_str(path, sizeof path, &n, ".");
        put_uint(path, sizeof path, &n, k);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return NULL;
        void *p = MAP_FAILED;
        if (ftruncate(fd, sizeof(hrcount_file)) == 0)
            p = mmap(NULL, sizeof(hrcount_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        *image_no = k;
        return p == MAP_FAILED ? NULL : (hrcount_file *)p;
    }
    return NULL;
}

static void fill_header(hrcount_file *f, uint32_t image_no, int forked)
{
    f->pid = (uint32_t)getpid();
    f->ppid = (uint32_t)getppid();
    f->image = image_no;
    f->origin = forked ? HRC_ORIGIN_FORK : HRC_ORIGIN_START;
    f->interposed = interposed;
    memcpy(f->first_malloc, first_malloc, sizeof f->first_malloc);
    ssize_t n = readlink("/proc/self/exe", f->exe, sizeof f->exe - 1);
    f->exe[n > 0 ? n : 0] = 0;
    memcpy(f->magic, HRCOUNT_MAGIC, sizeof f->magic);
}

/* The pid this image started with (set before main): another pid means a forked child. */
static pid_t start_pid;

__attribute__((constructor(101))) static void note_start(void)
{
    start_pid = getpid();
}

static int forked(void)
{
    return start_pid && start_pid != getpid();
}

/* The file of this image, made at its first call; NULL while it cannot be made yet. */
static hrcount_file *image_file(image_state *s)
{
    if (s->file)
        return s->file;
    /* the header says who interposes: wait for the lookup (calls until then are pending) */
    if (!__atomic_load_n(&real_ready, __ATOMIC_ACQUIRE) || read_dir() != 1)
        return NULL;
    int saved = errno;
    spin_lock(&s->lock);
    if (!s->file) {
        uint32_t image_no = 0;
        hrcount_file *f = create_file(&image_no);
        if (f) {
            fill_header(f, image_no, forked());
            for (unsigned k = 0; k < HRC_KINDS; k++)
                f->counts[k] = s->pending[k];
            __atomic_store_n(&s->file, f, __ATOMIC_RELEASE);
        }
    }
    spin_unlock(&s->lock);
    errno = saved;
    return s->file;
}

static void count(unsigned kind)
{
    (void)ready();
    image_state *s = image();
    if (!s || dir_state < 0)
        return;
    hrcount_file *f = image_file(s);
    __atomic_fetch_add(f ? &f->counts[kind] : &s->pending[kind], 1, __ATOMIC_RELAXED);
}

/* ---- the C functions ---- */

/* A block of the bootstrap buffer that the program resizes: copied to a real (or boot) block. */
static void *boot_move(void *old, size_t size)
{
    void *p = ready() ? real.malloc(size) : boot_alloc(size, 16);
    if (p) {
        size_t had = boot_size(old);
        memcpy(p, old, had < size ? had : size);
    }
    return p;
}

EXPORT void *malloc(size_t size)
{
    ENTER(HRC_MALLOC);
    return ready() ? real.malloc(size) : boot_alloc(size, 16);
}

EXPORT void *calloc(size_t n, size_t size)
{
    ENTER(HRC_CALLOC);
    size_t total;
    if (ready())
        return real.calloc(n, size);
    return __builtin_mul_overflow(n, size, &total) ? NULL : boot_alloc(total, 16);
}

EXPORT void *realloc(void *old, size_t size)
{
    ENTER(HRC_REALLOC);
    if (boot_owns(old))
        return boot_move(old, size);
    return ready() ? real.realloc(old, size) : boot_alloc(size, 16);
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    ENTER(HRC_REALLOCARRAY);
    size_t total;
    if (boot_owns(old) || !ready()) {
        if (__builtin_mul_overflow(n, size, &total)) {
            errno = ENOMEM;
            return NULL;
        }
        return boot_owns(old) ? boot_move(old, total) : boot_alloc(total, 16);
    }
    return real.reallocarray(old, n, size);
}

EXPORT void free(void *p)
{
    ENTER(HRC_FREE);
    if (!boot_owns(p) && ready())
        real.free(p);
}

EXPORT void *memalign(size_t align, size_t size)
{
    ENTER(HRC_MEMALIGN);
    return ready() ? real.memalign(align, size) : boot_alloc(size, align);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    ENTER(HRC_POSIX_MEMALIGN);
    if (ready())
        return real.posix_memalign(out, align, size);
    *out = boot_alloc(size, align);
    return *out ? 0 : ENOMEM;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    ENTER(HRC_ALIGNED_ALLOC);
    return ready() ? real.aligned_alloc(align, size) : boot_alloc(size, align);
}

EXPORT void *valloc(size_t size)
{
    ENTER(HRC_VALLOC);
    return ready() ? real.valloc(size) : boot_alloc(size, 4096);
}

EXPORT void *pvalloc(size_t size)
{
    ENTER(HRC_PVALLOC);
    return ready() ? real.pvalloc(size) : boot_alloc((size + 4095) & ~(size_t)4095, 4096);
}

/* Not counted: only so that a bootstrap block never reaches the real allocator. */
EXPORT size_t malloc_usable_size(void *p)
{
    if (boot_owns(p))
        return boot_size(p);
    return ready() && real.malloc_usable_size ? real.malloc_usable_size(p) : 0;
}

/* ---- the C++ operators: every variant counts as its operator's kind ---- */

typedef void *(*new_fn)(size_t);
typedef void *(*new_x_fn)(size_t, const void *);
typedef void *(*new_al_fn)(size_t, size_t);
typedef void *(*new_al_x_fn)(size_t, size_t, const void *);
typedef void (*del_fn)(void *);
typedef void (*del_sz_fn)(void *, size_t);
typedef void (*del_x_fn)(void *, const void *);
typedef void (*del_sz_al_fn)(void *, size_t, size_t);
typedef void (*del_al_x_fn)(void *, size_t, const void *);

/* The real operator, looked up at its first use (libstdc++ may be dlopen'd later than us). */
#define REAL_OP(type, sym)                                 \
    static type real_op;                                   \
    type op = __atomic_load_n(&real_op, __ATOMIC_RELAXED); \
    if (!op) {                                             \
        op = (type)dlsym(RTLD_NEXT, #sym);                 \
        __atomic_store_n(&real_op, op, __ATOMIC_RELAXED);  \
    }

/* Without a real operator (no C++ runtime after us), the C allocator serves. */
static void *plain_new(size_t size, size_t align)
{
    void *p = NULL;
    if (!ready())
        return boot_alloc(size, align);
    if (align > 16)
        return real.posix_memalign(&p, align, size) == 0 ? p : NULL;
    return real.malloc(size);
}

static void plain_delete(void *p)
{
    if (!boot_owns(p) && ready())
        real.free(p);
}

#define NEW_OP(sym, kind)                          \
    EXPORT void *sym(size_t size)                  \
    {                                              \
        ENTER(kind);                               \
        REAL_OP(new_fn, sym)                       \
        return op ? op(size) : plain_new(size, 0); \
    }
#define NEW_NT_OP(sym, kind)                           \
    EXPORT void *sym(size_t size, const void *nt)      \
    {                                                  \
        ENTER(kind);                                   \
        REAL_OP(new_x_fn, sym)                         \
        return op ? op(size, nt) : plain_new(size, 0); \
    }
#define NEW_AL_OP(sym, kind)                            \
    EXPORT void *sym(size_t size, size_t al)            \
    {                                                   \
        ENTER(kind);                                    \
        REAL_OP(new_al_fn, sym)                         \
        return op ? op(size, al) : plain_new(size, al); \
    }
#define NEW_AL_NT_OP(sym, kind)                              \
    EXPORT void *sym(size_t size, size_t al, const void *nt) \
    {                                                        \
        ENTER(kind);                                         \
        REAL_OP(new_al_x_fn, sym)                            \
        return op ? op(size, al, nt) : plain_new(size, al);  \
    }

NEW_OP(_Znwm, HRC_NEW)
NEW_OP(_Znam, HRC_NEW_ARRAY)
NEW_NT_OP(_ZnwmRKSt9nothrow_t, HRC_NEW)
NEW_NT_OP(_ZnamRKSt9nothrow_t, HRC_NEW_ARRAY)
NEW_AL_OP(_ZnwmSt11align_val_t, HRC_NEW)
NEW_AL_OP(_ZnamSt11align_val_t, HRC_NEW_ARRAY)
NEW_AL_NT_OP(_ZnwmSt11align_val_tRKSt9nothrow_t, HRC_NEW)
NEW_AL_NT_OP(_ZnamSt11align_val_tRKSt9nothrow_t, HRC_NEW_ARRAY)

#define DEL_OP(sym, kind)             \
    EXPORT void sym(void *p)          \
    {                                 \
        ENTER(kind);                  \
        REAL_OP(del_fn, sym)          \
        op ? op(p) : plain_delete(p); \
    }
/* One extra argument: the size, the alignment or the nothrow tag. */
#define DEL_X_OP(sym, kind, ftype, xtype) \
    EXPORT void sym(void *p, xtype x)     \
    {                                     \
        ENTER(kind);                      \
        REAL_OP(ftype, sym)               \
        op ? op(p, x) : plain_delete(p);  \
    }
#define DEL_XY_OP(sym, kind, ftype, xtype, ytype) \
    EXPORT void sym(void *p, xtype x, ytype y)    \
    {                                             \
        ENTER(kind);                              \
        REAL_OP(ftype, sym)                       \
        op ? op(p, x, y) : plain_delete(p);       \
    }

DEL_OP(_ZdlPv, HRC_DELETE)
DEL_OP(_ZdaPv, HRC_DELETE_ARRAY)
DEL_X_OP(_ZdlPvm, HRC_DELETE, del_sz_fn, size_t)
DEL_X_OP(_ZdaPvm, HRC_DELETE_ARRAY, del_sz_fn, size_t)
DEL_X_OP(_ZdlPvSt11align_val_t, HRC_DELETE, del_sz_fn, size_t)
DEL_X_OP(_ZdaPvSt11align_val_t, HRC_DELETE_ARRAY, del_sz_fn, size_t)
DEL_XY_OP(_ZdlPvmSt11align_val_t, HRC_DELETE, del_sz_al_fn, size_t, size_t)
DEL_XY_OP(_ZdaPvmSt11align_val_t, HRC_DELETE_ARRAY, del_sz_al_fn, size_t, size_t)
DEL_X_OP(_ZdlPvRKSt9nothrow_t, HRC_DELETE, del_x_fn, const void *)
DEL_X_OP(_ZdaPvRKSt9nothrow_t, HRC_DELETE_ARRAY, del_x_fn, const void *)
DEL_XY_OP(_ZdlPvSt11align_val_tRKSt9nothrow_t, HRC_DELETE, del_al_x_fn, size_t, const void *)
DEL_XY_OP(_ZdaPvSt11align_val_tRKSt9nothrow_t, HRC_DELETE_ARRAY, del_al_x_fn, size_t, const void *)
