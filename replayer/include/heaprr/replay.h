/* SPDX-License-Identifier: MIT */
/* libheaprr_replay: replays a trace's allocation events, in global sequence order, against an
 * allocator (the band/arena model, or a real malloc) and a librcheck-style checker. With the band
 * model the run is deterministic: the same trace and configuration give the same block addresses,
 * findings, statistics and digest on any machine. */
#ifndef HEAPRR_REPLAY_H
#define HEAPRR_REPLAY_H

#include <heaprr/failspec.h>
#include <heaprr/format.h>
#include <heaprr/heapcfg.h>
#include <heaprr/reader.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hr_check_level {
    HR_CHECK_NONE = 0,   /* nothing, not even double frees */
    HR_CHECK_BASIC = 1,  /* frees name live blocks; headers of the block and its neighbours */
    HR_CHECK_BOUNDS = 2, /* + the slack after each request is filled and verified */
    HR_CHECK_CHAIN = 3   /* + every arena and band walked after each operation */
} hr_check_level;
const char *hr_check_name(hr_check_level l);
/* Returns 0 and the level named name, or -1. */
int hr_check_from_name(const char *name, hr_check_level *out);

typedef enum hr_finding_kind {
    HR_FIND_DOUBLE_FREE = 0,
    HR_FIND_INVALID_FREE,
    HR_FIND_INTERIOR_FREE,
    HR_FIND_REALLOC_FREED,
    HR_FIND_MISMATCHED_FREE,
    HR_FIND_CORRUPT_HEADER,
    HR_FIND_OVERRUN,
    HR_FIND_CORRUPT_CHAIN,
    HR_FIND_OUT_OF_MEMORY,
    HR_FIND_SIZE_MISMATCH,  /* a sized delete passed another size than new was asked for */
    HR_FIND_ALIGN_MISMATCH, /* an aligned delete of an unaligned new, the reverse, or another alignment */
    HR_FIND_USE_AFTER_FREE, /* a freed block held in quarantine was written (MALLOC_CKFREED) */
    HR_FIND_UNDERRUN,       /* the guard zone before a block was written (guard mode) */
    HR_FIND_ACCESS_OVERRUN, /* memcpy and friends reached past a block's end (MALLOC_CKACCESS) */
    HR_FIND_ACCESS_FREED,   /* memcpy and friends touched a freed block (MALLOC_CKACCESS, quarantine) */
    HR_FIND_COUNT
} hr_finding_kind;
/* "double-free", "invalid-free", ... */
const char *hr_finding_name(hr_finding_kind k);
/* Whether findings of kind k are damage found in memory (their offset and bytes are set). */
int hr_finding_is_damage(hr_finding_kind k);

/* One error the checker found. Stack ids are the reader's (hr_reader_stack resolves them). */
typedef struct hr_finding {
    hr_finding_kind kind;
    uint32_t event_kind; /* hr_kind of the faulting call */
    uint64_t seq;        /* the faulting event */
    uint32_t thread;
    uint64_t ptr;        /* the pointer the call named (or returned) */
    uint64_t size;       /* bytes requested for the block involved */
    uint64_t block;      /* the block involved, by its trace pointer (interior-free: the one containing
                            ptr; corrupt-header, overrun: the damaged one; 0: a free block) */
    int64_t offset;      /* interior-free: ptr - block; damage: first damaged byte from the block's
                            user address (negative: in its header) */
    uint64_t bytes;      /* damage: bytes found damaged */
    uint64_t passed;     /* size-mismatch: the size the call passed; alignment-mismatch: the alignment
                            it passed (0: none) */
    uint64_t alloc_align; /* alignment-mismatch: the alignment new was asked for (0: none) */
    /* access-overrun, access-freed: the function and whether the range was written
     * (hr_access_fn | HR_ACCESS_WRITE), and the range: length bytes from offset into block */
    uint32_t access;
    uint64_t length;
    /* An overrun the recorder found in a guard zone (guard mode): block, size, offset (the first
     * damaged byte, from the block's start: size or more) and bytes name the culprit. Put back
     * into the model's heap, the same bytes may land on something the model checks: then
     * model_kind (corrupt-header, overrun, corrupt-chain) and the model_* fields say what. */
    int guard;
    int model_seen;
    hr_finding_kind model_kind;
    uint64_t model_block; /* the block whose header or fill was hit (0: a free block) */
    int64_t model_offset; /* from that block's user address (negative: in its header) */
    uint64_t model_bytes;
    uint64_t stack;      /* the faulting call's stack */
    uint64_t alloc_seq, alloc_stack;
    uint32_t alloc_thread, alloc_kind;
    uint64_t free_seq, free_stack; /* double-free, realloc-freed: the first free */
    uint32_t free_thread, free_kind;
} hr_finding;

typedef struct hr_replay_options {
    hr_heap_config heap;
    hr_check_level check;
    int stop_on_error;          /* MALLOC_ACTION / --on-error stop */
    size_t max_findings;        /* findings kept for the report (all are counted); 0: 1000 */
    uint64_t timeline_every;    /* sample every K events into timeline (0: no timeline) */
    FILE *timeline;             /* CSV: event, seq, time_ns, footprint, live_bytes, live_blocks */
    uint64_t sim_limit;         /* bytes of simulated address space (0: 64 GiB) */
    uint64_t max_events;        /* stop after this many events (0: all) */
    const char *allocator;      /* NULL or "band": the model; "system": the C library's malloc;
                                   otherwise the path of a shared object exporting the malloc family */
    hr_failspec *fail;          /* failure injection (replayer/inject.c): the calls these rules pick
                                   fail on the allocator; NULL: none. func=, at= and site= rules need
                                   the reader hr_replay_run was given */
} hr_replay_options;

typedef struct hr_band_report {
    uint32_t size, blocks;
    uint64_t allocs, peak_in_use, peak_arenas;
    double utilization;    /* peak blocks in use / blocks of the arenas held then */
    double internal_frag;  /* 1 - bytes requested / bytes of the blocks given, over all allocations */
} hr_band_report;

typedef struct hr_replay_result {
    uint64_t events, allocs, frees, reallocs;
    uint64_t failed_skipped;  /* calls that failed in the recorded run (replayed as failures) */
    uint64_t null_frees;      /* free(NULL), delete of NULL */
    uint64_t inherited_frees; /* frees of blocks a forked child inherited */
    uint64_t findings[HR_FIND_COUNT], findings_total;
    uint64_t digest;
    uint64_t peak_footprint, footprint_end;
    uint64_t peak_live, live_end, live_blocks_end;
    uint64_t live_at_peak_footprint;
    double frag_at_peak_footprint; /* (footprint - live) / live at peak footprint */
    double frag_peak_vs_peak;      /* (peak footprint - peak live) / peak live */
    uint32_t nbands;
    hr_band_report bands[HR_MAX_BANDS];
    uint64_t large_allocs, peak_large_in_use;
    uint64_t cache_hits, cache_misses, os_maps, os_unmaps;
    uint64_t peak_rss;     /* the replaying process's peak resident memory (getrusage) */
    double seconds;        /* the whole replay: decoding the trace and applying it */
    double engine_seconds; /* applying it (allocator, checker, bookkeeping), decoding left out */
    int stopped; /* stop_on_error ended the run at the first finding */
    hr_check_level check;   /* the level used (basic becomes bounds for guard-mode traces) */
    const char *allocator;  /* "band", "system" or the shared object's path */
    uint64_t guard_records; /* guard-zone damage recorded in guard mode, put back before frees */
    uint64_t mallopt_calls, mallopt_applied; /* mallopt commands recorded, and applied (mallopt.c) */
    uint64_t injected;        /* calls failed by the replay's --fail rules */
    uint64_t injected_frees;  /* frees and reallocs of the blocks those calls did not give */
    uint64_t recorded_injected; /* calls failed on purpose in the recorded run (HEAPRR_FAIL) */
} hr_replay_result;

/* A call the replay's --fail rules made fail. */
typedef struct hr_injected_call {
    uint64_t seq, stack, size;
    uint32_t thread, kind;
} hr_injected_call;

typedef struct hr_replay hr_replay;

/* A replay against the allocator of o. Returns 0 or a negative hr_err; hr_replay_setup_error()
 * then explains (an allocator that cannot be loaded, ...). */
int hr_replay_new(hr_replay **out, const hr_replay_options *o);
const char *hr_replay_setup_error(void);
void hr_replay_free(hr_replay *r);
/* Tells the replay the trace was written by a forked child (frees of unknown pointers are then
 * inherited blocks, not errors). */
void hr_replay_set_forked(hr_replay *r, int forked);
/* Applies one record (allocation events; other records are ignored). Returns 0, 1 when
 * stop_on_error stopped the run, or a negative hr_err. */
int hr_replay_apply(hr_replay *r, const hr_record *rec);
/* Reads r to its end, applying every record. Returns 0, 1 (stopped), or a negative hr_err (the
 * reader's message explains reader errors). */
int hr_replay_run(hr_replay *r, hr_reader *rd);
/* Final figures (call once, at the end). */
void hr_replay_result_get(hr_replay *r, hr_replay_result *res);
const hr_finding *hr_replay_findings(const hr_replay *r, size_t *n);
/* The calls the --fail rules made fail, in order (the first max_findings of them). */
const hr_injected_call *hr_replay_injected(const hr_replay *r, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
