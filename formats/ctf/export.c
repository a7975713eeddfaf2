/* SPDX-License-Identifier: MIT */
/* heaprr export --to ctf (include/heaprr/ctf.h): a babeltrace2 graph of our source component
 * class, made here with the component class API, and sink.ctf.fs. */
#include "bt-error.h"
#include "source.h"

#include <heaprr/ctf.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const bt_component_class_source *source_class(void)
{
    bt_message_iterator_class *ic = bt_message_iterator_class_create(hr_ctf_iter_next);
    if (!ic)
        return NULL;
    bt_message_iterator_class_set_initialize_method(ic, hr_ctf_iter_init);
    bt_message_iterator_class_set_finalize_method(ic, hr_ctf_iter_fini);
    bt_component_class_source *cls = bt_component_class_source_create("trace", ic);
    bt_message_iterator_class_put_ref(ic);
    if (!cls)
        return NULL;
    bt_component_class_source_set_initialize_method(cls, hr_ctf_src_init);
    bt_component_class_source_set_finalize_method(cls, hr_ctf_src_fini);
    bt_component_class_source_set_query_method(cls, hr_ctf_src_query);
    return cls; /* the same object, seen as const */
}

static bt_value *map_with_string(const char *key, const char *value)
{
    bt_value *m = bt_value_map_create();
    if (m && bt_value_map_insert_string_entry(m, key, value) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK) {
        bt_value_put_ref(m);
        return NULL;
    }
    return m;
}

int hr_ctf_export(const char *trace, const char *outdir, char *why, size_t why_size)
{
    struct stat sb;
    if (lstat(outdir, &sb) == 0) { /* sink.ctf.fs writes one trace into a folder it makes */
        snprintf(why, why_size, "%s: already exists (the CTF trace goes into a new folder)", outdir);
        return -1;
    }
    int rc = -1;
    const bt_plugin *ctf = NULL;
    const bt_component_class_source *src_cls = source_class();
    bt_graph *g = bt_graph_create(0);
    bt_value *src_params = map_with_string("path", trace), *sink_params = map_with_string("path", outdir);
    const bt_component_source *src = NULL;
    const bt_component_sink *sink = NULL;
    if (!src_cls || !g || !src_params || !sink_params ||
        bt_value_map_insert_bool_entry(sink_params, "assume-single-trace", BT_TRUE) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &ctf) != BT_PLUGIN_FIND_STATUS_OK) {
        hr_bt_error_line("babeltrace2's ctf plugin was not found (install babeltrace2)", why, why_size);
        goto out;
    }
    const bt_component_class_sink *sink_cls = bt_plugin_borrow_sink_component_class_by_name_const(ctf, "fs");
    if (!sink_cls ||
        bt_graph_add_source_component(g, src_cls, "heaprr", src_params, BT_LOGGING_LEVEL_NONE, &src) !=
            BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        hr_bt_error_line(trace, why, why_size);
        goto out;
    }
    if (bt_graph_add_sink_component(g, sink_cls, "ctf", sink_params, BT_LOGGING_LEVEL_NONE, &sink) !=
        BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        hr_bt_error_line(outdir, why, why_size);
        goto out;
    }
    if (bt_graph_connect_ports(g, bt_component_source_borrow_output_port_by_index_const(src, 0),
                               bt_component_sink_borrow_input_port_by_index_const(sink, 0),
                               NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        hr_bt_error_line("cannot connect the graph", why, why_size);
        goto out;
    }
    bt_graph_run_status st;
    while ((st = bt_graph_run(g)) == BT_GRAPH_RUN_STATUS_AGAIN)
        ;
    if (st != BT_GRAPH_RUN_STATUS_OK) {
        hr_bt_error_line(trace, why, why_size);
        goto out;
    }
    rc = 0;
out:
    bt_graph_put_ref(g);
    bt_value_put_ref(src_params);
    bt_value_put_ref(sink_params);
    bt_plugin_put_ref(ctf);
    bt_component_class_source_put_ref(src_cls);
    return rc;
}
