/* SPDX-License-Identifier: MIT */
/* Options that configure the band/arena model, shared by 'heaprr config' and 'heaprr replay':
 * the layout (--model), then the MALLOC_* environment variables, then the command-line values. */
#ifndef HEAPRR_CLI_HEAPOPTS_H
#define HEAPRR_CLI_HEAPOPTS_H

#include <heaprr/heapcfg.h>

enum { OPT_MODEL = 1000, OPT_BANDS, OPT_ARENA, OPT_LENIENT, OPT_MAXBLK, OPT_MAXSZ, OPT_HOLD, OPT_PREALLOC };

#define CLI_HEAP_LONGOPTS                                                                             \
    {"model", required_argument, NULL, OPT_MODEL}, {"band-config", required_argument, NULL, OPT_BANDS}, \
        {"arena-size", required_argument, NULL, OPT_ARENA}, {"lenient", no_argument, NULL, OPT_LENIENT}, \
        {"cache-maxblk", required_argument, NULL, OPT_MAXBLK},                                          \
        {"cache-maxsz", required_argument, NULL, OPT_MAXSZ}, {"memory-hold", no_argument, NULL, OPT_HOLD}, \
        {"preallocate", required_argument, NULL, OPT_PREALLOC}

#define CLI_HEAP_HELP                                                                                  \
    "  --model qnx32|native   structure sizes of the target (default native: this machine's)\n"     \
    "  --band-config STR      bands as N:s1,n1,p1:...:sN,nN,pN (MALLOC_BAND_CONFIG_STR)\n"             \
    "  --arena-size N         bytes per arena, a multiple of 4096 below 262144 (MALLOC_ARENA_SIZE)\n"   \
    "  --cache-maxblk N       arenas the arena cache keeps (MALLOC_ARENA_CACHE_MAXBLK)\n"               \
    "  --cache-maxsz N        bytes the arena cache keeps (MALLOC_ARENA_CACHE_MAXSZ)\n"                 \
    "  --memory-hold          never give memory back (MALLOC_MEMORY_HOLD=1)\n"                          \
    "  --preallocate N        bytes put in the arena cache at start (MALLOC_MEMORY_PREALLOCATE)\n"      \
    "  --lenient              ignore a malformed band string or MALLOC_* value, as QNX does\n"          \
    "MALLOC_* variables in the environment apply first; options override them.\n"

typedef struct cli_heapopts {
    const char *model, *bands, *arena, *maxblk, *maxsz, *prealloc;
    int hold, lenient;
} cli_heapopts;

/* Takes option c if it is one of CLI_HEAP_LONGOPTS; returns whether it did. */
int cli_heap_option(cli_heapopts *h, int c, const char *arg);
/* Builds the configuration, or exits 2 with one line naming the bad value. */
void cli_heap_config(const char *cmd, const cli_heapopts *h, hr_heap_config *out);

#endif
