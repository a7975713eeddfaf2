#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# heaprr report --html in a real browser: Debian's chromium, headless, opens the page from disk
# (no network) and the DOM it rendered is checked:
#   [loads]    no script error, and the page finished drawing
#   [totals]   the summary shows the trace's calls, bytes allocated and leaked bytes (heaprr stats)
#   [leak]     the first row of the leaks table names the function of the largest leak
#   [flame]    the flame graph holds that function; a click on a frame zooms to it (the page's own
#              click handler, driven by "#selftest": the clicked frame becomes the top, full width)
#   [peak]     the timeline marks the peak
#   [tree]     the page of a process tree (bash and 30 subshells): its timeline is all of theirs,
#              25 processes listed, the rest behind a button that shows them all, no script error
# and a screenshot of the page is taken (for the README).
#   report-in-browser.py HEAPRR PROGRAM TOP_LEAK_FUNCTION SCREENSHOT
import html
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


def chromium(args, timeout=120):
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--virtual-time-budget=5000"]
    return subprocess.run(base + args, capture_output=True, text=True, timeout=timeout)


def human(n):
    units, i, v = ["B", "KiB", "MiB", "GiB", "TiB"], 0, float(n)
    while v >= 1024 and i < len(units) - 1:
        v /= 1024
        i += 1
    return str(n) + " B" if i == 0 else (f"{v:.2f}" if v < 10 else f"{v:.1f}") + " " + units[i]


def main():
    heaprr, program, top_leak, shot = sys.argv[1:5]
    with tempfile.TemporaryDirectory(prefix="heaprr-browser.") as d:
        trace, page = os.path.join(d, "t.hrr"), os.path.join(d, "report.html")
        subprocess.run([heaprr, "record", "-q", "-o", trace, "--", program], check=True, capture_output=True)
        subprocess.run([heaprr, "report", "--html", trace, "-o", page], check=True, capture_output=True)
        stats = json.loads(subprocess.run([heaprr, "stats", "--json", trace], check=True, capture_output=True,
                                          text=True).stdout)
        r = chromium(["--dump-dom", "file://" + page + "#selftest"])
        dom = r.stdout
        body = re.search(r"<body([^>]*)>", dom)
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}
        check(bool(body) and attrs.get("rendered") == "1" and attrs.get("errors") == "",
              f"[loads] rendered={attrs.get('rendered')!r}, script errors={attrs.get('errors')!r}")

        def card(name):
            m = re.search(r'id="card-' + name + r'"><div class="v">([^<]*)<', dom)
            return html.unescape(m.group(1)) if m else None
        calls, allocated, leaked = card("calls"), card("bytes-allocated"), card("leaked")
        check(calls == f"{stats['calls']:,}" and allocated == human(stats["total_bytes"]) and
              leaked is not None and leaked.startswith(human(stats["leaked_bytes"]) + " in "),
              f"[totals] calls {calls}, allocated {allocated}, leaked {leaked} (stats: {stats['calls']}, "
              f"{stats['total_bytes']}, {stats['leaked_bytes']})")
        first = re.search(r'<section><h2>Leaks</h2><div id="leaks"><table>.*?</tr><tr>(.*?)</tr>', dom, re.S)
        check(bool(first) and top_leak in first.group(1), f"[leak] the largest leak is {top_leak}'s")
        check(f'data-name="{top_leak}"' in dom or top_leak in attrs.get("zoom-clicked", ""),
              f"[flame] the flame graph has {top_leak}")
        check(attrs.get("zoom") and attrs.get("zoom") == attrs.get("zoom-clicked") and
              attrs.get("zoom-width") == attrs.get("flame-width") and
              float(attrs.get("zoom-before", "0px")[:-2] or 0) < float(attrs.get("flame-width", "0px")[:-2] or 0),
              f"[flame] a click on {attrs.get('zoom-clicked')!r} ({attrs.get('zoom-before')} wide) zoomed to it: "
              f"{attrs.get('zoom-width')} of {attrs.get('flame-width')}")
        check('id="peak-marker"' in dom, "[peak] the timeline marks the peak")
        chromium(["--window-size=1280,1500", "--hide-scrollbars", "--screenshot=" + shot, "file://" + page])
        check(os.path.exists(shot) and os.path.getsize(shot) > 10000, f"[screenshot] {shot}")
        tree(heaprr, d)


def tree(heaprr, d):
    root, page = os.path.join(d, "tree.hrr"), os.path.join(d, "tree.html")
    subprocess.run([heaprr, "record", "-q", "-o", root, "--", "/bin/bash", "-c",
                    "for i in $(seq 30); do x=$(echo $i); done"], check=True, capture_output=True)
    n = len([f for f in os.listdir(d) if f.startswith("tree.") and f.endswith(".hrr")])
    subprocess.run([heaprr, "report", "--html", "--tree", root, "-o", page], check=True, capture_output=True)
    dom = chromium(["--dump-dom", "file://" + page]).stdout
    body = re.search(r"<body([^>]*)>", dom)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}
    hidden = len(re.findall(r'<tr title="[^"]*" hidden=""', dom))
    check(n > 25 and attrs.get("rendered") == "1" and attrs.get("errors") == "" and
          f"Of all {n} processes" in dom and f"show all {n} processes" in dom and hidden == n - 25,
          f"[tree] {n} processes: rendered={attrs.get('rendered')!r}, errors={attrs.get('errors')!r}, "
          f"{hidden} rows behind the button")


main()
sys.exit(1 if failures else 0)
