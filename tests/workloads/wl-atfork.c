/* SPDX-License-Identifier: MIT */
/* A library preloaded after libheaprr.so whose constructor registers fork handlers that allocate
 * (as some libraries' do), before the recorder registers its own: its prepare handler runs after
 * the recorder's, and its child handler before the recorder's, while the child's staging rings are
 * still its parent's. */
#include <pthread.h>
#include <stdlib.h>

static void *volatile keep;

static void allocate(void)
{
    keep = malloc(32);
    free(keep);
}

__attribute__((constructor)) static void init(void)
{
    pthread_atfork(allocate, NULL, allocate);
}
