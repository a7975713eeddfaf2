// SPDX-License-Identifier: MIT
// Heap errors the checker must pin on their culprit, one per argument, each in functions of its
// own so that the stacks can be checked by name. The mismatches are harmless to glibc's heap (the
// sized and aligned deletes it ships ignore the size and free aligned blocks like any other), so the
// program runs to its end; it prints each block it misuses as "<error> <pointer>".
//   size-mismatch        new of 16 bytes, sized delete of 24
//   align-aligned-plain  aligned new (64), plain delete
//   align-plain-aligned  plain new, aligned delete (32)
//   align-other          aligned new (64), aligned delete (128)
//   overrun              a 24-byte block written 32 bytes long, then freed (record with --guard:
//                        without it, the bytes land on glibc's next chunk and free aborts)
//   underrun             4 bytes written just before a 24-byte block, then freed (--guard)
//   use-after-free       a freed node written through a stale pointer, then 600 blocks of 4 KiB
//                        allocated and freed (record with --check-freed and a 1 MiB quarantine:
//                        they push the node out, and its free finds the write)
//   use-after-free-exit  the same write, nothing after it: found at exit
//   double-free          a 32-byte block freed twice
//   invalid-free         free of a pointer malloc never returned (into a static array)
//   interior-free        free of a pointer 8 bytes into a block
//   mismatched-free      malloc, then delete
//   correct              every form of new and delete, rightly paired (no finding)
// Calls of the string and memory functions (record with --check-access; the bytes past the
// request stay inside what glibc gave, so the program runs on natively too):
//   access-memcpy        memcpy of 40 bytes into a 36-byte block
//   access-strcpy        strcpy of a 15-character string into a 12-byte block
//   access-read          memcpy of 24 bytes out of a 20-byte block
//   access-strcat        strcat making a 10-byte string 18 long in a 16-byte block
//   access-freed         memset of 16 bytes into a freed 40-byte block (with --check-freed)
//   access-guarded       memcpy of 46 bytes into a 40-byte block (with --guard: its zone takes them)
//   access-correct       the same functions within bounds, and a block used up to what
//                        malloc_usable_size said (no finding)
// Realloc torture (record with HEAPRR_TORTURE=realloc):
//   stale-realloc        a pointer 8 bytes into a 64-byte buffer kept across realloc of the buffer to
//                        32 bytes, then written through; glibc shrinks in place, so natively (and
//                        recorded without torture) the write lands in the buffer and nothing is
//                        wrong that anyone can see; prints the old buffer
// With MALLOC_ACTION=0 the recorder keeps the bad frees from the C library, and the program prints
// "survived" at the end.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>

#define NOINLINE __attribute__((noinline))

static void *volatile keep; // defeats the optimizer's pairing of new and delete

NOINLINE static void *make_record(std::size_t n)
{
    keep = ::operator new(n);
    return keep;
}

NOINLINE static void *make_aligned_record(std::size_t n, std::size_t al)
{
    keep = ::operator new(n, std::align_val_t(al));
    return keep;
}

NOINLINE static void drop_sized(void *p, std::size_t n)
{
    ::operator delete(p, n);
}

NOINLINE static void drop_plain(void *p)
{
    ::operator delete(p);
}

NOINLINE static void drop_aligned(void *p, std::size_t al)
{
    ::operator delete(p, std::align_val_t(al));
}

NOINLINE static void drop_sized_aligned(void *p, std::size_t n, std::size_t al)
{
    ::operator delete(p, n, std::align_val_t(al));
}

NOINLINE static char *make_buffer(std::size_t n)
{
    char *p = static_cast<char *>(std::malloc(n));
    keep = p;
    return p;
}

NOINLINE static void scribble(char *p, std::size_t n)
{
    std::memset(p, 'x', n);
    keep = p;
}

NOINLINE static void scribble_before(char *p, std::size_t n)
{
    std::memset(p - n, 'u', n);
    keep = p;
}

NOINLINE static void drop_buffer(char *p)
{
    std::free(p);
}

struct node {
    node *next;
    long value;
    char name[24];
};

NOINLINE static node *make_node()
{
    node *n = static_cast<node *>(std::malloc(sizeof(node)));
    n->next = nullptr;
    n->value = 1;
    std::strcpy(n->name, "node");
    keep = n;
    return n;
}

NOINLINE static void drop_node(node *n)
{
    keep = nullptr; // not the same code as drop_buffer, which the compiler would fold into it
    std::free(n);
}

NOINLINE static void set_value(node *n, long v)
{
    n->value = v;
}

NOINLINE static void churn(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        void *volatile q = std::malloc(4096);
        std::free(q);
    }
}

static const char text[64] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ";
static char sink[64];

NOINLINE static void copy_into(char *p, std::size_t n)
{
    std::memcpy(p, text, n);
    keep = p;
}

NOINLINE static void copy_string(char *p, const char *s)
{
    std::strcpy(p, s);
    keep = p;
}

NOINLINE static void read_from(const char *p, std::size_t n)
{
    std::memcpy(sink, p, n);
    keep = sink;
}

NOINLINE static void append(char *p, const char *s)
{
    std::strcat(p, s);
    keep = p;
}

NOINLINE static void clear(char *p, std::size_t n)
{
    std::memset(p, 0, n);
    keep = p;
}

/* Every function within bounds, and a block used up to malloc_usable_size. */
static void access_correct()
{
    char *p = make_buffer(32);
    copy_into(p, 32);
    read_from(p, 32);
    clear(p, 32);
    copy_string(p, "within bounds");
    append(p, " still");
    std::strncpy(p, "padded", 32);
    std::memmove(p + 1, p, 31);
    char *q = make_buffer(20);
    clear(q, malloc_usable_size(q));
    drop_buffer(q);
    drop_buffer(p);
}

NOINLINE static char *resize_buffer(char *p, std::size_t n)
{
    keep = std::realloc(p, n);
    return static_cast<char *>(keep);
}

NOINLINE static void put_mark(char *at, char c)
{
    *at = c;
    keep = at;
}

/* A parser's classic: a field pointer into its buffer, kept while the buffer is resized. */
static void *stale_realloc()
{
    char *buf = make_buffer(64);
    std::memset(buf, 'a', 64);
    char *field = buf + 8;
    void *old = buf;
    buf = resize_buffer(buf, 32);
    put_mark(field, 'x'); // the bug: field points into the block realloc was given
    drop_buffer(buf);
    return old;
}

static void correct()
{
    drop_sized(make_record(40), 40);
    drop_plain(make_record(8));
    drop_aligned(make_aligned_record(96, 64), 64);
    drop_sized_aligned(make_aligned_record(200, 256), 200, 256);
    int *a = new int[10];
    delete[] a;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *what = argv[i];
        void *p = nullptr;
        if (std::strcmp(what, "size-mismatch") == 0) {
            p = make_record(16);
            drop_sized(p, 24);
        } else if (std::strcmp(what, "align-aligned-plain") == 0) {
            p = make_aligned_record(48, 64);
            drop_plain(p);
        } else if (std::strcmp(what, "align-plain-aligned") == 0) {
            p = make_record(48);
            drop_aligned(p, 32);
        } else if (std::strcmp(what, "align-other") == 0) {
            p = make_aligned_record(48, 64);
            drop_aligned(p, 128);
        } else if (std::strcmp(what, "overrun") == 0) {
            char *q = make_buffer(24), *next = make_buffer(24);
            scribble(q, 32);
            drop_buffer(q);
            drop_buffer(next);
            p = q;
        } else if (std::strcmp(what, "underrun") == 0) {
            char *q = make_buffer(24);
            scribble_before(q, 4);
            drop_buffer(q);
            p = q;
        } else if (std::strncmp(what, "use-after-free", 14) == 0) {
            node *n = make_node();
            drop_node(n);
            set_value(n, 42); // the bug: n was freed
            if (std::strcmp(what, "use-after-free") == 0)
                churn(600);
            p = n;
        } else if (std::strcmp(what, "double-free") == 0) {
            char *q = make_buffer(32);
            drop_buffer(q);
            drop_buffer(q); // the bug
            p = q;
        } else if (std::strcmp(what, "invalid-free") == 0) {
            static char not_heap[64];
            drop_buffer(not_heap + 16); // the bug
            p = not_heap + 16;
        } else if (std::strcmp(what, "interior-free") == 0) {
            char *q = make_buffer(48);
            drop_buffer(q + 8); // the bug
            p = q + 8;
        } else if (std::strcmp(what, "mismatched-free") == 0) {
            char *q = make_buffer(40);
            drop_plain(q); // the bug: operator delete of malloc's block
            p = q;
        } else if (std::strcmp(what, "correct") == 0) {
            correct();
        } else if (std::strcmp(what, "access-memcpy") == 0) {
            p = make_buffer(36);
            copy_into(static_cast<char *>(p), 40); // the bug
            drop_buffer(static_cast<char *>(p));
        } else if (std::strcmp(what, "access-strcpy") == 0) {
            p = make_buffer(12);
            copy_string(static_cast<char *>(p), "fifteen chars!!"); // the bug: 16 bytes with its NUL
            drop_buffer(static_cast<char *>(p));
        } else if (std::strcmp(what, "access-read") == 0) {
            p = make_buffer(20);
            std::memset(p, 'r', 20);
            read_from(static_cast<char *>(p), 24); // the bug
            drop_buffer(static_cast<char *>(p));
        } else if (std::strcmp(what, "access-strcat") == 0) {
            p = make_buffer(16);
            std::strcpy(static_cast<char *>(p), "ten chars!");
            append(static_cast<char *>(p), " + eight"); // the bug: 19 bytes with the NUL
            drop_buffer(static_cast<char *>(p));
        } else if (std::strcmp(what, "access-freed") == 0) {
            p = make_buffer(40);
            drop_buffer(static_cast<char *>(p));
            clear(static_cast<char *>(p), 16); // the bug: p was freed
        } else if (std::strcmp(what, "access-guarded") == 0) {
            p = make_buffer(40);
            copy_into(static_cast<char *>(p), 46); // the bug
            drop_buffer(static_cast<char *>(p));
        } else if (std::strcmp(what, "stale-realloc") == 0) {
            p = stale_realloc();
        } else if (std::strcmp(what, "access-correct") == 0) {
            access_correct();
        } else {
            std::fprintf(stderr, "wl-checker: unknown error '%s'\n", what);
            return 2;
        }
        std::printf("%s %p\n", what, p);
    }
    std::printf("survived\n");
    return 0;
}
