/* SPDX-License-Identifier: MIT */
/* Stacks in reports (stacks.h). */
#include "stacks.h"

#include <inttypes.h>

#define MAX_FRAMES 256

typedef struct frame {
    uint64_t ip;
    const hr_module_info *module;
} frame;

void cli_json_hex(json *j, const char *key, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    json_cstr(j, key, buf);
}

/* The module whose mapping holds ip (the latest loaded, if several did over time). */
static const hr_module_info *module_of(hr_reader *r, uint64_t ip)
{
    const hr_module_info *best = NULL;
    for (uint64_t id = 0; id < hr_reader_module_limit(r); id++) {
        int unloaded;
        const hr_module_info *m = hr_reader_module(r, id, &unloaded);
        if (m && ip >= m->start && ip < m->end)
            best = m;
    }
    return best;
}

static size_t frames_of(hr_reader *r, uint64_t stack, frame *out)
{
    uint64_t ips[MAX_FRAMES];
    size_t n = stack ? hr_reader_stack(r, stack, ips, MAX_FRAMES) : 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (frame){ips[i], module_of(r, ips[i])};
    return n;
}

void cli_json_stack(json *j, const char *key, hr_reader *r, uint64_t stack)
{
    frame f[MAX_FRAMES];
    size_t n = frames_of(r, stack, f);
    json_array_begin(j, key);
    for (size_t i = 0; i < n; i++) {
        json_object_begin(j, NULL);
        json_null(j, "function");
        json_null(j, "file");
        json_null(j, "line");
        if (f[i].module) {
            json_str(j, "module", f[i].module->path.ptr, f[i].module->path.len);
            cli_json_hex(j, "offset", f[i].ip - f[i].module->bias);
        } else {
            json_null(j, "module");
        }
        cli_json_hex(j, "address", f[i].ip);
        json_object_end(j);
    }
    json_array_end(j);
}

void cli_print_stack(hr_reader *r, const char *indent, uint64_t stack)
{
    frame f[MAX_FRAMES];
    size_t n = frames_of(r, stack, f);
    if (!n)
        printf("%s (no stack recorded)\n", indent);
    for (size_t i = 0; i < n; i++) {
        if (f[i].module)
            printf("%s #%-2zu 0x%" PRIx64 " %.*s+0x%" PRIx64 "\n", indent, i, f[i].ip, (int)f[i].module->path.len,
                   f[i].module->path.ptr, f[i].ip - f[i].module->bias);
        else
            printf("%s #%-2zu 0x%" PRIx64 "\n", indent, i, f[i].ip);
    }
}
