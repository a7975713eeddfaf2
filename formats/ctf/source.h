/* SPDX-License-Identifier: MIT */
/* source.heaprr.trace: a babeltrace2 source component class that reads a .hrr trace and emits one
 * event message per allocation call, named heaprr:<kind>, on one stream with a clock whose origin
 * is the trace's start time. The babeltrace2 plugin (plugin.c) and `heaprr export --to ctf`
 * (export.c) share it. */
#ifndef HEAPRR_CTF_SOURCE_H
#define HEAPRR_CTF_SOURCE_H

#include <babeltrace2/babeltrace.h>

bt_component_class_initialize_method_status hr_ctf_src_init(bt_self_component_source *self,
                                                            bt_self_component_source_configuration *config,
                                                            const bt_value *params, void *init_data);
void hr_ctf_src_fini(bt_self_component_source *self);
bt_component_class_query_method_status hr_ctf_src_query(bt_self_component_class_source *cls,
                                                        bt_private_query_executor *exec, const char *object,
                                                        const bt_value *params, void *data, const bt_value **result);
bt_message_iterator_class_initialize_method_status hr_ctf_iter_init(bt_self_message_iterator *self,
                                                                    bt_self_message_iterator_configuration *config,
                                                                    bt_self_component_port_output *port);
void hr_ctf_iter_fini(bt_self_message_iterator *self);
bt_message_iterator_class_next_method_status hr_ctf_iter_next(bt_self_message_iterator *self,
                                                              bt_message_array_const msgs, uint64_t capacity,
                                                              uint64_t *count);

#endif
