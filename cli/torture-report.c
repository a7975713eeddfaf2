/* SPDX-License-Identifier: MIT */
/* heaprr torture: the report (torture.h). Text: the baseline, then the runs that crashed, leaked
 * or hung in detail, each with the command that reproduces it, then one line per other run, then
 * the totals. JSON: the same, every run with its rule. */
#define _GNU_SOURCE
#include "torture.h"

#include <heaprr/format.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *kind_name(unsigned kind)
{
    const char *n = hr_kind_name(kind);
    return n ? n : "?";
}

static const char *signal_name(int sig)
{
    const char *n = sig > 0 ? sigabbrev_np(sig) : NULL;
    return n ? n : "?";
}

/* A word for the shell: as it is when it needs no quotes, else in single quotes. */
static void put_word(FILE *f, const char *w)
{
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") == strlen(w)) {
        fputs(w, f);
        return;
    }
    fputc('\'', f);
    for (; *w; w++)
        if (*w == '\'')
            fputs("'\\''", f);
        else
            fputc(*w, f);
    fputc('\'', f);
}

static void put_command(FILE *f, char *const *argv)
{
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            fputc(' ', f);
        put_word(f, argv[i]);
    }
}

static size_t count(const sweep *s, enum tt_outcome o)
{
    size_t n = 0;
    for (size_t i = 0; i < s->sites.n; i++)
        n += s->verdicts[i].outcome == o;
    return n;
}

/* What a run did, in a few words. */
static void what_happened(const tt_run *run, const tt_verdict *v, char *out, size_t cap)
{
    switch (v->outcome) {
    case TT_HUNG:
        snprintf(out, cap, "still running after %.0f s: stopped", run->seconds);
        break;
    case TT_CRASHED:
        snprintf(out, cap, "killed by SIG%s (%s)%s%s%s", signal_name(run->signal), strsignal(run->signal),
                 v->last_err[0] ? ": \"" : "", v->last_err, v->last_err[0] ? "\"" : "");
        break;
    case TT_LEAKED:
        snprintf(out, cap, "exit %d; %" PRIu64 " bytes in %" PRIu64 " block%s the baseline freed, from %s", run->status,
                 v->leak_bytes, v->leak_blocks, v->leak_blocks == 1 ? "" : "s", v->leak_at);
        break;
    default:
        snprintf(out, cap, "exit %d%s%s%s%s", run->status, v->same_output ? ", same output" : ", output differs",
                 v->last_err[0] ? ": \"" : "", v->last_err, v->last_err[0] ? "\"" : "");
    }
}

static void detail(const sweep *s, size_t i)
{
    const tt_site *site = &s->sites.v[i];
    const tt_verdict *v = &s->verdicts[i];
    char what[2048];
    what_happened(&s->runs[i], v, what, sizeof what);
    printf("%-11s %s\n", tt_outcome_name(v->outcome), site->label);
    printf("%-11s %s at %s, %" PRIu64 " call%s in the baseline; %s\n", "", kind_name(site->kind), site->where,
           site->calls, site->calls == 1 ? "" : "s", what);
    if (v->failed_at[0] && strcmp(v->failed_at, site->label) != 0)
        printf("%-11s the failed call: %s\n", "", v->failed_at);
    if (v->in_children)
        printf("%-11s %" PRIu64 " of the %" PRIu64 " failures in child processes\n", "", v->in_children, v->injected);
    printf("%-11s reproduce: heaprr record --fail ", "");
    put_word(stdout, site->rule);
    printf(" -- ");
    put_command(stdout, s->argv);
    printf("\n");
    if (s->o->keep)
        printf("%-11s trace: %s\n", "", s->runs[i].trace);
}

void tt_report_text(const sweep *s)
{
    printf("baseline: exit %d in %.2f s; %" PRIu64 " allocation calls", s->base.status, s->base.seconds, s->sites.calls);
    if (!s->o->calls)
        printf(" at %zu sites", s->sites.n);
    printf("\n%zu runs, %u at a time, in %.1f s (timeout %.0f s each)\n\n", s->sites.n, s->rr.jobs, s->seconds,
           s->rr.timeout);
    if (!s->sites.n)
        printf("no allocation call to fail\n");
    for (size_t i = 0; i < s->sites.n; i++) {
        enum tt_outcome o = s->verdicts[i].outcome;
        if (o == TT_CRASHED || o == TT_LEAKED || o == TT_HUNG)
            detail(s, i);
    }
    for (size_t i = 0; i < s->sites.n; i++) {
        enum tt_outcome o = s->verdicts[i].outcome;
        if (o == TT_CRASHED || o == TT_LEAKED || o == TT_HUNG)
            continue;
        char what[2048];
        what_happened(&s->runs[i], &s->verdicts[i], what, sizeof what);
        printf("%-11s %s: %s\n", tt_outcome_name(o), s->sites.v[i].label, o == TT_NOT_REACHED ? "no call failed" : what);
    }
    printf("\nhandled %zu, crashed %zu, leaked %zu, hung %zu, not reached %zu\n", count(s, TT_HANDLED),
           count(s, TT_CRASHED), count(s, TT_LEAKED), count(s, TT_HUNG), count(s, TT_NOT_REACHED));
}

static void json_run(json *j, const sweep *s, size_t i)
{
    const tt_site *site = &s->sites.v[i];
    const tt_run *run = &s->runs[i];
    const tt_verdict *v = &s->verdicts[i];
    json_object_begin(j, NULL);
    json_cstr(j, "outcome", tt_outcome_name(v->outcome));
    json_cstr(j, "site", site->label);
    json_cstr(j, "where", site->where);
    json_cstr(j, "kind", kind_name(site->kind));
    json_u64(j, "baseline_calls", site->calls);
    json_cstr(j, "rule", site->rule);
    json_u64(j, "injected", v->injected);
    json_u64(j, "injected_in_children", v->in_children);
    if (v->failed_at[0])
        json_cstr(j, "failed_call", v->failed_at);
    else
        json_null(j, "failed_call");
    if (run->exited && !run->signal && !run->hung)
        json_i64(j, "exit_status", run->status);
    else
        json_null(j, "exit_status");
    if (run->signal && !run->hung)
        json_cstr(j, "signal", signal_name(run->signal));
    else
        json_null(j, "signal");
    json_bool(j, "same_output", v->same_output);
    json_cstr(j, "last_stderr_line", v->last_err);
    json_u64(j, "leaked_bytes", v->leak_bytes);
    json_u64(j, "leaked_blocks", v->leak_blocks);
    if (v->leak_at[0])
        json_cstr(j, "leak_site", v->leak_at);
    else
        json_null(j, "leak_site");
    json_double(j, "seconds", run->seconds);
    if (s->o->keep)
        json_cstr(j, "trace", run->trace);
    json_object_end(j);
}

void tt_report_json(const sweep *s)
{
    json j;
    json_init(&j, stdout);
    json_object_begin(&j, NULL);
    json_array_begin(&j, "program");
    for (size_t i = 0; s->argv[i]; i++)
        json_cstr(&j, NULL, s->argv[i]);
    json_array_end(&j);
    json_object_begin(&j, "baseline");
    json_i64(&j, "exit_status", s->base.status);
    json_double(&j, "seconds", s->base.seconds);
    json_u64(&j, "calls", s->sites.calls);
    json_object_end(&j);
    json_cstr(&j, "by", s->o->calls ? "call" : "site");
    json_u64(&j, "jobs", s->rr.jobs);
    json_double(&j, "timeout", s->rr.timeout);
    json_double(&j, "seconds", s->seconds);
    json_object_begin(&j, "totals");
    for (int o = 0; o < TT_OUTCOMES; o++)
        json_u64(&j, tt_outcome_name((enum tt_outcome)o), count(s, (enum tt_outcome)o));
    json_object_end(&j);
    json_array_begin(&j, "runs");
    for (size_t i = 0; i < s->sites.n; i++)
        json_run(&j, s, i);
    json_array_end(&j);
    json_object_end(&j);
    json_finish(&j);
}
