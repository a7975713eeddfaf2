#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The exports and the HTML report on a real program (CPython, Node.js): recorded under heaprr
# record, then
#   [pprof]       go tool pprof reads the export; alloc_space and inuse_space are the trace's bytes
#                 allocated and leaked (heaprr stats)
#   [massif]      ms_print reads the export; its peak snapshot holds the trace's peak
#   [speedscope]  four profiles, every sample a valid stack, weights summing to the trace's figures
#   [html]        the page is a few MiB at most, and chromium renders it with no script error
#   exports.py HEAPRR -- PROGRAM ARGS
import json
import os
import re
import subprocess
import sys
import tempfile

failures = 0


def check(ok, text):
    global failures
    print(("ok   " if ok else "FAIL ") + text)
    failures += not ok


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)


def pprof_total(path, index):
    out = run(["go", "tool", "pprof", "-top", "-unit=B", "-sample_index=" + index, path]).stdout
    m = re.search(r"of (\d+)B total", out)
    return int(m.group(1)) if m else -1


def main():
    heaprr = sys.argv[1]
    prog = sys.argv[sys.argv.index("--") + 1:]
    with tempfile.TemporaryDirectory(prefix="heaprr-exports.") as d:
        trace = os.path.join(d, "t.hrr")
        r = run([heaprr, "record", "-q", "-o", trace, "--"] + prog, stdin=subprocess.DEVNULL)
        check(r.returncode == 0, f"recorded {' '.join(prog)} (exit {r.returncode})")
        st = json.loads(run([heaprr, "stats", "--json", trace]).stdout)
        pb = os.path.join(d, "t.pb.gz")
        run([heaprr, "export", "--to", "pprof", trace, "-o", pb])
        a, i = pprof_total(pb, "alloc_space"), pprof_total(pb, "inuse_space")
        check(a == st["total_bytes"] and i == st["leaked_bytes"],
              f"[pprof] alloc_space {a} and inuse_space {i} (stats: {st['total_bytes']}, {st['leaked_bytes']})")
        ms = os.path.join(d, "t.massif")
        run([heaprr, "export", "--to", "massif", trace, "-o", ms])
        printed = run(["ms_print", ms])
        text = open(ms).read()
        peak = re.search(r"mem_heap_B=(\d+)\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=peak", text)
        check(printed.returncode == 0 and "(peak)" in printed.stdout and peak and
              int(peak.group(1)) == st["peak_live_bytes"],
              f"[massif] ms_print read it; peak {peak.group(1) if peak else None} (stats: {st['peak_live_bytes']})")
        ss = os.path.join(d, "t.json")
        run([heaprr, "export", "--to", "speedscope", trace, "-o", ss])
        doc = json.load(open(ss))
        nframes = len(doc["shared"]["frames"])
        profiles = doc["profiles"]
        valid = all(0 <= k < nframes for p in profiles for s in p["samples"] for k in s)
        sums = [sum(p["weights"]) for p in profiles]
        check(len(profiles) == 4 and valid and sums[0] == st["total_bytes"] and sums[3] == st["leaked_bytes"] and
              sums[2] == st["peak_live_bytes"],
              f"[speedscope] {nframes} frames, totals {sums} (stats: {st['total_bytes']}, "
              f"{st['peak_live_bytes']}, {st['leaked_bytes']})")
        page = os.path.join(d, "t.html")
        run([heaprr, "report", "--html", trace, "-o", page])
        size = os.path.getsize(page)
        dom = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--virtual-time-budget=8000", "--dump-dom", "file://" + page + "#selftest"]).stdout
        body = re.search(r"<body([^>]*)>", dom)
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}
        check(size < 4 << 20 and attrs.get("rendered") == "1" and attrs.get("errors") == "" and
              attrs.get("zoom") == attrs.get("zoom-clicked"),
              f"[html] {size} bytes; rendered {attrs.get('rendered')!r}, errors {attrs.get('errors')!r}, "
              f"zoom on {attrs.get('zoom-clicked')!r}")


main()
sys.exit(1 if failures else 0)
