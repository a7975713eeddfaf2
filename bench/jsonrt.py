# SPDX-License-Identifier: MIT
"""Benchmark workload (b): round-trip a dict of N entries (argv[1], default 200 000) through json.

bench/run.sh runs it with Debian's /usr/bin/python3 and PYTHONMALLOC=malloc, so that every
allocation of the interpreter goes through malloc and is recorded."""
import json
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    data = {"key%d" % i: [i, "value%d" % i, {"n": i * 1.5}] for i in range(n)}
    text = json.dumps(data)
    back = json.loads(text)
    if len(back) != n or back["key%d" % (n - 1)][2]["n"] != (n - 1) * 1.5:
        sys.exit("jsonrt: round trip lost entries: %d of %d" % (len(back), n))


if __name__ == "__main__":
    main()
