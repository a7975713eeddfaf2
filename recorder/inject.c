/* SPDX-License-Identifier: MIT */
/* Failure injection in the live program (HEAPRR_FAIL, grammar in formats/include/heaprr/failspec.h):
 * allocation calls made to fail on purpose, so that a program's out-of-memory paths run. The hooks
 * ask before calling the real function; a failing call does what its contract says: NULL with
 * errno ENOMEM for the C functions, ENOMEM returned by posix_memalign, the new_handler and then
 * std::bad_alloc for operator new (hooks-cxx.c), NULL for the nothrow one. Its event has FAILED
 * and INJECTED set. func=, at= and site= are resolved as modules load (modules.c calls in), func=
 * from the module file's symbol table (formats/elfsym.c). */
#include "recorder.h"

#include <heaprr/failspec.h>

#include <string.h>

static hr_failspec spec;
static uint64_t calls; /* allocation calls seen */

int hr_inject_setup(const char *text, char *why, size_t cap)
{
    return hr_failspec_parse(text, &spec, why, cap);
}

int hr_inject_now(unsigned kind, uint64_t size, const uint64_t *frames, uint32_t depth)
{
    uint64_t n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED), own[256]; /* MALLOC_TRACEBTDEPTH's largest */
    if (!spec.needs_stack)
        depth = 0;
    else if (!frames) { /* the caller has no whole backtrace: taken here */
        hr_tls *t = hr_thread_get();
        uint32_t keep;
        depth = hr_unwind(t ? t->unw : NULL, own, hr_cfg.depth, 0, &keep);
        frames = own;
        if (t)
            t->unwound = 0; /* the unwinder's last chain is not the ring's last record's */
    }
    return hr_failspec_fails(&spec, n, kind, size, frames, depth);
}

void hr_inject_module(const char *path, uint64_t bias)
{
    hr_failspec_module(&spec, path, bias);
}
