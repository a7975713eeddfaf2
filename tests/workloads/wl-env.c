/* SPDX-License-Identifier: MIT */
/* Workload: a correct program that rewrites its environment (setenv twice and more, putenv,
 * unsetenv), as gdb and readline do at start-up, then starts a child through system(), which
 * inherits the environment the recorder marked. Nothing here may look like an invalid free. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char put[] = "WL_ENV_PUT=1";

int main(int argc, char **argv)
{
    setenv("WL_ENV_A", "1", 1);
    setenv("WL_ENV_B", "2", 1);
    setenv("WL_ENV_A", "3", 1);
    putenv(put);
    unsetenv("WL_ENV_B");
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "WL_ENV_%d", i);
        setenv(name, "x", 1);
    }
    char *volatile p = malloc(100);
    free(p);
    int rc = 0;
    if (argc > 1)
        rc = system(argv[1]);
    printf("wl-env: A=%s PUT=%s B=%s\n", getenv("WL_ENV_A"), getenv("WL_ENV_PUT"), getenv("WL_ENV_B") ? "set" : "unset");
    return rc == 0 ? 0 : 1;
}
