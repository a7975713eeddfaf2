/* SPDX-License-Identifier: MIT */
/* What a writer refuses so that every trace it writes reads back: the reader's rules on thread
 * indexes and module ids (reader-tables.c), applied before a record is encoded. A recorder never
 * breaks them; data recovered from a damaged staging file may, and such records are dropped. */
#include "internal.h"

#define ID_GAP 65536 /* the reader's bound on ids handed out ahead of their records */

void hr_rules_init(hr_rules *r, const hr_alloc *a)
{
    memset(r, 0, sizeof *r);
    r->alloc = a;
}

void hr_rules_free(hr_rules *r)
{
    if (r->threads)
        r->alloc->free(r->alloc->opaque, r->threads);
    if (r->modules)
        r->alloc->free(r->alloc->opaque, r->modules);
    r->threads = r->modules = NULL;
}

/* Makes (*arr)[need] addressable (zero-filled growth). */
static int grow(const hr_alloc *a, uint8_t **arr, size_t *cap, uint64_t need)
{
    if (need < *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n <= need)
        n *= 2;
    uint8_t *p = hr_alloc_zeroed(a, n);
    if (!p)
        return HR_ERR_NOMEM;
    if (*cap)
        memcpy(p, *arr, *cap);
    if (*arr)
        a->free(a->opaque, *arr);
    *arr = p;
    *cap = n;
    return 0;
}

int hr_rules_thread_known(const hr_rules *r, uint32_t index)
{
    return index && index < r->thread_cap && r->threads[index];
}

int hr_rules_typed(hr_rules *r, unsigned type, const hr_record *rec)
{
    uint32_t idx = rec->u.thread.index;
    uint64_t id = rec->u.module.id;
    switch (type) {
    case HR_REC_THREAD_START:
        HR_RETURN_IF(idx == 0 || idx > (uint64_t)r->thread_count + ID_GAP, HR_ERR_ARG);
        HR_FORWARD(grow(r->alloc, &r->threads, &r->thread_cap, idx));
        HR_RETURN_IF(r->threads[idx], HR_ERR_ARG);
        r->threads[idx] = 1;
        r->thread_count++;
        return 0;
    case HR_REC_THREAD_NAME:
    case HR_REC_THREAD_END: return hr_rules_thread_known(r, idx) ? 0 : HR_ERR_ARG;
    case HR_REC_MODULE_LOAD:
        HR_RETURN_IF(id >= r->module_count + ID_GAP, HR_ERR_ARG);
        HR_FORWARD(grow(r->alloc, &r->modules, &r->module_cap, id));
        HR_RETURN_IF(r->modules[id], HR_ERR_ARG);
        r->modules[id] = 1;
        r->module_count++;
        return 0;
    case HR_REC_MODULE_UNLOAD:
        HR_RETURN_IF(id >= r->module_cap || r->modules[id] != 1, HR_ERR_ARG);
        r->modules[id] = 2;
        return 0;
    default: return 0;
    }
}

/* A writer resuming a trace learns what the trace already holds. */
int hr_rules_learn(hr_rules *r, const hr_record *rec)
{
    if (rec->type == HR_REC_THREAD_START || rec->type == HR_REC_THREAD_NAME || rec->type == HR_REC_THREAD_END ||
        rec->type == HR_REC_MODULE_LOAD || rec->type == HR_REC_MODULE_UNLOAD) {
        int rc = hr_rules_typed(r, rec->type, rec);
        return rc == HR_ERR_NOMEM ? rc : 0;
    }
    return 0;
}
