// SPDX-License-Identifier: MIT
// Example: typical C++ container churn, all of it through operator new and delete. Per round:
// a std::vector<int> grown by push_back to 1000 elements (11 allocations as its capacity doubles
// 1, 2, 4 ... 1024), a std::map<int, std::string> of 200 entries (200 nodes, plus 200 strings
// longer than the 15 characters std::string keeps inline), half of it erased, and 100 strings
// built by appending (2 allocations each as the string outgrows 15 and then 30 characters).
// Expected (heaprr stats), for the default 10 rounds: 6110 new and 6110 delete (611 a round:
// 11 + 400 + 200), nothing of the program's own leaked; 2 mallocs show as leaked, both kept by
// the C++ runtime for the whole run: libstdc++'s 72704-byte emergency pool for exceptions
// (allocated before main) and stdout's buffer (4096 bytes to a file or pipe, 1024 to a terminal):
// 76800 bytes in 2 blocks when stdout is not a terminal. Prints a checksum (96450 for 10 rounds).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

static std::size_t vector_growth()
{
    std::vector<int> v;
    for (int i = 0; i < 1000; i++)
        v.push_back(i);
    return v.size();
}

static std::size_t map_churn()
{
    std::map<int, std::string> m;
    for (int i = 0; i < 200; i++)
        m.emplace(i, "a value that does not fit inline #" + std::to_string(i));
    for (auto it = m.begin(); it != m.end();)
        it = it->first % 2 ? m.erase(it) : std::next(it);
    std::size_t total = 0;
    for (const auto &kv : m)
        total += kv.second.size();
    return total;
}

static std::size_t string_building()
{
    std::size_t total = 0;
    for (int i = 0; i < 100; i++) {
        std::string s;
        for (int j = 0; j < 5; j++)
            s += "segment-" + std::to_string(j) + ";";
        total += s.size();
    }
    return total;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? std::atoi(argv[1]) : 10;
    std::size_t checksum = 0;
    for (int r = 0; r < rounds; r++)
        checksum += vector_growth() + map_churn() + string_building();
    std::printf("checksum %zu\n", checksum);
    return 0;
}
