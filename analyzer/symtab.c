/* SPDX-License-Identifier: MIT */
/* A module's symbol table, indexed once so that finding the symbol of an address is a binary
 * search instead of libdwfl's walk over every symbol (dwfl_module_addrinfo is linear: Node.js's
 * 150 000 symbols times 40 000 addresses took 8 s). The answer is the one dwfl_module_addrinfo
 * gives, by the same rules: among the symbols that cover the address, globals are judged first
 * and locals only when no global covers it; within a kind, symbols are judged in table order, a
 * nearer start or a stronger binding winning, and at the same start a smaller size; with none, a
 * symbol without a size at the highest start below the address, in the address's section, when
 * nothing before it reaches past it. test-symtab compares the two on real programs. */
#include "symtab.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

typedef struct sym {
    uint64_t value, end; /* end: value + size */
    uint32_t order;      /* index in the symbol table */
    uint8_t bind;        /* 3 global, 2 weak, 1 local, 0 other (higher is better) */
    uint8_t special;     /* an absolute or other reserved-section symbol: matches only its value */
    const char *name;
} sym;

/* One kind (the globals, or every symbol): sized symbols and all symbols by start, with the
 * furthest end reached so far, and the sizeless ones by start. */
typedef struct kind {
    sym *sized;
    uint64_t *sized_reach; /* sized_reach[i]: max end of sized[0..i] */
    size_t nsized;
    sym *all;
    uint64_t *all_reach;
    size_t nall;
    sym *sizeless;
    size_t nsizeless;
} kind;

struct hr_symtab {
    Dwfl_Module *mod;
    kind global, every;
    const sym **cand; /* lookup scratch: the symbols covering an address */
    size_t capcand;
    int locals;            /* the table has local symbols (first_global > 1) */
    uint32_t first_global; /* table index of the first global symbol */
};

static int binding_of(unsigned char info)
{
    switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL: return 3;
    case STB_WEAK: return 2;
    case STB_LOCAL: return 1;
    default: return 0;
    }
}

static int by_start(const void *a, const void *b)
{
    const sym *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int push(sym **arr, size_t *n, size_t *cap, const sym *s)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        sym *p = realloc(*arr, c * sizeof *p);
        if (!p)
            return -1;
        *arr = p;
        *cap = c;
    }
    (*arr)[(*n)++] = *s;
    return 0;
}

static uint64_t *reach_of(const sym *s, size_t n)
{
    uint64_t *r = malloc((n ? n : 1) * sizeof *r), m = 0;
    for (size_t i = 0; r && i < n; i++)
        r[i] = m = s[i].end > m ? s[i].end : m;
    return r;
}

static void kind_free(kind *k)
{
    free(k->sized);
    free(k->sized_reach);
    free(k->all);
    free(k->all_reach);
    free(k->sizeless);
}

/* Adds s to kind k (cap: the capacity of its array of all symbols). */
static int kind_add(kind *k, size_t *cap, const sym *s)
{
    return push(&k->all, &k->nall, cap, s);
}

/* Sorts the symbols once: the sized and sizeless ones, each a part of all, are taken from it in
 * order (by_start is a total order, so they come out as sorting each would leave them). */
static int kind_seal(kind *k)
{
    if (k->nall > 1)
        qsort(k->all, k->nall, sizeof *k->all, by_start);
    for (size_t i = 0; i < k->nall; i++)
        k->nsized += k->all[i].end > k->all[i].value;
    k->nsizeless = k->nall - k->nsized;
    k->sized = malloc((k->nsized ? k->nsized : 1) * sizeof *k->sized);
    k->sizeless = malloc((k->nsizeless ? k->nsizeless : 1) * sizeof *k->sizeless);
    if (!k->sized || !k->sizeless)
        return -1;
    size_t nsized = 0, nsizeless = 0;
    for (size_t i = 0; i < k->nall; i++) {
        if (k->all[i].end > k->all[i].value)
            k->sized[nsized++] = k->all[i];
        else
            k->sizeless[nsizeless++] = k->all[i];
    }
    k->sized_reach = reach_of(k->sized, k->nsized);
    k->all_reach = reach_of(k->all, k->nall);
    return k->sized_reach && k->all_reach ? 0 : -1;
}

/* The symbols libdwfl's search looks at: named, defined, not a section, file or TLS symbol. */
static int eligible(const char *name, const GElf_Sym *s)
{
    int type = GELF_ST_TYPE(s->st_info);
    return name && name[0] && s->st_shndx != SHN_UNDEF && type != STT_SECTION && type != STT_FILE && type != STT_TLS;
}

hr_symtab *hr_symtab_new(Dwfl_Module *mod)
{
    int n = dwfl_module_getsymtab(mod), first_global = dwfl_module_getsymtab_first_global(mod);
    hr_symtab *t = calloc(1, sizeof *t);
    if (!t || n < 0 || first_global < 0) {
        free(t);
        return NULL;
    }
    t->mod = mod;
    t->locals = first_global > 1;
    t->first_global = (uint32_t)first_global;
    size_t gcap = 0, ecap = 0;
    int rc = 0;
    for (int i = 1; i < n && rc == 0; i++) {
        GElf_Sym gs;
        GElf_Addr value;
        GElf_Word shndx = SHN_UNDEF;
        const char *name = dwfl_module_getsym_info(mod, i, &gs, &value, &shndx, NULL, NULL);
        if (!eligible(name, &gs))
            continue;
        sym s = {value, value + gs.st_size, (uint32_t)i, (uint8_t)binding_of(gs.st_info), shndx >= SHN_LORESERVE, name};
        rc = kind_add(&t->every, &ecap, &s);
        if (rc == 0 && (i >= first_global || first_global == 0))
            rc = kind_add(&t->global, &gcap, &s);
    }
    if (rc < 0 || kind_seal(&t->global) < 0 || kind_seal(&t->every) < 0) {
        hr_symtab_free(t);
        return NULL;
    }
    return t;
}

void hr_symtab_free(hr_symtab *t)
{
    if (!t)
        return;
    kind_free(&t->global);
    kind_free(&t->every);
    free(t->cand);
    free(t);
}

/* Number of entries of s (n, sorted by start) that start at or below q. */
static size_t upto(const sym *s, size_t n, uint64_t q)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].value <= q)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether candidate c beats the current pick: libdwfl's rule, applied in table order. */
static int better(const sym *cur, const sym *c)
{
    if (!cur || cur->value < c->value || cur->bind < c->bind)
        return 1;
    uint64_t cs = cur->end - cur->value, ns = c->end - c->value;
    return cur->value == c->value && ((cs > ns && cur->bind <= c->bind) || (cs >= ns && cur->bind < c->bind));
}

static int by_order(const void *a, const void *b)
{
    const sym *x = *(const sym *const *)a, *y = *(const sym *const *)b;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The sized symbol of kind k that covers q, judged in table order (a folded function can have
 * hundreds of names at one address: all are judged). */
static const sym *covering(hr_symtab *t, const kind *k, uint64_t q)
{
    size_t nc = 0;
    for (size_t i = upto(k->sized, k->nsized, q); i-- > 0 && k->sized_reach[i] > q;) {
        if (k->sized[i].end <= q)
            continue;
        if (nc == t->capcand) {
            size_t cap = t->capcand ? t->capcand * 2 : 64;
            const sym **c = realloc(t->cand, cap * sizeof *c);
            if (!c)
                break;
            t->cand = c;
            t->capcand = cap;
        }
        t->cand[nc++] = &k->sized[i];
    }
    if (nc > 1)
        qsort(t->cand, nc, sizeof *t->cand, by_order);
    const sym *best = NULL;
    for (size_t i = 0; i < nc; i++)
        if (better(best, t->cand[i]))
            best = t->cand[i];
    return best;
}

static int same_section(Dwfl_Module *mod, const sym *s, uint64_t a)
{
    if (s->special)
        return s->value == a;
    Dwarf_Addr x = a, y = s->value, bias;
    Elf_Scn *sa = dwfl_module_address_section(mod, &x, &bias), *sb = dwfl_module_address_section(mod, &y, &bias);
    return sa && sa == sb;
}

/* The order libdwfl looks at symbols in: the globals, then the locals, each in table order. */
static uint64_t seen_at(const hr_symtab *t, const sym *s)
{
    return (uint64_t)(s->order < t->first_global) << 32 | s->order;
}

/* Without a covering symbol: a sizeless one at the highest start at or below q, the last of
 * those libdwfl looks at, if nothing starting at or below q reaches past that start. */
static const sym *sizeless(const hr_symtab *t, const kind *k, uint64_t q)
{
    size_t n = upto(k->all, k->nall, q);
    if (!n)
        return NULL;
    uint64_t top = k->all[n - 1].value;
    if (k->all_reach[n - 1] > top)
        return NULL;
    const sym *pick = NULL;
    for (size_t i = upto(k->sizeless, k->nsizeless, q); i-- > 0 && k->sizeless[i].value == top;)
        if (!pick || seen_at(t, &k->sizeless[i]) > seen_at(t, pick))
            pick = &k->sizeless[i];
    return pick && same_section(t->mod, pick, q) ? pick : NULL;
}

const char *hr_symtab_name(hr_symtab *t, uint64_t q)
{
    const sym *s = covering(t, &t->global, q);
    if (s)
        return s->name;
    const sym *g = sizeless(t, &t->global, q);
    if (!t->locals || (g && g->value == q))
        return g ? g->name : NULL;
    s = covering(t, &t->every, q);
    if (s)
        return s->name;
    s = sizeless(t, &t->every, q);
    return s ? s->name : NULL;
}
