/* SPDX-License-Identifier: MIT */
/* The bytes of an index frame (formats/SPEC.md section 6.1): an hr_index as varints, written by
 * the writer before a trailer and read back by hr_reader_use_index. Decoding checks every count
 * against the bytes left, so a damaged payload can neither overrun nor allocate without bound. */
#include <heaprr/index.h>

#include "internal.h"
#include "varint.h"

#include <stdlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: exported by libzstd.so since 1.3 */
#include <zstd.h>

#define INDEX_VERSION 1
#define SCALARS 24       /* the hr_index scalar fields, in SPEC order */
#define SCALARS_V1 23    /* the first writers' (no injected): readers take those too */
#define SITE_FIELDS 10
#define SAMPLE_FIELDS 4
#define BIN_FIELDS 5
#define THREAD_FIELDS 7 /* before the name */

/* ---- a growing byte buffer, or a size count when buf is NULL ---- */

typedef struct out {
    uint8_t *buf;
    size_t len;
} out;

static void put_u(out *o, uint64_t v)
{
    if (o->buf)
        o->len += hr_put_varint(o->buf + o->len, v);
    else
        o->len += hr_varint_size(v);
}

static void put_bytes(out *o, const char *p, size_t n)
{
    put_u(o, n);
    if (o->buf && n)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void scalars(const hr_index *ix, uint64_t v[SCALARS])
{
    const uint64_t s[SCALARS] = {ix->calls,         ix->allocs,        ix->frees,         ix->failed,
                                 ix->incomplete,    ix->null_frees,    ix->unknown_frees, ix->conflicts,
                                 ix->bytes,         ix->temporary,     ix->peak_bytes,    ix->peak_blocks,
                                 ix->peak_seq,      ix->peak_time_ns,  ix->leaked_bytes,  ix->leaked_blocks,
                                 ix->first_seq,     ix->duration_ns,   ix->thread_starts, ix->module_loads,
                                 ix->marks,         ix->forks,         ix->execs,         ix->injected};
    memcpy(v, s, sizeof s);
}

static void set_scalars(hr_index *ix, const uint64_t v[SCALARS])
{
    uint64_t *f[SCALARS] = {&ix->calls,         &ix->allocs,        &ix->frees,         &ix->failed,
                            &ix->incomplete,    &ix->null_frees,    &ix->unknown_frees, &ix->conflicts,
                            &ix->bytes,         &ix->temporary,     &ix->peak_bytes,    &ix->peak_blocks,
                            &ix->peak_seq,      &ix->peak_time_ns,  &ix->leaked_bytes,  &ix->leaked_blocks,
                            &ix->first_seq,     &ix->duration_ns,   &ix->thread_starts, &ix->module_loads,
                            &ix->marks,         &ix->forks,         &ix->execs,         &ix->injected};
    for (int i = 0; i < SCALARS; i++)
        *f[i] = v[i];
}

static void put_site(out *o, const hr_ix_site *s)
{
    const uint64_t v[SITE_FIELDS] = {s->stack,      s->calls,       s->bytes,          s->frees,      s->temporary,
                                     s->live_bytes, s->live_blocks, s->live_first_seq, s->peak_bytes, s->peak_blocks};
    for (int i = 0; i < SITE_FIELDS; i++)
        put_u(o, v[i]);
}

static void put_thread(out *o, const hr_ix_thread *t)
{
    const uint64_t v[THREAD_FIELDS] = {t->index, t->tid, t->calls, t->allocs, t->frees, t->bytes, t->temporary};
    for (int i = 0; i < THREAD_FIELDS; i++)
        put_u(o, v[i]);
    put_bytes(o, t->name.ptr, t->name.len);
}

static void put_index(out *o, const hr_index *ix)
{
    uint64_t v[SCALARS];
    put_u(o, INDEX_VERSION);
    put_u(o, ix->bucket_ns);
    put_u(o, ix->nbins);
    for (uint32_t i = 0; i < ix->nbins; i++)
        put_u(o, ix->bins[i].le);
    put_u(o, HR_KIND_COUNT);
    for (int k = 0; k < HR_KIND_COUNT; k++)
        put_u(o, ix->events[k]);
    put_u(o, SCALARS);
    scalars(ix, v);
    for (int i = 0; i < SCALARS; i++)
        put_u(o, v[i]);
    for (uint32_t i = 0; i < ix->nbins; i++) {
        const hr_ix_bin *b = &ix->bins[i];
        const uint64_t f[BIN_FIELDS] = {b->allocs, b->frees, b->live, b->peak_live, b->bytes};
        for (int j = 0; j < BIN_FIELDS; j++)
            put_u(o, f[j]);
    }
    put_u(o, ix->nsites);
    for (size_t i = 0; i < ix->nsites; i++)
        put_site(o, &ix->sites[i]);
    put_u(o, ix->nthreads);
    for (size_t i = 0; i < ix->nthreads; i++)
        put_thread(o, &ix->threads[i]);
    put_u(o, ix->nsamples);
    for (size_t i = 0; i < ix->nsamples; i++) {
        const hr_ix_sample *s = &ix->samples[i];
        put_u(o, s->allocs);
        put_u(o, s->bytes);
        put_u(o, s->live_max);
        put_u(o, s->live_end);
    }
}

size_t hr_index_encoded_size(const hr_index *ix)
{
    out o = {NULL, 0};
    put_index(&o, ix);
    return o.len;
}

size_t hr_index_encode(const hr_index *ix, uint8_t *buf)
{
    out o = {buf, 0};
    put_index(&o, ix);
    return o.len;
}

/* ---- decoding ---- */

typedef struct in {
    const uint8_t *p, *end;
    const char *why;
} in;

static int get_u(in *i, uint64_t *v)
{
    if (hr_get_varint(&i->p, i->end, v) == 0)
        return 0;
    i->why = "expected a varint";
    return HR_ERR_CORRUPT;
}

/* A count of items of at least min_bytes each that the bytes left can hold. */
static int get_count(in *i, size_t min_bytes, size_t *n)
{
    uint64_t v;
    HR_FORWARD(get_u(i, &v));
    if (v > (size_t)(i->end - i->p) / min_bytes) {
        i->why = "a count larger than the bytes that follow";
        return HR_ERR_CORRUPT;
    }
    *n = (size_t)v;
    return 0;
}

static int get_all(in *i, uint64_t *v, int n)
{
    for (int k = 0; k < n; k++)
        HR_FORWARD(get_u(i, &v[k]));
    return 0;
}

static void *array(const hr_alloc *a, size_t n, size_t size)
{
    return hr_alloc_zeroed(a, n ? n * size : 1);
}

static int get_head(in *i, hr_index *ix)
{
    uint64_t v, s[SCALARS];
    size_t n;
    HR_FORWARD(get_u(i, &v));
    if (v != INDEX_VERSION) {
        i->why = "an index of another version";
        return HR_ERR_VERSION;
    }
    HR_FORWARD(get_u(i, &ix->bucket_ns));
    HR_FORWARD(get_count(i, 1, &n));
    if (n == 0 || n > HR_INDEX_BINS_MAX) {
        i->why = "expected 1 to 64 bins";
        return HR_ERR_CORRUPT;
    }
    ix->nbins = (uint32_t)n;
    for (size_t b = 0; b < n; b++)
        HR_FORWARD(get_u(i, &ix->bins[b].le));
    HR_FORWARD(get_count(i, 1, &n));
    if (n != HR_KIND_COUNT) {
        i->why = "expected one count per event kind";
        return HR_ERR_CORRUPT;
    }
    HR_FORWARD(get_all(i, ix->events, HR_KIND_COUNT));
    HR_FORWARD(get_count(i, 1, &n));
    if (n < SCALARS_V1) {
        i->why = "expected 23 totals or more";
        return HR_ERR_CORRUPT;
    }
    memset(s, 0, sizeof s);
    for (size_t k = 0; k < n; k++) /* totals of later writers than this reader: skipped */
        HR_FORWARD(get_u(i, k < SCALARS ? &s[k] : &v));
    set_scalars(ix, s);
    for (uint32_t b = 0; b < ix->nbins; b++) {
        hr_ix_bin *x = &ix->bins[b];
        uint64_t f[BIN_FIELDS];
        HR_FORWARD(get_all(i, f, BIN_FIELDS));
        *x = (hr_ix_bin){x->le, f[0], f[1], f[2], f[3], f[4]};
    }
    return 0;
}

static int get_sites(in *i, hr_index *ix)
{
    HR_FORWARD(get_count(i, SITE_FIELDS, &ix->nsites));
    if (!(ix->sites = array(ix->mem, ix->nsites, sizeof *ix->sites)))
        return HR_ERR_NOMEM;
    for (size_t k = 0; k < ix->nsites; k++) {
        uint64_t f[SITE_FIELDS];
        HR_FORWARD(get_all(i, f, SITE_FIELDS));
        ix->sites[k] = (hr_ix_site){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]};
    }
    return 0;
}

static int get_name(in *i, const hr_alloc *a, hr_str *name)
{
    size_t n;
    HR_FORWARD(get_count(i, 1, &n));
    *name = (hr_str){NULL, 0};
    if (!n)
        return 0;
    char *s = a->alloc(a->opaque, n);
    if (!s)
        return HR_ERR_NOMEM;
    memcpy(s, i->p, n);
    i->p += n;
    *name = (hr_str){s, n};
    return 0;
}

static int get_threads(in *i, hr_index *ix)
{
    size_t n;
    HR_FORWARD(get_count(i, THREAD_FIELDS + 1, &n));
    if (!(ix->threads = array(ix->mem, n, sizeof *ix->threads)))
        return HR_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        uint64_t f[THREAD_FIELDS];
        HR_FORWARD(get_all(i, f, THREAD_FIELDS));
        if (f[0] > UINT32_MAX || f[1] > UINT32_MAX) {
            i->why = "a thread index or id over 32 bits";
            return HR_ERR_CORRUPT;
        }
        hr_ix_thread *t = &ix->threads[k];
        *t = (hr_ix_thread){(uint32_t)f[0], (uint32_t)f[1], {NULL, 0}, f[2], f[3], f[4], f[5], f[6]};
        ix->nthreads = k + 1; /* its name is freed with it from here on */
        HR_FORWARD(get_name(i, ix->mem, &t->name));
    }
    return 0;
}

static int get_samples(in *i, hr_index *ix)
{
    HR_FORWARD(get_count(i, SAMPLE_FIELDS, &ix->nsamples));
    if (!(ix->samples = array(ix->mem, ix->nsamples, sizeof *ix->samples)))
        return HR_ERR_NOMEM;
    for (size_t k = 0; k < ix->nsamples; k++) {
        uint64_t f[SAMPLE_FIELDS];
        HR_FORWARD(get_all(i, f, SAMPLE_FIELDS));
        ix->samples[k] = (hr_ix_sample){f[0], f[1], f[2], f[3]};
    }
    return 0;
}

static int decode(in *i, hr_index *ix)
{
    HR_FORWARD(get_head(i, ix));
    HR_FORWARD(get_sites(i, ix));
    HR_FORWARD(get_threads(i, ix));
    HR_FORWARD(get_samples(i, ix));
    if (i->p != i->end) {
        i->why = "bytes left after the index";
        return HR_ERR_CORRUPT;
    }
    return 0;
}

static int decode_plain(const uint8_t *buf, size_t len, hr_index *ix, const char **why)
{
    in i = {buf, buf + len, ""};
    memset(ix, 0, sizeof *ix);
    ix->mem = &hr_default_alloc;
    int rc = decode(&i, ix);
    if (rc < 0) {
        hr_index_free(ix);
        *why = rc == HR_ERR_NOMEM ? "out of memory" : i.why;
    }
    return rc;
}

/* Version 2: the byte 2, then one zstd frame (content size set) of a version-1 payload. */
#define PACKED_VERSION 2

static int decode_packed(const uint8_t *buf, size_t len, hr_index *ix, const char **why)
{
    memset(ix, 0, sizeof *ix);
    unsigned long long n = ZSTD_getFrameContentSize(buf + 1, len - 1);
    if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR || n == 0 || n > HR_CHUNK_MAX) {
        *why = "expected a zstd frame of a known size, at most 64 MiB";
        return HR_ERR_CORRUPT;
    }
    uint8_t *plain = malloc((size_t)n);
    if (!plain) {
        *why = "out of memory";
        return HR_ERR_NOMEM;
    }
    size_t got = ZSTD_decompress(plain, (size_t)n, buf + 1, len - 1);
    int rc;
    if (ZSTD_isError(got) || got != n) {
        *why = "expected a zstd frame that inflates to its content size";
        rc = HR_ERR_CORRUPT;
    } else if (plain[0] != INDEX_VERSION) {
        *why = "expected a version 1 index inside a version 2 one";
        rc = HR_ERR_CORRUPT;
    } else {
        rc = decode_plain(plain, (size_t)n, ix, why);
    }
    free(plain);
    return rc;
}

int hr_index_decode(const uint8_t *buf, size_t len, hr_index *ix, const char **why)
{
    if (len > 1 && buf[0] == PACKED_VERSION)
        return decode_packed(buf, len, ix, why);
    return decode_plain(buf, len, ix, why);
}

int hr_index_pack(const uint8_t *plain, size_t len, const hr_alloc *a, uint8_t **packed, size_t *packed_len)
{
    /* zstd's memory from a too: in a recorder, never the program's allocator */
    ZSTD_CCtx *cctx = ZSTD_createCCtx_advanced((ZSTD_customMem){a->alloc, a->free, a->opaque});
    HR_RETURN_IF(!cctx, HR_ERR_NOMEM);
    size_t cap = 1 + ZSTD_compressBound(len);
    *packed = a->alloc(a->opaque, cap);
    size_t n = *packed ? ZSTD_compressCCtx(cctx, *packed + 1, cap - 1, plain, len, 3) : 0;
    ZSTD_freeCCtx(cctx);
    HR_RETURN_IF(!*packed, HR_ERR_NOMEM);
    if (ZSTD_isError(n)) {
        a->free(a->opaque, *packed);
        *packed = NULL;
        return HR_ERR_ZSTD;
    }
    (*packed)[0] = PACKED_VERSION;
    *packed_len = 1 + n;
    return 0;
}
