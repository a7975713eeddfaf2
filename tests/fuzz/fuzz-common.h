/* SPDX-License-Identifier: MIT */
/* Helpers shared by the fuzz targets and the seed tool: in-memory files, an exhaustive walk of a
 * trace through the public reader API with checks of its documented contracts, CRC repair so
 * that mutated inputs get past the checksums, and the layout of recover-target inputs. */
#ifndef HEAPRR_FUZZ_COMMON_H
#define HEAPRR_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point every target defines (driver.c calls it too). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken API contract: prints what and aborts, so that libFuzzer saves the input. */
#define FZ_CHECK(cond)                          \
    do {                                        \
        if (!(cond))                            \
            fz_fail(__FILE__, __LINE__, #cond); \
    } while (0)
void fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

static inline uint32_t fz_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void fz_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t fz_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* CRC32C as SPEC.md section 1 defines it; chainable like hr_crc32c (start with 0). Written here
 * rather than taken from formats/ so that the fuzzers check the spec, not the code's idea of it. */
uint32_t fz_crc32c(uint32_t crc, const void *data, size_t len);

/* Rewrites, in place, the header CRC, every complete frame's CRC and the file CRC at the end of
 * every trailer payload, so that a mutated trace reaches the code behind the checksums. Does
 * nothing to bytes that do not start with the heaprr magic. */
void fz_repair_crcs(uint8_t *buf, size_t size);
/* A malloc'd copy of data (at least one byte allocated), its CRCs repaired when repair is set; NULL
 * without memory. */
uint8_t *fz_copy(const uint8_t *data, size_t size, int repair);

/* Returns a new in-memory file holding data, positioned at 0, or -1. */
int fz_memfd(const char *name, const uint8_t *data, size_t size);
/* The input as a NUL-terminated string (free it), NULL without memory. */
char *fz_string(const uint8_t *data, size_t size);
/* Writes data to path (created or truncated); returns 0 or -1. */
int fz_write_file(const char *path, const uint8_t *data, size_t size);

/* Reads the trace on fd to its end with hr_reader_open_fd(HR_READ_NODES | HR_READ_TRAILER),
 * looking up every stack, thread and module the records name, and checks the contracts of
 * reader.h on the way. Returns the hr_reader_next() result that ended the walk (0 or < 0). */
int fz_read_fd(int fd, const char *name);
/* The same through hr_reader_open(path). */
int fz_read_path(const char *path);

/* Recover-target input (fuzz-recover.c describes the layout): writes the trace part to trace and
 * the staging description to stage (which is removed first, and not created when the input has
 * no staging part). stage_pid is the pid written into the staging header, for a header that names
 * pid 1; any other pid is replaced by one that cannot exist. Returns 0 or -1. */
#define FZ_STAGE_MAX (2u << 20)
int fz_write_recover_files(const uint8_t *data, size_t size, const char *trace, const char *stage, uint32_t stage_pid);

#endif
