/* SPDX-License-Identifier: MIT */
/* Declarations shared inside libheaprr_format, grouped by the file that defines them. */
#ifndef HEAPRR_FORMAT_INTERNAL_H
#define HEAPRR_FORMAT_INTERNAL_H

#include <heaprr/format.h>
#include <heaprr/index.h>

#include <stdint.h>
#include <string.h>

/* Little-endian fixed-width access. */
static inline void hr_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void hr_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void hr_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t hr_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t hr_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t hr_get_u64(const uint8_t *p)
{
    return (uint64_t)hr_get_u32(p) | ((uint64_t)hr_get_u32(p + 4) << 32);
}

/* Error-return helpers in the style of zstd's RETURN_ERROR_IF / FORWARD_IF_ERROR. */
#define HR_RETURN_IF(cond, err) \
    do {                        \
        if (cond)               \
            return (err);       \
    } while (0)
#define HR_FORWARD(expr)             \
    do {                             \
        int hr_fwd_rc_ = (expr);     \
        if (hr_fwd_rc_ < 0)          \
            return hr_fwd_rc_;       \
    } while (0)

/* ---- header.c ---- */

/* Bytes the encoded header of h takes. */
size_t hr_header_size(const hr_header *h);
/* Encodes h into buf (cap bytes); returns the size written or a negative hr_err. */
int hr_header_encode(const hr_header *h, uint8_t *buf, size_t cap);
/* From the first HR_HEADER_FIXED bytes of a file, checks magic and version and returns the
 * header_size (> 0) or a negative hr_err; *why gets a static explanation on error. */
int hr_header_peek(const uint8_t *buf, size_t len, const char **why);
/* Decodes a whole header of header_size bytes. Strings point into buf. */
int hr_header_decode(const uint8_t *buf, size_t header_size, hr_header *h, const char **why);

/* ---- frame.c ---- */

typedef struct hr_frame_header {
    uint8_t type;
    uint32_t payload_size;
    uint32_t raw_size;
    uint32_t crc;
} hr_frame_header;
#define HR_FRAME_CHUNK 1
#define HR_FRAME_TRAILER 2
#define HR_FRAME_INDEX 3 /* SPEC 6.1 */

void hr_frame_header_encode(uint8_t out[HR_FRAME_HEADER], uint8_t type, const void *payload,
                            uint32_t payload_size, uint32_t raw_size);
/* Parses a frame header; returns 0 or HR_ERR_CORRUPT with *why set. */
int hr_frame_header_decode(const uint8_t in[HR_FRAME_HEADER], hr_frame_header *fh, const char **why);
/* Non-zero if crc of the header's first 12 bytes and the payload matches fh->crc. */
int hr_frame_crc_ok(const uint8_t in[HR_FRAME_HEADER], const void *payload, uint32_t payload_size);

/* Trailer payload. */
typedef struct hr_counts {
    uint64_t events[HR_KIND_COUNT];
    uint64_t typed[HR_REC_TYPE_LIMIT];
    uint64_t records;
    uint64_t last_seq;
} hr_counts;
#define HR_TRAILER_MAX (10 + (HR_KIND_COUNT + HR_REC_TYPE_LIMIT) * 20 + 20 + 4)
/* Encodes a trailer payload; returns its size. */
size_t hr_trailer_encode(uint8_t *buf, const hr_counts *c, uint32_t file_crc);
/* Decodes a trailer payload into *c and *file_crc; returns 0 or HR_ERR_CORRUPT. */
int hr_trailer_decode(const uint8_t *buf, size_t len, hr_counts *c, uint32_t *file_crc, const char **why);

/* ---- model.c: the pointer model of a chunk (SPEC 5.5) ---- */

#define HR_MODEL_BIN_DEPTH 16
#define HR_MODEL_CLASSES 256
#define HR_MODEL_LAGS 16

/* 16 bytes, so that a cache line holds four slots. */
typedef struct hr_live_slot {
    uint64_t ptr;
    uint32_t ord;
    uint32_t tag; /* gen << 8; the slot is used when gen equals the model's */
} hr_live_slot;

typedef struct hr_model {
    const hr_alloc *alloc;
    hr_live_slot *slots;
    size_t mask, count;
    uint32_t gen;
    uint64_t ord, last, next;
    uint64_t fhist[HR_MODEL_LAGS], ahist[HR_MODEL_LAGS]; /* raw-coded frees and allocations */
    uint8_t fpos, apos;
    uint64_t *live_bits;   /* live blocks by ordinal, for ranks (SPEC 5.5) */
    uint8_t *ord_cls;      /* size class of each allocation ordinal */
    uint64_t *filter;      /* a bit per hash of the pointers in the map (model.c) */
    uint32_t *sb_count;    /* Fenwick tree of the live count of each 64-ordinal word */
    uint32_t fw_size;      /* words it covers (grows with the chunk) */
    uint64_t live;
    uint64_t *ord_ptr; /* reader only: pointer of each allocation ordinal of the chunk */
    size_t ord_cap;
    uint64_t bin[HR_MODEL_CLASSES][HR_MODEL_BIN_DEPTH];
    uint8_t nbin[HR_MODEL_CLASSES], top[HR_MODEL_CLASSES];
    hr_heap_refs refs; /* writer: what the current event's codes named (hr_model_refs_clear) */
} hr_model;

int hr_model_init(hr_model *m, const hr_alloc *a);
/* Starts an event: m->refs then tells which ordinals its codes named (include/heaprr/live.h). */
static inline void hr_model_refs_clear(hr_model *m)
{
    m->refs = (hr_heap_refs){-1, -1, -1, -1};
}
void hr_model_free(hr_model *m);
/* Starts a new chunk. */
void hr_model_reset(hr_model *m);
/* Starts loading the map slot where p would be looked up (the caller knows the next pointers). */
void hr_model_prefetch(const hr_model *m, uint64_t p);
unsigned hr_model_class(uint64_t bytes);
/* Writer side: the code of a pointer being released / returned by an allocation. */
uint64_t hr_model_free_code(hr_model *m, uint64_t p, int do_release);
int hr_model_alloc_code(hr_model *m, uint64_t p, uint64_t bytes, uint64_t *code);
/* Whether a code is an escape, followed in its column by the pointer itself. */
static inline int hr_model_free_escaped(uint64_t code)
{
    return code == 2;
}
static inline int hr_model_alloc_escaped(uint64_t code)
{
    return code == HR_MODEL_BIN_DEPTH + 2;
}
/* Reader side: the pointer of a code (escaped: the pointer read after an escape code);
 * HR_ERR_CORRUPT for a code no writer produces. */
int hr_model_free_decode(hr_model *m, uint64_t code, uint64_t escaped, int do_release, uint64_t *p);
int hr_model_alloc_decode(hr_model *m, uint64_t code, uint64_t escaped, uint64_t bytes, uint64_t *p);

/* ---- sites.c: per-kind stack dictionaries of a chunk (SPEC 5.4) ---- */

typedef struct hr_site_slot {
    uint64_t stack;
    uint64_t index;
    uint8_t kind;
    uint32_t gen;
} hr_site_slot;

typedef struct hr_sites {
    const hr_alloc *alloc;
    hr_site_slot *slots; /* writer: (kind, stack) -> index */
    size_t mask;
    uint32_t gen;
    uint64_t total;
    uint64_t n[HR_KIND_COUNT];      /* dictionary sizes */
    uint64_t *list[HR_KIND_COUNT]; /* reader: the dictionaries */
    size_t cap[HR_KIND_COUNT];
} hr_sites;

int hr_sites_init(hr_sites *s, const hr_alloc *a);
void hr_sites_free(hr_sites *s);
void hr_sites_reset(hr_sites *s);
/* Writer: the site code of (kind, stack); *is_new when it was added. */
int hr_sites_code(hr_sites *s, unsigned kind, uint64_t stack, uint64_t *code, int *is_new);
/* Reader: the stack of a code below the dictionary size, or HR_ERR_CORRUPT. */
int hr_sites_lookup(const hr_sites *s, unsigned kind, uint64_t code, uint64_t *stack);
int hr_sites_append(hr_sites *s, unsigned kind, uint64_t stack);

/* ---- chunk-enc.c / chunk-dec.c: columnar chunks (SPEC 5) ---- */

/* Physical columns. A split-varint field has two: the first byte of each varint goes to the low
 * column (HR_COL_x), the bytes after it to the high column (HR_COL_x + 1). */
enum {
    HR_COL_TAG = 0,
    HR_COL_ORDER = 1,
    HR_COL_TIME = 3,
    HR_COL_XFLAGS = 5,
    HR_COL_SITE = 7,
    HR_COL_FSITE = 9,
    HR_COL_NEWSTACK = 11,
    HR_COL_APTR = 13,
    HR_COL_FPTR = 15,
    HR_COL_SIZE = 17,
    HR_COL_AUX = 19,
    HR_COL_TYPED = 21,
    HR_NCOL = 22
};
#define HR_CHUNK_RECORDS_MAX 262144u
#define HR_CHUNK_HEADER_MAX ((2 + HR_NCOL) * 10)

/* Encoder of one chunk, writing into HR_NCOL column buffers. */
typedef struct hr_enc {
    uint8_t *col[HR_NCOL];
    size_t len[HR_NCOL], cap[HR_NCOL];
    uint64_t nrec;
    size_t total; /* bytes in all columns */
    size_t room;  /* events that certainly fit before the columns are checked again */
    uint64_t seq, time, ip, newstack;
    uint32_t thread;
    hr_model model;
    hr_sites sites;
    hr_counts *counts; /* incremented per record when non-NULL */
} hr_enc;

/* cols: HR_NCOL buffers of caps[i] bytes each (at least 64 KiB). */
int hr_enc_init(hr_enc *e, uint8_t *const cols[HR_NCOL], const size_t caps[HR_NCOL], const hr_alloc *a);
void hr_enc_free(hr_enc *e);
/* Moves the encoder to other column memory (as big as at init); call hr_enc_reset() next. */
void hr_enc_columns(hr_enc *e, uint8_t *const cols[HR_NCOL], const size_t caps[HR_NCOL]);
void hr_enc_reset(hr_enc *e);
/* Bytes of all columns. */
size_t hr_enc_size(const hr_enc *e);
/* Each returns 0, HR_ERR_LIMIT when a column has no room or the chunk holds the maximum number
 * of records (nothing is written then), or HR_ERR_ARG. */
int hr_enc_event(hr_enc *e, uint32_t thread, uint64_t seq, uint64_t time, const hr_event *ev);
int hr_enc_process(hr_enc *e, const hr_process_info *pi);
int hr_enc_nodes(hr_enc *e, uint64_t first_id, const uint64_t *parents, const uint64_t *ips, size_t n);
/* Ordered typed records: rec->thread, rec->seq and rec->time_ns (in time units) give the prefix. */
int hr_enc_ordered(hr_enc *e, unsigned type, const hr_record *rec);

/* Decoder of one chunk. */
typedef struct hr_dec {
    const uint8_t *p[HR_NCOL], *end[HR_NCOL], *start[HR_NCOL];
    uint64_t nrec, done;
    uint64_t seq, time, ip, newstack;
    uint32_t thread;
    uint64_t nodes_left; /* inside a STACK_NODES body */
    const uint8_t *nodes_p, *nodes_end;
    uint64_t next_node; /* id the next defined node gets */
    hr_model model;
    hr_sites sites;
    const char *why; /* on error: what was expected */
    uint64_t err_rec; /* on error: index of the record */
    int err_col;      /* on error: the column */
    int typed_only;   /* skip events unread: only typed records come out (their seq and time are
                       * then counted from typed records alone, so wrong) */
} hr_dec;

int hr_dec_init(hr_dec *d, const hr_alloc *a);
void hr_dec_free(hr_dec *d);
/* Starts decoding a whole chunk (header and columns). Returns 0 or HR_ERR_CORRUPT (d->why). */
int hr_dec_open(hr_dec *d, const uint8_t *raw, size_t len, uint64_t next_node);
/* Starts decoding a chunk given as separate columns (the staging file's partial chunk). */
int hr_dec_open_cols(hr_dec *d, uint64_t nrec, const uint8_t *const cols[HR_NCOL],
                     const size_t lens[HR_NCOL], uint64_t next_node);
/* Decodes the next record into *rec (time_ns holds time units). Returns 1, 0 at the end of the
 * chunk, or HR_ERR_CORRUPT with d->why, d->err_rec and d->err_col set. Records of unknown types
 * come back with their type and no fields. */
int hr_dec_next(hr_dec *d, hr_record *rec);
/* The event as a reader decodes it: the fields the encoding does not carry for its kind and flags
 * cleared. */
void hr_event_as_read(const hr_event *in, hr_event *out);
/* The name of a column for messages ("PTR"; "header" for -1). */
const char *hr_column_name(int col);

/* ---- writer-index.c: the index a writer keeps (SPEC 6.1) ---- */

typedef struct hr_windex hr_windex;
/* *w gets a new index, or NULL when memory_limit is 0 (no index). Returns 0 or an hr_err. */
int hr_windex_open(hr_windex **w, const hr_alloc *a, size_t memory_limit);
/* *w (dropped first) gets the indexer x; x is freed on error. */
int hr_windex_adopt(hr_windex **w, const hr_alloc *a, hr_indexer *x);
void hr_windex_drop(hr_windex **w);
/* Each feeds one record as a reader will read it (time in the header's units); an index that
 * fails is dropped (*w becomes NULL). Nothing happens when *w is NULL. */
void hr_windex_event(hr_windex **w, uint64_t unit_ns, uint32_t thread, uint64_t seq, uint64_t time,
                     const hr_event *ev, const hr_heap_refs *refs);
/* The writer's encoder starts a new chunk (the refs' ordinals start again). */
void hr_windex_chunk_end(hr_windex **w);
void hr_windex_typed(hr_windex **w, uint64_t unit_ns, unsigned type, const hr_record *rec);
/* The payload of an index frame for the records fed so far, in memory from a. */
int hr_windex_payload(hr_windex *w, const hr_alloc *a, uint8_t **buf, size_t *len);
/* The live bytes, blocks and their stacks, as the index has them now. Returns 0 or -1. */
int hr_windex_leaks(hr_windex *w, uint64_t *bytes, uint64_t *blocks, uint64_t *stacks);

/* Gives w the indexer x (which has seen every record of w's trace so far, e.g. a recovery that
 * read it back): hr_writer_finish writes its index. w frees it. */
struct hr_writer;
void hr_writer_adopt_index(struct hr_writer *w, hr_indexer *x);

/* ---- index-find.c ---- */

/* Reads the index of the trace open on fd whose first frame is at first_frame: the index frame
 * right before the trailer that ends the file. Returns 1 with *out filled (free it with
 * hr_index_free), 0 when there is no such frame or it cannot be trusted (its CRC, its bytes), or
 * HR_ERR_NOMEM. Uses pread only: the descriptor's offset does not move. */
int hr_index_find(int fd, uint64_t first_frame, hr_index *out);

/* ---- interner.c ---- */

/* The stack trie: node id -> (parent, ip) and (parent, ip) -> node id. Ids start at 1. */
typedef struct hr_node {
    uint64_t parent, ip;
} hr_node;

#define HR_INTERNER_HOT 1024
typedef struct hr_node_hot {
    uint64_t parent, ip, id;
} hr_node_hot;

typedef struct hr_interner {
    const hr_alloc *alloc;
    hr_node_hot *hot; /* the nodes found last, by hash: small enough to stay in the cache */
    hr_node *node;   /* indexed by id; [0] unused */
    size_t cap;      /* entries in node */
    uint64_t count;  /* nodes defined: ids 1..count */
    uint64_t *slots; /* open addressing: hash tag << 32 | node id, 0 empty */
    size_t mask;
} hr_interner;

int hr_interner_init(hr_interner *in, const hr_alloc *alloc);
void hr_interner_free(hr_interner *in);
/* Finds the node (parent, ip); returns its id, or 0 if absent. */
uint64_t hr_interner_find(const hr_interner *in, uint64_t parent, uint64_t ip);
/* Adds the node (parent, ip), which must be absent; returns its id or a negative hr_err. */
int64_t hr_interner_add(hr_interner *in, uint64_t parent, uint64_t ip);

/* ---- writer-rules.c: what a writer refuses so that its output always reads back ---- */

typedef struct hr_rules {
    const hr_alloc *alloc;
    uint8_t *threads; /* by index: 1 started */
    size_t thread_cap;
    uint64_t thread_count;
    uint8_t *modules; /* by id: 1 loaded, 2 unloaded */
    size_t module_cap;
    uint64_t module_count;
} hr_rules;

void hr_rules_init(hr_rules *r, const hr_alloc *a);
void hr_rules_free(hr_rules *r);
int hr_rules_thread_known(const hr_rules *r, uint32_t index);
/* Checks (and records) a typed record: 0, HR_ERR_ARG when a reader would refuse it, or NOMEM. */
int hr_rules_typed(hr_rules *r, unsigned type, const hr_record *rec);
/* Records what a trace being resumed already holds (never refuses). */
int hr_rules_learn(hr_rules *r, const hr_record *rec);

/* ---- writer.c (for the staging file and recover.c) ---- */

struct hr_writer;
/* Splits chunk memory of size bytes into the HR_NCOL column regions a writer uses. */
void hr_chunk_layout(uint8_t *mem, size_t size, uint8_t *cols[], size_t caps[]);
/* What of the writer's chunks is not in the file yet: the chunk being built (records, column
 * sizes, the half of the chunk memory it is in) and a sealed one being compressed, if any. */
typedef struct hr_chunk_state {
    uint64_t nrec;
    size_t lens[HR_NCOL];
    unsigned half;
    int sealed;
    unsigned sealed_half;
    uint64_t sealed_nrec;
    size_t sealed_lens[HR_NCOL];
    uint64_t frames, file_size; /* frames written and the file size */
} hr_chunk_state;
void hr_writer_chunk_state(const struct hr_writer *w, hr_chunk_state *cs);
/* Lets a resuming writer (recover.c) learn a record the trace already holds. */
int hr_writer_learn(struct hr_writer *w, const hr_record *rec);
/* Writes a chunk given as columns (already encoded records) as one frame and adds their counts. */
int hr_writer_raw_cols(struct hr_writer *w, uint64_t nrec, const uint8_t *const cols[],
                       const size_t lens[], const hr_counts *added);

/* ---- alloc.c ---- */

/* The allocator used when a caller passes none: malloc and free. */
extern const hr_alloc hr_default_alloc;
/* The same for big tables: huge pages (bigmem.h). */
extern const hr_alloc hr_big_alloc;
void *hr_alloc_zeroed(const hr_alloc *a, size_t size);

/* ---- elfsym.c ---- */

/* The address range [*lo, *hi) of the function symbol name in the ELF file at path, loaded at
 * bias. Returns 0, or -1 when the file cannot be read or has no such function. */
int hr_elf_symbol(const char *path, uint64_t bias, const char *name, uint64_t *lo, uint64_t *hi);

#endif
