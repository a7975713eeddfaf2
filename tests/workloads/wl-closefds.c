/* SPDX-License-Identifier: MIT */
/* Workload: a program that closes every descriptor but 0-2 (as daemons do), then opens a file of
 * its own and keeps allocating from new threads. The recorder must not write into the program's
 * file through a reused descriptor: exits 0 only if its file holds exactly what it wrote. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

static void *churn(void *arg)
{
    for (int i = 0; i < 200000; i++) {
        sink = malloc(16 + (size_t)(i % 512));
        free(sink);
    }
    return arg;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (int fd = 3; fd < 4096; fd++)
        close(fd);
    FILE *f = fopen(argv[1], "w+");
    if (!f)
        return 3;
    fputs("the program's own data\n", f);
    fflush(f);
    pthread_t th;
    pthread_create(&th, NULL, churn, NULL); /* a new thread needs a new staging ring */
    pthread_join(th, NULL);
    churn(NULL);
    char line[128] = "";
    rewind(f);
    if (!fgets(line, sizeof line, f) || strcmp(line, "the program's own data\n") != 0 || fgetc(f) != EOF)
        return 4;
    fclose(f);
    return 0;
}
