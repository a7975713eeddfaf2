/* SPDX-License-Identifier: MIT */
/* The probes of the heaprr tracepoint provider (heaprr-tp.h), built into libheaprr-lttng.so. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "heaprr-tp.h"
