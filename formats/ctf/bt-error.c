/* SPDX-License-Identifier: MIT */
/* babeltrace2's errors as one line (bt-error.h). */
#include "bt-error.h"

#include <babeltrace2/babeltrace.h>
#include <stdio.h>

void hr_bt_error_line(const char *what, char *why, size_t why_size)
{
    const bt_error *err = bt_current_thread_take_error();
    const char *msg = NULL;
    if (err && bt_error_get_cause_count(err) > 0)
        msg = bt_error_cause_get_message(bt_error_borrow_cause_by_index(err, 0));
    snprintf(why, why_size, "%s%s%s", what, msg ? ": " : "", msg ? msg : "");
    for (char *c = why; *c; c++)
        if (*c == '\n')
            *c = ' ';
    if (err)
        bt_error_release(err);
}
