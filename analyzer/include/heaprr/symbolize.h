/* SPDX-License-Identifier: MIT */
/* The symbolizer: turns a trace's raw return addresses into function, source file and line, with
 * the frames inlined at each call site, through elfutils (libdw). It works from the trace's module
 * records (path, load bias, build-id), so position-independent programs and libraries unloaded
 * before exit resolve; separate debug info is found by build-id (/usr/lib/debug/.build-id) or
 * debug link. Without debug info: the symbol table's function; without that: module + offset.
 * Results are cached per address, modules per module record. */
#ifndef HEAPRR_SYMBOLIZE_H
#define HEAPRR_SYMBOLIZE_H

#include <heaprr/reader.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_symframe {
    const char *function; /* demangled; NULL when unknown */
    const char *file;     /* NULL when unknown */
    unsigned line;        /* 0 when unknown */
    const char *module;   /* path of the module, NULL when no module holds the address */
    uint64_t address;     /* the return address as recorded */
    uint64_t offset;      /* address - the module's load bias */
    int inlined;          /* this frame was inlined into the next one */
} hr_symframe;

typedef struct hr_symbolizer hr_symbolizer;

hr_symbolizer *hr_sym_new(hr_reader *r);
void hr_sym_free(hr_symbolizer *s);
/* Resolves one recorded return address into up to max frames (inlined ones first, then the
 * function that holds the call). Returns the number of frames, at least 1 when max > 0. The
 * strings stay valid until hr_sym_free. */
size_t hr_sym_resolve(hr_symbolizer *s, uint64_t address, hr_symframe *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
