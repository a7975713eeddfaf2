/* SPDX-License-Identifier: MIT */
/* babeltrace-plugin-heaprr.so: source.heaprr.trace for babeltrace2 (source.h). With
 *   babeltrace2 --plugin-path=DIR FILE.hrr                 one line per allocation event
 *   babeltrace2 --plugin-path=DIR FILE.hrr -o ctf -w OUT   a CTF trace for Trace Compass */
#include "source.h"

BT_PLUGIN_MODULE();

BT_PLUGIN(heaprr);
BT_PLUGIN_DESCRIPTION("heaprr heap allocation traces (.hrr)");
BT_PLUGIN_AUTHOR("heaprr");
BT_PLUGIN_LICENSE("MIT");

BT_PLUGIN_SOURCE_COMPONENT_CLASS(trace, hr_ctf_iter_next);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_DESCRIPTION(trace, "Read a heaprr trace: one heaprr:<kind> event per allocation call");
BT_PLUGIN_SOURCE_COMPONENT_CLASS_INITIALIZE_METHOD(trace, hr_ctf_src_init);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_FINALIZE_METHOD(trace, hr_ctf_src_fini);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_QUERY_METHOD(trace, hr_ctf_src_query);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD(trace, hr_ctf_iter_init);
BT_PLUGIN_SOURCE_COMPONENT_CLASS_MESSAGE_ITERATOR_CLASS_FINALIZE_METHOD(trace, hr_ctf_iter_fini);
