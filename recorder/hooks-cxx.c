/* SPDX-License-Identifier: MIT */
/* C++ operator new and delete, every variant, under their mangled names: each operator is one
 * event kind whatever its variant (nothrow, sized, align_val_t), so malloc/delete mismatches stay
 * visible. The real operators (libstdc++'s, or another allocator's) are looked up on first use and
 * called as they are, so new_handler and bad_alloc behave exactly as without us; the malloc they
 * call passes through. Built with -fexceptions: when a real operator new throws, a cleanup records
 * the failed call and leaves the recorder's state clean. */
#define _GNU_SOURCE
#include "hook-call.h"

#include <dlfcn.h>
#include <stdlib.h>

/* The unwinder's entry points, weak: the C library's unwinder (libgcc_s) is loaded by every program
 * that can throw through these frames (C++, or a thread that pthread_exit() or cancellation ends),
 * and a program that loads it later, by dlopen, only loses this frame's cleanup. Not depending on
 * it spares every other process loading it and running its CPU-feature probes. */
__asm__(".weak _Unwind_Resume\n\t.weak __gcc_personality_v0");

/* The operators are declared by <new>, which C cannot include. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

typedef void *(*new_fn)(size_t);
typedef void *(*new_nt_fn)(size_t, const void *);
typedef void *(*new_al_fn)(size_t, size_t);
typedef void *(*new_al_nt_fn)(size_t, size_t, const void *);
typedef void (*del_fn)(void *);
typedef void (*del_sz_fn)(void *, size_t);
typedef void (*del_al_fn)(void *, size_t);
typedef void (*del_sz_al_fn)(void *, size_t, size_t);
typedef void (*del_nt_fn)(void *, const void *);
typedef void (*del_al_nt_fn)(void *, size_t, const void *);

/* Looks a real operator up once; NULL if no library after ours defines it. */
#define REAL(type, name)                                                    \
    static type real_##name;                                               \
    if (HR_UNLIKELY(!real_##name))                                         \
        real_##name = (type)hr_real_sym(#name);

typedef struct new_call {
    unsigned kind, xflags;
    size_t size, align;
    int active;
    int outer_in_new;         /* hr_self.in_new before: an operator new further out still runs */
    const void *outer_caller; /* and its hr_self.new_caller */
} new_call;

/* The event of a new: recorded after the call (the real operator may allocate an exception object
 * on the way, which must not overwrite a record in progress). */
static void record_new(const new_call *n, void *p)
{
    hr_call c;
    hr_alloc_begin(&c, n->kind, n->size, n->align, n->xflags);
    hr_alloc_end(&c, (uintptr_t)p, p == NULL, ENOMEM);
}

/* Runs when the hook's scope ends: normally, or while an exception from the real operator
 * unwinds through it. In the second case the call failed. */
static void new_cleanup(new_call *n)
{
    if (!n->active)
        return;
    hr_self.in_new = n->outer_in_new;
    hr_self.new_caller = n->outer_caller;
    hr_self.busy = 1;
    record_new(n, NULL);
    hr_self.busy = 0;
}

/* An injected failure of a throwing operator new, as a real one fails: the program's new_handler,
 * if it set one, runs (and the caller then tries again, as the real operator would), else
 * std::bad_alloc is thrown, by libstdc++'s own function. Returns only when a handler ran. */
static void fail_new(void)
{
    typedef void (*handler_fn)(void);
    static handler_fn (*get_handler)(void);
    static void (*throw_bad_alloc)(void);
    if (!throw_bad_alloc) {
        hr_self.busy++; /* dlsym's own allocations are not the program's */
        get_handler = (handler_fn(*)(void))dlsym(RTLD_DEFAULT, "_ZSt15get_new_handlerv");
        throw_bad_alloc = (void (*)(void))dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv");
        hr_self.busy--;
    }
    handler_fn h = get_handler ? get_handler() : NULL;
    if (h)
        h();
    else if (throw_bad_alloc)
        throw_bad_alloc();
}

/* Failure injection for the new of n: 0 when the call goes on (no failure, or a new_handler ran
 * and the real operator is tried, as it would try again), 1 when a nothrow form fails (recorded:
 * the hook returns NULL); a throwing form throws std::bad_alloc, recorded by the cleanup. */
static int inject_new(new_call *n)
{
    if (!hr_inject_now(n->kind, n->size, NULL, 0)) /* the event, recorded after the call, has no stack yet */
        return 0;
    unsigned xflags = n->xflags;
    n->xflags |= HR_XF_INJECTED | HR_XF_FAILED;
    if (xflags & HR_XF_NOTHROW) {
        n->active = 0;
        record_new(n, NULL);
        return 1;
    }
    hr_self.busy = 0; /* the new_handler is the program's */
    fail_new();
    hr_self.busy = 1;
    n->xflags = xflags;
    return 0;
}

/* Last resort when no real operator exists (cannot happen once libstdc++ is loaded). */
static void *fallback_new(size_t size, size_t align)
{
    void *p = NULL;
    if (align > 16)
        return posix_memalign(&p, align, size) == 0 ? p : NULL;
    return malloc(size);
}

/* Whether the program replaces the global operator new or delete, as C++ lets it (a definition in
 * the executable comes before ours): the C++ hooks then only forward, and what its operators do
 * with malloc and free is recorded instead, records of one family that match. Decided once, on the
 * first C++ call. */
static int cxx_replaced(void)
{
    static int state; /* 0: not known yet, 1: the operators are ours, 2: replaced */
    int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
    if (HR_LIKELY(s))
        return s == 2;
    static const char *const names[] = {"_Znwm", "_Znam", "_ZdlPv", "_ZdaPv"};
    int saved = errno;
    hr_self.busy++; /* dlsym's own allocations are not the program's */
    s = 1;
    for (unsigned i = 0; i < 4; i++) {
        void *f = dlsym(RTLD_DEFAULT, names[i]);
        if (f && !hr_modules_is_self((uintptr_t)f))
            s = 2;
    }
    hr_self.busy--;
    errno = saved;
    __atomic_store_n(&state, s, __ATOMIC_RELEASE);
    return s == 2;
}

/* While the real operator runs, hr_self.in_new says so (hook-call.h): the calls it makes itself
 * pass through: another operator new it hands the work to (a nothrow new calls the throwing one,
 * new[] calls new, often by a jump) before any allocation, its first allocation call, and that
 * call again after a new_handler ran (hr_new_underneath). A new_handler's own operator new is
 * recorded, and gives the outer one back its state when it returns. */
#define NEW_BODY(kind, xflags, size, align, call)                            \
    size_t sz = size; /* what call asks for: the guard zone is added when recording */ \
    if (hr_self.in_new == HR_NEW_STARTED || cxx_replaced() || !hr_hook_enter()) \
        return call;                                                        \
    new_call n __attribute__((cleanup(new_cleanup))) = {kind, xflags, size, align, 1, hr_self.in_new, \
                                                        hr_self.new_caller};                      \
    if (HR_UNLIKELY(hr_cfg.fail) && inject_new(&n)) {                      \
        hr_hook_leave(ENOMEM);                                              \
        return NULL;                                                        \
    }                                                                       \
    hr_self.in_new = HR_NEW_STARTED;                                        \
    hr_self.busy = 0;                                                       \
    size_t ask = hr_cfg.guard ? hr_guard_ask(size, align) : 0;               \
    sz = ask ? ask : size;                                                  \
    void *p = call;                                                         \
    int err = errno;                                                        \
    n.active = 0;                                                           \
    hr_self.in_new = n.outer_in_new;                                        \
    hr_self.new_caller = n.outer_caller;                                    \
    hr_self.busy = 1;                                                       \
    if (ask)                                                                \
        p = hr_guard_arm(p, size, align, kind);                             \
    else                                                                    \
        hr_check_alloc(p, size, kind);                                      \
    record_new(&n, p);                                                      \
    hr_writer_start_due();                                                  \
    hr_hook_leave(err);                                                     \
    return p;

#define NEW_HOOK(sym, kind)                                                 \
    HR_EXPORT void *sym(size_t size)                                        \
    {                                                                       \
        REAL(new_fn, sym)                                                   \
        NEW_BODY(kind, 0, size, 0, real_##sym ? real_##sym(sz) : fallback_new(sz, 0)) \
    }

#define NEW_NT_HOOK(sym, kind)                                              \
    HR_EXPORT void *sym(size_t size, const void *nt)                        \
    {                                                                       \
        REAL(new_nt_fn, sym)                                                \
        NEW_BODY(kind, HR_XF_NOTHROW, size, 0, real_##sym ? real_##sym(sz, nt) : fallback_new(sz, 0)) \
    }

#define NEW_AL_HOOK(sym, kind)                                              \
    HR_EXPORT void *sym(size_t size, size_t al)                             \
    {                                                                       \
        REAL(new_al_fn, sym)                                                \
        NEW_BODY(kind, HR_XF_ALIGNED, size, al, real_##sym ? real_##sym(sz, al) : fallback_new(sz, al)) \
    }

#define NEW_AL_NT_HOOK(sym, kind)                                           \
    HR_EXPORT void *sym(size_t size, size_t al, const void *nt)             \
    {                                                                       \
        REAL(new_al_nt_fn, sym)                                             \
        NEW_BODY(kind, HR_XF_ALIGNED | HR_XF_NOTHROW, size, al,             \
                 real_##sym ? real_##sym(sz, al, nt) : fallback_new(sz, al)) \
    }

NEW_HOOK(_Znwm, HR_NEW)
NEW_HOOK(_Znam, HR_NEW_ARRAY)
NEW_NT_HOOK(_ZnwmRKSt9nothrow_t, HR_NEW)
NEW_NT_HOOK(_ZnamRKSt9nothrow_t, HR_NEW_ARRAY)
NEW_AL_HOOK(_ZnwmSt11align_val_t, HR_NEW)
NEW_AL_HOOK(_ZnamSt11align_val_t, HR_NEW_ARRAY)
NEW_AL_NT_HOOK(_ZnwmSt11align_val_tRKSt9nothrow_t, HR_NEW)
NEW_AL_NT_HOOK(_ZnamSt11align_val_tRKSt9nothrow_t, HR_NEW_ARRAY)

/* Every delete records first, then calls the real operator (or free as a last resort). */
#define DEL_BODY(kind, xflags, size, align, call, same)                      \
    if (cxx_replaced()) { /* the same operator, which calls the program's: it frees by free() */ \
        same;                                                               \
        return;                                                             \
    }                                                                       \
    if (!hr_hook_enter()) {                                                 \
        p = hr_guard_base(p);                                               \
        call;                                                               \
        return;                                                             \
    }                                                                       \
    int saved = errno, error, damage = 0;                                   \
    hr_blk taken;                                                           \
    void *user = p, *base = hr_check_release(p, kind, &taken, &error);      \
    uint64_t fill = hr_cfg.ckfreed && base && (!hr_cfg.guard || taken.ptr) ? hr_quarantine_room(base, &damage) : 0; \
    hr_free_record(kind, (uintptr_t)p, size, align, xflags, __builtin_return_address(0)); \
    int held = (p && !base) || hr_quarantine_put(base, p, fill, &taken);            \
    p = base; /* the real operator takes the real allocator's pointer */    \
    if (!held)                                                              \
        call;                                                               \
    hr_check_act(error ? error : damage ? HR_CK_USE_AFTER_FREE : 0, kind, user, __builtin_return_address(0)); \
    hr_hook_leave(saved);

#define DEL_HOOK(sym, kind)                                                 \
    HR_EXPORT void sym(void *p)                                             \
    {                                                                       \
        REAL(del_fn, sym)                                                   \
        DEL_BODY(kind, 0, 0, 0, real_##sym ? real_##sym(p) : free(p), real_##sym ? real_##sym(p) : free(p)) \
    }

#define DEL_SZ_HOOK(sym, kind, plain)                                       \
    HR_EXPORT void sym(void *p, size_t size)                                \
    {                                                                       \
        REAL(del_sz_fn, sym)                                                \
        REAL(del_fn, plain)                                                 \
        DEL_BODY(kind, HR_XF_SIZED, size, 0,                                \
                 real_##sym && !hr_cfg.guard ? real_##sym(p, size) : real_##plain ? real_##plain(p) : free(p), \
                 real_##sym ? real_##sym(p, size) : free(p))                 \
    }

#define DEL_AL_HOOK(sym, kind)                                              \
    HR_EXPORT void sym(void *p, size_t al)                                  \
    {                                                                       \
        REAL(del_al_fn, sym)                                                \
        DEL_BODY(kind, HR_XF_ALIGNED, 0, al, real_##sym ? real_##sym(p, al) : free(p), \
                 real_##sym ? real_##sym(p, al) : free(p))                   \
    }

#define DEL_SZ_AL_HOOK(sym, kind, unsized)                                  \
    HR_EXPORT void sym(void *p, size_t size, size_t al)                     \
    {                                                                       \
        REAL(del_sz_al_fn, sym)                                             \
        REAL(del_al_fn, unsized)                                            \
        DEL_BODY(kind, HR_XF_SIZED | HR_XF_ALIGNED, size, al,               \
                 real_##sym && !hr_cfg.guard ? real_##sym(p, size, al) : real_##unsized ? real_##unsized(p, al) : free(p), \
                 real_##sym ? real_##sym(p, size, al) : free(p))             \
    }

#define DEL_NT_HOOK(sym, kind)                                              \
    HR_EXPORT void sym(void *p, const void *nt)                             \
    {                                                                       \
        REAL(del_nt_fn, sym)                                                \
        DEL_BODY(kind, 0, 0, 0, real_##sym ? real_##sym(p, nt) : free(p), real_##sym ? real_##sym(p, nt) : free(p)) \
    }

#define DEL_AL_NT_HOOK(sym, kind)                                           \
    HR_EXPORT void sym(void *p, size_t al, const void *nt)                  \
    {                                                                       \
        REAL(del_al_nt_fn, sym)                                             \
        DEL_BODY(kind, HR_XF_ALIGNED, 0, al, real_##sym ? real_##sym(p, al, nt) : free(p), \
                 real_##sym ? real_##sym(p, al, nt) : free(p))               \
    }

DEL_HOOK(_ZdlPv, HR_DELETE)
DEL_HOOK(_ZdaPv, HR_DELETE_ARRAY)
DEL_SZ_HOOK(_ZdlPvm, HR_DELETE, _ZdlPv)
DEL_SZ_HOOK(_ZdaPvm, HR_DELETE_ARRAY, _ZdaPv)
DEL_AL_HOOK(_ZdlPvSt11align_val_t, HR_DELETE)
DEL_AL_HOOK(_ZdaPvSt11align_val_t, HR_DELETE_ARRAY)
DEL_SZ_AL_HOOK(_ZdlPvmSt11align_val_t, HR_DELETE, _ZdlPvSt11align_val_t)
DEL_SZ_AL_HOOK(_ZdaPvmSt11align_val_t, HR_DELETE_ARRAY, _ZdaPvSt11align_val_t)
DEL_NT_HOOK(_ZdlPvRKSt9nothrow_t, HR_DELETE)
DEL_NT_HOOK(_ZdaPvRKSt9nothrow_t, HR_DELETE_ARRAY)
DEL_AL_NT_HOOK(_ZdlPvSt11align_val_tRKSt9nothrow_t, HR_DELETE)
DEL_AL_NT_HOOK(_ZdaPvSt11align_val_tRKSt9nothrow_t, HR_DELETE_ARRAY)
