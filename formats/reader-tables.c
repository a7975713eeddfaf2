/* SPDX-License-Identifier: MIT */
/* Stack node, thread and module tables of the reader (see reader-tables.h). */
#include "reader-tables.h"

#include <stdlib.h>
#include <string.h>

/* Thread indexes and module ids are handed out before the records that announce them are
 * ordered, so they may arrive slightly out of order; a bounded gap keeps a damaged file from
 * making the tables huge. */
#define ID_GAP 65536

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need < *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n <= need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return HR_ERR_NOMEM;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return 0;
}

void hr_rtables_free(hr_rtables *t)
{
    for (size_t i = 0; i < t->thread_cap; i++)
        free(t->threads[i].name);
    for (size_t i = 0; i < t->module_cap; i++) {
        free((void *)t->modules[i].info.path.ptr);
        free((void *)t->modules[i].info.build_id.ptr);
    }
    free(t->threads);
    free(t->modules);
    free(t->node_parent);
    free(t->node_ip);
    memset(t, 0, sizeof *t);
}

int hr_rtables_add_node(hr_rtables *t, uint64_t id, uint64_t parent, uint64_t ip, const char **why)
{
    if (id != t->nodes + 1 || parent >= id) {
        *why = "expected stack nodes numbered in order with earlier parents";
        return HR_ERR_CORRUPT;
    }
    size_t cap = t->node_cap;
    if (grow((void **)&t->node_parent, &cap, (size_t)id, sizeof(uint64_t)) < 0)
        return HR_ERR_NOMEM;
    cap = t->node_cap;
    if (grow((void **)&t->node_ip, &cap, (size_t)id, sizeof(uint64_t)) < 0)
        return HR_ERR_NOMEM;
    t->node_cap = cap;
    t->node_parent[id] = parent;
    t->node_ip[id] = ip;
    t->nodes = id;
    return 0;
}

static int dup_str(hr_str in, char **out, size_t *len)
{
    char *p = malloc(in.len + 1);
    if (!p)
        return HR_ERR_NOMEM;
    if (in.len)
        memcpy(p, in.ptr, in.len);
    p[in.len] = 0;
    free(*out);
    *out = p;
    *len = in.len;
    return 0;
}

static hr_rthread *thread_at(hr_rtables *t, uint32_t index, int create, const char **why)
{
    if (index == 0 || index > (uint64_t)t->thread_count + ID_GAP) {
        *why = "expected a thread index announced by a thread-start record";
        return NULL;
    }
    if (create && grow((void **)&t->threads, &t->thread_cap, index, sizeof *t->threads) < 0) {
        *why = NULL;
        return NULL;
    }
    if (index >= t->thread_cap || (!create && !t->threads[index].started)) {
        *why = "expected a thread index announced by a thread-start record";
        return NULL;
    }
    return &t->threads[index];
}

static int apply_thread(hr_rtables *t, const hr_record *r, const char **why)
{
    int start = r->type == HR_REC_THREAD_START;
    hr_rthread *th = thread_at(t, r->u.thread.index, start, why);
    if (!th)
        return *why ? HR_ERR_CORRUPT : HR_ERR_NOMEM;
    if (start) {
        if (th->started) {
            *why = "expected each thread index to start once";
            return HR_ERR_CORRUPT;
        }
        th->started = 1;
        th->tid = r->u.thread.tid;
        t->thread_count++;
    }
    if (r->type != HR_REC_THREAD_END)
        return dup_str(r->u.thread.name, &th->name, &th->name_len);
    return 0;
}

static int apply_module(hr_rtables *t, const hr_record *r, const char **why)
{
    uint64_t id = r->u.module.id;
    if (id >= t->module_count + ID_GAP) {
        *why = "expected module ids handed out in order";
        return HR_ERR_CORRUPT;
    }
    if (r->type == HR_REC_MODULE_UNLOAD) {
        if (id >= t->module_cap || !t->modules[id].present || t->modules[id].unloaded) {
            *why = "expected an unload of a loaded module";
            return HR_ERR_CORRUPT;
        }
        t->modules[id].unloaded = 1;
        return 0;
    }
    if (grow((void **)&t->modules, &t->module_cap, (size_t)id, sizeof *t->modules) < 0)
        return HR_ERR_NOMEM;
    hr_rmodule *m = &t->modules[id];
    if (m->present) {
        *why = "expected each module id to be loaded once";
        return HR_ERR_CORRUPT;
    }
    char *path = NULL, *bid = NULL;
    size_t plen, blen;
    if (dup_str(r->u.module.path, &path, &plen) < 0 || dup_str(r->u.module.build_id, &bid, &blen) < 0) {
        free(path);
        return HR_ERR_NOMEM;
    }
    m->info = r->u.module;
    m->info.path = (hr_str){path, plen};
    m->info.build_id = (hr_str){bid, blen};
    m->present = 1;
    t->module_count++;
    if (id + 1 > t->module_limit)
        t->module_limit = id + 1;
    return 0;
}

int hr_rtables_apply(hr_rtables *t, const hr_record *r, const char **why)
{
    switch (r->type) {
    case HR_REC_STACK_NODE: return hr_rtables_add_node(t, r->u.node.id, r->u.node.parent, r->u.node.ip, why);
    case HR_REC_THREAD_START:
    case HR_REC_THREAD_NAME:
    case HR_REC_THREAD_END: return apply_thread(t, r, why);
    case HR_REC_MODULE_LOAD:
    case HR_REC_MODULE_UNLOAD: return apply_module(t, r, why);
    case HR_REC_EVENT: return hr_rtables_check_event(t, r, why);
    case HR_REC_ACCESS:
        if (r->u.access.stack > t->nodes) {
            *why = "expected an access record's stack id defined by an earlier stack-node record";
            return HR_ERR_CORRUPT;
        }
        return 0;
    default: return 0;
    }
}

int hr_rtables_check_event(const hr_rtables *t, const hr_record *r, const char **why)
{
    uint32_t idx = r->thread;
    if (idx == 0 || idx >= t->thread_cap || !t->threads[idx].started) {
        *why = "expected an event from a thread announced by a thread-start record";
        return HR_ERR_CORRUPT;
    }
    if (r->u.event.stack > t->nodes) {
        *why = "expected a stack id defined by an earlier stack-node record";
        return HR_ERR_CORRUPT;
    }
    return 0;
}
