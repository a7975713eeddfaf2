/* SPDX-License-Identifier: MIT */
/* The functions of include/heaprr/heaprr.h: user marks and an explicit flush. */
#include "hook-call.h"

#include <heaprr/heaprr.h>

static void stage_mark(hr_tls *t, const char *text)
{
    hr_ring_typed(t, HR_REC_MARK, NULL, text, (uint32_t)strnlen(text, 4096), NULL, 0);
}

HR_EXPORT int heaprr_mark(const char *text)
{
    if (!text || !hr_hook_enter())
        return -1;
    int saved = errno;
    hr_tls *t = hr_thread_get();
    if (t)
        stage_mark(t, text);
    hr_hook_leave(saved);
    return t ? 0 : -1;
}

HR_EXPORT int heaprr_leak_check(const char *label)
{
    return heaprr_mark(label);
}

HR_EXPORT int heaprr_flush(void)
{
    if (!hr_hook_enter())
        return -1;
    int saved = errno;
    hr_writer_sync();
    hr_hook_leave(saved);
    return 0;
}
