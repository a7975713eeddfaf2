/* SPDX-License-Identifier: MIT */
/* heaprr import --from ctf (include/heaprr/ctf.h): babeltrace2's source.ctf.fs and muxer feed a
 * sink component of ours, which writes a .hrr trace: heaprr:<kind> events (from heaprr's LTTng-UST
 * provider or a CTF export), the events of LTTng-UST's libc wrapper (lttng_ust_libc:*, their ip
 * context as a one-frame stack), and modules from the statedump and dl events. */
#define _GNU_SOURCE
#include "bt-error.h"

#include <heaprr/ctf.h>
#include <heaprr/writer.h>

#include <babeltrace2/babeltrace.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STACK 256
#define MAX_THREADS 65536
#define MAX_MODULES 65536

typedef struct imp {
    hr_writer *w;
    bt_message_iterator *it;
    uint64_t seq;
    int64_t first_ns;
    int have_first;
    uint64_t tids[MAX_THREADS]; /* thread index - 1 -> tid */
    uint32_t tid_slots[2 * MAX_THREADS]; /* tid -> thread index, open addressing (0: empty) */
    uint32_t nthreads;
    uint64_t mod_base[MAX_MODULES];
    uint32_t nmods;
    hr_ctf_counts *c;
    int failed;
    char why[256];
} imp;

static void fail(imp *im, const char *what)
{
    if (!im->failed)
        snprintf(im->why, sizeof im->why, "%s", what);
    im->failed = 1;
}

/* An integer member of a structure field (signed ones taken as they are). 0, or -1 if absent. */
static int get_u64(const bt_field *st, const char *name, uint64_t *out)
{
    if (!st)
        return -1;
    const bt_field *f = bt_field_structure_borrow_member_field_by_name_const(st, name);
    if (!f)
        return -1;
    bt_field_class_type t = bt_field_get_class_type(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
        *out = bt_field_integer_unsigned_get_value(f);
    else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
        *out = (uint64_t)bt_field_integer_signed_get_value(f);
    else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_BOOL))
        *out = bt_field_bool_get_value(f);
    else
        return -1;
    return 0;
}

static uint64_t u64_or(const bt_field *st, const char *name, uint64_t dflt)
{
    uint64_t v;
    return get_u64(st, name, &v) == 0 ? v : dflt;
}

static const char *get_str(const bt_field *st, const char *name)
{
    const bt_field *f = st ? bt_field_structure_borrow_member_field_by_name_const(st, name) : NULL;
    return f && bt_field_class_type_is(bt_field_get_class_type(f), BT_FIELD_CLASS_TYPE_STRING)
               ? bt_field_string_get_value(f)
               : NULL;
}

/* The thread index of tid, its THREAD_START written on first sight. */
static uint32_t thread_of(imp *im, uint64_t tid, uint64_t time)
{
    size_t k = (size_t)((tid * 0x9E3779B97F4A7C15ull) >> 47); /* 17 bits: 2 * MAX_THREADS slots */
    for (; im->tid_slots[k]; k = (k + 1) % (2 * MAX_THREADS))
        if (im->tids[im->tid_slots[k] - 1] == tid)
            return im->tid_slots[k];
    if (im->nthreads == MAX_THREADS)
        return 1;
    im->tids[im->nthreads++] = tid;
    im->tid_slots[k] = im->nthreads;
    hr_record r;
    memset(&r, 0, sizeof r);
    r.thread = im->nthreads;
    r.seq = im->seq++;
    r.time_ns = time;
    r.u.thread.index = im->nthreads;
    r.u.thread.tid = (uint32_t)tid;
    if (hr_writer_ordered(im->w, HR_REC_THREAD_START, &r) < 0)
        fail(im, "cannot write the trace");
    return im->nthreads;
}

static void module_load(imp *im, const bt_field *p, uint32_t thread, uint64_t time)
{
    uint64_t base, size, pic = 1;
    const char *path = get_str(p, "path");
    if (get_u64(p, "baddr", &base) < 0 || get_u64(p, "memsz", &size) < 0 || !path || im->nmods == MAX_MODULES)
        return;
    get_u64(p, "is_pic", &pic);
    hr_record r;
    memset(&r, 0, sizeof r);
    r.thread = thread;
    r.seq = im->seq++;
    r.time_ns = time;
    r.u.module = (hr_module_info){im->nmods, pic ? base : 0, base, base + size, {"", 0}, {path, strlen(path)}};
    im->mod_base[im->nmods++] = base;
    if (hr_writer_ordered(im->w, HR_REC_MODULE_LOAD, &r) < 0)
        fail(im, "cannot write the trace");
    im->c->modules++;
}

static void module_unload(imp *im, const bt_field *p, uint32_t thread, uint64_t time)
{
    uint64_t base;
    if (get_u64(p, "baddr", &base) < 0)
        return;
    for (uint32_t id = im->nmods; id-- > 0;) {
        if (im->mod_base[id] != base)
            continue;
        hr_record r;
        memset(&r, 0, sizeof r);
        r.thread = thread;
        r.seq = im->seq++;
        r.time_ns = time;
        r.u.module.id = id;
        im->mod_base[id] = UINT64_MAX;
        if (hr_writer_ordered(im->w, HR_REC_MODULE_UNLOAD, &r) < 0)
            fail(im, "cannot write the trace");
        return;
    }
}

/* The stack of an event: its "stack" payload array, else its "ip" context as one frame. */
static uint64_t stack_of(imp *im, const bt_field *p, const bt_field *ctx)
{
    uint64_t ips[MAX_STACK], path[MAX_STACK], id = 0;
    size_t n = 0;
    const bt_field *arr = p ? bt_field_structure_borrow_member_field_by_name_const(p, "stack") : NULL;
    if (arr && bt_field_class_type_is(bt_field_get_class_type(arr), BT_FIELD_CLASS_TYPE_ARRAY)) {
        uint64_t len = bt_field_array_get_length(arr);
        for (uint64_t i = 0; i < len && n < MAX_STACK; i++) {
            const bt_field *e = bt_field_array_borrow_element_field_by_index_const(arr, i);
            if (bt_field_class_type_is(bt_field_get_class_type(e), BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
                ips[n++] = bt_field_integer_unsigned_get_value(e);
        }
    } else if (get_u64(ctx, "ip", &ips[0]) == 0) {
        n = 1;
    }
    if (n && hr_writer_intern(im->w, ips, (uint32_t)n, 0, path, &id) < 0)
        fail(im, "cannot write the trace");
    return id;
}

/* The hr_event of an lttng_ust_libc event; 0 if the name is not one of them. */
static int libc_event(const char *name, const bt_field *p, hr_event *ev)
{
    if (strcmp(name, "malloc") == 0)
        *ev = (hr_event){.kind = HR_MALLOC, .ptr = u64_or(p, "ptr", 0), .size = u64_or(p, "size", 0)};
    else if (strcmp(name, "calloc") == 0)
        *ev = (hr_event){.kind = HR_CALLOC, .ptr = u64_or(p, "ptr", 0), .size = u64_or(p, "size", 0),
                         .count = u64_or(p, "nmemb", 0)};
    else if (strcmp(name, "realloc") == 0)
        *ev = (hr_event){.kind = HR_REALLOC, .ptr = u64_or(p, "ptr", 0), .old_ptr = u64_or(p, "in_ptr", 0),
                         .size = u64_or(p, "size", 0)};
    else if (strcmp(name, "free") == 0)
        *ev = (hr_event){.kind = HR_FREE, .ptr = u64_or(p, "ptr", 0)};
    else if (strcmp(name, "memalign") == 0)
        *ev = (hr_event){.kind = HR_MEMALIGN, .ptr = u64_or(p, "ptr", 0), .size = u64_or(p, "size", 0),
                         .align = u64_or(p, "alignment", 0)};
    else if (strcmp(name, "posix_memalign") == 0) {
        *ev = (hr_event){.kind = HR_POSIX_MEMALIGN, .ptr = u64_or(p, "out_ptr", 0), .size = u64_or(p, "size", 0),
                         .align = u64_or(p, "alignment", 0)};
        if (u64_or(p, "result", 0)) {
            ev->xflags = HR_XF_FAILED;
            ev->err = u64_or(p, "result", 0);
            ev->ptr = 0;
        }
        return 1;
    } else
        return 0;
    if (!hr_kind_is_free(ev->kind) && !ev->ptr && !(ev->kind == HR_REALLOC && ev->old_ptr && !ev->size)) {
        ev->xflags = HR_XF_FAILED; /* no block: the call failed */
        ev->err = ENOMEM;
    }
    return 1;
}

static int heaprr_event(const char *name, const bt_field *p, hr_event *ev)
{
    /* tracepoint names cannot hold brackets: new_array and delete_array are new[] and delete[] */
    hr_kind k = strcmp(name, "new_array") == 0      ? HR_NEW_ARRAY
                : strcmp(name, "delete_array") == 0 ? HR_DELETE_ARRAY
                                                    : hr_kind_from_name(name);
    if (k == HR_KIND_NONE)
        return 0;
    *ev = (hr_event){.kind = k, .ptr = u64_or(p, "ptr", 0), .old_ptr = u64_or(p, "old_ptr", 0),
                     .size = u64_or(p, "size", 0), .count = u64_or(p, "count", 0), .align = u64_or(p, "align", 0)};
    if (u64_or(p, "failed", 0)) {
        ev->xflags = HR_XF_FAILED;
        ev->err = u64_or(p, "errno", u64_or(p, "err", ENOMEM)); /* our CTF export, our tracepoints */
    }
    return 1;
}

static void event(imp *im, const bt_message *msg)
{
    const bt_event *e = bt_message_event_borrow_event_const(msg);
    const char *name = bt_event_class_get_name(bt_event_borrow_class_const(e));
    const bt_field *p = bt_event_borrow_payload_field_const(e), *ctx = bt_event_borrow_common_context_field_const(e);
    int64_t ns = 0;
    const bt_clock_snapshot *snap = bt_message_event_borrow_default_clock_snapshot_const(msg);
    if (snap && bt_clock_snapshot_get_ns_from_origin(snap, &ns) != BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK)
        ns = 0;
    if (!im->have_first) {
        im->first_ns = ns;
        im->have_first = 1;
    }
    uint64_t time = ns > im->first_ns ? (uint64_t)(ns - im->first_ns) / 1000 : 0;
    if (!name)
        return;
    uint64_t tid = u64_or(ctx, "vtid", u64_or(p, "tid", 0));
    uint32_t thread = thread_of(im, tid, time);
    hr_event ev;
    int known = 0;
    if (strncmp(name, "heaprr:", 7) == 0)
        known = heaprr_event(name + 7, p, &ev);
    else if (strncmp(name, "lttng_ust_libc:", 15) == 0)
        known = libc_event(name + 15, p, &ev);
    else if (strcmp(name, "lttng_ust_statedump:bin_info") == 0 || strcmp(name, "lttng_ust_dl:dlopen") == 0)
        return module_load(im, p, thread, time);
    else if (strcmp(name, "lttng_ust_dl:dlclose") == 0)
        return module_unload(im, p, thread, time);
    if (!known) {
        im->c->skipped++;
        return;
    }
    ev.stack = stack_of(im, p, ctx);
    if (hr_writer_event(im->w, thread, im->seq++, time, &ev) < 0)
        fail(im, "cannot write the trace");
    im->c->events++;
}

static bt_component_class_sink_consume_method_status consume(bt_self_component_sink *self)
{
    imp *im = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));
    bt_message_array_const msgs;
    uint64_t n;
    switch (bt_message_iterator_next(im->it, &msgs, &n)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END: return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN: return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK: break;
    default: return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (bt_message_get_type(msgs[i]) == BT_MESSAGE_TYPE_EVENT && !im->failed)
            event(im, msgs[i]);
        bt_message_put_ref(msgs[i]);
    }
    return im->failed ? BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR
                      : BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_OK;
}

static bt_component_class_initialize_method_status sink_init(bt_self_component_sink *self,
                                                             bt_self_component_sink_configuration *config,
                                                             const bt_value *params, void *data)
{
    (void)config;
    (void)params;
    bt_self_component_set_data(bt_self_component_sink_as_self_component(self), data);
    return bt_self_component_sink_add_input_port(self, "in", NULL, NULL) == BT_SELF_COMPONENT_ADD_PORT_STATUS_OK
               ? BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_OK
               : BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
}

static bt_component_class_sink_graph_is_configured_method_status configured(bt_self_component_sink *self)
{
    imp *im = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));
    bt_self_component_port_input *port = bt_self_component_sink_borrow_input_port_by_index(self, 0);
    return bt_message_iterator_create_from_sink_component(self, port, &im->it) ==
                   BT_MESSAGE_ITERATOR_CREATE_FROM_SINK_COMPONENT_STATUS_OK
               ? BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_OK
               : BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_ERROR;
}

static void sink_fini(bt_self_component_sink *self)
{
    imp *im = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));
    if (im && im->it) {
        bt_message_iterator_put_ref(im->it);
        im->it = NULL;
    }
}

static int write_start(imp *im, const char *dir)
{
    char exe[512];
    snprintf(exe, sizeof exe, "ctf:%s", dir);
    return hr_writer_begin_import(im->w, exe, "heaprr import --from ctf", MAX_STACK);
}

/* The folders under root that hold a CTF trace (a file named "metadata"), added to inputs. */
static bt_value *found_inputs;
static int found_count;

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    if (type != FTW_F || strcmp(path + ftw->base, "metadata") != 0)
        return 0;
    char *dir = strndup(path, (size_t)ftw->base - 1);
    if (!dir || bt_value_array_append_string_element(found_inputs, dir) != 0) {
        free(dir);
        return -1;
    }
    free(dir);
    found_count++;
    return 0;
}

static int find_traces(const char *root, bt_value *inputs)
{
    found_inputs = inputs;
    found_count = 0;
    if (nftw(root, visit, 16, FTW_PHYS) != 0)
        return -1;
    return found_count;
}

/* Builds source.ctf.fs -> filter.utils.muxer -> our sink. */
static int build(bt_graph *g, const char *dir, imp *im, char *why, size_t why_size)
{
    const bt_plugin *ctf = NULL, *utils = NULL;
    int rc = -1;
    bt_value *src_params = bt_value_map_create();
    bt_value *inputs = NULL;
    bt_component_class_sink *sink_cls = bt_component_class_sink_create("heaprr-import", consume);
    const bt_component_source *src;
    const bt_component_filter *mux;
    const bt_component_sink *sink;
    if (!src_params || !sink_cls || bt_value_map_insert_empty_array_entry(src_params, "inputs", &inputs) != 0) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    int traces = find_traces(dir, inputs);
    if (traces <= 0) {
        snprintf(why, why_size, "%s: %s", dir, traces < 0 ? strerror(errno) : "no CTF trace in it (no metadata file)");
        goto out;
    }
    bt_component_class_sink_set_initialize_method(sink_cls, sink_init);
    bt_component_class_sink_set_graph_is_configured_method(sink_cls, configured);
    bt_component_class_sink_set_finalize_method(sink_cls, sink_fini);
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &ctf) != BT_PLUGIN_FIND_STATUS_OK ||
        bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &utils) != BT_PLUGIN_FIND_STATUS_OK) {
        hr_bt_error_line("babeltrace2's ctf and utils plugins were not found (install babeltrace2)", why, why_size);
        goto out;
    }
    if (bt_graph_add_source_component(g, bt_plugin_borrow_source_component_class_by_name_const(ctf, "fs"), "ctf",
                                      src_params, BT_LOGGING_LEVEL_NONE, &src) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        hr_bt_error_line(dir, why, why_size);
        goto out;
    }
    if (bt_graph_add_filter_component(g, bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer"), "mux",
                                      NULL, BT_LOGGING_LEVEL_NONE, &mux) != BT_GRAPH_ADD_COMPONENT_STATUS_OK ||
        bt_graph_add_sink_component_with_initialize_method_data(g, sink_cls, "heaprr", NULL, im,
                                                                BT_LOGGING_LEVEL_NONE,
                                                                &sink) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        hr_bt_error_line("cannot build the babeltrace2 graph", why, why_size);
        goto out;
    }
    uint64_t nout = bt_component_source_get_output_port_count(src);
    for (uint64_t i = 0; i < nout; i++)
        if (bt_graph_connect_ports(g, bt_component_source_borrow_output_port_by_index_const(src, i),
                                   bt_component_filter_borrow_input_port_by_index_const(mux, i),
                                   NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
            hr_bt_error_line("cannot connect the babeltrace2 graph", why, why_size);
            goto out;
        }
    if (bt_graph_connect_ports(g, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                               bt_component_sink_borrow_input_port_by_index_const(sink, 0),
                               NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        hr_bt_error_line("cannot connect the babeltrace2 graph", why, why_size);
        goto out;
    }
    rc = 0;
out:
    bt_value_put_ref(src_params);
    bt_component_class_sink_put_ref(sink_cls);
    bt_plugin_put_ref(ctf);
    bt_plugin_put_ref(utils);
    return rc;
}

int hr_ctf_import(const char *dir, int out_fd, hr_ctf_counts *counts, char *why, size_t why_size)
{
    memset(counts, 0, sizeof *counts);
    imp *im = calloc(1, sizeof *im);
    hr_writer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fd = out_fd;
    if (!im || hr_writer_create(&im->w, &cfg) < 0) {
        snprintf(why, why_size, "out of memory");
        free(im);
        return -1;
    }
    im->seq = 1;
    im->c = counts;
    bt_graph *g = bt_graph_create(0);
    int rc = g && write_start(im, dir) == 0 ? build(g, dir, im, why, why_size) : -1;
    if (rc == 0) {
        bt_graph_run_status st;
        while ((st = bt_graph_run(g)) == BT_GRAPH_RUN_STATUS_AGAIN)
            ;
        if (st != BT_GRAPH_RUN_STATUS_OK) {
            if (im->failed)
                snprintf(why, why_size, "%s", im->why);
            else
                hr_bt_error_line(dir, why, why_size);
            rc = -1;
        }
    } else if (!g) {
        snprintf(why, why_size, "out of memory");
    }
    bt_graph_put_ref(g);
    if (rc == 0 && hr_writer_finish(im->w) < 0) {
        snprintf(why, why_size, "cannot write the trace");
        rc = -1;
    }
    hr_writer_destroy(im->w);
    free(im);
    return rc;
}
