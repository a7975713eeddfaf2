/* SPDX-License-Identifier: MIT */
/* Failure injection's rules: parsing and matching (include/heaprr/failspec.h has the grammar). */
#include <heaprr/failspec.h>

#include "internal.h"

#include <heaprr/format.h>
#include <heaprr/keyed.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_name(char *dst, size_t cap, const char *s, const char *end)
{
    size_t n = (size_t)(end - s);
    if (!n || n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

static int parse_u64(const char *s, const char *end, uint64_t *out, int base)
{
    char buf[32];
    if (copy_name(buf, sizeof buf, s, end) < 0)
        return -1;
    char *e;
    unsigned long long v = strtoull(buf, &e, base);
    if (*e || buf[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_fraction(const char *s, const char *end, double *out)
{
    char buf[32];
    if (copy_name(buf, sizeof buf, s, end) < 0)
        return -1;
    char *e;
    double v = strtod(buf, &e);
    if (*e || !(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}


static int parse_kind(const char *s, const char *end)
{
    char name[32];
    if (copy_name(name, sizeof name, s, end) < 0)
        return -1;
    for (int k = 1; k < HR_KIND_COUNT; k++) {
        const char *kn = hr_kind_name((unsigned)k);
        if (kn && strcmp(kn, name) == 0 && !hr_kind_is_free((unsigned)k))
            return k;
    }
    return -1;
}

/* MOD+OFF (at=, and each frame of site=): the module's name and the offset. */
static int parse_place(char *module, size_t cap, uint64_t *offset, const char *s, const char *end)
{
    const char *plus = end;
    while (plus > s && plus[-1] != '+')
        plus--;
    if (plus == s || copy_name(module, cap, s, plus - 1) < 0 || memchr(s, '/', (size_t)(plus - s)))
        return -1;
    if (end - plus > 2 && plus[0] == '0' && (plus[1] == 'x' || plus[1] == 'X'))
        plus += 2;
    return parse_u64(plus, end, offset, 16);
}

/* site=MOD+OFF/MOD+OFF/...: at most HR_FAIL_MAX_SITE frames. */
static int parse_site(hr_fail_rule *r, const char *s, const char *end)
{
    if (r->nsite)
        return -1;
    while (s < end) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        slash = slash ? slash : end;
        if (r->nsite == HR_FAIL_MAX_SITE)
            return -1;
        hr_fail_frame *f = &r->site[r->nsite++];
        if (parse_place(f->module, sizeof f->module, &f->offset, s, slash) < 0)
            return -1;
        s = slash < end ? slash + 1 : end;
    }
    return r->nsite ? 0 : -1;
}

/* One condition "key=value" (or "size>N", "size>=N") of rule r. */
static int parse_condition(hr_failspec *spec, hr_fail_rule *r, const char *s, const char *end)
{
    const char *eq = s;
    while (eq < end && *eq != '=' && *eq != '>')
        eq++;
    if (eq == end)
        return -1;
    size_t klen = (size_t)(eq - s);
    const char *v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
    if (KEY("size") && *eq == '>') {
        r->size_ge = v < end && *v == '=';
        return parse_u64(v + r->size_ge, end, &r->size, 10);
    }
    if (*eq != '=')
        return -1;
    if (KEY("nth"))
        return parse_u64(v, end, &r->nth, 10) < 0 || !r->nth ? -1 : 0;
    if (KEY("every"))
        return parse_u64(v, end, &r->every, 10) < 0 || !r->every ? -1 : 0;
    if (KEY("after"))
        return parse_u64(v, end, &r->after, 10);
    if (KEY("count"))
        return parse_u64(v, end, &r->count, 10);
    if (KEY("seed"))
        return parse_u64(v, end, &r->seed, 10);
    if (KEY("random"))
        return parse_fraction(v, end, &r->random);
    if (KEY("kind")) {
        int k = parse_kind(v, end);
        r->kind = k > 0 ? (unsigned)k : 0;
        return k > 0 ? 0 : -1;
    }
    if (KEY("func")) {
        spec->needs_stack = 1;
        return copy_name(r->func, sizeof r->func, v, end);
    }
    if (KEY("at")) {
        spec->needs_stack = 1;
        return parse_place(r->module, sizeof r->module, &r->offset, v, end);
    }
    if (KEY("site")) {
        spec->needs_stack = 1;
        return parse_site(r, v, end);
    }
#undef KEY
    return -1;
}

/* The condition from c to its end, for an error message. */
static void say_bad(char *why, size_t cap, const char *c, const char *end)
{
    snprintf(why, cap, "'%.*s' is not a condition (nth=N, every=K, after=N, random=P, seed=S, size>N, size>=N, "
             "kind=NAME, func=NAME, at=MODULE+0xOFFSET, site=MODULE+0xOFFSET/..., count=M)", (int)(end - c), c);
}

int hr_failspec_parse(const char *spec, hr_failspec *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    for (const char *s = spec; *s;) {
        const char *stop = strchr(s, ';');
        stop = stop ? stop : s + strlen(s);
        if (stop > s) {
            if (out->nrules == HR_FAIL_MAX_RULES) {
                snprintf(why, cap, "more than %d rules", HR_FAIL_MAX_RULES);
                return -1;
            }
            hr_fail_rule *r = &out->rules[out->nrules++];
            r->seed = 1;
            r->random = -1;
            for (const char *c = s; c < stop;) {
                const char *comma = memchr(c, ',', (size_t)(stop - c));
                comma = comma ? comma : stop;
                if (parse_condition(out, r, c, comma) < 0) {
                    say_bad(why, cap, c, comma);
                    return -1;
                }
                c = comma < stop ? comma + 1 : stop;
            }
        }
        s = *stop ? stop + 1 : stop;
    }
    if (!out->nrules)
        snprintf(why, cap, "no rule");
    return out->nrules ? 0 : -1;
}

/* A fraction of the calls, the same ones for the same seed: a hash of (seed, call number). */
static int drawn(const hr_fail_rule *r, uint64_t n)
{
    uint64_t h = hr_keyed_home(n ^ (r->seed * 0x9E3779B97F4A7C15ull), UINT64_MAX);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0) < r->random;
}

static int passes_through(const hr_fail_rule *r, const uint64_t *frames, uint32_t depth)
{
    uint32_t ncode = __atomic_load_n(&r->ncode, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < depth; i++)
        for (uint32_t j = 0; j < ncode; j++)
            if (frames[i] >= r->code[j].lo && frames[i] < r->code[j].hi)
                return 1;
    return 0;
}

/* The innermost frames are the site's, each resolved. */
static int at_site(const hr_fail_rule *r, const uint64_t *frames, uint32_t depth)
{
    if (depth < r->nsite)
        return 0;
    for (uint32_t i = 0; i < r->nsite; i++) {
        uint64_t a = __atomic_load_n(&r->site[i].addr, __ATOMIC_ACQUIRE);
        if (!a || frames[i] != a)
            return 0;
    }
    return 1;
}

static int matches(const hr_fail_rule *r, uint64_t n, unsigned kind, uint64_t size, const uint64_t *frames,
                   uint32_t depth)
{
    if ((r->nth && n != r->nth) || (r->every && n % r->every) || n <= r->after)
        return 0;
    if (r->kind && r->kind != kind)
        return 0;
    if ((r->size || r->size_ge) && (r->size_ge ? size < r->size : size <= r->size))
        return 0;
    if (r->random >= 0 && !drawn(r, n))
        return 0;
    if ((r->func[0] || r->module[0]) && !passes_through(r, frames, depth))
        return 0;
    if (r->nsite && !at_site(r, frames, depth))
        return 0;
    return !r->count || __atomic_load_n(&r->failed, __ATOMIC_RELAXED) < r->count;
}

int hr_failspec_fails(hr_failspec *s, uint64_t n, unsigned kind, uint64_t size, const uint64_t *frames,
                      uint32_t depth)
{
    for (uint32_t i = 0; i < s->nrules; i++) {
        hr_fail_rule *r = &s->rules[i];
        if (!matches(r, n, kind, size, frames, depth))
            continue;
        if (r->count && __atomic_add_fetch(&r->failed, 1, __ATOMIC_RELAXED) > r->count)
            continue; /* another thread took the last one */
        return 1;
    }
    return 0;
}

void hr_failspec_add_code(hr_fail_rule *r, uint64_t lo, uint64_t hi)
{
    uint32_t n = __atomic_load_n(&r->ncode, __ATOMIC_ACQUIRE);
    if (n == HR_FAIL_MAX_RANGES)
        return;
    r->code[n] = (hr_fail_range){lo, hi};
    __atomic_store_n(&r->ncode, n + 1, __ATOMIC_RELEASE);
}

void hr_failspec_module(hr_failspec *s, const char *path, uint64_t bias)
{
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    for (uint32_t i = 0; i < s->nrules; i++) {
        hr_fail_rule *r = &s->rules[i];
        uint64_t lo, hi;
        if (r->func[0] && hr_elf_symbol(path, bias, r->func, &lo, &hi) == 0)
            hr_failspec_add_code(r, lo, hi);
        if (r->module[0] && strcmp(name, r->module) == 0)
            hr_failspec_add_code(r, bias + r->offset, bias + r->offset + 1);
        for (uint32_t j = 0; j < r->nsite; j++)
            if (strcmp(name, r->site[j].module) == 0)
                __atomic_store_n(&r->site[j].addr, bias + r->site[j].offset, __ATOMIC_RELEASE);
    }
}
