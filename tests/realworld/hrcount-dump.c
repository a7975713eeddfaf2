/* SPDX-License-Identifier: MIT */
/* hrcount-dump DIR: prints every count file the counting preload wrote into DIR (count.PID.N,
 * count-file.h) as one JSON object per line, for check-traces.py to hold against the traces.
 * Exit status 1 when a file is not a complete count file. */
#include "count-file.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[HRC_KINDS] = {
    "malloc",        "calloc", "realloc", "reallocarray", "free",  "memalign", "posix_memalign",
    "aligned_alloc", "valloc", "pvalloc", "new",          "new[]", "delete",   "delete[]",
};

/* A JSON string of at most cap bytes of s (the fields are zero-terminated unless damaged). */
static void json_str(const char *s, size_t cap)
{
    putchar('"');
    for (size_t i = 0; i < cap && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_file(const char *name, const hrcount_file *f)
{
    printf("{\"file\": ");
    json_str(name, strlen(name));
    printf(", \"pid\": %" PRIu32 ", \"ppid\": %" PRIu32 ", \"image\": %" PRIu32, f->pid, f->ppid, f->image);
    printf(", \"origin\": \"%s\"", f->origin == HRC_ORIGIN_FORK ? "fork" : "start");
    printf(", \"interposed\": %s, \"exe\": ", f->interposed ? "true" : "false");
    json_str(f->exe, sizeof f->exe);
    printf(", \"first_malloc\": ");
    json_str(f->first_malloc, sizeof f->first_malloc);
    printf(", \"counts\": {");
    for (unsigned k = 0; k < HRC_KINDS; k++)
        printf("%s\"%s\": %" PRIu64, k ? ", " : "", kind_names[k], f->counts[k]);
    printf("}}\n");
}

static int dump_one(const char *dir, const char *name)
{
    char path[4096];
    hrcount_file f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *in = fopen(path, "rb");
    if (!in) {
        perror(path);
        return 1;
    }
    size_t got = fread(&f, 1, sizeof f, in);
    fclose(in);
    if (got != sizeof f || memcmp(f.magic, HRCOUNT_MAGIC, sizeof f.magic) != 0) {
        fprintf(stderr, "hrcount-dump: %s: not a complete count file (%zu bytes, magic %s)\n", path, got,
                got >= sizeof f.magic && memcmp(f.magic, HRCOUNT_MAGIC, 8) == 0 ? "ok" : "missing");
        return 1;
    }
    print_file(name, &f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hrcount-dump DIR\n");
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    int bad = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, "count.", 6) == 0)
            bad |= dump_one(argv[1], e->d_name);
    closedir(d);
    return bad;
}
