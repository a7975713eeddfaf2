/* SPDX-License-Identifier: MIT */
/* A module's symbol table indexed for address lookups (symtab.c), for the symbolizer. */
#ifndef HEAPRR_ANALYZER_SYMTAB_H
#define HEAPRR_ANALYZER_SYMTAB_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

typedef struct hr_symtab hr_symtab;

/* Reads mod's symbol table once. Returns NULL when it has none or memory ran out. */
hr_symtab *hr_symtab_new(Dwfl_Module *mod);
void hr_symtab_free(hr_symtab *t);
/* The name dwfl_module_addrinfo gives for address q (an address of the module's mapping), or
 * NULL; the string belongs to libdwfl and lives as long as the module. Not thread-safe (t keeps
 * scratch memory). */
const char *hr_symtab_name(hr_symtab *t, uint64_t q);

#endif
