/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the streaming reader: the input is a .hrr file, read from an in-memory
 * file through every lookup of reader.h. It is read twice: as it is (checksums, truncation,
 * header checks) and with its CRCs repaired, so that mutations also reach the frame, trailer and
 * record code that a checksum mismatch would otherwise hide. Each is also read through its index
 * (formats/SPEC.md 6.1), whose payload the repaired copy lets mutations reach. */
#include "fuzz-common.h"

#include <heaprr/reader.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Through the trace's index, when it holds one: the tables read, or one error message. */
static void read_indexed(int fd)
{
    hr_reader *r;
    hr_index ix;
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    if (hr_reader_open_fd(&r, fd, "fuzz-input", 0) == 0 && hr_reader_stored_index(r, &ix) == 1) {
        FZ_CHECK(hr_reader_read_tables(r, &ix) == 0 || *hr_reader_message(r));
        hr_index_free(&ix);
    }
    hr_reader_close(r);
}

static void read_bytes(const uint8_t *data, size_t size)
{
    int fd = fz_memfd("fuzz-reader", data, size);
    if (fd < 0)
        abort(); /* the harness, not the input, is broken */
    fz_read_fd(fd, "fuzz-input");
    read_indexed(fd);
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
