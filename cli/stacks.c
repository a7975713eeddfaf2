/* SPDX-License-Identifier: MIT */
/* Stacks in reports (stacks.h), symbolized with the analyzer's symbolizer. */
#include "stacks.h"

#include <heaprr/symbolize.h>

#include <inttypes.h>
#include <string.h>

#define MAX_FRAMES 256
#define MAX_OUT (MAX_FRAMES * 4)

static hr_symbolizer *sym;
static hr_reader *sym_reader;

void cli_json_hex(json *j, const char *key, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    json_cstr(j, key, buf);
}

void cli_stacks_done(void)
{
    hr_sym_free(sym);
    sym = NULL;
    sym_reader = NULL;
}

hr_symbolizer *cli_symbolizer(hr_reader *r)
{
    if (sym_reader != r) {
        cli_stacks_done();
        sym = hr_sym_new(r);
        sym_reader = r;
    }
    return sym;
}

/* The frames of stack id, inlined ones included. */
static size_t frames_of(hr_reader *r, uint64_t stack, hr_symframe *out)
{
    cli_symbolizer(r);
    uint64_t ips[MAX_FRAMES];
    size_t n = stack ? hr_reader_stack(r, stack, ips, MAX_FRAMES) : 0, k = 0;
    for (size_t i = 0; i < n && k < MAX_OUT; i++) {
        if (sym) {
            k += hr_sym_resolve(sym, ips[i], out + k, MAX_OUT - k);
        } else {
            memset(&out[k], 0, sizeof out[k]);
            out[k++].address = ips[i];
        }
    }
    return k;
}

size_t cli_stack_frames(hr_reader *r, uint64_t stack, const hr_symframe **out)
{
    static hr_symframe f[MAX_OUT];
    *out = f;
    return frames_of(r, stack, f);
}

void cli_json_stack(json *j, const char *key, hr_reader *r, uint64_t stack)
{
    static hr_symframe f[MAX_OUT];
    size_t n = frames_of(r, stack, f);
    json_array_begin(j, key);
    for (size_t i = 0; i < n; i++) {
        json_object_begin(j, NULL);
        if (f[i].function)
            json_cstr(j, "function", f[i].function);
        else
            json_null(j, "function");
        if (f[i].file)
            json_cstr(j, "file", f[i].file);
        else
            json_null(j, "file");
        if (f[i].line)
            json_u64(j, "line", f[i].line);
        else
            json_null(j, "line");
        if (f[i].module) {
            json_cstr(j, "module", f[i].module);
            cli_json_hex(j, "offset", f[i].offset);
        } else {
            json_null(j, "module");
        }
        cli_json_hex(j, "address", f[i].address);
        if (f[i].inlined)
            json_bool(j, "inlined", 1);
        json_object_end(j);
    }
    json_array_end(j);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void cli_print_stack(hr_reader *r, const char *indent, uint64_t stack)
{
    static hr_symframe f[MAX_OUT];
    size_t n = frames_of(r, stack, f);
    if (!n)
        printf("%s (no stack recorded)\n", indent);
    int width = (int)strlen(indent);
    for (size_t i = 0; i < n; i++) {
        printf("%*s #%-2zu 0x%" PRIx64 " %s", width, i ? "" : indent, i, f[i].address,
               f[i].function ? f[i].function : "??");
        if (f[i].file)
            printf(" %s:%u", f[i].file, f[i].line);
        if (f[i].module)
            printf(" (%s+0x%" PRIx64 ")", base_name(f[i].module), f[i].offset);
        printf("%s\n", f[i].inlined ? " [inlined]" : "");
    }
}

/* One frame as a short label: function, or module+offset, or the address. */
static int frame_label(const hr_symframe *f, char *out, size_t cap, int with_line)
{
    if (f->function && f->file && with_line)
        return snprintf(out, cap, "%s (%s:%u)", f->function, base_name(f->file), f->line);
    if (f->function)
        return snprintf(out, cap, "%s", f->function);
    if (f->module)
        return snprintf(out, cap, "%s+0x%" PRIx64, base_name(f->module), f->offset);
    return snprintf(out, cap, "0x%" PRIx64, f->address);
}

int cli_frame_name(const hr_symframe *f, char *out, size_t cap)
{
    return frame_label(f, out, cap, 0);
}

/* C++ template arguments dropped ("std::vector<int>::push_back" -> "std::vector<>::push_back"),
 * as short labels want; "operator<" and "operator<<" are left alone. In place. */
static void shorten_templates(char *s)
{
    char *o = s;
    int depth = 0;
    for (char *p = s; *p; p++) {
        if (*p == '<' && !(p - s >= 8 && strncmp(p - 8, "operator", 8) == 0) &&
            !(p - s >= 9 && strncmp(p - 9, "operator<", 9) == 0)) {
            if (depth++ == 0)
                *o++ = '<';
            continue;
        }
        if (*p == '>' && depth > 0) {
            if (--depth == 0)
                *o++ = '>';
            continue;
        }
        if (!depth)
            *o++ = *p;
    }
    *o = 0;
}

void cli_site_label(hr_reader *r, uint64_t stack, size_t frames, char *out, size_t cap)
{
    static hr_symframe f[MAX_OUT];
    size_t n = frames_of(r, stack, f), o = 0;
    out[0] = 0;
    if (!n)
        snprintf(out, cap, "(no stack)");
    for (size_t i = 0; i < n && i < frames && o + 8 < cap; i++) {
        char one[1024];
        frame_label(&f[i], one, sizeof one, i == 0);
        shorten_templates(one);
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " <- " : "", one);
    }
    if (o >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

static int system_module(const char *path)
{
    return strncmp(path, "/lib/", 5) == 0 || strncmp(path, "/lib64/", 7) == 0 || strncmp(path, "/usr/lib/", 9) == 0 ||
           strncmp(path, "/usr/lib64/", 11) == 0 || strncmp(base_name(path), "libheaprr", 9) == 0;
}

void cli_site_origin(hr_reader *r, uint64_t stack, size_t skip, char *out, size_t cap)
{
    static hr_symframe f[MAX_OUT];
    size_t n = frames_of(r, stack, f);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].module || system_module(f[i].module))
            continue;
        if (i >= skip) {
            frame_label(&f[i], out, cap, 1);
            shorten_templates(out);
        }
        return;
    }
}

size_t cli_stack_names(hr_reader *r, uint64_t stack, const char **names, size_t max, char *buf, size_t cap)
{
    static hr_symframe f[MAX_OUT];
    size_t n = frames_of(r, stack, f), k = 0, o = 0;
    for (size_t i = 0; i < n && k < max && o < cap; i++) {
        int len = frame_label(&f[i], buf + o, cap - o, 0);
        if (len < 0 || (size_t)len >= cap - o)
            break;
        names[k++] = buf + o;
        o += (size_t)len + 1;
    }
    return k;
}

/* Appends a frame name to out[o..cap), ';' (the separator) turned into ':'; returns the new o. */
static size_t put_name(char *out, size_t o, size_t cap, const char *n)
{
    for (; *n && o + 1 < cap; n++)
        out[o++] = *n == ';' ? ':' : *n == '\n' || *n == '\r' ? ' ' : *n;
    return o;
}

void cli_stack_join(hr_reader *r, uint64_t stack, int outer_first, const char *empty_label, char *out, size_t cap)
{
    static char buf[1 << 16];
    static const char *names[MAX_OUT];
    size_t n = cli_stack_names(r, stack, names, MAX_OUT, buf, sizeof buf), o = 0;
    if (!n)
        o = put_name(out, o, cap, empty_label);
    for (size_t i = 0; i < n; i++) {
        if (i && o + 1 < cap)
            out[o++] = ';';
        o = put_name(out, o, cap, names[outer_first ? n - 1 - i : i]);
    }
    out[o] = 0;
}
