/* SPDX-License-Identifier: MIT */
/* Names of error codes, event kinds, record types and origins: the one table the tools print
 * from and parse with, so a kind is spelled the same everywhere; and user text made printable for
 * the messages that quote it. */
#include <heaprr/format.h>

#include <stdio.h>
#include <string.h>

const char *hr_strerror(int err)
{
    switch (err) {
    case HR_OK: return "success";
    case HR_ERR_IO: return "input/output error";
    case HR_ERR_NOMEM: return "out of memory";
    case HR_ERR_NOT_TRACE: return "not a heaprr trace";
    case HR_ERR_VERSION: return "trace format version not supported";
    case HR_ERR_CORRUPT: return "corrupt trace";
    case HR_ERR_TRUNCATED: return "trace truncated";
    case HR_ERR_CHECKSUM: return "checksum mismatch";
    case HR_ERR_ARG: return "invalid argument";
    case HR_ERR_ZSTD: return "zstd error";
    case HR_ERR_LIMIT: return "limit exceeded";
    case HR_ERR_STATE: return "call in the wrong state";
    default: return "unknown error";
    }
}

static const char *const kind_names[HR_KIND_COUNT] = {
    [HR_MALLOC] = "malloc",
    [HR_CALLOC] = "calloc",
    [HR_REALLOC] = "realloc",
    [HR_REALLOCARRAY] = "reallocarray",
    [HR_FREE] = "free",
    [HR_MEMALIGN] = "memalign",
    [HR_POSIX_MEMALIGN] = "posix_memalign",
    [HR_ALIGNED_ALLOC] = "aligned_alloc",
    [HR_VALLOC] = "valloc",
    [HR_PVALLOC] = "pvalloc",
    [HR_NEW] = "new",
    [HR_NEW_ARRAY] = "new[]",
    [HR_DELETE] = "delete",
    [HR_DELETE_ARRAY] = "delete[]",
};

const char *hr_kind_name(unsigned kind)
{
    return kind < HR_KIND_COUNT ? kind_names[kind] : NULL;
}

hr_kind hr_kind_from_name(const char *name)
{
    for (unsigned k = 1; k < HR_KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return (hr_kind)k;
    return HR_KIND_NONE;
}

const char *hr_rec_type_name(unsigned type)
{
    switch (type) {
    case HR_REC_EVENT: return "event";
    case HR_REC_PROCESS_INFO: return "process";
    case HR_REC_STACK_NODES: return "stack-node";
    case HR_REC_MODULE_LOAD: return "module-load";
    case HR_REC_MODULE_UNLOAD: return "module-unload";
    case HR_REC_THREAD_START: return "thread-start";
    case HR_REC_THREAD_NAME: return "thread-name";
    case HR_REC_THREAD_END: return "thread-end";
    case HR_REC_MARK: return "mark";
    case HR_REC_FORK: return "fork";
    case HR_REC_EXEC: return "exec";
    case HR_REC_STOPPED: return "stopped";
    case HR_REC_GUARD: return "guard";
    case HR_REC_FREED_WRITE: return "freed-write";
    case HR_REC_GUARD_BEFORE: return "guard-before";
    case HR_REC_MALLOPT: return "mallopt";
    case HR_REC_ACCESS: return "access";
    case HR_REC_SPAWN: return "spawn";
    case HR_REC_TRAILER: return "trailer";
    default: return NULL;
    }
}

const char *hr_access_fn_name(unsigned fn)
{
    static const char *const names[HR_FN_COUNT] = {
        NULL,     "memcpy",  "memmove", "memset",  "strcpy",        "strncpy", "strcat",  "strncat",
        "memccpy", "mempcpy", "stpcpy", "stpncpy", "bzero", "explicit_bzero", "wmemcpy", "wmemmove", "wmemset",
    };
    return fn < HR_FN_COUNT ? names[fn] : NULL;
}

const char *hr_origin_name(unsigned origin)
{
    switch (origin) {
    case HR_ORIGIN_ROOT: return "root";
    case HR_ORIGIN_FORK: return "fork";
    case HR_ORIGIN_EXEC: return "exec";
    case HR_ORIGIN_SPAWN: return "spawn";
    default: return "unknown";
    }
}

const char *hr_printable(const char *str, size_t max, char *buf, size_t cap)
{
    size_t o = 0, i = 0;
    for (; str[i] && i < max && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)str[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
    }
    if (str[i] && o + 4 < cap)
        o += (size_t)snprintf(buf + o, cap - o, "...");
    buf[o] = 0;
    return buf;
}
