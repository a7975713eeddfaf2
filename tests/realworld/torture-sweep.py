#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# heaprr torture --oom on a real program (sqlite3, CPython): the sweep runs every allocation site of
# a program nobody here wrote, and what it reports must hold together:
#   [sites]     the baseline ran as natively and has sites to fail
#   [reached]   each run failed exactly one call, at its site (site= rules name the same code in
#               every run, whatever address the modules load at): none not reached
#   [hung]      no run hung (a program that handles memory errors ends)
#   [verdicts]  each crash names its signal and the failed call, each leak its site and bytes
#   [messages]  at least MIN runs ended with the program's own out-of-memory message
#   torture-sweep.py HEAPRR MIN MESSAGE -- PROGRAM ARGS
import json
import subprocess
import sys

failures = 0


def check(ok, text):
    global failures
    print(("ok   " if ok else "FAIL ") + text)
    failures += not ok


def main():
    heaprr, least, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    prog = sys.argv[sys.argv.index("--") + 1:]
    native = subprocess.run(prog, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    p = subprocess.run([heaprr, "torture", "--oom", "--json", "--"] + prog, capture_output=True, text=True,
                       timeout=900)
    if p.returncode not in (0, 1) or not p.stdout:
        check(False, f"heaprr torture exited {p.returncode}: {p.stderr.strip()}")
        return
    d = json.loads(p.stdout)
    runs, totals = d["runs"], d["totals"]
    check(d["baseline"]["exit_status"] == native.returncode and len(runs) > 0,
          f"[sites] baseline exit {d['baseline']['exit_status']} as natively, {d['baseline']['calls']} calls at "
          f"{len(runs)} sites")
    bad = [r for r in runs if r["injected"] != 1]
    check(not bad and totals["not-reached"] == 0,
          f"[reached] every run failed exactly one call at its site"
          + (f"; not so: {[(r['site'], r['injected']) for r in bad[:3]]}" if bad else ""))
    check(totals["hung"] == 0, f"[hung] {totals['hung']} runs hung")
    crashes = [r for r in runs if r["outcome"] == "crashed"]
    leaks = [r for r in runs if r["outcome"] == "leaked"]
    check(all(r["signal"] and r["failed_call"] for r in crashes) and
          all(r["leak_site"] and r["leaked_bytes"] > 0 for r in leaks),
          f"[verdicts] {len(crashes)} crashes name a signal and the failed call, {len(leaks)} leaks their site")
    told = sum(message in r["last_stderr_line"] for r in runs if r["outcome"] == "handled")
    check(told >= least, f"[messages] {told} runs ended with '{message}' (at least {least})")
    print(f"     {totals}, {len(runs)} runs in {d['seconds']:.1f} s")


main()
sys.exit(1 if failures else 0)
