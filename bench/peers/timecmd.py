#!/usr/bin/env python3
"""Run a command and record its wall time and peak RSS into a timings JSON file.

    timecmd.py TIMINGS.json NAME -- command args...

TIMINGS.json holds {"models": {NAME: {"process_wall_seconds": ..., "peak_rss_mb": ...}}};
entries of other names are kept. evaluate.py --timings reads this format. Used for the
chatrec commands, whose batch-recommend fits and recommends in one process (so only the
total is known from outside).
"""
import json
import os
import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    path, name, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
    t0 = time.perf_counter()
    rc = subprocess.call(cmd)
    wall = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # this one child only
    data = {"models": {}}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    data.setdefault("models", {})[name] = {
        "ok": rc == 0, "returncode": rc, "process_wall_seconds": wall,
        "peak_rss_mb": peak_kib / 1024.0, "command": cmd,
    }
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
    print(f"{name}: rc={rc} wall {wall:.2f}s peak RSS {peak_kib / 1024.0:.0f} MB", file=sys.stderr)
    sys.exit(rc)


if __name__ == "__main__":
    main()
