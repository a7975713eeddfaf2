/* SPDX-License-Identifier: MIT */
/* Leak checks at chosen points: a "server" that keeps a 1000-byte cache for its whole life and
 * leaks one 64-byte record per request (remember_request), marking leak checks with
 * heaprr_leak_check after start-up ("warm"), after 10 requests ("after-10") and after 20
 * ("after-20"), then frees its cache and exits. Runs unchanged without the recorder. */
#include <heaprr/heaprr.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static char *volatile cache;
static void *volatile sink;

NOINLINE static void init_cache(void)
{
    cache = malloc(1000);
    memset(cache, 0, 1000);
}

NOINLINE static void remember_request(int id)
{
    int *rec = malloc(64); /* the leak: nobody frees it */
    rec[0] = id;
    sink = rec;
}

NOINLINE static void handle_request(int id)
{
    char *scratch = malloc(256); /* freed: not a leak */
    snprintf(scratch, 256, "request %d", id);
    sink = scratch;
    remember_request(id);
    free(scratch);
}

static void check(const char *label)
{
    if (heaprr_leak_check)
        heaprr_leak_check(label);
}

int main(void)
{
    init_cache();
    check("warm");
    for (int i = 0; i < 10; i++)
        handle_request(i);
    check("after-10");
    for (int i = 10; i < 20; i++)
        handle_request(i);
    check("after-20");
    free(cache);
    puts("served 20 requests");
    return 0;
}
