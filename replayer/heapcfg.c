/* SPDX-License-Identifier: MIT */
/* Band and arena configuration (include/heaprr/heapcfg.h). The normalization follows QNX's:
 * esize = ROUND(size, 8) + ROUND(list node, 8); extra = ROUND(block header + list node, esize) +
 * band arena header; the band arena size E starts at 4096 and doubles until every band's
 * requested blocks fit; each band then holds (E - extra) / esize blocks. With the qnx32 layout this
 * reproduces the published tables (16/167 ... 128/28). */
#include <heaprr/format.h>
#include <heaprr/heapcfg.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB 1024u

static const hr_layout layouts[] = {
    [HR_LAYOUT_NATIVE] = {HR_LAYOUT_NATIVE, 8, 16, 16, 64, 64, 16},
    [HR_LAYOUT_QNX32] = {HR_LAYOUT_QNX32, 4, 28, 8, 32, 32, 8},
};

/* QNX's default bands; the requested counts only matter for the band arena size. */
static const uint32_t default_sizes[] = {16, 24, 32, 48, 64, 80, 96, 128};

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static int say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && cap)
        vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

void hr_heapcfg_default(hr_heap_config *c, hr_layout_kind kind)
{
    memset(c, 0, sizeof *c);
    c->layout = layouts[kind == HR_LAYOUT_QNX32 ? HR_LAYOUT_QNX32 : HR_LAYOUT_NATIVE];
    c->nbands = sizeof default_sizes / sizeof *default_sizes;
    for (uint32_t i = 0; i < c->nbands; i++)
        c->bands[i] = (hr_band){default_sizes[i], 1, 0};
    c->arena_size = 32 * KiB;
    c->cache_maxblk = 8;
    c->cache_maxsz = 256 * KiB;
    hr_heapcfg_normalize(c);
}

void hr_heapcfg_normalize(hr_heap_config *c)
{
    const hr_layout *l = &c->layout;
    uint64_t node = round_up(l->list_node, 8), need = 0;
    for (uint32_t i = 0; i < c->nbands; i++) {
        uint64_t esize = round_up(c->bands[i].size, 8) + node;
        uint64_t extra = round_up(l->block_header + l->list_node, esize) + l->band_arena;
        uint64_t n = c->bands[i].blocks ? c->bands[i].blocks : 1;
        if (esize * n + extra > need)
            need = esize * n + extra;
    }
    uint64_t e = 4096;
    while (e < need && e < (1u << 30))
        e *= 2;
    c->band_arena_size = (uint32_t)e;
    for (uint32_t i = 0; i < c->nbands; i++) {
        uint64_t esize = round_up(c->bands[i].size, 8) + node;
        uint64_t extra = round_up(l->block_header + l->list_node, esize) + l->band_arena;
        c->bands[i].size = (uint32_t)round_up(c->bands[i].size, 8);
        c->bands[i].blocks = e > extra ? (uint32_t)((e - extra) / esize) : 0;
    }
}

/* Reads a decimal number ending at one of the stop characters; returns -1 if there is none. */
static int number(const char **p, const char *stops, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return -1;
    }
    if (*s == 0 ? stops[0] != 0 : !strchr(stops, *s))
        return -1; /* the end where a separator was due, or a character that is not one */
    *p = s;
    *out = v;
    return 0;
}

int hr_heapcfg_parse_bands(hr_heap_config *c, const char *in, char *why, size_t why_size)
{
    char str_buf[320];
    const char *str = in ? hr_printable(in, 60, str_buf, sizeof str_buf) : NULL;
    const char *p = in;
    uint64_t n, v[3];
    hr_band bands[HR_MAX_BANDS];
    if (!in || number(&p, ":", HR_MAX_BANDS, &n) < 0 || n == 0)
        return say(why, why_size, "band configuration '%s': expected N:s1,n1,p1:...:sN,nN,pN with N from 1 to %d",
                   str ? str : "", HR_MAX_BANDS);
    for (uint64_t i = 0; i < n; i++) {
        p++; /* the ':' */
        for (int k = 0; k < 3; k++) {
            const char *stops = k < 2 ? "," : (i + 1 < n ? ":" : "");
            if (number(&p, stops, 1u << 24, &v[k]) < 0)
                return say(why, why_size, "band configuration '%s': expected number %d of band %llu at offset %td", str,
                           k + 1, (unsigned long long)i + 1, p - in);
            if (k < 2)
                p++;
        }
        if (v[0] == 0 || v[1] == 0)
            return say(why, why_size, "band configuration '%s': band %llu has a zero size or block count", str,
                       (unsigned long long)i + 1);
        bands[i] = (hr_band){(uint32_t)round_up(v[0], 8), (uint32_t)v[1], (uint32_t)v[2]};
        if (i && bands[i].size < bands[i - 1].size)
            return say(why, why_size, "band configuration '%s': band sizes must not decrease (band %llu)", str,
                       (unsigned long long)i + 1);
    }
    if (*p)
        return say(why, why_size, "band configuration '%s': expected the end after %llu bands at offset %td", str,
                   (unsigned long long)n, p - in);
    hr_heap_config t = *c;
    memcpy(t.bands, bands, n * sizeof *bands);
    t.nbands = (uint32_t)n;
    hr_heapcfg_normalize(&t);
    if (t.band_arena_size > HR_BAND_ARENA_MAX)
        return say(why, why_size, "band configuration '%s': its bands need band arenas of %u bytes, more than %u",
                   str, t.band_arena_size, HR_BAND_ARENA_MAX);
    *c = t;
    return 0;
}

int hr_heapcfg_set_arena_size(hr_heap_config *c, uint64_t size, char *why, size_t why_size)
{
    if (size == 0 || size % (4 * KiB) || size >= 256 * KiB)
        return say(why, why_size, "arena size %llu: expected a multiple of 4096 below 262144",
                   (unsigned long long)size);
    c->arena_size = size;
    return 0;
}

static int env_number(const char *name, const char *s, uint64_t *out, char *why, size_t why_size)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return say(why, why_size, "%s=%s: expected a number", name, s);
    *out = v;
    return 0;
}

typedef int (*setter)(hr_heap_config *c, const char *name, const char *value, char *why, size_t why_size);

static int set_bands(hr_heap_config *c, const char *name, const char *value, char *why, size_t why_size)
{
    (void)name;
    return hr_heapcfg_parse_bands(c, value, why, why_size);
}

static int set_arena(hr_heap_config *c, const char *name, const char *value, char *why, size_t why_size)
{
    uint64_t v = 0;
    return env_number(name, value, &v, why, why_size) < 0 ? -1 : hr_heapcfg_set_arena_size(c, v, why, why_size);
}

/* A value of 0 for the cache limits is ignored, as QNX does with the environment variables. */
static int set_number(hr_heap_config *c, const char *name, const char *value, char *why, size_t why_size)
{
    uint64_t v = 0;
    if (env_number(name, value, &v, why, why_size) < 0)
        return -1;
    if (strcmp(name, "MALLOC_ARENA_CACHE_MAXBLK") == 0 && v)
        c->cache_maxblk = v;
    else if (strcmp(name, "MALLOC_ARENA_CACHE_MAXSZ") == 0 && v)
        c->cache_maxsz = v;
    else if (strcmp(name, "MALLOC_MEMORY_HOLD") == 0)
        c->memory_hold = v != 0;
    else if (strcmp(name, "MALLOC_MEMORY_PREALLOCATE") == 0)
        c->preallocate = v;
    return 0;
}

int hr_heapcfg_from_env(hr_heap_config *c, const char *(*get)(const char *name), int lenient, char *why,
                        size_t why_size)
{
    static const struct {
        const char *name;
        setter set;
    } vars[] = {
        {"MALLOC_BAND_CONFIG_STR", set_bands},     {"MALLOC_ARENA_SIZE", set_arena},
        {"MALLOC_ARENA_CACHE_MAXBLK", set_number}, {"MALLOC_ARENA_CACHE_MAXSZ", set_number},
        {"MALLOC_MEMORY_HOLD", set_number},        {"MALLOC_MEMORY_PREALLOCATE", set_number},
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = get(vars[i].name);
        if (!v || vars[i].set(c, vars[i].name, v, why, why_size) == 0 || lenient)
            continue;
        if (why && why_size && strncmp(why, vars[i].name, strlen(vars[i].name)) != 0) {
            char inner[256];
            snprintf(inner, sizeof inner, "%s", why);
            snprintf(why, why_size, "%s: %s", vars[i].name, inner);
        }
        return -1;
    }
    return 0;
}

int hr_heapcfg_band_for(const hr_heap_config *c, uint64_t size)
{
    for (uint32_t i = 0; i < c->nbands; i++)
        if (size <= c->bands[i].size)
            return (int)i;
    return -1;
}
