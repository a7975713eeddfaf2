/* SPDX-License-Identifier: MIT */
/* The index a writer stores (formats/SPEC.md 6.1) equals, byte for byte once encoded, the index
 * computed by reading every record of the same trace; reading only the tables gives the same
 * counts, nodes and threads; an index that is damaged, cut off, over its memory limit or not
 * right before the final trailer is not used; its decoder refuses every cut of a payload. */
#include "../check.h"
#include "trace-gen.h"

#include <heaprr/index.h>
#include <heaprr/reader.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/heaprr-index-XXXXXX";

static const char *path_of(const char *name)
{
    static char buf[16][256];
    static int n;
    char *p = buf[n++ % 16];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void write_trace_as(const char *path, size_t events, size_t chunk, int finish, size_t index_memory,
                           int consistent)
{
    gen_trace g;
    gen_options opt = {.index_memory = index_memory, .consistent = consistent};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_FATAL(fd >= 0 && gen_write_ex(fd, events, chunk, finish, &opt, &g) == 0);
    close(fd);
    gen_free(&g);
}

static void write_trace(const char *path, size_t events, size_t chunk, int finish, size_t index_memory)
{
    write_trace_as(path, events, chunk, finish, index_memory, 1);
}

/* The index of every record of path, read one by one; *r_out keeps the reader. */
static void streamed(const char *path, hr_index *ix, hr_reader **r_out)
{
    hr_reader *r;
    hr_indexer *x;
    hr_record rec;
    hr_indexer_config cfg = {0};
    CHECK_FATAL(hr_reader_open(&r, path, 0) == 0 && hr_indexer_new(&x, &cfg) == 0);
    int rc;
    while ((rc = hr_reader_next(r, &rec)) == 1)
        CHECK_FATAL(hr_indexer_add(x, &rec, NULL) == 0);
    CHECK_FATAL(rc == 0 && hr_indexer_take(x, ix) == 0);
    hr_indexer_free(x);
    *r_out = r;
}

static uint8_t *encoded(const hr_index *ix, size_t *n)
{
    *n = hr_index_encoded_size(ix);
    uint8_t *b = malloc(*n);
    CHECK_FATAL(b && hr_index_encode(ix, b) == *n);
    return b;
}

static void same_tables(const hr_reader *a, const hr_reader *b)
{
    hr_reader_status sa, sb;
    uint64_t ea[HR_KIND_COUNT], eb[HR_KIND_COUNT], ta[128], tb[128];
    hr_reader_status_get(a, &sa);
    hr_reader_status_get(b, &sb);
    CHECK(sa.complete && sb.complete);
    CHECK_EQ_U64(sa.records, sb.records);
    CHECK_EQ_U64(sa.last_seq, sb.last_seq);
    CHECK_EQ_U64(sa.crc, sb.crc);
    hr_reader_counts(a, ea, ta);
    hr_reader_counts(b, eb, tb);
    CHECK(memcmp(ea, eb, sizeof ea) == 0 && memcmp(ta, tb, sizeof ta) == 0);
    CHECK_EQ_U64(hr_reader_node_count(a), hr_reader_node_count(b));
    uint64_t ip[HR_MAX_DEPTH], iq[HR_MAX_DEPTH];
    for (uint64_t id = 1; id <= hr_reader_node_count(a); id++) {
        size_t n = hr_reader_stack(a, id, ip, HR_MAX_DEPTH);
        CHECK(n == hr_reader_stack(b, id, iq, HR_MAX_DEPTH) && memcmp(ip, iq, n * sizeof *ip) == 0);
    }
    CHECK_EQ_U64(hr_reader_thread_count(a), hr_reader_thread_count(b));
}

/* A consistent trace (what a recorder writes) always gets its index; one with lost events
 * (conflicts with blocks of earlier chunks) may not, but an index it has is exact. */
static void test_equal(size_t events, size_t chunk, int consistent)
{
    const char *path = path_of("t.hrr");
    write_trace_as(path, events, chunk, 1, 64u << 20, consistent);
    hr_index ref, got;
    hr_reader *rs, *r;
    streamed(path, &ref, &rs);
    CHECK_FATAL(hr_reader_open(&r, path, 0) == 0);
    int have = hr_reader_stored_index(r, &got);
    CHECK(have == 1 || (!consistent && have == 0 && ref.conflicts > 0));
    if (have != 1) {
        hr_index_free(&ref);
        hr_reader_close(r);
        hr_reader_close(rs);
        return;
    }
    CHECK(!consistent || (ref.conflicts == 0 && ref.unknown_frees == 0));
    CHECK_FATAL(hr_reader_read_tables(r, &got) == 0);
    size_t na, nb;
    uint8_t *a = encoded(&ref, &na), *b = encoded(&got, &nb);
    CHECK(na == nb && memcmp(a, b, na) == 0);
    CHECK(ref.nsites > 0 || events == 0);
    same_tables(rs, r);
    free(a);
    free(b);
    hr_index_free(&ref);
    hr_index_free(&got);
    hr_reader_close(r);
    hr_reader_close(rs);
}

static int stored(const char *path)
{
    hr_reader *r;
    hr_index ix;
    CHECK_FATAL(hr_reader_open(&r, path, 0) == 0);
    int rc = hr_reader_stored_index(r, &ix);
    hr_index_free(&ix);
    hr_reader_close(r);
    return rc;
}

/* The offset of the index frame's payload (the frame before the final trailer). */
static uint64_t index_payload(const char *path, uint32_t *size)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    CHECK_FATAL(fd >= 0 && fstat(fd, &st) == 0);
    uint8_t h[16], hs[4];
    CHECK_FATAL(pread(fd, hs, 4, 12) == 4);
    uint64_t pos = (uint64_t)hs[0] | (uint64_t)hs[1] << 8 | (uint64_t)hs[2] << 16 | (uint64_t)hs[3] << 24, found = 0;
    while (pos < (uint64_t)st.st_size && pread(fd, h, 16, (off_t)pos) == 16) {
        uint32_t n = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
        if (h[0] == 3) {
            found = pos + 16;
            *size = n;
        }
        pos += 16 + n;
    }
    close(fd);
    CHECK_FATAL(found);
    return found;
}

static void test_not_trusted(void)
{
    const char *path = path_of("d.hrr");
    write_trace(path, 3000, 4096, 1, 64u << 20);
    CHECK(stored(path) == 1);
    uint32_t n;
    uint64_t off = index_payload(path, &n);
    int fd = open(path, O_RDWR);
    uint8_t b;
    CHECK_FATAL(fd >= 0 && pread(fd, &b, 1, (off_t)(off + n / 2)) == 1);
    b ^= 0x10;
    CHECK_FATAL(pwrite(fd, &b, 1, (off_t)(off + n / 2)) == 1);
    close(fd);
    CHECK(stored(path) == 0); /* its CRC no longer holds */

    write_trace(path, 3000, 4096, 0, 64u << 20); /* no trailer: recording was cut short */
    CHECK(stored(path) == 0);
    write_trace(path, 3000, 4096, 1, 0); /* no index asked for */
    CHECK(stored(path) == 0);
    write_trace(path, 30000, 4096, 1, 4096); /* over its memory limit: given up */
    CHECK(stored(path) == 0);
    hr_reader *r;
    hr_index ix;
    hr_record rec;
    CHECK_FATAL(hr_reader_open(&r, path, 0) == 0);
    while (hr_reader_next(r, &rec) == 1)
        ;
    CHECK(*hr_reader_message(r) == 0); /* the trace itself is whole */
    CHECK(hr_reader_stored_index(r, &ix) == 0); /* a reader that has read is not given one */
    hr_reader_close(r);
}

static void *plain_alloc(void *opaque, size_t n)
{
    (void)opaque;
    return malloc(n);
}

static void plain_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

static void test_decoder_cuts(void)
{
    const char *path = path_of("c.hrr");
    write_trace(path, 2000, 4096, 1, 64u << 20);
    hr_index ref;
    hr_reader *r;
    streamed(path, &ref, &r);
    hr_reader_close(r);
    size_t n;
    uint8_t *b = encoded(&ref, &n);
    for (size_t cut = 0; cut < n; cut++) {
        hr_index ix;
        const char *why = NULL;
        CHECK(hr_index_decode(b, cut, &ix, &why) < 0 && why && *why);
    }
    hr_index ix;
    const char *why;
    CHECK(hr_index_decode(b, n, &ix, &why) == 0 && ix.nsites == ref.nsites && ix.calls == ref.calls);
    hr_index_free(&ix);
    uint8_t *p; /* version 2: compressed */
    size_t np;
    const hr_alloc heap = {plain_alloc, plain_free, NULL, 0};
    CHECK_FATAL(hr_index_pack(b, n, &heap, &p, &np) == 0 && np < n && p[0] == 2);
    CHECK(hr_index_decode(p, np, &ix, &why) == 0 && ix.nsites == ref.nsites && ix.calls == ref.calls);
    hr_index_free(&ix);
    for (size_t cut = 0; cut < np; cut++) {
        why = NULL;
        CHECK(hr_index_decode(p, cut, &ix, &why) < 0 && why && *why);
    }
    free(p);
    b[0] = 9; /* a version this code does not know */
    CHECK(hr_index_decode(b, n, &ix, &why) == HR_ERR_VERSION);
    free(b);
    hr_index_free(&ref);
}

/* The totals: 23 from the first writers (no injected: read as 0), 24 today, more from later
 * writers (skipped). An index of small figures, so that each varint is one byte. */
static void test_scalar_counts(void)
{
    hr_index ix;
    memset(&ix, 0, sizeof ix);
    ix.nbins = 1;
    ix.bins[0].le = 100;
    ix.calls = 5;
    ix.failed = 2;
    ix.execs = 3;
    ix.injected = 1;
    size_t n;
    uint8_t *b = encoded(&ix, &n);
    const size_t at = 1 + 1 + 1 + 1 + 1 + HR_KIND_COUNT; /* version bucket nbins le nkinds counts */
    CHECK_FATAL(n > at + 25 && b[at] == 24 && b[at + 24] == 1);
    hr_index got;
    const char *why;
    CHECK(hr_index_decode(b, n, &got, &why) == 0 && got.injected == 1 && got.execs == 3 && got.calls == 5);
    hr_index_free(&got);
    uint8_t *v = malloc(n + 1); /* 23 totals: injected left out */
    CHECK_FATAL(v != NULL);
    memcpy(v, b, at + 24);
    v[at] = 23;
    memcpy(v + at + 24, b + at + 25, n - at - 25);
    CHECK(hr_index_decode(v, n - 1, &got, &why) == 0 && got.injected == 0 && got.execs == 3 && got.failed == 2);
    hr_index_free(&got);
    memcpy(v, b, at + 25); /* 25 totals: one this reader does not know */
    v[at] = 25;
    v[at + 25] = 9;
    memcpy(v + at + 26, b + at + 25, n - at - 25);
    CHECK(hr_index_decode(v, n + 1, &got, &why) == 0 && got.injected == 1 && got.execs == 3);
    hr_index_free(&got);
    v[at] = 22; /* fewer than the first writers wrote */
    CHECK(hr_index_decode(v, n + 1, &got, &why) < 0);
    free(v);
    free(b);
}

int main(void)
{
    CHECK_FATAL(mkdtemp(dir) != NULL);
    test_scalar_counts();
    for (int consistent = 0; consistent <= 1; consistent++) {
        test_equal(0, 4096, consistent);
        test_equal(1, 4096, consistent);
        test_equal(5000, 4096, consistent);
        test_equal(60000, 1u << 20, consistent);
    }
    test_not_trusted();
    test_decoder_cuts();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done("test-index");
}
