// SPDX-License-Identifier: MIT
// Leaks from several sites, each with a known size: 3 blocks of 100 bytes from a C function, one
// of 5000 bytes from a C++ method (demangled name), a realloc chain ending at 300 bytes (one
// block), 7 blocks of 24 bytes through operator new, and 5 blocks of 123 bytes from a plugin
// (argv[1]) that is dlclose()d before exit. Everything else is freed.
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

void *volatile sink;

extern "C" __attribute__((noinline)) void leak_small(void)
{
    for (int i = 0; i < 3; i++)
        sink = std::malloc(100);
}

namespace ns {
struct Cache {
    __attribute__((noinline)) void grow(int n);
    char *data = nullptr;
};
void Cache::grow(int n)
{
    data = static_cast<char *>(std::malloc(n));
    std::memset(data, 0, n);
}
} // namespace ns

__attribute__((noinline)) static void *grow_chain(void)
{
    void *p = std::malloc(10);
    p = std::realloc(p, 100);
    p = std::realloc(p, 300);
    sink = p; // not a tail call: this function stays on the stack
    return p;
}

struct Node {
    Node *next;
    long a, b;
};

__attribute__((noinline)) static Node *make_nodes(int n)
{
    Node *head = nullptr;
    for (int i = 0; i < n; i++)
        head = new Node{head, i, i};
    return head;
}

int main(int argc, char **argv)
{
    leak_small();
    ns::Cache *c = new ns::Cache;
    c->grow(5000);
    delete c; // the cache object goes, its data leaks
    sink = grow_chain();
    sink = make_nodes(7);
    for (int i = 0; i < 50; i++) // churn that is freed
        std::free(std::malloc(64 + i));
    if (argc > 1) {
        void *h = dlopen(argv[1], RTLD_NOW);
        if (!h)
            return 4;
        auto leak = reinterpret_cast<void (*)(int)>(dlsym(h, "wl_plugin_leak"));
        if (!leak)
            return 5;
        leak(5);
        dlclose(h);
    }
    return 0;
}
