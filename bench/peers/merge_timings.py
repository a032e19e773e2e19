#!/usr/bin/env python3
"""Merge chatrec's in-process timings (`batch-* --timings NAME.timings.json`) into the
timings file written by timecmd.py, under the name `chatrec-NAME`.

    merge_timings.py TIMINGS.json FOLDER

The process-level peak RSS measured by timecmd.py is kept; fit and recommend/predict
seconds come from inside the process, as the peers report theirs.
"""
import glob
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, folder = sys.argv[1], sys.argv[2]
    with open(path) as f:
        data = json.load(f)
    for timing_file in sorted(glob.glob(os.path.join(folder, "*.timings.json"))):
        name = "chatrec-" + os.path.basename(timing_file)[: -len(".timings.json")]
        with open(timing_file) as f:
            inner = json.load(f)
        inner.pop("peak_rss_mb", None)
        data.setdefault("models", {}).setdefault(name, {}).update(inner)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)


if __name__ == "__main__":
    main()
