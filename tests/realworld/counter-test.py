#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The counting preload's own test: the corpus holds heaprr's traces against libhrcount.so, so
# libhrcount.so is first held against calls known in advance (hrcount-selftest, see its modes):
# exact counts per kind (every operator variant as its operator, nested calls once), a file per
# image with the right origin and number across fork and exec, counts that survive abort and
# SIGKILL, nothing counted twice or lost between runs.
#   counter-test.py SELFTEST LIBHRCOUNT HRCOUNT-DUMP
import json
import os
import subprocess
import sys
import tempfile

WORK = {"malloc": 8, "calloc": 2, "realloc": 3, "reallocarray": 2, "free": 17, "memalign": 1,
        "posix_memalign": 1, "aligned_alloc": 1, "valloc": 1, "pvalloc": 1,
        "new": 6, "new[]": 6, "delete": 6, "delete[]": 6}

failures = 0


def check(ok, text):
    global failures
    print(("ok   " if ok else "FAIL ") + text)
    failures += not ok


def run_mode(selftest, counter, dump, mode):
    """Runs one mode under the counter; returns (exit status, the count files it left)."""
    with tempfile.TemporaryDirectory(prefix="hrcount-test.") as d:
        env = dict(os.environ, LD_PRELOAD=counter, HRCOUNT_DIR=d)
        rc = subprocess.run([selftest, mode], env=env).returncode
        out = subprocess.run([dump, d], stdout=subprocess.PIPE, text=True, check=True).stdout
    return rc, sorted((json.loads(line) for line in out.splitlines()), key=lambda c: (c["pid"], c["image"]))


def delta(files, base):
    c = files["counts"]
    return {k: c[k] - base[k] for k in c if c[k] != base[k]}


def expect_counts(what, got, want):
    want = {k: v for k, v in want.items() if v}
    check(got == want, f"{what}: {got}" + ("" if got == want else f", expected {want}"))


def main():
    selftest, counter, dump = sys.argv[1:4]
    rc, base_files = run_mode(selftest, counter, dump, "baseline")
    check(rc == 0 and len(base_files) == 1, f"baseline: exit {rc}, {len(base_files)} count file(s)")
    if not base_files:
        return 1
    b = base_files[0]
    base = b["counts"]
    check(b["origin"] == "start" and b["image"] == 1 and os.path.samefile(b["exe"], selftest),
          f"baseline file: origin {b['origin']}, image {b['image']}, exe {b['exe']}")
    alone = not b["interposed"] and os.path.realpath(b["first_malloc"]) == os.path.realpath(counter)
    check(alone, f"alone, the counter's malloc is the process's: interposed {b['interposed']}, {b['first_malloc']}")
    _, again = run_mode(selftest, counter, dump, "baseline")
    check(len(again) == 1 and again[0]["counts"] == base, "a second baseline run counts the same")

    rc, files = run_mode(selftest, counter, dump, "work")
    check(rc == 0 and len(files) == 1, f"work: exit {rc}, {len(files)} count file(s)")
    if files:
        expect_counts("work, less the baseline", delta(files[0], base), WORK)

    rc, files = run_mode(selftest, counter, dump, "fork-exec")
    check(rc == 0 and len(files) == 3, f"fork-exec: exit {rc}, {len(files)} count files (parent, child, exec'd)")
    if len(files) == 3:
        parent = next((f for f in files if f["origin"] == "start" and f["image"] == 1
                       and any(g["ppid"] == f["pid"] for g in files)), None)
        kids = [f for f in files if f is not parent]
        check(parent is not None and delta(parent, base) == {}, "fork-exec parent: the baseline's calls")
        fork_img = next((f for f in kids if f["origin"] == "fork"), None)
        exec_img = next((f for f in kids if f["origin"] == "start"), None)
        if fork_img and exec_img:
            check(fork_img["pid"] == exec_img["pid"] and (fork_img["image"], exec_img["image"]) == (1, 2),
                  f"child: count.{fork_img['pid']}.{fork_img['image']} (fork), "
                  f"count.{exec_img['pid']}.{exec_img['image']} (exec)")
            expect_counts("child before exec", {k: v for k, v in fork_img["counts"].items() if v},
                          {"malloc": 2, "free": 2})
            expect_counts("child after exec, less the baseline", delta(exec_img, base), {})
        else:
            check(False, f"child images: {[(f['origin'], f['image']) for f in kids]}")

    for mode, sig in (("abort", 6), ("kill", 9)):
        rc, files = run_mode(selftest, counter, dump, mode)
        check(rc == -sig and len(files) == 1, f"{mode}: ended by signal {-rc}, {len(files)} count file(s)")
        if files:
            expect_counts(f"{mode}, less the baseline", delta(files[0], base), {"malloc": 3})
    print("counter-test: " + ("pass" if not failures else f"FAIL ({failures} checks)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
