"""Benchmark 4: how the cost of a training step grows with N and with d.

    .venv/bin/python benchmarks/bench_scaling.py [--reps R]

Step time (one full-rank model, L = 1, c = 1, feed-forward 2048, ``train()``'s step) against
N in {4, ..., 1024} (d = 64, batch 32) and against d in {16, ..., 256} (N = 16, batch 256).
The fitted log-log slope of the time is shown beside the *expected* slope: the same fit applied
to the analytic FLOP count (``_common.train_flops``), per token ``2 (4 D^2 + 2 D ff)`` plus
``4 N D`` for attention, i.e. cost ~ B (N (4 D^2 + 2 D ff) + 2 N^2 D) * 6. Asymptotically
the exponent in N is 2 (attention), in d it is 2 (projections), but over these ranges the
feed-forward term dominates, so the expected slopes are close to 1. Writes
``benchmarks/results/scaling.json``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import attnlab_step, median_seconds, parse_args, table, write  # noqa: E402

from attnlab.rank.config import step_flops  # noqa: E402

NS = (4, 16, 64, 256, 1024)
DS = (16, 32, 64, 128, 256)
FF = 2048


def slope(xs, ys) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def sweep(name: str, values, sizes_of, reps: int) -> dict:
    rows = []
    for v in values:
        sizes = sizes_of(v)
        seconds = median_seconds(attnlab_step(ranks=(sizes["d"],), seeds=(0,), **sizes), warmup=2, reps=reps)
        rows.append({name: v, "step_ms": 1000 * seconds, "gflop": step_flops(**sizes) / 1e9, **sizes})
    return {
        "rows": rows,
        "fitted_slope": slope(values, [r["step_ms"] for r in rows]),
        "expected_slope": slope(values, [r["gflop"] for r in rows]),
    }


def main() -> None:
    args = parse_args(__doc__, reps=3)
    by_N = sweep("N", NS, lambda N: dict(d=64, N=N, batch=32, ff=FF, layers=1, c=1), args.reps)
    by_d = sweep("d", DS, lambda d: dict(d=d, N=16, batch=256, ff=FF, layers=1, c=1), args.reps)
    path = write("scaling", {"N": by_N, "d": by_d, "formula": step_flops.__doc__})
    for key, res in (("N", by_N), ("d", by_d)):
        print(table(res["rows"], [key, "step_ms", "gflop"]))
        print(
            f"slope in {key}: fitted {res['fitted_slope']:.2f}, "
            f"expected from FLOPs {res['expected_slope']:.2f}\n"
        )
    print(f"{torch.get_num_threads()} threads -> {path}")


if __name__ == "__main__":
    main()
