// SPDX-License-Identifier: MIT
// operator new under failure injection: a throwing new whose std::bad_alloc the program catches,
// a nothrow new that returns NULL, and (argument "handler") a new_handler that runs once and lets
// the allocation be tried again. Prints "caught C nothrow N handler H".
#include <cstdio>
#include <cstring>
#include <new>

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

int main(int argc, char **argv)
{
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
