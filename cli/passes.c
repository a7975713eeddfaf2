/* SPDX-License-Identifier: MIT */
/* Analysis passes, run or shared (passes.h). */
#include "passes.h"
#include "traces.h"

#include "cli.h"
#include "progress.h"

#include <heaprr/analyze.h>

#include <string.h>

static struct {
    const char *path; /* the trace the shared results are of; NULL: none */
    hr_reader *profile_r, *leaks_r, *bins_r;
    hr_profile profile;
    hr_leaks leaks;
    hr_bins bins;
} shared;

static int is_shared(const char *path, const hr_reader *r)
{
    return shared.path && strcmp(path, shared.path) == 0 && r;
}

typedef int (*pass_fn)(hr_reader *r, void *out);

static int profile_pass(hr_reader *r, void *out)
{
    return hr_profile_compute(r, 0, out);
}

static int leaks_pass(hr_reader *r, void *out)
{
    return hr_leaks_compute(r, out);
}

static int bins_pass(hr_reader *r, void *out)
{
    return hr_bins_compute(r, out);
}

/* Opens path and runs one pass over it with a progress bar. Returns the pass's result; *r is the
 * reader. */
static int run(const char *path, const char *what, pass_fn pass, void *out, hr_reader **r)
{
    *r = cli_open_trace(path, 0);
    cli_progress bar;
    cli_progress_start(&bar, path, what);
    int rc = pass(*r, out);
    cli_progress_end(&bar);
    return rc;
}

/* run(), exiting with one line when the pass fails. */
static hr_reader *run_or_die(const char *path, const char *what, pass_fn pass, void *out)
{
    hr_reader *r;
    int rc = run(path, what, pass, out, &r);
    cli_pass_done(rc, r, path);
    return r;
}

hr_reader *cli_profile_pass(const char *path, const char *what, hr_profile *p)
{
    if (is_shared(path, shared.profile_r)) {
        *p = shared.profile;
        return shared.profile_r;
    }
    return run_or_die(path, what, profile_pass, p);
}

hr_reader *cli_leaks_pass(const char *path, hr_leaks *l)
{
    if (is_shared(path, shared.leaks_r)) {
        *l = shared.leaks;
        return shared.leaks_r;
    }
    return run_or_die(path, "leaks", leaks_pass, l);
}

static int default_bounds(const hr_bins *b)
{
    hr_bins d;
    hr_bins_default(&d);
    if (b->n != d.n)
        return 0;
    for (uint32_t i = 0; i < d.n; i++)
        if (b->bins[i].le != d.bins[i].le)
            return 0;
    return 1;
}

hr_reader *cli_bins_pass(const char *path, hr_bins *b)
{
    if (is_shared(path, shared.bins_r) && default_bounds(b)) {
        *b = shared.bins;
        return shared.bins_r;
    }
    return run_or_die(path, "bins", bins_pass, b);
}

hr_reader *cli_bins_pass_all(const cli_trace_set *t, hr_bins *b)
{
    hr_bins one = *b;
    hr_reader *r = cli_bins_pass(t->paths[0], b);
    for (size_t k = 1; k < t->n; k++) {
        hr_bins more = one;
        cli_pass_end(cli_bins_pass(t->paths[k], &more));
        for (uint32_t i = 0; i < b->n; i++) {
            b->bins[i].allocs += more.bins[i].allocs;
            b->bins[i].frees += more.bins[i].frees;
            b->bins[i].live += more.bins[i].live;
            b->bins[i].peak_live += more.bins[i].peak_live;
            b->bins[i].bytes += more.bins[i].bytes;
        }
    }
    return r;
}

void cli_profile_free(hr_profile *p)
{
    const hr_profile *s = &shared.profile; /* the same arrays: the shared copy (or nothing to free) */
    if (p->sites != s->sites || p->threads != s->threads || p->samples != s->samples)
        hr_profile_free(p);
}

void cli_leaks_free(hr_leaks *l)
{
    if (l->groups != shared.leaks.groups)
        hr_leaks_free(l);
}

void cli_pass_end(hr_reader *r)
{
    if (r != shared.profile_r && r != shared.leaks_r && r != shared.bins_r)
        hr_reader_close(r);
}

static int index_pass(hr_reader *r, void *out)
{
    hr_indexer_config cfg = {0}; /* the default bins and time buckets: the shared ones */
    return hr_index_compute(r, &cfg, out);
}

void cli_passes_share(const char *path)
{
    hr_reader *r;
    hr_index ix;
    shared.path = path;
    hr_bins_default(&shared.bins);
    if (run(path, "report", index_pass, &ix, &r) < 0) { /* each part runs its pass and says why */
        hr_reader_close(r);
        return;
    }
    /* profile, leaks and default bins are all figures of the one index: one read of the trace */
    if (hr_profile_from_index(&ix, hr_trace_truncated(r), &shared.profile) == 0)
        shared.profile_r = r;
    if (hr_leaks_from_index(&ix, &shared.leaks) == 0)
        shared.leaks_r = r;
    hr_bins_from_index(&ix, &shared.bins);
    shared.bins_r = r;
    hr_index_free(&ix);
}
