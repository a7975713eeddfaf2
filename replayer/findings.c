/* SPDX-License-Identifier: MIT */
/* Names of checker levels and findings, and findings kept for the report. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

static const char *const check_names[] = {"none", "basic", "bounds", "chain"};

static const char *const finding_names[HR_FIND_COUNT] = {
    "double-free",    "invalid-free", "interior-free", "realloc-freed", "mismatched-free",
    "corrupt-header", "overrun",      "corrupt-chain", "out-of-memory", "size-mismatch",
    "alignment-mismatch", "use-after-free", "underrun", "access-overrun", "access-freed",
};

const char *hr_check_name(hr_check_level l)
{
    return (unsigned)l < 4 ? check_names[l] : "?";
}

int hr_check_from_name(const char *name, hr_check_level *out)
{
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(name, check_names[i]) == 0) {
            *out = (hr_check_level)i;
            return 0;
        }
    }
    return -1;
}

const char *hr_finding_name(hr_finding_kind k)
{
    return (unsigned)k < HR_FIND_COUNT ? finding_names[k] : "?";
}

int hr_finding_is_damage(hr_finding_kind k)
{
    return k == HR_FIND_CORRUPT_HEADER || k == HR_FIND_OVERRUN || k == HR_FIND_CORRUPT_CHAIN ||
           k == HR_FIND_USE_AFTER_FREE || k == HR_FIND_UNDERRUN;
}

void hr_replay_add_finding(hr_replay *r, const hr_finding *f)
{
    r->res.findings[f->kind]++;
    r->res.findings_total++;
    if (r->o.stop_on_error)
        r->stop = 1;
    if (r->nfind >= r->o.max_findings)
        return;
    if (r->nfind == r->capfind) {
        size_t cap = r->capfind ? r->capfind * 2 : 16;
        hr_finding *n = realloc(r->findings, cap * sizeof *n);
        if (!n)
            return; /* counted, not kept */
        r->findings = n;
        r->capfind = cap;
    }
    r->findings[r->nfind++] = *f;
}

void hr_finding_with_alloc(hr_finding *f, const hr_live *e)
{
    f->block = e->ptr;
    f->size = e->size;
    f->alloc_seq = e->seq;
    f->alloc_stack = e->stack;
    f->alloc_thread = e->thread;
    f->alloc_kind = e->kind;
}

void hr_finding_with_free(hr_finding *f, const hr_live *e)
{
    f->free_seq = e->u.f.seq;
    f->free_stack = e->u.f.stack;
    f->free_thread = e->u.f.thread;
    f->free_kind = e->u.f.kind;
}
