/* SPDX-License-Identifier: MIT */
/* The reader's tables: stack nodes, threads and modules, filled from the records as they stream
 * by and checked so that no record refers to something the trace never defined. */
#ifndef HEAPRR_READER_TABLES_H
#define HEAPRR_READER_TABLES_H

#include <heaprr/format.h>

typedef struct hr_rthread {
    uint32_t tid;
    int started;
    char *name;
    size_t name_len;
} hr_rthread;

typedef struct hr_rmodule {
    hr_module_info info; /* strings owned by the table */
    int present, unloaded;
} hr_rmodule;

typedef struct hr_rtables {
    uint64_t *node_parent, *node_ip;
    size_t node_cap;
    uint64_t nodes;
    hr_rthread *threads;
    size_t thread_cap;
    uint32_t thread_count;
    hr_rmodule *modules;
    size_t module_cap;
    uint64_t module_limit, module_count;
} hr_rtables;

void hr_rtables_free(hr_rtables *t);
/* Each returns 0, HR_ERR_NOMEM, or HR_ERR_CORRUPT with *why set. */
int hr_rtables_add_node(hr_rtables *t, uint64_t id, uint64_t parent, uint64_t ip, const char **why);
int hr_rtables_apply(hr_rtables *t, const hr_record *rec, const char **why);
/* Checks the references of an event (thread, stack). */
int hr_rtables_check_event(const hr_rtables *t, const hr_record *rec, const char **why);

#endif
