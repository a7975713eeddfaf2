/* SPDX-License-Identifier: MIT */
/* heaprr export --to speedscope: speedscope's JSON file format (its file-format-spec): one frame
 * table shared by four sampled profiles, each a list of allocation stacks (outermost frame first)
 * with their weights: bytes allocated, allocations, bytes live at the peak, bytes leaked. Stacks
 * are the trace's allocation sites, symbolized with inlined frames. A frame is a function (and its
 * source file): the lines of its calls are left out, so that a flame graph draws one box for
 * main, not one per line main calls from. */
#include "export.h"

#include "passes.h"
#include "stacks.h"

#include <heaprr/symbolize.h>

#include <stdlib.h>
#include <string.h>

/* ---- the frame table: one entry per (name, file) ---- */

typedef struct frame_key {
    char *name, *file;
    unsigned line;
} frame_key;

typedef struct frames {
    frame_key *v;
    size_t n, cap;
    size_t *slot; /* index + 1, 0 empty; open addressing */
    size_t mask;
} frames;

static uint64_t hash_frame(const char *name, const char *file, unsigned line)
{
    uint64_t h = 1469598103934665603ull ^ line;
    for (const char *s = name; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    for (const char *s = file ? file : ""; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int same(const frame_key *k, const char *name, const char *file, unsigned line)
{
    return k->line == line && strcmp(k->name, name) == 0 && strcmp(k->file ? k->file : "", file ? file : "") == 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strcpy(cli_realloc(NULL, strlen(s) + 1), s) : NULL;
}

static void grow(frames *t)
{
    size_t cap = t->mask ? (t->mask + 1) * 2 : 1024;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        cli_die(1, "out of memory");
    for (size_t i = 0; i < t->n; i++) {
        size_t h = hash_frame(t->v[i].name, t->v[i].file, t->v[i].line) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->mask = cap - 1;
}

static size_t frame_index(frames *t, const char *name, const char *file, unsigned line)
{
    if ((t->n + 1) * 2 > (t->slot ? t->mask + 1 : 0))
        grow(t);
    size_t h = hash_frame(name, file, line) & t->mask;
    for (; t->slot[h]; h = (h + 1) & t->mask)
        if (same(&t->v[t->slot[h] - 1], name, file, line))
            return t->slot[h] - 1;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->v = cli_realloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n] = (frame_key){dup_or_null(name), dup_or_null(file), line};
    t->slot[h] = ++t->n;
    return t->n - 1;
}

static void frames_free(frames *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
        free(t->v[i].file);
    }
    free(t->v);
    free(t->slot);
}

/* ---- samples: each site's stack as frame indices, outermost first, with its weights ---- */

typedef enum weight { BY_BYTES, BY_CALLS, BY_PEAK, BY_LEAKED, WEIGHTS } weight;

typedef struct samples {
    size_t *idx; /* all stacks, one after another */
    size_t used, cap;
    size_t *start, *len;
    uint64_t (*w)[WEIGHTS];
    size_t n, capn;
} samples;

static void add_sample(samples *s, const hr_site *site)
{
    if (s->n == s->capn) {
        s->capn = s->capn ? 2 * s->capn : 256;
        s->start = cli_realloc(s->start, s->capn * sizeof *s->start);
        s->len = cli_realloc(s->len, s->capn * sizeof *s->len);
        s->w = cli_realloc(s->w, s->capn * sizeof *s->w);
    }
    s->start[s->n] = s->used;
    s->len[s->n] = 0;
    s->w[s->n][BY_BYTES] = site->bytes;
    s->w[s->n][BY_CALLS] = site->calls;
    s->w[s->n][BY_PEAK] = site->peak_bytes;
    s->w[s->n][BY_LEAKED] = site->live_bytes;
    s->n++;
}

static void add_frame(samples *s, size_t frame)
{
    if (s->used == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->idx = cli_realloc(s->idx, s->cap * sizeof *s->idx);
    }
    s->idx[s->used++] = frame;
    s->len[s->n - 1]++;
}

/* The sites of one trace's profile as samples. */
static void add_sites(hr_reader *r, const hr_profile *p, frames *t, samples *s)
{
    for (size_t i = 0; i < p->nsites; i++) {
        const hr_symframe *f;
        size_t n = cli_stack_frames(r, p->sites[i].stack, &f);
        add_sample(s, &p->sites[i]);
        for (size_t k = n; k-- > 0;) {
            char name[1024];
            cli_frame_name(&f[k], name, sizeof name);
            add_frame(s, frame_index(t, name, f[k].function ? f[k].file : NULL, 0));
        }
        if (!n) /* no stack recorded: one frame that says so */
            add_frame(s, frame_index(t, "(no stack)", NULL, 0));
    }
}

static void profile(json *j, const samples *s, weight w)
{
    static const char *const names[] = {"bytes allocated", "allocations", "bytes live at the peak", "bytes leaked"};
    uint64_t total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += s->w[i][w];
    json_object_begin(j, NULL);
    json_cstr(j, "type", "sampled");
    json_cstr(j, "name", names[w]);
    json_cstr(j, "unit", w == BY_CALLS ? "none" : "bytes");
    json_u64(j, "startValue", 0);
    json_u64(j, "endValue", total);
    json_array_begin(j, "samples");
    for (size_t i = 0; i < s->n; i++) {
        if (!s->w[i][w])
            continue;
        json_array_begin(j, NULL);
        for (size_t k = 0; k < s->len[i]; k++)
            json_u64(j, NULL, s->idx[s->start[i] + k]);
        json_array_end(j);
    }
    json_array_end(j);
    json_array_begin(j, "weights");
    for (size_t i = 0; i < s->n; i++)
        if (s->w[i][w])
            json_u64(j, NULL, s->w[i][w]);
    json_array_end(j);
    json_object_end(j);
}

int cli_export_speedscope(const cli_trace_set *set, FILE *out)
{
    frames t = {0};
    samples s = {0};
    for (size_t i = 0; i < set->n; i++) { /* the same function in several processes: one frame */
        hr_profile p;
        hr_reader *r = cli_profile_pass(set->paths[i], "export", &p);
        add_sites(r, &p, &t, &s);
        cli_profile_free(&p);
        cli_stacks_done();
        cli_truncation_note(r, NULL);
        cli_pass_end(r);
    }
    char name[4200];
    json j;
    json_init_compact(&j, out);
    json_object_begin(&j, NULL);
    json_cstr(&j, "$schema", "https://www.speedscope.app/file-format-schema.json");
    json_cstr(&j, "exporter", "heaprr " HEAPRR_VERSION);
    json_cstr(&j, "name", cli_trace_set_label(set, name, sizeof name));
    json_u64(&j, "activeProfileIndex", 0);
    json_object_begin(&j, "shared");
    json_array_begin(&j, "frames");
    for (size_t i = 0; i < t.n; i++) {
        json_object_begin(&j, NULL);
        json_cstr(&j, "name", t.v[i].name);
        if (t.v[i].file)
            json_cstr(&j, "file", t.v[i].file);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_array_begin(&j, "profiles");
    for (weight w = BY_BYTES; w < WEIGHTS; w++)
        profile(&j, &s, w);
    json_array_end(&j);
    json_object_end(&j);
    json_finish(&j);
    free(s.idx);
    free(s.start);
    free(s.len);
    free(s.w);
    frames_free(&t);
    return 0;
}
