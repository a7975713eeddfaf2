/* SPDX-License-Identifier: MIT */
/* babeltrace2's errors as the one line heaprr prints. */
#ifndef HEAPRR_CTF_BT_ERROR_H
#define HEAPRR_CTF_BT_ERROR_H

#include <stddef.h>

/* "what: cause" from the current thread's babeltrace2 error (its root cause), which is cleared. */
void hr_bt_error_line(const char *what, char *why, size_t why_size);

#endif
