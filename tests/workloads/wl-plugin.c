/* SPDX-License-Identifier: MIT */
/* A plugin for wl-dlopen: leaks n blocks of 123 bytes from a function that only it defines, so a
 * leak can be attributed to code that was unloaded before the program exited. */
#include <stdlib.h>

void *volatile wl_plugin_sink;

__attribute__((noinline)) void *wl_plugin_leak_one(void)
{
    return malloc(123);
}

void wl_plugin_leak(int n)
{
    for (int i = 0; i < n; i++)
        wl_plugin_sink = wl_plugin_leak_one();
}
