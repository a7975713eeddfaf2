/* SPDX-License-Identifier: MIT */
/* The heaprr LTTng-UST tracepoint provider: one event per allocation entry point (heaprr:malloc,
 * ..., heaprr:new_array, heaprr:delete_array), all with the same fields: pointer, old pointer,
 * size, count, alignment, whether the call failed and its errno, and the backtrace as a sequence
 * of return addresses. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER heaprr

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./heaprr-tp.h"

#if !defined(HEAPRR_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define HEAPRR_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

LTTNG_UST_TRACEPOINT_EVENT_CLASS(heaprr, call,
    LTTNG_UST_TP_ARGS(uint64_t, ptr, uint64_t, old_ptr, uint64_t, size, uint64_t, count, uint64_t, align,
                      uint32_t, failed, uint32_t, err, const uint64_t *, stack, uint32_t, depth),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer_hex(uint64_t, ptr, ptr)
        lttng_ust_field_integer_hex(uint64_t, old_ptr, old_ptr)
        lttng_ust_field_integer(uint64_t, size, size)
        lttng_ust_field_integer(uint64_t, count, count)
        lttng_ust_field_integer(uint64_t, align, align)
        lttng_ust_field_integer(uint32_t, failed, failed)
        lttng_ust_field_integer(uint32_t, err, err) /* not "errno": a macro */
        lttng_ust_field_sequence_hex(uint64_t, stack, stack, uint32_t, depth)))

#define HEAPRR_TP_KIND(name)                                                                        \
    LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(heaprr, call, heaprr, name,                                 \
        LTTNG_UST_TP_ARGS(uint64_t, ptr, uint64_t, old_ptr, uint64_t, size, uint64_t, count,        \
                          uint64_t, align, uint32_t, failed, uint32_t, err, const uint64_t *, stack, \
                          uint32_t, depth))

HEAPRR_TP_KIND(malloc)
HEAPRR_TP_KIND(calloc)
HEAPRR_TP_KIND(realloc)
HEAPRR_TP_KIND(reallocarray)
HEAPRR_TP_KIND(free)
HEAPRR_TP_KIND(memalign)
HEAPRR_TP_KIND(posix_memalign)
HEAPRR_TP_KIND(aligned_alloc)
HEAPRR_TP_KIND(valloc)
HEAPRR_TP_KIND(pvalloc)
HEAPRR_TP_KIND(new)
HEAPRR_TP_KIND(new_array)
HEAPRR_TP_KIND(delete)
HEAPRR_TP_KIND(delete_array)

#endif

#include <lttng/tracepoint-event.h>
