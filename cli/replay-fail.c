/* SPDX-License-Identifier: MIT */
/* heaprr replay --fail: the failed calls by stack (replay-fail.h). */
#include "replay-fail.h"

#include "stacks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SITES 10

typedef struct fail_site {
    uint64_t stack, calls, bytes, first_seq;
    uint32_t kind;
} fail_site;

static int by_stack(const void *a, const void *b)
{
    const hr_injected_call *x = a, *y = b;
    return x->stack < y->stack ? -1 : x->stack > y->stack ? 1 : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_calls(const void *a, const void *b)
{
    const fail_site *x = a, *y = b;
    if (x->calls != y->calls)
        return x->calls > y->calls ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

/* The calls grouped by stack, most calls first; *out to free. */
static size_t group(const hr_injected_call *calls, size_t n, fail_site **out)
{
    hr_injected_call *c = malloc((n ? n : 1) * sizeof *c);
    fail_site *s = malloc((n ? n : 1) * sizeof *s);
    if (!c || !s)
        cli_die(1, "out of memory");
    if (n)
        memcpy(c, calls, n * sizeof *c);
    qsort(c, n, sizeof *c, by_stack);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!k || s[k - 1].stack != c[i].stack)
            s[k++] = (fail_site){c[i].stack, 0, 0, c[i].seq, c[i].kind};
        s[k - 1].calls++;
        s[k - 1].bytes += c[i].size;
    }
    free(c);
    qsort(s, k, sizeof *s, by_calls);
    *out = s;
    return k;
}

static const char *kind_name(uint32_t k)
{
    const char *n = hr_kind_name(k);
    return n ? n : "?";
}

void cli_replay_fail_text(hr_reader *r, const hr_replay_result *res, const hr_injected_call *calls, size_t n)
{
    printf("  --fail: %" PRIu64 " call%s made to fail", res->injected, res->injected == 1 ? "" : "s");
    if (res->injected_frees)
        printf(", %" PRIu64 " later free%s of their blocks skipped", res->injected_frees,
               res->injected_frees == 1 ? "" : "s");
    printf("\n");
    fail_site *s;
    size_t k = group(calls, n, &s);
    for (size_t i = 0; i < k && i < TEXT_SITES; i++) {
        char label[1024];
        cli_site_label(r, s[i].stack, 3, label, sizeof label);
        printf("  %8" PRIu64 " %-8s first #%-8" PRIu64 " %s\n", s[i].calls, kind_name(s[i].kind), s[i].first_seq,
               label);
    }
    if (k > TEXT_SITES)
        printf("  (%zu more stacks: --json lists them)\n", k - TEXT_SITES);
    free(s);
}

void cli_replay_fail_json(json *j, hr_reader *r, const hr_replay_result *res, const hr_injected_call *calls, size_t n)
{
    json_object_begin(j, "injected");
    json_u64(j, "calls", res->injected);
    json_u64(j, "frees_skipped", res->injected_frees);
    json_array_begin(j, "sites");
    fail_site *s;
    size_t k = group(calls, n, &s);
    for (size_t i = 0; i < k; i++) {
        json_object_begin(j, NULL);
        json_u64(j, "calls", s[i].calls);
        json_u64(j, "bytes", s[i].bytes);
        json_cstr(j, "kind", kind_name(s[i].kind));
        json_u64(j, "first_event", s[i].first_seq);
        cli_json_stack(j, "stack", r, s[i].stack);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
    free(s);
}
