/* SPDX-License-Identifier: MIT */
/* A call of memcpy, strcpy or another function that copies, fills or appends, which the recorder
 * caught reaching past a block's end or into a freed block (an ACCESS record, formats/SPEC.md 5.2):
 * one finding, with the call's own stack (the record holds it), the block's allocation and, for a
 * freed block, its free. The call itself changes nothing in the model. */
#include "engine.h"

#include <string.h>

int hr_replay_access(hr_replay *r, const hr_record *rec)
{
    if (r->o.check == HR_CHECK_NONE)
        return 0;
    hr_finding f;
    memset(&f, 0, sizeof f);
    const hr_live *e = hr_livemap_find(&r->live, rec->u.access.ptr);
    if (e) {
        hr_finding_with_alloc(&f, e);
        if (e->freed)
            hr_finding_with_free(&f, e);
    }
    f.kind = (rec->u.access.what & HR_ACCESS_FREED) ? HR_FIND_ACCESS_FREED : HR_FIND_ACCESS_OVERRUN;
    f.seq = rec->seq;
    f.thread = rec->thread;
    f.stack = rec->u.access.stack;
    f.ptr = rec->u.access.at;
    f.block = rec->u.access.ptr;
    f.size = rec->u.access.size; /* what the recorder judged by (malloc_usable_size's, if asked) */
    f.offset = (int64_t)(rec->u.access.at - rec->u.access.ptr);
    f.access = rec->u.access.what & ~HR_ACCESS_FREED;
    f.length = rec->u.access.len;
    hr_replay_add_finding(r, &f);
    return r->stop ? 1 : 0;
}
