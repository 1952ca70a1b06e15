"""Benchmark 5: a sweep through a local Ray cluster against the same sweep in-process.

    .venv/bin/python benchmarks/bench_sweep.py [--reps R]

Eight quick-size Comp_n training runs (``attnlab.composition.training.train_comp``: one layer, n = 4,
d = 16, 200 steps, one seed each) through :func:`attnlab.book.sweep.sweep`, once in this process and
once as Ray tasks on a local cluster of as many CPUs as the machine has (started and stopped by
the benchmark, results cache off both times). Reports both wall times (median of ``--reps``), the
ratio Ray / in-process, Ray's start-up time separately, and whether the numbers agree. Writes
``sweep.json``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, write  # noqa: E402

CONFIG = dict(n=4, layers=1, d=16, heads=1, mlp_width=16, steps=200, batch=128, lr=0.01, eval_every=100)
RUNS = 8


def main() -> int:
    args = parse_args(__doc__, reps=3)
    os.environ["ATTNLAB_CACHE"] = "off"
    os.environ["ATTNLAB_PROGRESS"] = "off"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from attnlab.book.sweep import sweep
    from attnlab.composition.training import train_comp_run

    configs = [{"kind": "train_comp", **CONFIG, "seeds": [s], "device": "cpu"} for s in range(RUNS)]
    local_s, ray_s = [], []
    local = sweep(train_comp_run, configs, namespace="bench", address="", show_progress=False)
    t0 = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    startup = time.perf_counter() - t0
    try:
        on_ray = sweep(train_comp_run, configs, namespace="bench", address="local", show_progress=False)
        for _ in range(args.reps):
            t0 = time.perf_counter()
            sweep(train_comp_run, configs, namespace="bench", address="", show_progress=False)
            local_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sweep(train_comp_run, configs, namespace="bench", address="local", show_progress=False)
            ray_s.append(time.perf_counter() - t0)
    finally:
        ray.shutdown()
    same = [r["final"] for r in local] == [r["final"] for r in on_ray]
    result = {
        "config": CONFIG,
        "runs": RUNS,
        "cpus": os.cpu_count(),
        "in_process_s": statistics.median(local_s),
        "ray_s": statistics.median(ray_s),
        "ratio_ray_to_in_process": statistics.median(ray_s) / statistics.median(local_s),
        "ray_startup_s": startup,
        "same_numbers": same,
        "raw": {"in_process_s": local_s, "ray_s": ray_s},
    }
    path = write("sweep", result)
    print(
        f"in-process {result['in_process_s']:.2f} s, Ray {result['ray_s']:.2f} s "
        f"(ratio {result['ratio_ray_to_in_process']:.2f}), Ray start-up {startup:.1f} s, "
        f"same numbers: {same} -> {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
