/* SPDX-License-Identifier: MIT */
/* heaprr import --from mtrace FILE -o OUT.hrr: other tools' traces as heaprr traces. */
#include "cli.h"

#include <heaprr/ctf.h>
#include <heaprr/mtrace.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
    "usage: heaprr import --from mtrace|ctf FILE|DIR -o OUT.hrr\n"
    "\n"
    "  --from mtrace   glibc's mtrace text: what MALLOC_TRACE=FILE writes for a program that\n"
    "                  calls mtrace() (with LD_PRELOAD=libc_malloc_debug.so.0 since glibc 2.34).\n"
    "                  Every event is on thread 1 at time 0 with a one-frame stack; callers given\n"
    "                  as module + offset symbolize when the module is at hand.\n"
    "  --from ctf      CTF traces under DIR (LTTng-UST's, or heaprr export --to ctf's), read\n"
    "                  through libbabeltrace2: heaprr:* events, the events of LTTng-UST's libc\n"
    "                  wrapper (lttng_ust_libc:*, their ip context as a one-frame stack), and\n"
    "                  modules from the statedump and dl events\n"
    "  -o FILE         the trace to write\n";

static int import_ctf(const char *dir, const char *out)
{
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        cli_die(1, "%s: expected a folder holding CTF traces", dir);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        cli_die(1, "cannot create %s: %s", out, strerror(errno));
    hr_ctf_counts n;
    char why[512];
    int rc = hr_ctf_import(dir, fd, &n, why, sizeof why);
    if (close(fd) != 0 && rc == 0) {
        snprintf(why, sizeof why, "cannot write %s: %s", out, strerror(errno));
        rc = -1;
    }
    if (rc < 0) {
        unlink(out);
        cli_die(1, "%s", why);
    }
    printf("%s: %llu allocation events, %llu modules (%llu other events left out)\n", out, n.events, n.modules,
           n.skipped);
    return 0;
}

int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *from = NULL, *out = NULL;
    int c;
    while ((c = cli_getopt("import", argc, argv, "ho:", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'f')
            from = optarg;
        else if (c == 'o')
            out = optarg;
    }
    if (!from)
        cli_usage("import", "missing --from mtrace");
    if (strcmp(from, "mtrace") != 0 && strcmp(from, "ctf") != 0)
        cli_usage("import", "--from: unknown format '%s' (expected mtrace or ctf)", from);
    if (!out || !*out)
        cli_usage("import", "missing -o OUT.hrr");
    if (optind != argc - 1)
        cli_usage("import", optind >= argc ? "missing input file" : "expects one input file");
    const char *in_path = argv[optind];
    if (strcmp(from, "ctf") == 0)
        return import_ctf(in_path, out);
    FILE *in = fopen(in_path, "r");
    if (!in)
        cli_die(1, "%s: %s", in_path, strerror(errno));
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        cli_die(1, "cannot create %s: %s", out, strerror(errno));
    hr_mtrace_counts n;
    char why[512];
    int rc = hr_mtrace_import(in, in_path, fd, &n, why, sizeof why);
    fclose(in);
    if (close(fd) != 0 && rc == 0) {
        snprintf(why, sizeof why, "cannot write %s: %s", out, strerror(errno));
        rc = HR_ERR_IO;
    }
    if (rc < 0) {
        unlink(out); /* no half trace left behind */
        cli_die(1, "%s", why);
    }
    printf("%s: %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64 " reallocs, %" PRIu64 " failed calls\n", out,
           n.allocs, n.frees, n.reallocs, n.failed);
    return 0;
}
