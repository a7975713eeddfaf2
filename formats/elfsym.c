/* SPDX-License-Identifier: MIT */
/* A function's address range, from the symbol table of its module's file (the full one, or the
 * dynamic one when the file is stripped): failure injection's func= rules name functions, static
 * ones included, that no dlsym finds. The file is mapped, read and unmapped with plain system
 * calls: no allocation, no lock of the C library's (the recorder runs this as modules load). */
#define _GNU_SOURCE
#include "internal.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Looks name up in the symbol table sh (strings in the section it links to) of the file image at
 * base, size bytes. */
static int find_in(const uint8_t *base, size_t size, const Elf64_Shdr *sh, const Elf64_Shdr *shdrs, uint16_t nsh,
                   const char *name, uint64_t *value, uint64_t *len)
{
    if (sh->sh_link >= nsh || sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_offset > size ||
        sh->sh_size > size - sh->sh_offset)
        return -1;
    const Elf64_Shdr *strs = &shdrs[sh->sh_link];
    if (strs->sh_offset > size || strs->sh_size > size - strs->sh_offset)
        return -1;
    const Elf64_Sym *syms = (const Elf64_Sym *)(base + sh->sh_offset);
    const char *names = (const char *)(base + strs->sh_offset);
    size_t n = sh->sh_size / sizeof *syms, want = strlen(name);
    for (size_t i = 0; i < n; i++) {
        const Elf64_Sym *s = &syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || !s->st_value || s->st_name >= strs->sh_size ||
            strs->sh_size - s->st_name <= want)
            continue;
        if (memcmp(names + s->st_name, name, want + 1) == 0) {
            *value = s->st_value;
            *len = s->st_size ? s->st_size : 1;
            return 0;
        }
    }
    return -1;
}

static int lookup(const uint8_t *base, size_t size, const char *name, uint64_t *value, uint64_t *len)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
        (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff)
        return -1;
    const Elf64_Shdr *shdrs = (const Elf64_Shdr *)(base + eh->e_shoff);
    for (uint32_t want = SHT_SYMTAB;; want = SHT_DYNSYM) {
        for (uint16_t i = 0; i < eh->e_shnum; i++)
            if (shdrs[i].sh_type == want && find_in(base, size, &shdrs[i], shdrs, eh->e_shnum, name, value, len) == 0)
                return 0;
        if (want == SHT_DYNSYM)
            return -1;
    }
}

int hr_elf_symbol(const char *path, uint64_t bias, const char *name, uint64_t *lo, uint64_t *hi)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return -1;
    uint64_t value, len;
    int rc = lookup(map, (size_t)st.st_size, name, &value, &len);
    munmap(map, (size_t)st.st_size);
    if (rc == 0) {
        *lo = bias + value;
        *hi = *lo + len;
    }
    return rc;
}
