/* SPDX-License-Identifier: MIT */
/* hr_reader: streams the records of a .hrr trace in file order, which is global sequence order.
 * Memory stays bounded by one chunk plus the tables of stack nodes, threads and modules, whatever
 * the length of the trace. Every byte is checked: damaged input ends with one error message that
 * names the file, the byte offset and what was expected; a trace cut short (a process that
 * crashed) ends normally with hr_reader_status().truncated set. */
#ifndef HEAPRR_READER_H
#define HEAPRR_READER_H

#include <heaprr/format.h>
#include <heaprr/index.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hr_reader hr_reader;

#define HR_READ_NODES 0x1u   /* also deliver each stack node as an HR_REC_STACK_NODE record */
#define HR_READ_TRAILER 0x2u /* also deliver trailers as HR_REC_TRAILER records */

/* Opens path and reads its header. Returns 0 or a negative hr_err. Unless it returns
 * HR_ERR_NOMEM, *out is a reader whose hr_reader_message() explains the error; close it. */
int hr_reader_open(hr_reader **out, const char *path, unsigned flags);
/* The same on a descriptor the reader does not own (name is used in messages). */
int hr_reader_open_fd(hr_reader **out, int fd, const char *name, unsigned flags);
void hr_reader_close(hr_reader *r);

/* Reads the next record into *rec. Returns 1 for a record, 0 at the end of the trace (complete
 * or truncated: see hr_reader_status) and a negative hr_err on damaged input, after which the
 * reader stays in error. */
int hr_reader_next(hr_reader *r, hr_record *rec);

/* For a reader that has read nothing yet: when the trace is complete and holds an index (formats/
 * SPEC.md 6.1) one can trust, reads it into *ix (free it with hr_index_free) and returns 1;
 * returns 0 when there is none, or HR_ERR_NOMEM. The reader is not moved. */
int hr_reader_stored_index(hr_reader *r, hr_index *ix);
/* Then, instead of hr_reader_next: reads the rest of the trace for its tables only (stack nodes,
 * modules, threads, process), skipping the events, and checks ix against the trailer. The reader
 * is then at the end, its status and counts those of the whole trace. Returns 0 or a negative
 * hr_err on damaged input. */
int hr_reader_read_tables(hr_reader *r, const hr_index *ix);

/* "FILE: byte N: what was expected" after an error, "FILE: trace truncated at byte N" after a
 * truncated end, "" otherwise. */
const char *hr_reader_message(const hr_reader *r);

typedef struct hr_reader_status {
    int complete;        /* the trace ended with a trailer */
    int truncated;       /* the trace ended without one */
    uint64_t end_offset; /* bytes of complete frames (where a truncated trace was cut) */
    uint64_t frames;     /* complete frames read */
    uint64_t records;    /* records in chunks read so far */
    uint64_t last_seq;
    uint32_t crc;        /* CRC32C of the bytes up to end_offset */
} hr_reader_status;
void hr_reader_status_get(const hr_reader *r, hr_reader_status *st);
/* Counts per event kind and per typed record type, over the records read so far. */
void hr_reader_counts(const hr_reader *r, uint64_t events[HR_KIND_COUNT], uint64_t typed[128]);

const hr_header *hr_reader_header(const hr_reader *r);
/* PROCESS_INFO, once read (it comes first); NULL before or if absent. */
const hr_process_info *hr_reader_process(const hr_reader *r);

/* Writes up to max frames of stack id (innermost first) into ips; returns the depth written. */
size_t hr_reader_stack(const hr_reader *r, uint64_t id, uint64_t *ips, size_t max);
/* Stack nodes defined so far and the fields of one (0 or HR_ERR_ARG for an unknown id). */
uint64_t hr_reader_node_count(const hr_reader *r);
int hr_reader_node(const hr_reader *r, uint64_t id, uint64_t *parent, uint64_t *ip);

/* Thread table: 0 and the thread's tid and latest name, or HR_ERR_ARG for an unknown index. */
int hr_reader_thread(const hr_reader *r, uint32_t index, uint32_t *tid, hr_str *name);
/* Number of THREAD_START records read, and one past the largest thread index seen. */
uint32_t hr_reader_thread_count(const hr_reader *r);
uint32_t hr_reader_thread_limit(const hr_reader *r);
/* Module table: modules loaded so far by id; NULL for an unknown id. unloaded is set to whether a
 * MODULE_UNLOAD was read for it. */
const hr_module_info *hr_reader_module(const hr_reader *r, uint64_t id, int *unloaded);
uint64_t hr_reader_module_limit(const hr_reader *r); /* one past the largest id seen */

#ifdef __cplusplus
}
#endif
#endif
