/* SPDX-License-Identifier: MIT */
/* CRC32C (Castagnoli), the checksum of frames, headers and trailers (formats/SPEC.md 1). */
#ifndef HEAPRR_CRC32C_H
#define HEAPRR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC32C over len bytes. Start with crc = 0; the result of one call can be fed to the
 * next, so hr_crc32c(hr_crc32c(0, a, n), b, m) is the CRC of a followed by b. */
uint32_t hr_crc32c(uint32_t crc, const void *data, size_t len);

/* The table-driven path alone, for tests that compare it with the hardware path. */
uint32_t hr_crc32c_portable(uint32_t crc, const void *data, size_t len);

#endif
