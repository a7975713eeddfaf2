#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The trace checks of the real-program corpus, on the traces of one recorded run and the count
# files the counting preload wrote beside it (run-one.sh calls this):
#   complete   every trace says "truncated": false, no .stage file is left
#   counts     per-kind calls of each trace equal the counter's for the same process image
#   frees      no unknown free; in a forked child only frees of blocks its parent had live at
#              the fork, which heaprr replay reports as inherited_frees
#   replay     heaprr replay exits 0 with no finding
#   index      every trace holds an index (formats/SPEC.md 6.1), and stats, leaks, summary and bins
#              answer from it exactly as from the events (HEAPRR_NO_INDEX=1)
# Prints what it checked and, for each failure, the evidence; exit status 1 on any failure.
#   check-traces.py HEAPRR HRCOUNT-DUMP TRACE-DIR COUNT-DIR FINDINGS-OUT
# FINDINGS-OUT gets the replay's free-error totals, for the comparison with valgrind.
import json
import os
import re
import subprocess
import sys

KINDS = ["malloc", "calloc", "realloc", "reallocarray", "free", "memalign", "posix_memalign",
         "aligned_alloc", "valloc", "pvalloc", "new", "new[]", "delete", "delete[]"]
FREE_KINDS = {"free", "delete", "delete[]"}
REALLOC_KINDS = {"realloc", "reallocarray"}
# replay finding kinds that valgrind reports as "Invalid free() / delete / delete[] / realloc()"
INVALID_FREE_FINDINGS = ["invalid-free", "double-free", "interior-free", "realloc-freed"]

failures = []


def fail(check, text):
    failures.append(check)
    print(f"FAIL [{check}] {text}")


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


class Trace:
    """One trace: its name, place among the images of its pid, header and heaprr's figures."""

    def __init__(self, heaprr, path):
        self.path = path
        self.name = os.path.basename(path)
        self.heaprr = heaprr
        self.header()
        rc, out, err = run([heaprr, "stats", "--json", path])
        if rc != 0:
            raise RuntimeError(f"heaprr stats --json {self.name} exited {rc}: {err.strip()}")
        self.stats = json.loads(out)
        self.pid = self.stats["pid"]
        self.calls = sum(self.stats["events"].values())

    def header(self):
        """Origin, parent and exe from the first lines of heaprr dump (PROCESS_INFO)."""
        p = subprocess.Popen([self.heaprr, "dump", self.path], stdout=subprocess.PIPE, text=True,
                             errors="replace")
        self.exe, self.origin, self.parent_trace, self.fork_seq = "?", "?", "", 0
        for n, line in enumerate(p.stdout):
            m = re.match(r"# exe (.*), pointer size", line)
            if m:
                self.exe = m.group(1)
            m = re.search(r' process .*origin=(\S+) parent-pid=\d+ parent-trace="(.*)" fork-seq=(\d+)', line)
            if m:
                self.origin, self.parent_trace, self.fork_seq = m.group(1), m.group(2), int(m.group(3))
                break
            if n > 50:
                break
        p.stdout.close()
        p.kill()
        p.wait()

    def order(self):
        """Place among the traces of its pid: the root first, then FILE.PID, FILE.PID-2, ..."""
        m = re.search(r"\.(\d+)(?:-(\d+))?\.hrr$", self.name)
        return int(m.group(2) or 1) if m else 0

    def label(self):
        return f"{self.name} (pid {self.pid}, {self.origin}, {self.exe}, {self.calls} calls)"


def count_files(dump_tool, count_dir):
    rc, out, err = run([dump_tool, count_dir])
    if rc != 0:
        fail("counts", f"hrcount-dump {count_dir} exited {rc}: {err.strip()}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def check_complete(trace_dir, traces):
    stages = [f for f in os.listdir(trace_dir) if f.endswith(".stage")]
    if stages:
        fail("complete", f"staging files left beside the traces: {', '.join(sorted(stages))}")
    bad = [t for t in traces if t.stats.get("truncated") is not False]
    for t in bad:
        fail("complete", f"{t.label()}: heaprr stats says truncated: {t.stats.get('truncated')}")
    if traces and not stages and not bad:
        print(f"ok   [complete] {len(traces)} traces, none truncated, no .stage file left")


def same_image(t, c):
    origin = "fork" if t.origin == "fork" else "start"
    return c["origin"] == origin and c["exe"] == t.exe


def count_table(t, c):
    rows = [f"      {'kind':<15}{'trace':>10}{'counter':>10}"]
    for k in KINDS:
        a, b = t.stats["events"][k], c["counts"][k]
        if a or b:
            rows.append(f"      {k:<15}{a:>10}{b:>10}" + (f"   ({a - b:+d})" if a != b else ""))
    return "\n".join(rows)


def pair_images(traces, counts):
    """Pairs each trace with the count file of the same image: same pid, same order of images,
    same origin and exe. An image with no call has no count file; a trace of it must show none."""
    pairs, idle, ok = [], 0, True
    for pid in sorted({t.pid for t in traces} | {c["pid"] for c in counts}):
        ts = sorted((t for t in traces if t.pid == pid), key=Trace.order)
        cs = sorted((c for c in counts if c["pid"] == pid), key=lambda c: c["image"])
        i = j = 0
        while i < len(ts) or j < len(cs):
            if i < len(ts) and j < len(cs) and same_image(ts[i], cs[j]):
                pairs.append((ts[i], cs[j]))
                i, j = i + 1, j + 1
            elif i < len(ts) and ts[i].calls == 0:
                idle += 1  # an image that made no call: the counter made no file for it
                i += 1
            elif i < len(ts):
                fail("counts", f"no count file for {ts[i].label()}: the counter saw no such image")
                ok = False
                i += 1
            else:
                c = cs[j]
                fail("counts", f"no trace for {c['file']} (pid {pid}, {c['origin']}, {c['exe']}, "
                     f"{sum(c['counts'].values())} calls counted): the recorder wrote no trace of it")
                ok = False
                j += 1
    return pairs, idle, ok


# Recorded with the freed-block quarantine (run-one.sh sets RW_QUARANTINE=1): a free reaches the
# allocator behind the recorder later than the program made it, or never (still held at exit).
QUARANTINE = os.environ.get("RW_QUARANTINE") == "1"


# Recorded under realloc torture (RW_TORTURE=1): a realloc that moves its block reaches the
# allocator behind the recorder as a malloc (and, later, a free), so those counts shift between
# kinds; each call still reaches it as exactly one of them.
TORTURE = os.environ.get("RW_TORTURE") == "1"
MOVED_KINDS = ["malloc"] + sorted(REALLOC_KINDS)


def counts_agree(t, c, k):
    if QUARANTINE and k in FREE_KINDS:
        return c["counts"][k] <= t.stats["events"][k]
    if TORTURE and k in MOVED_KINDS:
        if k in REALLOC_KINDS and c["counts"][k] > t.stats["events"][k]:
            return False
        return sum(c["counts"][m] for m in MOVED_KINDS) == sum(t.stats["events"][m] for m in MOVED_KINDS)
    return t.stats["events"][k] == c["counts"][k]


def check_counts(traces, counts):
    counts = [c for c in counts if c["interposed"]]  # the others ran without the recorder
    pairs, idle, ok = pair_images(traces, counts)
    for t, c in pairs:
        if not all(counts_agree(t, c, k) for k in KINDS):
            fail("counts", f"{t.label()} and {c['file']} differ:\n{count_table(t, c)}")
            ok = False
    if ok:
        more = f" ({idle} more of images that made no call, as the counter saw)" if idle else ""
        held = " (frees: at least, the quarantine holds some back)" if QUARANTINE else ""
        held += " (realloc torture: malloc and realloc together)" if TORTURE else ""
        print(f"ok   [counts] {len(pairs)} traces hold exactly the calls the counter counted, kind by kind{more}{held}")


EVENT = re.compile(r"^\s*(\d+)\s+\S+\s+\d+\s+([a-z_]+(?:\[\])?)\((.*?)\)(?: = (0x[0-9a-f]+))?(.*)$")


def events(trace):
    """(seq, kind, ptr, old_ptr, ok) of every allocation call in the trace, from heaprr dump."""
    if hasattr(trace, "events"):
        return trace.events
    p = subprocess.Popen([trace.heaprr, "dump", trace.path], stdout=subprocess.PIPE, text=True,
                         errors="replace")
    out = []
    for line in p.stdout:
        m = EVENT.match(line)
        if not m or m.group(2) not in KINDS:
            continue
        seq, kind, args, result, rest = int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)
        first = args.split(",")[0].strip()
        done = " failed:" not in rest and "(never returned)" not in rest
        if kind in FREE_KINDS:
            out.append((seq, kind, int(first, 16), 0, True))
        elif kind in REALLOC_KINDS:
            out.append((seq, kind, int(result, 16), int(first, 16), done))
        else:
            out.append((seq, kind, int(result, 16), 0, done))
    p.wait()
    trace.events = out
    return out


def live_at(trace, by_path, seq_limit, memo):
    """Blocks live in trace's process before sequence number seq_limit, inherited ones included."""
    key = (trace.path, seq_limit)
    if key in memo:
        return memo[key]
    live = set()
    if trace.origin == "fork" and trace.parent_trace in by_path:
        parent = by_path[trace.parent_trace]
        live = set(live_at(parent, by_path, trace.fork_seq, memo))
    for seq, kind, ptr, old, done in events(trace):
        if seq >= seq_limit:
            break
        apply_event(live, kind, ptr, old, done)
    memo[key] = live
    return live


def apply_event(live, kind, ptr, old, done):
    """Applies one call to a live set; returns the pointer it freed that was not live, if any."""
    unknown = None
    if kind in FREE_KINDS:
        if ptr and ptr in live:
            live.discard(ptr)
        elif ptr:
            unknown = ptr
    elif kind in REALLOC_KINDS:
        if done and old:
            if old in live:
                live.discard(old)
            else:
                unknown = old
        if done and ptr:
            live.add(ptr)
    elif done and ptr:
        live.add(ptr)
    return unknown


def inherited_check(t, by_path, memo):
    """The frees of a forked child that its own trace cannot explain must be of blocks its parent
    had live at the fork. Returns (how many such frees, the ones the parent did not have)."""
    parent = by_path.get(t.parent_trace)
    if parent is None:
        return 0, None
    live = set(live_at(parent, by_path, t.fork_seq, memo))
    inherited, own, strays = 0, set(), []
    for seq, kind, ptr, old, done in events(t):
        stray = apply_event(own, kind, ptr, old, done)
        if stray is None:
            continue
        if stray in live:
            live.discard(stray)
            inherited += 1
        else:
            strays.append(f"#{seq} {kind}(0x{stray:x})")
    return inherited, strays


def replay(t):
    rc, out, err = run([t.heaprr, "replay", "--json", t.path])
    try:
        res = json.loads(out)
    except json.JSONDecodeError:
        res = None
    return rc, res, err


def first_finding(t, kinds):
    """The replay report's first finding with its stacks (the text report, symbolized)."""
    rc, out, err = run([t.heaprr, "replay", "--max-errors", "1", t.path])
    lines = (out + err).splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"\s*(%s): " % "|".join(map(re.escape, kinds)), line)), 0)
    return "\n".join("      " + line for line in lines[start:start + 30])


def check_frees_and_replay(traces):
    by_path = {t.path: t for t in traces}
    by_path.update({os.path.realpath(t.path): t for t in traces})
    memo, totals, ok_frees, ok_replay = {}, {k: 0 for k in INVALID_FREE_FINDINGS + ["mismatched-free"]}, True, True
    inherited_total = 0
    for t in traces:
        rc, res, err = replay(t)
        unknown = t.stats["unknown_frees"]
        if res is None or rc not in (0, 3):
            fail("replay", f"{t.label()}: heaprr replay exited {rc}: {err.strip()[:500]}")
            ok_replay = ok_frees = False
            continue
        for k in totals:
            totals[k] += res["error_counts"].get(k, 0)
        if rc != 0 or res["error_count"] != 0:
            counts = ", ".join(f"{k} {v}" for k, v in res["error_counts"].items() if v)
            fail("replay", f"{t.label()}: heaprr replay exited {rc} with {res['error_count']} findings "
                 f"({counts}); the first:\n{first_finding(t, res['error_counts'])}")
            ok_replay = False
        if t.origin != "fork":
            if unknown:
                fail("frees", f"{t.label()}: heaprr stats counts {unknown} unknown frees "
                     f"(frees of pointers this trace never allocated)")
                ok_frees = False
            continue
        if unknown != res["inherited_frees"]:
            fail("frees", f"{t.label()}: {unknown} unknown frees in heaprr stats but "
                 f"{res['inherited_frees']} inherited frees in heaprr replay")
            ok_frees = False
        if unknown:
            inherited, strays = inherited_check(t, by_path, memo)
            if strays is None:
                fail("frees", f"{t.label()}: {unknown} unknown frees and no parent trace "
                     f"{t.parent_trace!r} to hold them against")
                ok_frees = False
            elif strays or inherited != unknown:
                fail("frees", f"{t.label()}: {unknown} unknown frees, {inherited} of blocks its parent "
                     f"had live at the fork (#{t.fork_seq}); not live in the parent: "
                     f"{', '.join(strays[:10])}")
                ok_frees = False
            inherited_total += inherited
    if ok_frees:
        print(f"ok   [frees] no unknown free ({inherited_total} frees in forked children, all of blocks "
              f"their parent had live at the fork)")
    if ok_replay:
        print(f"ok   [replay] heaprr replay: no finding in {len(traces)} traces")
    return totals


INDEX_COMMANDS = [["stats", "--json"], ["leaks", "--json"], ["summary", "--json"], ["bins", "--json"]]


def has_index(path):
    """Whether the frame before the final trailer is an index frame (SPEC 4, 6.1)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, prev = int.from_bytes(data[12:16], "little"), 0
    while pos + 16 <= len(data):
        ftype, size = data[pos], int.from_bytes(data[pos + 4:pos + 8], "little")
        if ftype == 2 and pos + 16 + size == len(data):
            return prev == 3
        prev, pos = ftype, pos + 16 + size
    return False


def check_index(traces):
    ok = True
    for t in traces:
        if not has_index(t.path):
            fail("index", f"{t.label()}: no index frame before the trailer")
            ok = False
            continue
        for cmd in INDEX_COMMANDS:
            a = run([t.heaprr, *cmd, t.path])
            env = dict(os.environ, HEAPRR_NO_INDEX="1")
            p = subprocess.run([t.heaprr, *cmd, t.path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, errors="replace", env=env)
            if a != (p.returncode, p.stdout, p.stderr):
                fail("index", f"{t.label()}: heaprr {' '.join(cmd)} answers differently from the index "
                     f"than from the events")
                ok = False
    if ok:
        print(f"ok   [index] {len(traces)} traces hold an index; {len(INDEX_COMMANDS)} commands answer "
              f"from it exactly as from the events")


def main():
    if len(sys.argv) != 6:
        print("usage: check-traces.py HEAPRR HRCOUNT-DUMP TRACE-DIR COUNT-DIR FINDINGS-OUT", file=sys.stderr)
        return 2
    heaprr, dump_tool, trace_dir, count_dir, findings_out = sys.argv[1:]
    names = sorted(f for f in os.listdir(trace_dir) if f.endswith(".hrr"))
    if "t.hrr" not in names:
        fail("complete", f"no root trace t.hrr in {trace_dir} (files: {', '.join(os.listdir(trace_dir)) or 'none'})")
    traces = []
    for n in names:
        try:
            traces.append(Trace(heaprr, os.path.join(trace_dir, n)))
        except (RuntimeError, json.JSONDecodeError, KeyError) as e:
            fail("complete", f"{n}: {e}")
    check_complete(trace_dir, traces)
    counts = count_files(dump_tool, count_dir)
    if not traces:
        fail("counts", f"no trace to hold the counter's {len(counts)} count files against")
        totals = {}
    else:
        check_counts(traces, counts)
        totals = check_frees_and_replay(traces)
        check_index(traces)
    with open(findings_out, "w") as f:
        json.dump(totals, f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
