/* SPDX-License-Identifier: MIT */
/* A plain main() for the fuzz targets: runs every file of the directories (or the files) named on
 * the command line through LLVMFuzzerTestOneInput, in name order, so that saved inputs replay
 * under ctest with whatever sanitizers the build has, no libFuzzer needed. */
#define _GNU_SOURCE
#include "fuzz-common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads path into an allocation of exactly its size, so that ASan sees any read past the end. */
static uint8_t *slurp(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    uint8_t *p = malloc(sb.st_size ? (size_t)sb.st_size : 1);
    size_t got = 0;
    while (p && got < (size_t)sb.st_size) {
        ssize_t k = read(fd, p + got, (size_t)sb.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (p && got != (size_t)sb.st_size) {
        free(p);
        return NULL;
    }
    *size = got;
    return p;
}

static int run_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = slurp(path, &size);
    if (!data) {
        fprintf(stderr, "fuzz driver: %s: %s\n", path, strerror(errno ? errno : EIO));
        return -1;
    }
    fprintf(stderr, "fuzz driver: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int is_input(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Runs the regular files of dir; returns how many, or -1. */
static long run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, is_input, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz driver: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    long ran = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (run_file(path) < 0)
                rc = -1;
            ran++;
        }
        free(names[i]);
    }
    free(names);
    return rc < 0 ? -1 : ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int failed = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        long n = stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : (run_file(argv[i]) < 0 ? -1 : 1);
        if (n < 0)
            failed = 1;
        else
            total += n;
    }
    fprintf(stderr, "fuzz driver: %ld inputs run\n", total);
    return failed || total == 0 ? 1 : 0;
}
