// SPDX-License-Identifier: MIT
// operator new under failure injection: a throwing new whose std::bad_alloc the program catches,
// a nothrow new that returns NULL, and (argument "handler") a new_handler that runs once and lets
// the allocation be tried again. Prints "caught C nothrow N handler H".
// Argument "real-oom": a real shortage instead, under a limit of address space: new char[48 MiB]
// fails inside the real operator new, whose new_handler frees a 64 MiB reserve, and the operator's
// own second try succeeds. Prints "real-oom handler 1 block OK".
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/resource.h>

static int handler_runs;

static void handler()
{
    handler_runs++;
    std::set_new_handler(nullptr); // the next failure throws
}

struct node {
    node *next;
    char name[40];
};

__attribute__((noinline)) static node *make_node()
{
    return new node();
}

__attribute__((noinline)) static node *make_node_nothrow()
{
    return new (std::nothrow) node();
}

static char *reserve;

static void release_reserve()
{
    handler_runs++;
    std::free(reserve);
    reserve = nullptr;
    std::set_new_handler(nullptr);
}

/* Bytes of address space in use (/proc/self/statm's first field, pages). */
static unsigned long address_space()
{
    unsigned long pages = 0;
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (f) {
        if (std::fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        std::fclose(f);
    }
    return pages * 4096;
}

static int real_oom()
{
    reserve = static_cast<char *>(std::malloc(64ul << 20));
    struct rlimit old, lim;
    if (!reserve || getrlimit(RLIMIT_AS, &old) != 0)
        return 1;
    lim = old;
    lim.rlim_cur = address_space() + (32ul << 20);
    std::set_new_handler(release_reserve);
    if (setrlimit(RLIMIT_AS, &lim) != 0)
        return 1;
    char *big = new char[48ul << 20]; // fails, the handler frees the reserve, the retry succeeds
    setrlimit(RLIMIT_AS, &old);
    std::memset(big, 'x', 48ul << 20);
    std::printf("real-oom handler %d block %s\n", handler_runs, big[(48ul << 20) - 1] == 'x' ? "OK" : "bad");
    delete[] big;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && std::strcmp(argv[1], "real-oom") == 0)
        return real_oom();
    if (argc > 1 && std::strcmp(argv[1], "handler") == 0)
        std::set_new_handler(handler);
    int caught = 0, nulls = 0;
    for (int i = 0; i < 5; i++) {
        try {
            delete make_node();
        } catch (const std::bad_alloc &) {
            caught++;
        }
    }
    for (int i = 0; i < 5; i++) {
        node *n = make_node_nothrow();
        nulls += n == nullptr;
        delete n;
    }
    std::printf("caught %d nothrow %d handler %d\n", caught, nulls, handler_runs);
    return 0;
}
