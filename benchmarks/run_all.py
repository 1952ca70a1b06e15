"""Run every benchmark, one fresh process each, and list the JSON files they wrote.

    .venv/bin/python benchmarks/run_all.py

About 10-15 minutes on the 2-core CPU (the Ray sweep alone several). Run it on an otherwise
idle machine: the numbers are wall times. Results: ``$ATTNLAB_BENCH_RESULTS/*.json`` when set
(``make bench`` gives each run a new folder), else the committed ``benchmarks/results/*.json``
that the book's Performance page reads (``make bench REPLACE=1``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "bench_fig1.py",
    "bench_batched_seeds.py",
    "bench_flops.py",
    "bench_scaling.py",
    "bench_sweep.py",
    "bench_heads.py",
    "bench_threads.py",
)


def main() -> int:
    t0 = time.perf_counter()
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / script)], check=True)
        print(f"   ({time.perf_counter() - start:.0f} s)\n", flush=True)
    out = os.environ.get("ATTNLAB_BENCH_RESULTS") or HERE / "results"
    print(f"all benchmarks: {time.perf_counter() - t0:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
