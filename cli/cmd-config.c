/* SPDX-License-Identifier: MIT */
/* heaprr config: prints the band/arena model's configuration after normalization. */
#include "cli.h"
#include "heapopts.h"

#include <getopt.h>

static const char help[] =
    "usage: heaprr config [--model qnx32|native] [--band-config STR] [--arena-size N] [--json]\n"
    "\n"
    "Prints the configuration 'heaprr replay' would use: the bands with their block counts\n"
    "normalized as QNX does (each band as many blocks as fit in one band arena), the band arena\n"
    "size, the arena size and the arena cache limits.\n"
    "\n" CLI_HEAP_HELP "  --json                 machine-readable output\n";

static void print_json(const hr_heap_config *c)
{
    json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_cstr(&j, "model", c->layout.kind == HR_LAYOUT_QNX32 ? "qnx32" : "native");
    json_array_begin(&j, "bands");
    for (uint32_t i = 0; i < c->nbands; i++) {
        json_object_begin(&j, NULL);
        json_u64(&j, "size", c->bands[i].size);
        json_u64(&j, "blocks", c->bands[i].blocks);
        json_u64(&j, "prealloc", c->bands[i].prealloc);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_u64(&j, "band_arena_size", c->band_arena_size);
    json_u64(&j, "arena_size", c->arena_size);
    json_u64(&j, "arena_cache_maxblk", c->cache_maxblk);
    json_u64(&j, "arena_cache_maxsz", c->cache_maxsz);
    json_bool(&j, "memory_hold", c->memory_hold);
    json_u64(&j, "memory_preallocate", c->preallocate);
    json_object_begin(&j, "layout");
    json_u64(&j, "pointer_size", c->layout.pointer_size);
    json_u64(&j, "block_header", c->layout.block_header);
    json_u64(&j, "list_node", c->layout.list_node);
    json_u64(&j, "band_arena_header", c->layout.band_arena);
    json_u64(&j, "arena_header", c->layout.arena_header);
    json_u64(&j, "align", c->layout.align);
    json_object_end(&j);
    json_object_end(&j);
    json_finish(&j);
}

static void print_text(const hr_heap_config *c)
{
    printf("model %s: block header %u B, list node %u B, band arena header %u B, alignment %u\n",
           c->layout.kind == HR_LAYOUT_QNX32 ? "qnx32" : "native", c->layout.block_header, c->layout.list_node,
           c->layout.band_arena, c->layout.align);
    printf("bands (band arena %u B):\n  %8s %8s %9s\n", c->band_arena_size, "size", "blocks", "prealloc");
    for (uint32_t i = 0; i < c->nbands; i++)
        printf("  %8u %8u %9u\n", c->bands[i].size, c->bands[i].blocks, c->bands[i].prealloc);
    printf("arena size %llu B; arena cache: %llu arenas, %llu B; memory hold %s; preallocate %llu B\n",
           (unsigned long long)c->arena_size, (unsigned long long)c->cache_maxblk,
           (unsigned long long)c->cache_maxsz, c->memory_hold ? "on" : "off", (unsigned long long)c->preallocate);
}

int cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_HEAP_LONGOPTS, {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
    cli_heapopts ho = {0};
    int as_json = 0, c;
    while ((c = cli_getopt("config", argc, argv, "h", opts)) != -1) {
        if (c == 'h')
            cli_help(help);
        else if (c == 'j')
            as_json = 1;
        else
            cli_heap_option(&ho, c, optarg);
    }
    if (optind != argc)
        cli_usage("config", "unexpected argument '%s'", argv[optind]);
    hr_heap_config cfg;
    cli_heap_config("config", &ho, &cfg);
    if (as_json)
        print_json(&cfg);
    else
        print_text(&cfg);
    return 0;
}
