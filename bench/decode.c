/* SPDX-License-Identifier: MIT */
/* Decode-only throughput (bench/analyze.sh): reads a trace to its end through the streaming
 * reader, doing nothing with the records, and prints "SECONDS RECORDS EVENTS" (wall time of the
 * read). It bounds every analysis and replay: none can read a trace faster than this. */
#include <heaprr/reader.h>

#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    hr_reader *r;
    hr_record rec;
    if (argc != 2) {
        fprintf(stderr, "usage: decode TRACE\n");
        return 2;
    }
    double t0 = now();
    if (hr_reader_open(&r, argv[1], 0) < 0) {
        fprintf(stderr, "decode: %s\n", hr_reader_message(r));
        return 1;
    }
    unsigned long long records = 0, events = 0;
    int rc;
    while ((rc = hr_reader_next(r, &rec)) == 1) {
        records++;
        events += rec.type == HR_REC_EVENT;
    }
    if (rc < 0)
        fprintf(stderr, "decode: %s\n", hr_reader_message(r));
    hr_reader_close(r);
    printf("%.4f %llu %llu\n", now() - t0, records, events);
    return rc < 0;
}
