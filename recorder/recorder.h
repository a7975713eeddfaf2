/* SPDX-License-Identifier: MIT */
/* Declarations shared inside libheaprr.so, grouped by the file that defines them. Everything here
 * runs inside other people's programs: no stdio, no allocation except through arena.c, no lock
 * held across a call into the real allocator. */
#ifndef HEAPRR_RECORDER_H
#define HEAPRR_RECORDER_H

#include <heaprr/format.h>
#include <heaprr/stage.h>
#include <heaprr/writer.h>

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define HR_HIDDEN __attribute__((visibility("hidden")))
#define HR_EXPORT __attribute__((visibility("default")))
#define HR_LIKELY(x) __builtin_expect(!!(x), 1)
#define HR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HR_TLS __attribute__((tls_model("initial-exec"))) __thread

#define HR_RECORDER_NAME "libheaprr " HEAPRR_VERSION

/* ---- log.c: async-signal-safe messages on stderr, errno preserved ---- */

/* Formats with %s %d %u %lu %llu %x %lx %zu %p and writes "heaprr: ...\n" to fd 2. */
void hr_log(const char *fmt, ...) HR_HIDDEN __attribute__((format(printf, 1, 2)));
/* Formats into buf (always NUL-terminated); returns the length. */
size_t hr_fmt(char *buf, size_t cap, const char *fmt, ...) HR_HIDDEN __attribute__((format(printf, 3, 4)));

/* ---- arena.c: the recorder's own memory, from mmap, never from the program's allocator ---- */

void *hr_mem_alloc(size_t size) HR_HIDDEN;
void hr_mem_free(void *p) HR_HIDDEN;
char *hr_mem_strdup(const char *s) HR_HIDDEN;
/* Around a forked child's release of its parent's state: small blocks freed are forgotten. */
void hr_mem_fork_begin(void) HR_HIDDEN;
void hr_mem_fork_end(void) HR_HIDDEN;
extern const hr_alloc hr_mem_hooks HR_HIDDEN;

/* ---- real.c: the next allocator in the lookup chain, and a bootstrap buffer for dlsym ---- */

typedef struct hr_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    int (*mallopt)(int, int);
} hr_real;

/* The other C library functions the recorder wraps (hooks-proc.c, hooks-thread.c). */
typedef struct hr_libc_fns {
    int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    void (*pthread_exit)(void *) __attribute__((noreturn));
    int (*pthread_setname_np)(pthread_t, const char *);
    pid_t (*fork)(void);
    pid_t (*fork_nohandlers)(void); /* _Fork */
    void *(*dlopen)(const char *, int);
    void *(*dlmopen)(long, const char *, int);
    int (*dlclose)(void *);
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*fexecve)(int, char *const[], char *const[]);
    int (*posix_spawn)(pid_t *, const char *, const void *, const void *, char *const[], char *const[]);
    int (*posix_spawnp)(pid_t *, const char *, const void *, const void *, char *const[], char *const[]);
} hr_libc_fns;

extern hr_real hr_next HR_HIDDEN;
extern hr_libc_fns hr_libc HR_HIDDEN;
extern int hr_real_ready HR_HIDDEN;
/* Resolves hr_next (once; concurrent callers are served from the bootstrap buffer meanwhile). */
void hr_real_init(void) HR_HIDDEN;
/* Looks up a symbol in the libraries after ours (for lazily resolved C++ operators). */
void *hr_real_sym(const char *name) HR_HIDDEN;
/* hr_self.in_new: a real operator new called by a hook of ours (hooks-cxx.c, hook-call.h) */
#define HR_NEW_NONE 0
#define HR_NEW_STARTED 1   /* it runs, and has made no allocation call yet */
#define HR_NEW_ALLOCATED 2 /* it made one (which failed, if it still runs: a new_handler may follow) */
/* Bootstrap allocations, made while dlsym runs. */
void *hr_boot_alloc(size_t size, size_t align) HR_HIDDEN;
int hr_boot_owns(const void *p) HR_HIDDEN;
size_t hr_boot_size(const void *p) HR_HIDDEN;

/* ---- env.c: settings, read once from the environment ---- */

typedef struct hr_config {
    const char *trace;         /* MALLOC_TRACE, NULL: inert */
    unsigned depth;            /* MALLOC_TRACEBTDEPTH */
    int free_stacks;           /* MALLOC_TRACE_FREE_STACKS */
    int precise_clock;         /* HEAPRR_CLOCK=precise */
    size_t ring_size;          /* HEAPRR_RING_KB */
    size_t chunk_size;         /* HEAPRR_CHUNK_KB */
    int zstd_level;            /* HEAPRR_ZSTD_LEVEL */
    const char *session_raw;   /* HEAPRR_TRACE_RAW: MALLOC_TRACE of the root process */
    const char *session_tmpl;  /* HEAPRR_TRACE_TEMPLATE: its absolute form */
    const char *parent;        /* HEAPRR_PARENT: "pid:trace" of the image that started us */
    int quiet;                 /* HEAPRR_QUIET=1: no informational messages */
    int no_thread;             /* HEAPRR_WRITER_THREAD=0: drain on program threads only */
    int unwind_check;          /* HEAPRR_UNWIND_CHECK=1: compare every backtrace with libunwind */
    int unwind_libunwind;      /* HEAPRR_UNWIND=libunwind: never use the fast unwinder */
    int stats;                 /* HEAPRR_STATS=1: report the recorder's own costs at exit */
    int guard;                 /* MALLOC_CKBOUNDS=1: guard zones around blocks (guard.c) */
    size_t guard_size;         /* MALLOC_GUARD_SIZE: bytes of each guard zone */
    int ckfreed;               /* MALLOC_CKFREED=1 (or guard mode): freed blocks held in quarantine */
    uint64_t quarantine_bytes; /* HEAPRR_QUARANTINE_MB: bytes the quarantine holds at most */
    int dump_leaks;            /* MALLOC_DUMP_LEAKS=1: a leak summary on stderr at exit */
    int action;                /* MALLOC_ACTION: -1 unset; 0 ignore, 1 abort, 2 exit, 3 core, 4 stop */
    int ckaccess;              /* MALLOC_CKACCESS=1: string and memory functions checked (access.c) */
    int track;                 /* every block is in the table of blocks: MALLOC_ACTION set, or ckaccess */
    int fail;                  /* HEAPRR_FAIL set: allocation calls fail on purpose (inject.c) */
    int torture_realloc;       /* HEAPRR_TORTURE=realloc: every realloc moves its block (torture.c) */
    const char *errfile;       /* MALLOC_ERRFILE: where the check's messages go (NULL: stderr) */
    uint32_t max_rings;        /* HEAPRR_MAX_RINGS: rings the staging file may hold, the overflow ring included */
    int pool;                  /* HEAPRR_POOL=1: staging files are reused across the session's processes */
    size_t index_memory;       /* HEAPRR_INDEX_MB: memory for the trace's index, 0: no index */
} hr_config;

extern hr_config hr_cfg HR_HIDDEN;
/* For libheaprr-access.so (access.c): MALLOC_CKACCESS=1, and the check of a call's ranges. */
extern int heaprr__access_active;
void heaprr__check_access(unsigned fn, void *dst, size_t wlen, const void *src, size_t rlen, void *caller);
/* Reads the settings; returns 0, or -1 when the environment is not readable yet. */
int hr_env_read(void) HR_HIDDEN;

/* ---- blocks.c: the recorder's table of blocks (guard mode, live checks) ---- */

typedef struct hr_blk {
    uint64_t ptr;    /* the program's pointer: the key, never 0 */
    uint64_t size;   /* the request */
    uint16_t front;  /* guard mode: the real allocator's block starts this many bytes before ptr */
    uint8_t kind;    /* hr_kind of the call that allocated it */
    uint8_t freed;   /* a tombstone: the block was freed (live checks) */
    uint8_t guarded; /* guard zones surround it */
    uint8_t held;    /* freed, and held in the quarantine (access checks) */
    uint8_t wide;    /* the program asked malloc_usable_size: it may use all of that (access checks) */
    uint8_t pad;
} hr_blk;

enum { HR_BLK_PEEK, HR_BLK_ERASE, HR_BLK_BURY };
/* Adds or replaces the entry of b->ptr. Returns 0, or -1 without memory. */
int hr_blocks_put(const hr_blk *b) HR_HIDDEN;
/* The entry of p into *out, then (how) left, erased, or made a tombstone. Returns 0, or -1 if p has
 * no entry. */
int hr_blocks_take(uint64_t p, hr_blk *out, int how) HR_HIDDEN;
/* The live block whose bytes hold p past its start (a scan of the whole table: errors only). */
int hr_blocks_containing(uint64_t p, hr_blk *out) HR_HIDDEN;
/* Access checks: the live or quarantined block holding address a, through the range index.
 * Returns 0, or -1 when no block the recorder knows holds a. */
int hr_blocks_at(uint64_t a, hr_blk *out) HR_HIDDEN;
/* The freed block p leaves the quarantine: out of the range index (and the table, without
 * MALLOC_ACTION's tombstones). */
void hr_blocks_unhold(uint64_t p) HR_HIDDEN;
/* The program asked malloc_usable_size for block p. */
void hr_blocks_widen(uint64_t p) HR_HIDDEN;
void hr_blocks_fork_prepare(void) HR_HIDDEN;
void hr_blocks_fork_done(void) HR_HIDDEN;

/* ---- ranges.c: the range index of the access checks ---- */

void hr_ranges_add(uint64_t p, uint64_t size) HR_HIDDEN;
void hr_ranges_remove(uint64_t p, uint64_t size) HR_HIDDEN;
/* The start of the nearest small block at or below a (0: none within reach). */
uint64_t hr_ranges_small_start(uint64_t a) HR_HIDDEN;
/* The start of the nearest big block at or below a (0: none). */
uint64_t hr_ranges_big_start(uint64_t a) HR_HIDDEN;
void hr_ranges_fork_prepare(void) HR_HIDDEN;
void hr_ranges_fork_done(void) HR_HIDDEN;

/* ---- inject.c: failure injection (HEAPRR_FAIL) ---- */

/* Reads the rules. Returns 0, or -1 with why filled. */
int hr_inject_setup(const char *text, char *why, size_t cap) HR_HIDDEN;
/* Counts an allocation call of kind asking for size bytes and says whether it fails. frames: its
 * whole backtrace, innermost first, or NULL (taken here when a rule looks at it). */
int hr_inject_now(unsigned kind, uint64_t size, const uint64_t *frames, uint32_t depth) HR_HIDDEN;
/* A module loaded at bias from path: the func=, at= and site= rules that name it are resolved. */
void hr_inject_module(const char *path, uint64_t bias) HR_HIDDEN;

/* ---- guard.c: guard mode ---- */

#define HR_GUARD_MAX 1024u /* the largest MALLOC_GUARD_SIZE */
/* Bytes to ask the real allocator for a guarded block of size bytes aligned to align (0: the
 * default); 0 when it cannot be guarded (too large: ask for size, and arm nothing). */
size_t hr_guard_ask(size_t size, size_t align) HR_HIDDEN;
/* Bytes of the zone in front of a guarded block aligned to align (0: the default). */
size_t hr_guard_front(size_t align) HR_HIDDEN;
/* Fills the zones around a block the real allocator returned at real, for a request of size
 * aligned to align by a call of kind, remembers it, and returns the pointer the program gets (NULL
 * for NULL). */
void *hr_guard_arm(void *real, size_t size, size_t align, unsigned kind) HR_HIDDEN;
/* Checks the zones of guarded block b: damage is staged as GUARD and GUARD_BEFORE records.
 * Returns HR_CK_NONE, HR_CK_OVERRUN or HR_CK_UNDERRUN (the first found). */
int hr_guard_zones(const hr_blk *b) HR_HIDDEN;

/* ---- check.c: what a pointer handed back is, and MALLOC_ACTION ---- */

/* Errors found at the call (their names are the replay's finding kinds). */
enum {
    HR_CK_NONE,
    HR_CK_DOUBLE_FREE,
    HR_CK_INVALID_FREE,
    HR_CK_INTERIOR_FREE,
    HR_CK_REALLOC_FREED,
    HR_CK_MISMATCHED_FREE,
    HR_CK_OVERRUN,
    HR_CK_UNDERRUN,
    HR_CK_USE_AFTER_FREE,
    HR_CK_ACCESS_OVERRUN,
    HR_CK_ACCESS_FREED,
};
/* In check mode (MALLOC_ACTION set), a block the program got from a call of kind without guard
 * zones. */
void hr_check_alloc(void *p, size_t size, unsigned kind) HR_HIDDEN;
/* A pointer handed back to free, delete or realloc (kind): its guard zones checked and its entry
 * taken (check mode leaves a tombstone; *taken: the entry, ptr 0 if none, for realloc to put back
 * when it fails). Returns the pointer the real allocator knows, or NULL when the call must not
 * reach it (check mode: a pointer freed already, or one that names no live block); *error says
 * what was wrong. */
void *hr_check_release(void *p, unsigned kind, hr_blk *taken, int *error) HR_HIDDEN;
/* A call that passes straight through (not recorded) hands p back: the real allocator's pointer,
 * the block forgotten. */
void *hr_guard_base(void *p) HR_HIDDEN;
/* realloc passing straight through of a guarded block: into a plain one. *done 0: p is not
 * guarded (the caller reallocates it itself). */
void *hr_guard_realloc_plain(void *p, size_t size, int *done) HR_HIDDEN;
/* malloc_usable_size of a guarded block: 1 and its request in *usable, or 0 when not guarded. */
int hr_guard_usable(const void *p, size_t *usable) HR_HIDDEN;
/* After the call's record: says what error was found at the call of kind on p, on stderr or in
 * MALLOC_ERRFILE, with the call site, and takes the action of MALLOC_ACTION. */
void hr_check_act(int error, unsigned kind, const void *p, const void *caller) HR_HIDDEN;
/* The same for a call that is not an allocation call (call: its name). */
void hr_check_act_call(int error, const char *call, const void *p, const void *caller) HR_HIDDEN;

/* ---- torture.c: realloc torture, blocks moved by hand ---- */

/* HEAPRR_TORTURE's value: 0, or -1 when it names no torture. */
int hr_torture_setup(const char *value) HR_HIDDEN;
/* Whether realloc of the program's pointer old (base: the real allocator's, NULL when the call
 * must not reach it; total bytes asked) must move the block. */
int hr_torture_moves(const void *old, const void *base, uint64_t total) HR_HIDDEN;
/* The bytes of the block at base a moved block keeps: its request when the table of blocks knows
 * it (taken), else what the allocator says it holds. */
uint64_t hr_torture_old_size(void *base, const hr_blk *taken) HR_HIDDEN;
/* A block moved by hand: a block of ask bytes from the real allocator, the first min(size, keep)
 * bytes at user copied to at bytes into it, base released (into the quarantine when fill is
 * not 0: taken is its entry, see hr_quarantine_put; else freed). NULL (nothing released) when
 * there is no memory. */
void *hr_move_block(void *base, const void *user, uint64_t size, uint64_t keep, size_t ask, size_t at,
                    uint64_t fill, const hr_blk *taken) HR_HIDDEN;

/* ---- quarantine.c: freed blocks held back (MALLOC_CKFREED) ---- */

/* Before recording a free of p: makes room for p in the quarantine (checking and really freeing
 * the oldest blocks; *damage set when one was written after its free) and returns the bytes of p to
 * fill, 0 when p is not to be held. */
uint64_t hr_quarantine_room(void *p, int *damage) HR_HIDDEN;
/* After recording it: fills p (the real allocator's pointer; user: the program's, inside it) and
 * holds it (taken: its entry in the table of blocks, ptr 0 if none). Returns 1, or 0 when the
 * caller must free p itself. */
int hr_quarantine_put(void *p, const void *user, uint64_t fill, const hr_blk *taken) HR_HIDDEN;
/* At exit: checks every block still held. */
void hr_quarantine_check_all(void) HR_HIDDEN;
void hr_quarantine_fork_prepare(void) HR_HIDDEN;
void hr_quarantine_fork_done(void) HR_HIDDEN;

/* ---- stack.c ---- */

/* The calling thread's stack bounds, found without locks or allocation. Returns 0 or -1. */
int hr_stack_bounds(uint64_t *lo, uint64_t *hi) HR_HIDDEN;
/* Called on a thread whose usable stack is known to be [lo, hi) (the writer's, or one from
 * pthread_getattr_np): learns where glibc's thread descriptors keep their stack. */
void hr_stack_learn(uint64_t lo, uint64_t hi) HR_HIDDEN;
/* Whether hr_stack_learn found it. */
int hr_stack_learnt(void) HR_HIDDEN;

/* ---- clock.c ---- */

void hr_clock_start(void) HR_HIDDEN;
/* Nanoseconds since recording started. */
uint64_t hr_clock_now(void) HR_HIDDEN;
uint64_t hr_clock_realtime_ns(void) HR_HIDDEN;

/* ---- unwind.c ---- */

typedef struct hr_unw hr_unw;
void hr_unwind_init(void) HR_HIDDEN;
/* Per-thread unwinder state (caches); NULL when only libunwind can be used. */
hr_unw *hr_unwind_thread_new(void) HR_HIDDEN;
/* Finds the caller's backtrace (innermost first, the recorder's own frames skipped), at most max
 * frames, and returns its depth. With may_share, *keep gets how many outermost frames are known to
 * equal those of the thread's previous backtrace (0 if unknown), and only the depth - *keep inner
 * frames are written to frames; otherwise *keep is 0 and every frame is written. u may be NULL. */
uint32_t hr_unwind(hr_unw *u, uint64_t *frames, uint32_t max, int may_share, uint32_t *keep) HR_HIDDEN;
/* Sets the stack bounds of u's thread (and forgets its cached chain). u may be NULL. */
void hr_unwind_set_stack(hr_unw *u, uint64_t lo, uint64_t hi) HR_HIDDEN;
/* Forgets cached recipes in every thread (code was unloaded). */
void hr_unwind_invalidate(void) HR_HIDDEN;
/* With HEAPRR_UNWIND_CHECK=1: prints how many backtraces matched libunwind's. */
void hr_unwind_report(void) HR_HIDDEN;

/* ---- thread.c: per-thread state and rings ---- */

typedef struct hr_tls {
    int busy;        /* inside a hook or the recorder: nested calls pass through */
    uint32_t gen;    /* hr_gen when ring was taken; differs after fork */
    hr_ring *ring;   /* this thread's staging ring, NULL before the first event */
    uint32_t ring_no, thread_index;
    uint64_t head;        /* copy of ring->h->head (we are its only writer) */
    uint64_t cached_tail; /* last tail seen, refreshed when space looks short */
    int retired;          /* the thread's key destructor ran */
    hr_unw *unw;          /* unwinder caches, allocated on the first event */
    int unwound;          /* the ring holds an unwound record of this thread: the next may share frames */
    int shared;                  /* the thread stages into the overflow ring (ring-shared.c) */
    int boot;                    /* the recorder's own allocations are served from the bootstrap buffer */
    int finishing;               /* this thread wrote the trace's end at exit */
    int forking;                 /* between this thread's fork handlers: it holds the checker's locks
                                    (blocks.c), and a child records nothing yet (hook-call.h) */
    int in_new;                  /* a real operator new runs (HR_NEW_*): its own calls pass through */
    const void *new_caller;      /* where its first allocation call came from (hook-call.h) */
    int locks;                   /* spin locks of the checker's tables this thread holds */
} hr_tls;


extern HR_TLS hr_tls hr_self HR_HIDDEN;

/* A spin lock of the checker's tables (held only for short updates): spins, then yields the CPU, so
 * that a holder preempted on this CPU gets to run. The thread that forks holds them all from its
 * fork handler on (blocks.c): other fork handlers, run after, may allocate, and it goes through. */
static inline void hr_spin_lock(int *lock)
{
    if (hr_self.forking)
        return;
    hr_self.locks++;
    for (unsigned spins = 0; __atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE);)
        while (__atomic_load_n(lock, __ATOMIC_RELAXED)) {
            if (++spins < 256)
                __builtin_ia32_pause();
            else
                sched_yield();
        }
}

static inline void hr_spin_unlock(int *lock)
{
    if (hr_self.forking)
        return;
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
    hr_self.locks--;
}

/* Returns this thread's state with a ring attached, or NULL if the thread cannot record. */
hr_tls *hr_thread_get(void) HR_HIDDEN;
/* Gives t ring i as thread index `index`. */
void hr_thread_attach(hr_tls *t, int i, uint32_t index) HR_HIDDEN;
/* Forgets every ring (after fork: the rings belong to the parent). */
void hr_thread_reset(void) HR_HIDDEN;
/* At exit: no thread may register from now on. Returns whether the calling thread is the only
 * one that ever staged anything (then none can touch the staging file again). */
int hr_thread_close(void) HR_HIDDEN;
/* The calling thread's code is done (its start routine returned, or it exits or is cancelled):
 * stages THREAD_END and lets the writer reuse its ring once the thread is gone. */
void hr_thread_exit(void) HR_HIDDEN;
/* Stages a THREAD_NAME for the thread whose pthread_t is th. */
void hr_thread_named(pthread_t th, const char *name) HR_HIDDEN;
/* The writer calls this on rings it drained: retired, empty rings become free for reuse. */
void hr_thread_recycle(void) HR_HIDDEN;

/* ---- ring.c: the hot path's record staging ---- */

/* Largest record the hot path writes (event with the deepest stack, or typed with strings). */
uint32_t hr_ring_max_event(void) HR_HIDDEN;
/* Returns room for a record of at most max bytes at the head of t's ring, or NULL when recording
 * stopped. May wait for the writer to make room. */
hr_stage_rec *hr_ring_reserve(hr_tls *t, uint32_t max) HR_HIDDEN;
/* Takes the next global sequence number, announcing it first (see writer.c for why). */
uint64_t hr_seq_take(hr_tls *t) HR_HIDDEN;
/* Ends an announcement without publishing (realloc's first number). */
void hr_seq_release(hr_tls *t) HR_HIDDEN;
/* Publishes the record at the head (len = rec->len) with its sequence number. */
void hr_ring_publish(hr_tls *t, hr_stage_rec *rec) HR_HIDDEN;
/* Marks the record at the head as pending (a call in progress) or not. */
void hr_ring_pending(hr_tls *t, int on) HR_HIDDEN;
/* Stages a complete typed record (module, thread, mark, fork, exec) right away. */
void hr_ring_typed(hr_tls *t, unsigned type, const uint64_t a[4], const void *s1, uint32_t n1,
                   const void *s2, uint32_t n2) HR_HIDDEN;

extern uint64_t hr_seq_counter HR_HIDDEN;

/* ---- ring-shared.c: the overflow ring, for threads beyond the staging file's rings ---- */

/* The overflow ring's number, or UINT32_MAX while there is none. */
uint32_t hr_shared_ring_no(void) HR_HIDDEN;
/* The overflow ring, created (for thread index `index`) on first use under the registration
 * lock; *created says whether this call made it. Returns its number or -1. */
int hr_shared_ring(uint32_t index, int *created) HR_HIDDEN;
/* Makes t a user of the overflow ring. Returns 1. */
int hr_shared_join(hr_tls *t, int ring, int created) HR_HIDDEN;
/* Around everything a thread of the overflow ring stages (t->shared): the ring is the thread's
 * while it holds the lock; the holder may lock again. */
void hr_shared_lock(hr_tls *t) HR_HIDDEN;
void hr_shared_unlock(hr_tls *t) HR_HIDDEN;
void hr_shared_reset(void) HR_HIDDEN;

/* ---- writer.c: the writer thread and drains ---- */

/* Starts the writer thread if it is not running and may run. Only where no lock of the C
 * library that pthread_create takes can be held (see writer.c). */
void hr_writer_start_safe(void) HR_HIDDEN;
/* Set when a producer needed the writer thread before it ran: the next allocation hook starts it
 * (hr_writer_start_due). */
extern int hr_writer_start_wanted HR_HIDDEN;
void hr_writer_start_now(void) HR_HIDDEN;
/* At the end of an allocation hook (malloc, calloc, the memalign family, operator new): the safe
 * moment to start a writer thread that was asked for. */
static inline void hr_writer_start_due(void)
{
    if (HR_UNLIKELY(__atomic_load_n(&hr_writer_start_wanted, __ATOMIC_RELAXED)))
        hr_writer_start_now();
}
int hr_writer_thread_running(void) HR_HIDDEN;
/* Asks the writer thread to drain soon (or asks for it to be started). */
void hr_writer_wake(void) HR_HIDDEN;
/* Drains what is published, from the calling thread, if no one else is draining. Returns 1 if it
 * drained, 0 if another thread holds the writer. */
int hr_writer_drain_now(int full) HR_HIDDEN;
/* Drains everything staged so far into the trace file (heaprr_flush, and before a check's action). */
void hr_writer_sync(void) HR_HIDDEN;
/* Final drain and trailer, at exit or before exec. */
void hr_writer_finish_all(void) HR_HIDDEN;
/* The same, keeping the drain lock (returns 0) so that nothing is written after the trailer until
 * hr_writer_release: before exec, other threads' records must not follow it (-1: not held). */
int hr_writer_finish_hold(void) HR_HIDDEN;
void hr_writer_release(void) HR_HIDDEN;
void hr_writer_reset(void) HR_HIDDEN;
extern pthread_mutex_t hr_writer_lock HR_HIDDEN;

/* ---- selfstats.c: the recorder's own costs (HEAPRR_STATS=1) ---- */

typedef struct hr_selfstats {
    uint64_t waits, wait_ns;         /* program threads waiting for ring space */
    uint64_t drains, records;        /* the writer thread's drains */
    uint64_t writer_cpu_ns;          /* the writer thread's CPU time */
    uint64_t stacks_descriptor, stacks_main, stacks_maps; /* threads' stack bounds, by source (stack.c) */
    uint64_t access_calls, access_ranges, access_in_block; /* access checks: calls, ranges, ranges in a block */
    int stage_adopted;                                    /* the staging file was a spare (session.c) */
} hr_selfstats;
extern hr_selfstats hr_stats HR_HIDDEN;
uint64_t hr_selfstats_now(clockid_t id) HR_HIDDEN;
void hr_selfstats_waited(uint64_t ns) HR_HIDDEN;
void hr_selfstats_report(void) HR_HIDDEN;

/* ---- modules.c ---- */

void hr_modules_init(void) HR_HIDDEN;
/* Compares the loaded modules with the last scan and stages loads and unloads. */
void hr_modules_scan(hr_tls *t) HR_HIDDEN;
/* After fork: stages MODULE_LOAD for every module known, in the child's new trace. */
void hr_modules_restage(hr_tls *t) HR_HIDDEN;
/* Whether addr lies in libheaprr.so's own code. */
int hr_modules_is_self(uint64_t addr) HR_HIDDEN;
/* The file name of the module holding addr, and addr's offset in it (from the last scan, without
 * waiting for a lock). Returns 0, or -1 when unknown. */
int hr_modules_where(uint64_t addr, char *path, size_t cap, uint64_t *off) HR_HIDDEN;

/* ---- session.c: trace names, files, header, environment markers ---- */

typedef struct hr_session {
    char trace_path[4096];
    char stage_path[4100];
    int trace_fd;
    dev_t trace_dev;
    ino_t trace_ino;
    int origin;
    uint32_t parent_pid;
    char parent_trace[4096];
    uint64_t fork_seq;
    pid_t pid;
} hr_session;

extern hr_session hr_sess HR_HIDDEN;
/* Chooses the trace name for this process image, creates the trace and staging files, writes the
 * header. Returns 0 or -1 (with a warning printed). */
int hr_session_open(int origin, const char *parent_trace, uint64_t fork_seq) HR_HIDDEN;
/* The trace is complete: its staging file goes (or becomes a spare for the session's next
 * process, when alone says no other thread can touch it again). */
void hr_session_end_stage(int alone) HR_HIDDEN;
/* Puts the HEAPRR_* markers in environ (without the program's allocator) so that children
 * started from it, even in ways the hooks do not see, know their session and parent. */
void hr_session_export_env(void) HR_HIDDEN;
/* Returns envp with HEAPRR_* markers for a child of this image, in buf when cap entries hold it
 * and in recorder memory otherwise (the caller frees it with hr_mem_free), or envp itself when
 * the child will not record in this session. */
char **hr_session_child_env(char *const envp[], char **buf, size_t cap) HR_HIDDEN;

/* ---- init.c: life cycle ---- */

enum { HR_UNINIT = 0, HR_INITIALIZING, HR_RECORDING, HR_INERT, HR_STOPPED, HR_FINISHED };
extern int hr_state HR_HIDDEN;
extern uint32_t hr_gen HR_HIDDEN;
extern hr_stage *hr_stg HR_HIDDEN;
extern hr_writer *hr_wr HR_HIDDEN;
/* Initializes if needed; returns non-zero when calls should be recorded. */
int hr_init_check(void) HR_HIDDEN;
/* Initializes if needed (and not nested); returns hr_state. */
int hr_init_state(void) HR_HIDDEN;
/* Stops recording after an internal failure: one message, then every call passes through. */
void hr_stop(const char *why, int err) HR_HIDDEN;
/* After the trace's end at exit: parks every other thread that calls into the allocator. */
void hr_park_if_finished(void) HR_HIDDEN;
/* Re-initializes in a forked child. */
void hr_after_fork_child(void) HR_HIDDEN;
/* Completes the trace now, as at exit (MALLOC_ACTION=2 exits right after). */
void hr_finalize_now(void) HR_HIDDEN;
/* The fast test of the hooks: recording and not nested. */
static inline int hr_should_record(void)
{
    return HR_LIKELY(__atomic_load_n(&hr_state, __ATOMIC_RELAXED) == HR_RECORDING) && !hr_self.busy;
}

#endif
