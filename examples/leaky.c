/* SPDX-License-Identifier: MIT */
/* Example: a small "config loader" that leaks from three call sites. Expected (heaprr stats):
 * 5576 bytes leaked in 12 blocks: 10 x 48 bytes from parse_entries (a list whose head is dropped),
 * 4096 bytes from read_key (a buffer lost on an early-return error path) and 1000 bytes from
 * grow_log (the result of a realloc that is never freed). In all: 19 mallocs, 2 callocs,
 * 2 reallocs and 9 frees; the peak is the leak itself, 5576 bytes in 12 blocks at the end.
 * Prints nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *next;
    char key[20];
    int value;
    char pad[12];
};

/* Builds a list of n entries; the caller forgets to free it. */
static struct entry *parse_entries(int n)
{
    struct entry *head = NULL;
    for (int i = 0; i < n; i++) {
        struct entry *e = malloc(sizeof *e);
        if (!e)
            return head;
        memset(e, 0, sizeof *e);
        e->value = i;
        e->next = head;
        head = e;
    }
    return head;
}

/* Reads the first word of text into key (64 bytes) through a 4 KiB working buffer. Returns -1
 * when there is no word, without freeing the buffer. */
static int read_key(const char *text, char *key)
{
    char *buf = calloc(1, 4096);
    if (!buf)
        return -1;
    strncpy(buf, text, 4095);
    if (sscanf(buf, "%63s", key) != 1)
        return -1; /* the leak: buf is not freed on this path */
    free(buf);
    return 0;
}

/* Grows a log buffer 250 -> 500 -> 1000 bytes; the caller never frees the result. */
static char *grow_log(void)
{
    char *log = malloc(250);
    for (size_t size = 500; log && size <= 1000; size *= 2) {
        char *bigger = realloc(log, size);
        if (!bigger) {
            free(log);
            return NULL;
        }
        log = bigger;
        memset(log, '.', size);
    }
    return log;
}

/* Allocations that are freed properly, so the leaks stand out among them. */
static char *volatile scratch; /* volatile: keeps the compiler from removing malloc+free pairs */
static struct entry *volatile entries;
static char *volatile log_buf;

static void scratch_work(void)
{
    for (int i = 0; i < 8; i++) {
        scratch = malloc(64);
        if (scratch)
            memset(scratch, i, 64);
        free(scratch);
    }
}

int main(void)
{
    scratch_work();
    entries = parse_entries(10);
    entries = NULL; /* drops the only pointer to the list */
    char key[64];
    read_key("name = heaprr\n", key);
    read_key("   \n", key);
    log_buf = grow_log();
    log_buf = NULL;
    return 0;
}
