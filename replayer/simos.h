/* SPDX-License-Identifier: MIT */
/* A simulated OS for the allocator model: arenas are mapped and unmapped in a simulated address
 * space that real memory backs (one large reservation; unmapped ranges give their pages back), so
 * that the model's headers and fill patterns live in real bytes while addresses and footprint stay
 * deterministic: the same sequence of maps gives the same addresses on any machine. Mapping takes
 * the lowest hole that fits, else extends the top. Address 0 is never handed out. */
#ifndef HEAPRR_SIMOS_H
#define HEAPRR_SIMOS_H

#include "fittree.h"

#include <stdint.h>

#define HR_SIM_PAGE 4096u
#define HR_SIM_START 0x10000u /* the first address mapped */

typedef struct hr_simos {
    uint8_t *host;      /* the reservation backing addresses [0, limit) */
    uint64_t limit;     /* addresses at or beyond it cannot be mapped */
    uint64_t top;       /* end of the highest mapping so far */
    hr_fittree holes;   /* unmapped ranges below top */
    uint64_t mapped;    /* bytes mapped now */
    uint64_t peak_mapped;
    uint64_t maps, unmaps;
} hr_simos;

/* Reserves limit bytes of address space (rounded to pages). Returns 0, HR_ERR_NOMEM, or HR_ERR_IO
 * when the reservation fails. */
int hr_simos_init(hr_simos *os, uint64_t limit);
void hr_simos_destroy(hr_simos *os);
/* Maps len bytes (a multiple of HR_SIM_PAGE); returns 0 and the address, or HR_ERR_LIMIT when the
 * simulated address space is full, or HR_ERR_NOMEM. */
int hr_simos_map(hr_simos *os, uint64_t len, uint64_t *addr);
/* Unmaps a range mapped before (its bytes read as zeros when mapped again). */
int hr_simos_unmap(hr_simos *os, uint64_t addr, uint64_t len);

static inline uint8_t *hr_simos_host(const hr_simos *os, uint64_t addr)
{
    return os->host + addr;
}

#endif
