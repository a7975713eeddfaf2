/* SPDX-License-Identifier: MIT */
/* The simulated OS (simos.h). */
#include "simos.h"

#include <heaprr/format.h>
#include <string.h>
#include <sys/mman.h>

int hr_simos_init(hr_simos *os, uint64_t limit)
{
    memset(os, 0, sizeof *os);
    limit = (limit + HR_SIM_PAGE - 1) / HR_SIM_PAGE * HR_SIM_PAGE;
    void *p = mmap(NULL, limit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return HR_ERR_IO;
    os->host = p;
    os->limit = limit;
    os->top = HR_SIM_START;
    if (hr_fit_init(&os->holes) < 0) {
        munmap(p, limit);
        return HR_ERR_NOMEM;
    }
    return 0;
}

void hr_simos_destroy(hr_simos *os)
{
    if (os->host)
        munmap(os->host, os->limit);
    hr_fit_destroy(&os->holes);
    memset(os, 0, sizeof *os);
}

static void account_map(hr_simos *os, uint64_t len)
{
    os->mapped += len;
    os->maps++;
    if (os->mapped > os->peak_mapped)
        os->peak_mapped = os->mapped;
}

int hr_simos_map(hr_simos *os, uint64_t len, uint64_t *addr)
{
    if (len == 0 || len % HR_SIM_PAGE)
        return HR_ERR_ARG;
    hr_fit_node *h = hr_fit_first(&os->holes, len);
    if (h) {
        *addr = h->addr;
        if (h->size == len)
            hr_fit_remove(&os->holes, h->addr);
        else
            hr_fit_update(&os->holes, h->addr, h->addr + len, h->size - len);
    } else {
        if (len > os->limit - os->top)
            return HR_ERR_LIMIT;
        *addr = os->top;
        os->top += len;
    }
    account_map(os, len);
    return 0;
}

int hr_simos_unmap(hr_simos *os, uint64_t addr, uint64_t len)
{
    if (len == 0 || len % HR_SIM_PAGE || addr % HR_SIM_PAGE || addr + len > os->top || len > os->mapped)
        return HR_ERR_ARG;
    madvise(os->host + addr, len, MADV_DONTNEED);
    os->mapped -= len;
    os->unmaps++;
    hr_fit_node *prev = hr_fit_floor(&os->holes, addr);
    if (prev && prev->addr + prev->size == addr) { /* joins the hole below */
        addr = prev->addr;
        len += prev->size;
        hr_fit_remove(&os->holes, addr);
    }
    hr_fit_node *next = hr_fit_ceil(&os->holes, addr + len);
    if (next && next->addr == addr + len) {
        len += next->size;
        hr_fit_remove(&os->holes, next->addr);
    }
    if (addr + len == os->top) { /* the top comes down instead */
        os->top = addr;
        return 0;
    }
    return hr_fit_insert(&os->holes, addr, len, 0);
}
