/* SPDX-License-Identifier: MIT */
/* gnuplot driver (include/heaprr/plot.h): the script is built in memory and piped to gnuplot. */
#define _GNU_SOURCE
#include <heaprr/plot.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct hr_plot {
    char *out;
    int svg;
    char *data, *cmds;
    size_t data_len, cmds_len;
    FILE *fdata, *fcmds;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcasecmp(s + n - k, suffix) == 0;
}

hr_plot *hr_plot_begin(const char *out, char *why, size_t why_size)
{
    int svg = ends_with(out, ".svg");
    if (!svg && !ends_with(out, ".png")) {
        snprintf(why, why_size, "%s: a plot file must end in .png or .svg", out);
        return NULL;
    }
    hr_plot *p = calloc(1, sizeof *p);
    if (!p || !(p->out = strdup(out)) || !(p->fdata = open_memstream(&p->data, &p->data_len)) ||
        !(p->fcmds = open_memstream(&p->cmds, &p->cmds_len))) {
        snprintf(why, why_size, "out of memory");
        if (p) {
            if (p->fdata)
                fclose(p->fdata);
            free(p->data);
            free(p->out);
            free(p);
        }
        return NULL;
    }
    p->svg = svg;
    return p;
}

FILE *hr_plot_data(hr_plot *p)
{
    return p->fdata;
}

FILE *hr_plot_commands(hr_plot *p)
{
    return p->fcmds;
}

void hr_plot_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('"', f);
}

void hr_plot_title(FILE *c, const char *title)
{
    fputs("set title ", c);
    hr_plot_quote(c, title);
    fputc('\n', c);
}

static void free_plot(hr_plot *p)
{
    free(p->out);
    free(p->data);
    free(p->cmds);
    free(p);
}

/* Writes all of buf to fd; returns 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int run_gnuplot(const char *script, size_t len, char *why, size_t why_size)
{
    int in[2], err[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
        snprintf(why, why_size, "cannot run gnuplot: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(err[1], 2);
        dup2(err[1], 1);
        execlp("gnuplot", "gnuplot", (char *)NULL);
        dprintf(2, "gnuplot not found (install gnuplot-nox)\n");
        _exit(127);
    }
    close(in[0]);
    close(err[1]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int wrote = pid > 0 ? write_all(in[1], script, len) : -1;
    close(in[1]);
    signal(SIGPIPE, old);
    char msg[512] = "";
    size_t got = 0;
    ssize_t n;
    while (got < sizeof msg - 1 && (n = read(err[0], msg + got, sizeof msg - 1 - got)) > 0)
        got += (size_t)n;
    msg[got] = 0;
    close(err[0]);
    int status = 0;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid < 0 || wrote < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *nl = strchr(msg, '\n');
        if (nl && nl[1] && strstr(msg, "line")) /* gnuplot: the faulty line, then the message */
            memmove(msg, nl + 1, strlen(nl + 1) + 1);
        for (char *c = msg; *c; c++)
            if (*c == '\n')
                *c = ' ';
        snprintf(why, why_size, "gnuplot failed: %.300s", msg[0] ? msg : "no message");
        return -1;
    }
    return 0;
}

int hr_plot_end(hr_plot *p, char *why, size_t why_size)
{
    fclose(p->fdata);
    fclose(p->fcmds);
    p->fdata = p->fcmds = NULL;
    char *script = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);
    if (!f) {
        snprintf(why, why_size, "out of memory");
        free_plot(p);
        return -1;
    }
    if (p->svg)
        fprintf(f, "set terminal svg size 1000,600 dynamic enhanced font 'sans,11' background rgb 'white'\n");
    else
        fprintf(f, "set terminal pngcairo size 1000,600 enhanced font 'sans,10'\n");
    fputs("set output ", f);
    hr_plot_quote(f, p->out);
    fputs("\n$data << EOD\n", f);
    fwrite(p->data, 1, p->data_len, f);
    fputs("EOD\nset grid\nset key top left\n", f);
    fwrite(p->cmds, 1, p->cmds_len, f);
    fputs("\nset output\n", f);
    fclose(f);
    int rc = run_gnuplot(script, len, why, why_size);
    free(script);
    free_plot(p);
    return rc;
}
