/* SPDX-License-Identifier: MIT */
/* The heaprr trace format: constants, record types and error codes shared by the writer, the
 * reader and every tool. formats/SPEC.md specifies the bytes; this header names them. */
#ifndef HEAPRR_FORMAT_H
#define HEAPRR_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HR_FORMAT_MAJOR 1
#define HR_FORMAT_MINOR 2

#define HR_MAGIC "\x89HRR\r\n\x1a\n"
#define HR_MAGIC_LEN 8
#define HR_HEADER_FIXED 48       /* fixed part of the header, before the strings */
#define HR_HEADER_MAX (1u << 20) /* largest header_size a reader accepts */
#define HR_FRAME_HEADER 16
#define HR_CHUNK_MAX (64u << 20) /* largest raw_size a reader accepts */
#define HR_MAX_DEPTH 1024        /* deepest backtrace the tools handle */

/* Error codes: 0 is success, every error is negative and stable. */
typedef enum hr_err {
    HR_OK = 0,
    HR_ERR_IO = -1,        /* a read or write failed (errno is kept) */
    HR_ERR_NOMEM = -2,     /* out of memory */
    HR_ERR_NOT_TRACE = -3, /* the file does not start with the heaprr magic */
    HR_ERR_VERSION = -4,   /* the file's major version is newer than this code */
    HR_ERR_CORRUPT = -5,   /* bytes that break the format */
    HR_ERR_TRUNCATED = -6, /* the file ends before its trailer */
    HR_ERR_CHECKSUM = -7,  /* a CRC or zstd checksum does not match */
    HR_ERR_ARG = -8,       /* a caller passed an invalid argument */
    HR_ERR_ZSTD = -9,      /* zstd refused to compress or decompress */
    HR_ERR_LIMIT = -10,    /* a value exceeds a limit of the format or of this code */
    HR_ERR_STATE = -11     /* a call made in the wrong state (e.g. after finish) */
} hr_err;

/* Returns a constant English description of an hr_err code ("unknown error" otherwise). */
const char *hr_strerror(int err);
/* Copies str into buf as it can be quoted in a one-line message: bytes outside printable ASCII
 * (and '\\') as \xNN, at most max bytes of str, then "..." when it is cut. Returns buf. */
const char *hr_printable(const char *str, size_t max, char *buf, size_t cap);

/* Allocation event kinds: one per entry point (formats/SPEC.md 5.3). Values are fixed. */
typedef enum hr_kind {
    HR_KIND_NONE = 0,
    HR_MALLOC = 1,
    HR_CALLOC = 2,
    HR_REALLOC = 3,
    HR_REALLOCARRAY = 4,
    HR_FREE = 5,
    HR_MEMALIGN = 6,
    HR_POSIX_MEMALIGN = 7,
    HR_ALIGNED_ALLOC = 8,
    HR_VALLOC = 9,
    HR_PVALLOC = 10,
    HR_NEW = 11,
    HR_NEW_ARRAY = 12,
    HR_DELETE = 13,
    HR_DELETE_ARRAY = 14
} hr_kind;
#define HR_KIND_COUNT 15 /* one past the largest kind */

/* Returns the name of a kind as the tools print it ("malloc", "new[]", ...), NULL if invalid. */
const char *hr_kind_name(unsigned kind);
/* Returns the kind named name, or HR_KIND_NONE. */
hr_kind hr_kind_from_name(const char *name);
/* Non-zero for free, delete and delete[]. */
static inline int hr_kind_is_free(unsigned kind)
{
    return kind == 5 || kind == 13 || kind == 14;
}
/* Non-zero for realloc and reallocarray (they free and allocate). */
static inline int hr_kind_is_realloc(unsigned kind)
{
    return kind == 3 || kind == 4;
}
/* Non-zero for kinds that carry a count (calloc, reallocarray). */
static inline int hr_kind_has_count(unsigned kind)
{
    return kind == 2 || kind == 4;
}
/* Non-zero for kinds that always carry an alignment (memalign family). */
static inline int hr_kind_has_align(unsigned kind)
{
    return kind >= 6 && kind <= 8;
}

/* Event xflags (SPEC 5.3). */
#define HR_XF_FAILED 0x01u
#define HR_XF_FREE_SEQ 0x02u
#define HR_XF_ALIGNED 0x04u
#define HR_XF_SIZED 0x08u
#define HR_XF_NOTHROW 0x10u
#define HR_XF_INCOMPLETE 0x20u
#define HR_XF_INJECTED 0x40u /* a failure injected on purpose (HEAPRR_FAIL); FAILED is set too */
#define HR_XF_KNOWN 0x7Fu

/* Byte i of the guard zone after a block in guard mode (SPEC 5.2, GUARD). */
static inline uint8_t hr_guard_byte(uint64_t i)
{
    return (uint8_t)(0xA7u ^ (uint8_t)(i * 0x3Bu));
}
/* The pattern of the zone before a guarded block: byte i counts back from the block (0: the byte
 * just before it). */
static inline uint8_t hr_guard_byte_before(uint64_t i)
{
    return (uint8_t)(0x5Cu ^ (uint8_t)(i * 0x2Du));
}

/* Header flags (SPEC 3.1). */
#define HR_HF_FREE_STACKS 0x01u
#define HR_HF_COARSE_TIME 0x02u

/* mallopt commands of the QNX allocator as a MALLOPT record holds them (include/heaprr/heaprr.h
 * gives programs the QNX names, MALLOC_ARENA_CACHE_MAXBLK and so on, with these values). */
enum {
    HR_MALLOPT_BASE = 0x48520000,
    HR_MALLOPT_ARENA_CACHE_MAXBLK,
    HR_MALLOPT_ARENA_CACHE_MAXSZ,
    HR_MALLOPT_ARENA_CACHE_FREE_NOW,
    HR_MALLOPT_MEMORY_HOLD,
    HR_MALLOPT_VERIFY,
    HR_MALLOPT_CKBOUNDS,
    HR_MALLOPT_CKCHAIN,
    HR_MALLOPT_LAST = HR_MALLOPT_CKCHAIN
};
static inline int hr_mallopt_is_qnx(int64_t param)
{
    return param > HR_MALLOPT_BASE && param <= HR_MALLOPT_LAST;
}

/* A freed block held in quarantine is filled with this byte (SPEC 5.2, FREED_WRITE); a record
 * of damage to it holds at most this many bytes found. */
#define HR_FREED_FILL 0xDBu
#define HR_FREED_WINDOW 32u

/* Typed record types (SPEC 5.2). Types 0x40..0x7F are ordered: their body starts with the order
 * prefix, so a reader keeps its delta state right even across types it does not know.
 * HR_REC_EVENT is the reader's name for an allocation event, HR_REC_STACK_NODE for one node of a
 * STACK_NODES record, HR_REC_TRAILER for a trailer frame. */
typedef enum hr_rec_type {
    HR_REC_EVENT = 0,
    HR_REC_PROCESS_INFO = 0x01,
    HR_REC_STACK_NODES = 0x02,
    HR_REC_MODULE_LOAD = 0x41,
    HR_REC_MODULE_UNLOAD = 0x42,
    HR_REC_THREAD_START = 0x43,
    HR_REC_THREAD_NAME = 0x44,
    HR_REC_THREAD_END = 0x45,
    HR_REC_MARK = 0x46,
    HR_REC_FORK = 0x47,
    HR_REC_EXEC = 0x48,
    HR_REC_STOPPED = 0x49,
    HR_REC_GUARD = 0x4A,
    HR_REC_SPAWN = 0x4B,
    HR_REC_FREED_WRITE = 0x4C,
    HR_REC_GUARD_BEFORE = 0x4D,
    HR_REC_MALLOPT = 0x4E,
    HR_REC_ACCESS = 0x4F,
    HR_REC_TRAILER = 0x100
} hr_rec_type;
#define HR_REC_STACK_NODE HR_REC_STACK_NODES
#define HR_REC_ORDERED_MIN 0x40u
#define HR_REC_TYPE_LIMIT 0x80u /* typed records are 0x01..0x7F */

/* Returns the name of a typed record type ("module-load", ...), NULL if unknown. */
const char *hr_rec_type_name(unsigned type);
/* Non-zero if the typed record carries an order prefix (SPEC 5.1). */
static inline int hr_rec_type_is_ordered(unsigned type)
{
    return type >= HR_REC_ORDERED_MIN && type < HR_REC_TYPE_LIMIT;
}

/* EXEC and SPAWN flags (SPEC 5.2): why the recorder will not start in the new image. The
 * recorder said so on stderr when it set one, so tools need not say it again. */
#define HR_IMG_STATIC 0x01u     /* statically linked: the loader, which preloads, never runs */
#define HR_IMG_SECURE 0x02u     /* set-user-ID, set-group-ID or file capabilities: LD_PRELOAD ignored */
#define HR_IMG_NO_PRELOAD 0x04u /* its environment lacks libheaprr.so in LD_PRELOAD or MALLOC_TRACE */
#define HR_IMG_FOREIGN 0x08u    /* an ELF file of another class or machine than the recorder's */

/* The functions an ACCESS record names (SPEC 5.2), and its flags: the range was the one the call
 * writes (else the one it reads), the block had been freed (held in the quarantine). */
typedef enum hr_access_fn {
    HR_FN_MEMCPY = 1,
    HR_FN_MEMMOVE,
    HR_FN_MEMSET,
    HR_FN_STRCPY,
    HR_FN_STRNCPY,
    HR_FN_STRCAT,
    HR_FN_STRNCAT,
    HR_FN_MEMCCPY,
    HR_FN_MEMPCPY,
    HR_FN_STPCPY,
    HR_FN_STPNCPY,
    HR_FN_BZERO,
    HR_FN_EXPLICIT_BZERO,
    HR_FN_WMEMCPY,
    HR_FN_WMEMMOVE,
    HR_FN_WMEMSET,
    HR_FN_COUNT
} hr_access_fn;
#define HR_ACCESS_FN_MASK 0xFFu
#define HR_ACCESS_WRITE 0x100u
#define HR_ACCESS_FREED 0x200u
/* "memcpy", ...; NULL if unknown. */
const char *hr_access_fn_name(unsigned fn);

/* Process origins (PROCESS_INFO). */
typedef enum hr_origin { HR_ORIGIN_ROOT = 0, HR_ORIGIN_FORK = 1, HR_ORIGIN_EXEC = 2, HR_ORIGIN_SPAWN = 3 } hr_origin;
const char *hr_origin_name(unsigned origin);

/* A string inside a record or header: not NUL-terminated. */
typedef struct hr_str {
    const char *ptr;
    size_t len;
} hr_str;

/* The file header (SPEC 3). */
typedef struct hr_header {
    uint16_t major, minor;
    uint8_t pointer_size, byte_order;
    uint16_t flags;
    uint32_t page_size;
    uint32_t pid, ppid;
    uint64_t start_realtime_ns;
    uint32_t time_unit_ns;
    uint32_t max_depth;
    hr_str exe;
    hr_str cmdline; /* arguments, each followed by a NUL byte */
} hr_header;

/* One allocation event. seq, thread and time live in the enclosing hr_record. */
typedef struct hr_event {
    uint32_t kind;   /* hr_kind */
    uint32_t xflags; /* HR_XF_* */
    uint64_t ptr;    /* result (allocations) or argument (frees) */
    uint64_t old_ptr;
    uint64_t size;
    uint64_t count;
    uint64_t align;
    uint64_t err;      /* errno, when HR_XF_FAILED */
    uint64_t free_seq; /* when HR_XF_FREE_SEQ */
    uint64_t stack;    /* stack id: a node id, 0 for none */
} hr_event;

/* Whether the call e records is one failure injection can make fail (HEAPRR_FAIL counts these):
 * every allocation, and realloc but not realloc(p, 0), which frees. */
static inline int hr_event_can_fail(const hr_event *e)
{
    if (hr_kind_is_free(e->kind))
        return 0;
    return !hr_kind_is_realloc(e->kind) || (e->size && (!hr_kind_has_count(e->kind) || e->count));
}

typedef struct hr_process_info {
    hr_str recorder;
    uint32_t origin; /* hr_origin */
    uint32_t parent_pid;
    hr_str parent_trace;
    uint64_t fork_seq;
    hr_str cwd;
    uint64_t guard_bytes;
} hr_process_info;

typedef struct hr_module_info {
    uint64_t id, bias, start, end;
    hr_str build_id; /* raw bytes */
    hr_str path;
} hr_module_info;

/* One record as the reader delivers it. Strings point into the reader's buffers and stay valid
 * until the next call to hr_reader_next(). */
typedef struct hr_record {
    uint32_t type;   /* hr_rec_type, or a type this code does not know (then no payload) */
    uint32_t thread; /* ordered records: thread index */
    uint64_t seq;    /* ordered records */
    uint64_t time_ns;
    uint64_t offset; /* file offset of the frame holding the record */
    union {
        hr_event event;
        hr_process_info process;
        hr_module_info module; /* load: all fields; unload: id */
        struct {
            uint32_t index, tid;
            hr_str name;
        } thread; /* start: all; name: index, name; end: index */
        struct {
            uint64_t id, parent, ip;
        } node;
        hr_str text; /* mark, stopped */
        struct {
            uint64_t ptr, size; /* the block and the bytes it was asked for */
            hr_str found;       /* the guard zone after it (GUARD) or before it (GUARD_BEFORE, in
                                   memory order: its last byte is just before the block), as found */
        } guard;
        struct {
            uint64_t ptr;    /* the freed block */
            uint64_t offset; /* its first byte found changed, from the block's start */
            uint64_t bytes;  /* bytes found changed */
            hr_str found;    /* the bytes from offset on, as found (up to HR_FREED_WINDOW) */
        } freed;             /* freed-write */
        struct {
            int64_t param, value, result; /* mallopt(param, value) returned result */
        } mallopt;
        struct {
            uint64_t ptr, size; /* the block and its size (the request, or what malloc_usable_size said) */
            uint64_t at, len;   /* the range the call touches: len bytes from address at */
            uint32_t what;      /* hr_access_fn | HR_ACCESS_WRITE | HR_ACCESS_FREED */
            uint64_t stack;     /* the call's stack id */
        } access;
        struct {
            uint32_t child_pid;
        } fork;
        struct {
            hr_str path;
            int64_t result;     /* exec: the error if it failed (else 0); spawn: posix_spawn's */
            uint32_t child_pid; /* spawn: the new process */
            uint32_t flags;     /* HR_IMG_*: why the new image will not be recorded (0: it will) */
        } exec;                 /* exec and spawn */
        struct {
            uint64_t last_seq, records;
        } trailer;
    } u;
} hr_record;

/* Caller-supplied allocator (zstd's signature for the first three fields). zeroed: every block
 * alloc returns is already zero-filled (fresh pages from mmap), so the library need not write
 * zeros into it, and pages never used are never touched. */
typedef struct hr_alloc {
    void *(*alloc)(void *opaque, size_t size);
    void (*free)(void *opaque, void *ptr);
    void *opaque;
    int zeroed;
} hr_alloc;

#ifdef __cplusplus
}
#endif
#endif
