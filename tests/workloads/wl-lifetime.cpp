// SPDX-License-Identifier: MIT
// Workload: allocations before main (a constructor: 1111 bytes), in an atexit handler (2222 bytes,
// freed) and in a static object's destructor (frees the 1111-byte block, leaks 3333 bytes).
#include <cstdlib>

static void *early;
static void *volatile sink;

__attribute__((constructor)) static void before_main()
{
    early = std::malloc(1111);
}

static void at_exit_handler()
{
    void *p = std::malloc(2222);
    sink = p;
    std::free(p);
}

struct Global {
    ~Global()
    {
        std::free(early);
        sink = std::malloc(3333);
    }
} global;

int main()
{
    std::atexit(at_exit_handler);
    return 0;
}
