/* SPDX-License-Identifier: MIT */
/* Workload: dlopen a plugin (argv[1]), make it leak 5 blocks, dlclose it, exit. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 3;
    }
    void (*leak)(int) = (void (*)(int))dlsym(h, "wl_plugin_leak");
    if (!leak)
        return 4;
    leak(5);
    return dlclose(h) == 0 ? 0 : 5;
}
