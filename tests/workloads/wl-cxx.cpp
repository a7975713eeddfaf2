// SPDX-License-Identifier: MIT
// Workload: C++ operators, each variant a known number of times on a thread named "worker",
// so a test can check they are recorded once each, as new/new[]/delete/delete[], and that the
// malloc and free they make inside are not recorded again. Per round: new 4 (plain, nothrow,
// aligned, aligned nothrow), new[] 2, delete 4 (plain, sized, aligned, sized aligned),
// delete[] 2, plus one new that throws bad_alloc (a failed new).
#include <cstdio>
#include <cstdlib>
#include <new>
#include <pthread.h>

static const int rounds = 100;
static volatile std::size_t huge = static_cast<std::size_t>(-1) / 4;
static char *volatile sink; // keeps the compiler from eliding the throwing new

struct alignas(64) Wide {
    char bytes[128];
};

struct Node {
    int value;
    Node *next;
};

static void round_of_calls()
{
    Node *a = new Node{1, nullptr};                         // new
    Node *b = new (std::nothrow) Node{2, a};                // new, nothrow
    Wide *w = new Wide;                                     // new, align_val_t
    Wide *wn = new (std::nothrow) Wide;                     // new, align_val_t + nothrow
    int *arr = new int[17];                                 // new[]
    Wide *warr = new Wide[3];                               // new[], align_val_t
    ::operator delete(a, sizeof *a);                        // delete, sized
    delete b;                                               // delete (sized by the compiler or not)
    delete w;                                               // delete, aligned
    ::operator delete(wn, sizeof *wn, std::align_val_t(alignof(Wide))); // delete, sized + aligned
    delete[] arr;                                           // delete[]
    delete[] warr;                                          // delete[], aligned
    try {
        sink = new char[huge];                              // new[] that throws
        delete[] sink;
    } catch (const std::bad_alloc &) {
    }
}

static void *worker(void *)
{
    pthread_setname_np(pthread_self(), "worker");
    for (int i = 0; i < rounds; i++)
        round_of_calls();
    return nullptr;
}

int main()
{
    pthread_t t; // not std::thread: its state object would add a new/delete pair of its own
    pthread_create(&t, nullptr, worker, nullptr);
    pthread_join(t, nullptr);
    return 0;
}
