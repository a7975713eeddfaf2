/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the mtrace text importer: any input imports or fails with one line naming
 * a line of it; an import is a trace the reader reads to its end without an error. */
#include "fuzz-common.h"

#include <heaprr/mtrace.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *in = fmemopen((void *)data, size ? size : 1, "r");
    if (!in)
        return 0;
    if (!size)
        fgetc(in); /* fmemopen wants a size: make it empty */
    int fd = fz_memfd("fuzz-mtrace", NULL, 0);
    if (fd < 0)
        abort();
    hr_mtrace_counts n;
    char why[512] = "";
    int rc = hr_mtrace_import(in, "input", fd, &n, why, sizeof why);
    fclose(in);
    if (rc < 0) {
        FZ_CHECK(why[0] && !strchr(why, '\n'));
        FZ_CHECK(strncmp(why, "input: line ", 12) == 0 || rc == HR_ERR_NOMEM || rc == HR_ERR_LIMIT);
    } else {
        FZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
        FZ_CHECK(fz_read_fd(fd, "imported") == 0);
    }
    close(fd);
    return 0;
}
