// SPDX-License-Identifier: MIT
// A program that replaces the global operator new and delete, as C++ lets it (here on malloc and
// free, or with "pool" on a static pool that never frees), and still deletes through the sized
// and array forms the compiler emits (std::vector, delete[]). Prints "done".
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

static bool use_pool;
alignas(16) static char pool[1 << 20];
static std::size_t used;

void *operator new(std::size_t n)
{
    if (use_pool) {
        n = (n + 15) & ~std::size_t(15);
        if (used + n > sizeof pool)
            throw std::bad_alloc();
        void *p = pool + used;
        used += n ? n : 16;
        return p;
    }
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}

void operator delete(void *p) noexcept
{
    if (!use_pool)
        std::free(p);
}

struct S {
    long a[4];
};

static void *volatile sink; // the allocations stay (a new-expression may otherwise be elided)

int main(int argc, char **argv)
{
    use_pool = argc > 1 && std::strcmp(argv[1], "pool") == 0;
    for (int i = 0; i < 100; i++) {
        S *s = new S;
        sink = s;
        delete s; // sized delete with -fsized-deallocation
        int *a = new int[10];
        sink = a;
        delete[] a;
    }
    std::vector<int> v(100);
    v.push_back(1);
    std::string str(100, 'x');
    std::puts("done");
    return 0;
}
