/* SPDX-License-Identifier: MIT */
/* The symbolizer (include/heaprr/symbolize.h), on libdwfl: one Dwfl session per file, so that
 * modules which occupied the same addresses at different times never collide. A file is opened
 * once for all the symbolizers of the process (the traces of a process tree load the same files,
 * at other addresses): by path and build id, at the bias it was first seen at, addresses of other
 * loads moved by the difference. Not thread-safe: the tools symbolize from one thread. */
#include <heaprr/bigmem.h>
#include <heaprr/keyed.h>
#include <heaprr/symbolize.h>

#include "symtab.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_MAX 8
#define CACHE_MIN 1024u

/* C++ names: libstdc++'s demangler (C linkage). */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

typedef struct sym_module {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    hr_symtab *symtab; /* its symbol table, indexed on first use */
    int tried, indexed;
} sym_module;

/* A file opened for symbols, shared by every symbolizer. */
typedef struct pooled {
    char *path;
    unsigned char build_id[64];
    size_t build_id_len;
    uint64_t bias; /* where its Dwfl session has it */
    sym_module m;
} pooled;

static pooled **pool;
static size_t npool, cappool;

/* A module record's file, once looked for. */
typedef struct sym_load {
    pooled *file; /* NULL: no symbols */
    int tried;
} sym_load;

typedef struct sym_entry {
    uint64_t address;      /* 0: empty */
    uint32_t first, count; /* frames in s->frames */
} sym_entry;

struct hr_symbolizer {
    hr_reader *reader;
    sym_load *mods;
    uint64_t nmods;
    sym_entry *cache;
    size_t mask, used;
    hr_symframe *frames;
    size_t nframes, capframes;
    char **strings;
    size_t nstrings, capstrings;
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

hr_symbolizer *hr_sym_new(hr_reader *r)
{
    hr_symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->reader = r;
    s->mask = CACHE_MIN - 1;
    s->cache = hr_big_calloc(CACHE_MIN, sizeof *s->cache);
    if (!s->cache) {
        free(s);
        return NULL;
    }
    return s;
}

void hr_sym_free(hr_symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    free(s->strings);
    free(s->mods);
    hr_big_free(s->cache);
    free(s->frames);
    free(s);
}

/* Keeps a copy of str (NULL stays NULL); demangles C++ names. */
static const char *keep(hr_symbolizer *s, const char *str, int demangle)
{
    if (!str)
        return NULL;
    char *copy = NULL;
    if (demangle && str[0] == '_' && str[1] == 'Z') {
        int status = -1;
        copy = __cxa_demangle(str, NULL, NULL, &status);
        if (status != 0) {
            free(copy);
            copy = NULL;
        }
    }
    if (!copy && !(copy = strdup(str)))
        return NULL;
    if (s->nstrings == s->capstrings) {
        size_t cap = s->capstrings ? s->capstrings * 2 : 64;
        char **n = realloc(s->strings, cap * sizeof *n);
        if (!n) {
            free(copy);
            return NULL;
        }
        s->strings = n;
        s->capstrings = cap;
    }
    s->strings[s->nstrings++] = copy;
    return copy;
}

/* The module record whose mapping holds address (the latest loaded if several did). */
static const hr_module_info *module_of(hr_symbolizer *s, uint64_t address, uint64_t *id)
{
    const hr_module_info *best = NULL;
    for (uint64_t i = 0; i < hr_reader_module_limit(s->reader); i++) {
        int unloaded;
        const hr_module_info *m = hr_reader_module(s->reader, i, &unloaded);
        if (m && address >= m->start && address < m->end) {
            best = m;
            *id = i;
        }
    }
    return best;
}

/* Opens path for symbols at bias (sm->mod stays NULL when it is not there, or another file with
 * another build id is). */
static void open_file(sym_module *sm, const char *path, uint64_t bias, const hr_str *build_id)
{
    if (!(sm->dwfl = dwfl_begin(&callbacks)))
        return;
    dwfl_report_begin(sm->dwfl);
    sm->mod = dwfl_report_elf(sm->dwfl, path, path, -1, bias, false);
    dwfl_report_end(sm->dwfl, NULL, NULL);
    if (sm->mod && build_id->len) { /* a different file now lives at that path: no symbols */
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(sm->mod, &bits, &vaddr);
        if (n > 0 && ((size_t)n != build_id->len || memcmp(bits, build_id->ptr, (size_t)n) != 0))
            sm->mod = NULL;
    }
}

/* The pool's entry for the file of module record m (made and opened when new), NULL out of memory. */
static pooled *pooled_file(const char *path, const hr_module_info *m)
{
    size_t idlen = m->build_id.len < 64 ? m->build_id.len : 64;
    for (size_t i = 0; i < npool; i++)
        if (strcmp(pool[i]->path, path) == 0 && pool[i]->build_id_len == idlen &&
            memcmp(pool[i]->build_id, m->build_id.ptr, idlen) == 0)
            return pool[i];
    if (npool == cappool) {
        size_t cap = cappool ? 2 * cappool : 16;
        pooled **p = realloc(pool, cap * sizeof *p);
        if (!p)
            return NULL;
        pool = p;
        cappool = cap;
    }
    pooled *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return NULL;
    }
    memcpy(f->build_id, m->build_id.ptr, idlen);
    f->build_id_len = idlen;
    f->bias = m->bias;
    open_file(&f->m, path, m->bias, &m->build_id);
    pool[npool++] = f;
    return f;
}

static pooled *open_module(hr_symbolizer *s, uint64_t id, const hr_module_info *m)
{
    if (id >= s->nmods) {
        uint64_t n = hr_reader_module_limit(s->reader);
        sym_load *mods = realloc(s->mods, n * sizeof *mods);
        if (!mods)
            return NULL;
        memset(mods + s->nmods, 0, (n - s->nmods) * sizeof *mods);
        s->mods = mods;
        s->nmods = n;
    }
    sym_load *l = &s->mods[id];
    if (l->tried)
        return l->file && l->file->m.mod ? l->file : NULL;
    l->tried = 1;
    char path[4096];
    if (!m->path.len || m->path.len >= sizeof path)
        return NULL;
    memcpy(path, m->path.ptr, m->path.len);
    path[m->path.len] = 0;
    l->file = pooled_file(path, m);
    return l->file && l->file->m.mod ? l->file : NULL;
}

static const char *call_file(Dwarf_Die *cu, Dwarf_Die *scope)
{
    Dwarf_Attribute at;
    Dwarf_Word idx;
    Dwarf_Files *files;
    size_t nfiles;
    if (!dwarf_attr(scope, DW_AT_call_file, &at) || dwarf_formudata(&at, &idx) != 0 ||
        dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || idx >= nfiles)
        return NULL;
    return dwarf_filesrc(files, idx, NULL, NULL);
}

static unsigned call_line(Dwarf_Die *scope)
{
    Dwarf_Attribute at;
    Dwarf_Word line;
    return dwarf_attr(scope, DW_AT_call_line, &at) && dwarf_formudata(&at, &line) == 0 ? (unsigned)line : 0;
}

/* The name of a subprogram or inlined subroutine: its linkage name if it has one (demangled
 * later: qualified C++ names), else its plain name. */
static const char *scope_name(Dwarf_Die *scope, int *mangled)
{
    Dwarf_Attribute at;
    const char *n = NULL;
    if (dwarf_attr_integrate(scope, DW_AT_linkage_name, &at) ||
        dwarf_attr_integrate(scope, DW_AT_MIPS_linkage_name, &at))
        n = dwarf_formstring(&at);
    *mangled = n != NULL;
    return n ? n : dwarf_diename(scope);
}

/* The symbol table's name for pc (what dwfl_module_addrinfo says, from the module's index). */
static const char *table_name(sym_module *sm, uint64_t pc)
{
    if (!sm->indexed) {
        sm->indexed = 1;
        sm->symtab = hr_symtab_new(sm->mod);
    }
    return sm->symtab ? hr_symtab_name(sm->symtab, pc) : NULL;
}

/* The symbol table's name for pc when it is a C++ name (static functions have no linkage name in
 * DWARF), else fallback. */
static const char *symtab_name(sym_module *sm, uint64_t pc, const char *fallback, int *mangled)
{
    const char *n = table_name(sm, pc);
    if (n && n[0] == '_' && n[1] == 'Z') {
        *mangled = 1;
        return n;
    }
    return fallback;
}

/* Frames for pc in module sm: the inlined chain from DWARF, the symbol table otherwise. */
static size_t describe(hr_symbolizer *s, sym_module *sm, uint64_t pc, hr_symframe *f, size_t max)
{
    Dwfl_Module *mod = sm->mod;
    const char *file = NULL;
    int line = 0;
    Dwfl_Line *l = dwfl_module_getsrc(mod, pc);
    if (l)
        file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
    f[0].file = keep(s, file, 0);
    f[0].line = line > 0 ? (unsigned)line : 0;
    size_t n = 1;
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias), *scopes = NULL;
    /* a module with DWARF for a few of its sources (a static Node.js: libuv's) may name a CU that
     * does not hold pc: walking its tree would find nothing, at length */
    int ns = cu && dwarf_haspc(cu, pc - bias) == 1 ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
    for (int i = 0; i < ns && n <= max; i++) {
        int tag = dwarf_tag(&scopes[i]), mangled = 0;
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        const char *name = scope_name(&scopes[i], &mangled);
        if (tag == DW_TAG_subprogram && !mangled) /* the symbol table has its full C++ name */
            name = symtab_name(sm, pc, name, &mangled);
        f[n - 1].function = keep(s, name, mangled);
        if (tag == DW_TAG_subprogram || n == max)
            break;
        f[n - 1].inlined = 1; /* the caller is the next frame, at the call site */
        f[n] = f[n - 1];
        f[n].inlined = 0;
        f[n].function = NULL;
        f[n].file = keep(s, call_file(cu, &scopes[i]), 0);
        f[n].line = call_line(&scopes[i]);
        n++;
    }
    free(scopes);
    if (!f[n - 1].function) /* no DWARF: the symbol table */
        f[n - 1].function = keep(s, table_name(sm, pc), 1);
    return n;
}

static size_t lookup(hr_symbolizer *s, uint64_t address, hr_symframe *f, size_t max)
{
    memset(f, 0, sizeof *f);
    f->address = address;
    uint64_t id = 0;
    const hr_module_info *m = module_of(s, address, &id);
    if (!m)
        return 1;
    if (m->path.len && m->path.len < 4096) {
        char path[4096];
        memcpy(path, m->path.ptr, m->path.len);
        path[m->path.len] = 0;
        f->module = keep(s, path, 0);
    }
    f->offset = address - m->bias;
    pooled *file = open_module(s, id, m);
    /* a return address: the call is the instruction before it; where the file's session has it */
    return file ? describe(s, &file->m, address - 1 - m->bias + file->bias, f, max) : 1;
}

static int remember(hr_symbolizer *s, uint64_t address, const hr_symframe *f, size_t n)
{
    if ((s->used + 1) * 2 > s->mask + 1) {
        sym_entry *c = hr_keyed_grow(s->cache, &s->mask, sizeof *c, 0);
        if (!c)
            return -1;
        s->cache = c;
    }
    if (s->nframes + n > s->capframes) {
        size_t cap = s->capframes ? s->capframes * 2 : 256;
        while (cap < s->nframes + n)
            cap *= 2;
        hr_symframe *fr = realloc(s->frames, cap * sizeof *fr);
        if (!fr)
            return -1;
        s->frames = fr;
        s->capframes = cap;
    }
    memcpy(s->frames + s->nframes, f, n * sizeof *f);
    sym_entry *e = hr_keyed_probe(s->cache, s->mask, sizeof *e, address);
    *e = (sym_entry){address, (uint32_t)s->nframes, (uint32_t)n};
    s->nframes += n;
    s->used++;
    return 0;
}

size_t hr_sym_resolve(hr_symbolizer *s, uint64_t address, hr_symframe *out, size_t max)
{
    if (!max)
        return 0;
    const sym_entry *e = hr_keyed_probe(s->cache, s->mask, sizeof *e, address);
    if (e->address) {
        size_t n = e->count < max ? e->count : max;
        memcpy(out, s->frames + e->first, n * sizeof *out);
        return n;
    }
    hr_symframe f[INLINE_MAX];
    size_t n = address ? lookup(s, address, f, INLINE_MAX) : (memset(f, 0, sizeof *f), 1);
    if (address)
        remember(s, address, f, n);
    if (n > max)
        n = max;
    memcpy(out, f, n * sizeof *out);
    return n;
}
