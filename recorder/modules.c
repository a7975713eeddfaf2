/* SPDX-License-Identifier: MIT */
/* Loaded modules, so that the analyzer can symbolize offline: at start, after every dlopen and
 * dlclose, and at exit, the list from dl_iterate_phdr is compared with the last one and each load
 * or unload is staged with the module's address range, load bias, path and GNU build-id. The
 * comparison runs inside dl_iterate_phdr (which holds the loader's lock), the staging after it. */
#define _GNU_SOURCE
#include "recorder.h"

#include <elf.h>
#include <stddef.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#define BUILD_ID_MAX 64

typedef struct module {
    uint64_t id, bias, start, end;
    char *path;
    uint8_t build_id[BUILD_ID_MAX];
    uint32_t build_id_len;
    int seen, staged;
} module;

static pthread_mutex_t mod_lock = PTHREAD_MUTEX_INITIALIZER;
static module *mods;
static size_t nmods, capmods;
static uint64_t next_id;
static uint64_t self_start, self_end;
static char exe_path[4096];

int hr_modules_is_self(uint64_t addr)
{
    return addr >= self_start && addr < self_end;
}

static void range_of(const struct dl_phdr_info *info, uint64_t *start, uint64_t *end)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (ph->p_vaddr < lo)
            lo = ph->p_vaddr;
        if (ph->p_vaddr + ph->p_memsz > hi)
            hi = ph->p_vaddr + ph->p_memsz;
    }
    *start = lo == UINT64_MAX ? info->dlpi_addr : info->dlpi_addr + lo;
    *end = lo == UINT64_MAX ? info->dlpi_addr : info->dlpi_addr + hi;
}

static uint32_t find_build_id(const struct dl_phdr_info *info, uint8_t *out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *n, *desc = name + ((n->n_namesz + 3) & ~3u);
            if (desc + n->n_descsz > end)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                uint32_t len = n->n_descsz > BUILD_ID_MAX ? BUILD_ID_MAX : n->n_descsz;
                memcpy(out, desc, len);
                return len;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

static module *find(uint64_t bias, uint64_t start)
{
    for (size_t i = 0; i < nmods; i++)
        if (mods[i].bias == bias && mods[i].start == start)
            return &mods[i];
    return NULL;
}

static module *add(void)
{
    if (nmods == capmods) {
        size_t cap = capmods ? capmods * 2 : 64;
        module *m = hr_mem_alloc(cap * sizeof *m);
        if (!m)
            return NULL;
        if (nmods)
            memcpy(m, mods, nmods * sizeof *m);
        hr_mem_free(mods);
        mods = m;
        capmods = cap;
    }
    module *m = &mods[nmods++];
    memset(m, 0, sizeof *m);
    return m;
}

/* The loader's count of loads and unloads (dl_phdr_info's dlpi_adds and dlpi_subs) at the last
 * scan: while they stay the same, the list is what it was and no scan is needed (a scan reads
 * every module's headers: a page fault each in a freshly forked child). */
static unsigned long long seen_adds, seen_subs;
static int scanned;

static int counters_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    int *changed = data;
    *changed = size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs || !scanned ||
               info->dlpi_adds != seen_adds || info->dlpi_subs != seen_subs;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        seen_adds = info->dlpi_adds;
        seen_subs = info->dlpi_subs;
    }
    return 1; /* the first module tells */
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uint64_t start, end;
    range_of(info, &start, &end);
    if (start == end)
        return 0;
    module *m = find(info->dlpi_addr, start);
    if (m) {
        m->seen = 1;
        return 0;
    }
    if (!(m = add()))
        return 1;
    const char *name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : exe_path;
    m->path = hr_mem_strdup(name);
    m->bias = info->dlpi_addr;
    m->start = start;
    m->end = end;
    m->build_id_len = find_build_id(info, m->build_id);
    m->seen = 1;
    return 0;
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint64_t start, end, me = (uint64_t)(uintptr_t)data;
    range_of(info, &start, &end);
    if (me >= start && me < end) {
        self_start = start;
        self_end = end;
        return 1;
    }
    return 0;
}

void hr_modules_init(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = 0;
    dl_iterate_phdr(self_cb, (void *)(uintptr_t)&hr_modules_init);
}

static void stage_load(hr_tls *t, module *m)
{
    uint64_t a[4] = {m->id, m->bias, m->start, m->end};
    const char *path = m->path ? m->path : "";
    hr_ring_typed(t, HR_REC_MODULE_LOAD, a, m->build_id, m->build_id_len, path, (uint32_t)strlen(path));
    m->staged = 1;
}

/* Stages what the scan found: loads for new modules, unloads for modules gone. */
static void stage_changes(hr_tls *t)
{
    size_t keep = 0;
    for (size_t i = 0; i < nmods; i++) {
        module *m = &mods[i];
        if (!m->seen) {
            uint64_t a[4] = {m->id, 0, 0, 0};
            if (m->staged)
                hr_ring_typed(t, HR_REC_MODULE_UNLOAD, a, NULL, 0, NULL, 0);
            hr_mem_free(m->path);
            continue;
        }
        if (!m->staged) {
            m->id = next_id++;
            stage_load(t, m);
            if (hr_cfg.fail)
                hr_inject_module(m->path && *m->path ? m->path : exe_path, m->bias);
        }
        mods[keep++] = *m;
    }
    nmods = keep;
}

/* The lock is only tried: the scan waits for the loader's lock inside dl_iterate_phdr, and a
 * thread holding that one (in a dl_iterate_phdr callback of its own) may call dlopen and come
 * here. A thread that finds the lock taken asks the holder to scan once more. */
static int rescan;

void hr_modules_scan(hr_tls *t)
{
    if (!t)
        return;
    __atomic_store_n(&rescan, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&rescan, __ATOMIC_SEQ_CST) && pthread_mutex_trylock(&mod_lock) == 0) {
        __atomic_store_n(&rescan, 0, __ATOMIC_SEQ_CST);
        int changed = 1;
        dl_iterate_phdr(counters_cb, &changed);
        if (changed) {
            for (size_t i = 0; i < nmods; i++)
                mods[i].seen = 0;
            dl_iterate_phdr(scan_cb, NULL);
            stage_changes(t);
            scanned = 1;
        }
        pthread_mutex_unlock(&mod_lock);
    }
}

void hr_modules_restage(hr_tls *t)
{
    pthread_mutex_init(&mod_lock, NULL);
    next_id = 0;
    if (!t)
        return;
    for (size_t i = 0; i < nmods; i++) {
        mods[i].id = next_id++;
        stage_load(t, &mods[i]);
    }
}

int hr_modules_where(uint64_t addr, char *path, size_t cap, uint64_t *off)
{
    if (pthread_mutex_trylock(&mod_lock) != 0)
        return -1; /* being scanned: the caller says the address alone */
    int found = -1;
    for (size_t i = 0; i < nmods && found < 0; i++) {
        if (addr < mods[i].start || addr >= mods[i].end)
            continue;
        const char *p = mods[i].path && *mods[i].path ? mods[i].path : exe_path;
        const char *slash = strrchr(p, '/');
        hr_fmt(path, cap, "%s", slash ? slash + 1 : p);
        *off = addr - mods[i].bias;
        found = 0;
    }
    pthread_mutex_unlock(&mod_lock);
    return found;
}
