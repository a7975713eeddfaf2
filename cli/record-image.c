/* SPDX-License-Identifier: MIT */
/* Before heaprr record's run: a program the recorder cannot enter (statically linked, run by the
 * loader in secure mode, built for another machine) is named in one line with the reason; it is
 * run anyway, unrecorded. */
#define _GNU_SOURCE
#include "cli.h"
#include "record.h"

#include <heaprr/image.h>

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why the loader runs the file at path in secure mode, as its mode shows it (the kernel compares
 * the new effective ids with the real ones). */
static const char *secure_reason(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) < 0)
        return "runs with other privileges";
    if ((sb.st_mode & S_ISUID) && sb.st_uid != getuid())
        return "is set-user-ID";
    if ((sb.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && sb.st_gid != getgid())
        return "is set-group-ID";
    if (getuid() != geteuid() || getgid() != getegid())
        return "would run with heaprr's effective user or group id, not its real one";
    return "has file capabilities";
}

static void say(const char *prog, const char *via, unsigned flags, const char *judged)
{
    char p[512], v[512], what[600];
    hr_printable(prog, 200, p, sizeof p);
    const char *reason, *effect;
    if (flags & HR_IMG_FOREIGN) {
        reason = "is a program for another machine or word size";
        effect = "libheaprr.so cannot be loaded into it";
    } else if (flags & HR_IMG_STATIC) {
        reason = "is statically linked";
        effect = "LD_PRELOAD cannot record it";
    } else {
        reason = secure_reason(judged);
        effect = "the loader ignores LD_PRELOAD for it";
    }
    if (via)
        snprintf(what, sizeof what, "runs %s, which %s", hr_printable(via, 200, v, sizeof v), reason);
    else
        snprintf(what, sizeof what, "%s", reason);
    fprintf(stderr, "heaprr: %s %s: %s; running it unrecorded\n", p, what, effect);
}

int cli_image_warning(const char *prog)
{
    char path[PATH_MAX], interp[PATH_MAX];
    unsigned flags;
    if (hr_image_find(prog, getenv("PATH"), path, sizeof path) < 0 || hr_image_check(path, &flags) < 0 || !flags)
        return 0;
    int script = hr_image_interpreter(path, interp, sizeof interp) == 1;
    say(prog, script ? interp : NULL, flags, script ? interp : path);
    return 1;
}
