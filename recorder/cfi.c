/* SPDX-License-Identifier: MIT */
/* Unwind recipes from DWARF call frame information (.eh_frame, found through .eh_frame_hdr by
 * _dl_find_object): for a return address, where the caller's frame (CFA) is, and where the saved
 * rbp is, if anywhere. Only the rules compilers emit at call sites are understood (CFA from rsp or
 * rbp plus an offset, or loaded from rbp for realigned frames; rbp saved at an offset); anything
 * else makes the recipe unusable and the unwinder falls back to libunwind, so an unusual frame
 * costs speed, never correctness. x86-64 only. */
#define _GNU_SOURCE
#include "unwind.h"

#include <dlfcn.h>
#include <string.h>

/* DWARF register numbers on x86-64. */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

enum { RULE_SAME, RULE_OFFSET, RULE_EXPR_ADDR, RULE_UNDEFINED, RULE_OTHER };

typedef struct cfa_state {
    int cfa_reg;      /* REG_RSP, REG_RBP, or -1 for an expression */
    int64_t cfa_off;  /* CFA = reg + off, or *(rbp + off) for the expression form */
    int cfa_expr_ok;  /* the expression was DW_OP_breg6 off; DW_OP_deref */
    int rbp_rule, ra_rule;
    int64_t rbp_off, ra_off;
} cfa_state;

typedef struct cie_info {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_enc;
    int signal_frame;
    const uint8_t *insns, *insns_end;
} cie_info;

static int (*find_object)(void *, struct dl_find_object *);

void hr_cfi_init(void)
{
    find_object = (int (*)(void *, struct dl_find_object *))dlsym(RTLD_DEFAULT, "_dl_find_object");
}

int hr_cfi_available(void)
{
    return find_object != NULL;
}

/* ---- bounded readers ---- */

typedef struct cursor {
    const uint8_t *p, *end;
    int bad;
} cursor;

static uint64_t uleb(cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; c->p < c->end && shift < 64; shift += 7) {
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = 1;
    return 0;
}

static int64_t sleb(cursor *c)
{
    int64_t v = 0;
    unsigned shift = 0;
    while (c->p < c->end && shift < 64) {
        uint8_t b = *c->p++;
        v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= -(int64_t)(1ull << shift);
            return v;
        }
    }
    c->bad = 1;
    return 0;
}

static uint64_t fixed(cursor *c, unsigned n)
{
    uint64_t v = 0;
    if ((size_t)(c->end - c->p) < n) {
        c->bad = 1;
        return 0;
    }
    memcpy(&v, c->p, n); /* little-endian */
    c->p += n;
    return v;
}

/* Reads a DW_EH_PE_* encoded pointer; datarel uses dbase. An indirect pointer (the personality
 * routine of C++ code) is returned as its address: the recipes never need its value. */
static uint64_t encoded(cursor *c, uint8_t enc, uint64_t dbase)
{
    if (enc == 0xff)
        return 0;
    uint64_t base = (uint64_t)(uintptr_t)c->p, v;
    switch (enc & 0x0f) {
    case 0x00: v = fixed(c, 8); break;
    case 0x01: v = uleb(c); break;
    case 0x02: v = fixed(c, 2); break;
    case 0x03: v = fixed(c, 4); break;
    case 0x04: v = fixed(c, 8); break;
    case 0x09: v = (uint64_t)sleb(c); break;
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)fixed(c, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)fixed(c, 4); break;
    case 0x0c: v = fixed(c, 8); break;
    default: c->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += base; break;
    case 0x30: v += dbase; break;
    default: c->bad = 1; return 0;
    }
    return v;
}

/* ---- .eh_frame_hdr: binary search for the FDE covering ip ---- */

static const uint8_t *find_fde(const struct dl_find_object *fo, uint64_t ip)
{
    const uint8_t *hdr = fo->dlfo_eh_frame;
    if (!hdr || hdr[0] != 1 || hdr[3] != 0x3b) /* version 1, table of datarel sdata4 pairs */
        return NULL;
    cursor c = {hdr + 4, hdr + 4 + 16, 0};
    uint64_t dbase = (uint64_t)(uintptr_t)hdr;
    encoded(&c, hdr[1], dbase); /* eh_frame_ptr */
    uint64_t count = encoded(&c, hdr[2], dbase);
    if (c.bad || count == 0 || count > (1u << 28))
        return NULL;
    const int32_t *table = (const int32_t *)(const void *)c.p;
    uint64_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (dbase + (uint64_t)(int64_t)table[2 * mid] <= ip)
            lo = mid;
        else
            hi = mid;
    }
    if (dbase + (uint64_t)(int64_t)table[2 * lo] > ip)
        return NULL;
    return (const uint8_t *)(uintptr_t)(dbase + (uint64_t)(int64_t)table[2 * lo + 1]);
}

static int parse_cie(const uint8_t *cie, cie_info *ci)
{
    uint32_t len = (uint32_t)cie[0] | (uint32_t)cie[1] << 8 | (uint32_t)cie[2] << 16 | (uint32_t)cie[3] << 24;
    if (len == 0 || len == 0xffffffffu)
        return -1;
    cursor c = {cie + 8, cie + 4 + len, 0};
    uint8_t version = (uint8_t)fixed(&c, 1);
    const char *aug = (const char *)c.p;
    size_t aug_len = strnlen(aug, (size_t)(c.end - c.p));
    c.p += aug_len + 1;
    memset(ci, 0, sizeof *ci);
    ci->code_align = uleb(&c);
    ci->data_align = sleb(&c);
    uint64_t ra = version == 1 ? fixed(&c, 1) : uleb(&c);
    if (ra != REG_RA || (version != 1 && version != 3) || aug[0] != 'z')
        return -1;
    uint64_t aug_data = uleb(&c);
    const uint8_t *aug_end = c.p + aug_data;
    for (size_t i = 1; i < aug_len && !c.bad; i++) {
        switch (aug[i]) {
        case 'R': ci->fde_enc = (uint8_t)fixed(&c, 1); break;
        case 'L': fixed(&c, 1); break;
        case 'P': encoded(&c, (uint8_t)fixed(&c, 1), 0); break;
        case 'S': ci->signal_frame = 1; break;
        default: return -1;
        }
    }
    if (c.bad || aug_end > c.end)
        return -1;
    ci->insns = aug_end;
    ci->insns_end = c.end;
    return 0;
}

/* ---- the CFA program ---- */

#define STATE_STACK 8

typedef struct machine {
    cfa_state st, initial, stack[STATE_STACK];
    int depth;
    uint64_t loc, target;
    const cie_info *ci;
    int bad;
} machine;

static void set_rule(machine *m, uint64_t reg, int rule, int64_t off)
{
    if (reg == REG_RBP) {
        m->st.rbp_rule = rule;
        m->st.rbp_off = off;
    } else if (reg == REG_RA) {
        m->st.ra_rule = rule;
        m->st.ra_off = off;
    } else if (reg == REG_RSP && rule != RULE_SAME) {
        m->bad = 1; /* rsp restored from memory: not a frame layout we handle */
    }
}

static void restore_rule(machine *m, uint64_t reg)
{
    if (reg == REG_RBP) {
        m->st.rbp_rule = m->initial.rbp_rule;
        m->st.rbp_off = m->initial.rbp_off;
    } else if (reg == REG_RA) {
        m->st.ra_rule = m->initial.ra_rule;
        m->st.ra_off = m->initial.ra_off;
    }
}

/* DW_CFA_def_cfa_expression: only "DW_OP_breg6 off; DW_OP_deref" (a realigned frame). */
static void cfa_expression(machine *m, cursor *c)
{
    uint64_t len = uleb(c);
    cursor e = {c->p, c->p + len, 0};
    if (len > (uint64_t)(c->end - c->p)) {
        m->bad = 1;
        return;
    }
    c->p += len;
    if (e.p < e.end && *e.p == 0x76) { /* DW_OP_breg6 */
        e.p++;
        int64_t off = sleb(&e);
        if (!e.bad && e.end - e.p == 1 && *e.p == 0x06) { /* DW_OP_deref */
            m->st.cfa_reg = -1;
            m->st.cfa_off = off;
            m->st.cfa_expr_ok = 1;
            return;
        }
    }
    m->bad = 1;
}

/* DW_CFA_expression for a register: rbp saved at "DW_OP_breg6 off" is understood. */
static void reg_expression(machine *m, cursor *c)
{
    uint64_t reg = uleb(c), len = uleb(c);
    cursor e = {c->p, c->p + len, 0};
    if (len > (uint64_t)(c->end - c->p)) {
        m->bad = 1;
        return;
    }
    c->p += len;
    if (reg == REG_RBP && e.p < e.end && *e.p == 0x76) {
        e.p++;
        int64_t off = sleb(&e);
        if (!e.bad && e.p == e.end) {
            set_rule(m, reg, RULE_EXPR_ADDR, off);
            return;
        }
    }
    set_rule(m, reg, RULE_OTHER, 0);
}

static int advance(machine *m, uint64_t delta)
{
    m->loc += delta * m->ci->code_align;
    return m->loc > m->target; /* past the address: the row before applies */
}

/* Runs instructions until the location passes target. Returns 1 when it stopped there. */
static int run(machine *m, const uint8_t *p, const uint8_t *end)
{
    cursor c = {p, end, 0};
    int64_t da = m->ci->data_align;
    while (c.p < c.end && !c.bad && !m->bad) {
        uint8_t op = *c.p++, low = op & 0x3f;
        switch (op >> 6) {
        case 1: if (advance(m, low)) return 1; continue;
        case 2: set_rule(m, low, RULE_OFFSET, (int64_t)uleb(&c) * da); continue;
        case 3: restore_rule(m, low); continue;
        default: break;
        }
        switch (op) {
        case 0x00: break; /* nop */
        case 0x01: m->loc = encoded(&c, m->ci->fde_enc, 0); if (m->loc > m->target) return 1; break;
        case 0x02: if (advance(m, fixed(&c, 1))) return 1; break;
        case 0x03: if (advance(m, fixed(&c, 2))) return 1; break;
        case 0x04: if (advance(m, fixed(&c, 4))) return 1; break;
        case 0x05: { uint64_t r = uleb(&c); set_rule(m, r, RULE_OFFSET, (int64_t)uleb(&c) * da); break; }
        case 0x06: restore_rule(m, uleb(&c)); break;
        case 0x07: set_rule(m, uleb(&c), RULE_UNDEFINED, 0); break;
        case 0x08: set_rule(m, uleb(&c), RULE_SAME, 0); break;
        case 0x09: { uint64_t r = uleb(&c); uleb(&c); set_rule(m, r, RULE_OTHER, 0); break; } /* register */
        case 0x0a: if (m->depth == STATE_STACK) m->bad = 1; else m->stack[m->depth++] = m->st; break;
        case 0x0b: if (m->depth == 0) m->bad = 1; else m->st = m->stack[--m->depth]; break;
        case 0x0c: m->st.cfa_reg = (int)uleb(&c); m->st.cfa_off = (int64_t)uleb(&c); m->st.cfa_expr_ok = 0; break;
        case 0x0d: m->st.cfa_reg = (int)uleb(&c); m->st.cfa_expr_ok = 0; break;
        case 0x0e: m->st.cfa_off = (int64_t)uleb(&c); break;
        case 0x0f: cfa_expression(m, &c); break;
        case 0x10: reg_expression(m, &c); break;
        case 0x11: { uint64_t r = uleb(&c); set_rule(m, r, RULE_OFFSET, sleb(&c) * da); break; }
        case 0x12: m->st.cfa_reg = (int)uleb(&c); m->st.cfa_off = sleb(&c) * da; m->st.cfa_expr_ok = 0; break;
        case 0x13: m->st.cfa_off = sleb(&c) * da; break;
        case 0x14: case 0x15: { uint64_t r = uleb(&c); uleb(&c); set_rule(m, r, RULE_OTHER, 0); break; } /* val_offset */
        case 0x16: { uint64_t r = uleb(&c), len = uleb(&c); /* val_expression */
            if (len > (uint64_t)(c.end - c.p)) m->bad = 1; else c.p += len;
            set_rule(m, r, RULE_OTHER, 0); break; }
        case 0x2e: uleb(&c); break; /* GNU_args_size */
        default: m->bad = 1; break;
        }
    }
    return !(c.bad || m->bad) ? 0 : -1;
}

static void to_recipe(const cfa_state *s, hr_recipe *r)
{
    memset(r, 0, sizeof *r);
    if (s->ra_rule == RULE_UNDEFINED) {
        r->cfa_kind = HR_CFA_END;
        return;
    }
    if (s->ra_rule != RULE_OFFSET || s->ra_off != -8)
        return; /* HR_CFA_INVALID */
    if (s->cfa_reg == -1 && s->cfa_expr_ok)
        r->cfa_kind = HR_CFA_RBP_DEREF;
    else if (s->cfa_reg == REG_RSP)
        r->cfa_kind = HR_CFA_RSP;
    else if (s->cfa_reg == REG_RBP)
        r->cfa_kind = HR_CFA_RBP;
    else
        return;
    if (s->cfa_off < INT32_MIN || s->cfa_off > INT32_MAX || s->rbp_off < INT32_MIN || s->rbp_off > INT32_MAX) {
        r->cfa_kind = HR_CFA_INVALID;
        return;
    }
    r->cfa_off = (int32_t)s->cfa_off;
    if (s->rbp_rule == RULE_OFFSET)
        r->rbp_kind = HR_RBP_AT_CFA;
    else if (s->rbp_rule == RULE_EXPR_ADDR)
        r->rbp_kind = HR_RBP_AT_RBP;
    else if (s->rbp_rule != RULE_SAME)
        r->cfa_kind = HR_CFA_INVALID;
    r->rbp_off = (int32_t)s->rbp_off;
}

int hr_cfi_recipe(uint64_t ip, hr_recipe *out)
{
    struct dl_find_object fo;
    memset(out, 0, sizeof *out);
    if (!find_object || find_object((void *)(uintptr_t)ip, &fo) != 0)
        return -1;
    const uint8_t *fde = find_fde(&fo, ip);
    if (!fde)
        return -1;
    uint32_t len = (uint32_t)fde[0] | (uint32_t)fde[1] << 8 | (uint32_t)fde[2] << 16 | (uint32_t)fde[3] << 24;
    uint32_t cie_off = (uint32_t)fde[4] | (uint32_t)fde[5] << 8 | (uint32_t)fde[6] << 16 | (uint32_t)fde[7] << 24;
    if (len == 0 || len == 0xffffffffu || cie_off == 0)
        return -1;
    cie_info ci;
    if (parse_cie(fde + 4 - cie_off, &ci) < 0 || ci.signal_frame)
        return -1;
    cursor c = {fde + 8, fde + 4 + len, 0};
    uint64_t begin = encoded(&c, ci.fde_enc, 0), range = encoded(&c, ci.fde_enc & 0x0f, 0);
    uint64_t aug = uleb(&c);
    if (c.bad || ip < begin || ip >= begin + range || aug > (uint64_t)(c.end - c.p))
        return -1;
    machine m;
    memset(&m, 0, sizeof m);
    m.ci = &ci;
    m.loc = begin;
    m.target = ip;
    m.st.cfa_reg = REG_RSP;
    m.st.rbp_rule = RULE_SAME;
    if (run(&m, ci.insns, ci.insns_end) < 0)
        return -1;
    m.initial = m.st;
    if (run(&m, c.p + aug, c.end) < 0)
        return -1;
    to_recipe(&m.st, out);
    return out->cfa_kind == HR_CFA_INVALID ? -1 : 0;
}
