/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the streaming reader: the input is a .hrr file, read from an in-memory
 * file through every lookup of reader.h. It is read twice: as it is (checksums, truncation,
 * header checks) and with its CRCs repaired, so that mutations also reach the frame, trailer and
 * record code that a checksum mismatch would otherwise hide. */
#include "fuzz-common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_bytes(const uint8_t *data, size_t size)
{
    int fd = fz_memfd("fuzz-reader", data, size);
    if (fd < 0)
        abort(); /* the harness, not the input, is broken */
    fz_read_fd(fd, "fuzz-input");
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_bytes(data, size);
    uint8_t *copy = fz_copy(data, size, 1);
    if (!copy)
        return 0;
    if (size && memcmp(copy, data, size) != 0)
        read_bytes(copy, size);
    free(copy);
    return 0;
}
