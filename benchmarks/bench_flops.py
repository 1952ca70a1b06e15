"""Benchmark 3: achieved FLOP/s of a training step against the measured dense-matmul peak.

    .venv/bin/python benchmarks/bench_flops.py [--reps R]

Peak: a 2048 x 2048 by 2048 x 2048 float32 matmul (2 * 2048^3 FLOPs) with the same thread count,
timed in the same run (the higher of two measurements before the steps; a third after them is
recorded to show drift). Step: d = 64, N = 16, batch 256, feed-forward 2048, L = 1, c = 8, with
H = 1 (rank 64) and H = 8 (rank 8, fig1's (8, 1, 8)); FLOPs counted analytically by
``_common.train_flops`` (matrix products only; backward = 2 x forward). Writes
``benchmarks/results/flops.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import attnlab_step, matmul_peak, median_seconds, parse_args, table, write  # noqa: E402

from attnlab.rank.config import step_flops  # noqa: E402

SIZES = dict(d=64, N=16, batch=256, ff=2048, layers=1, c=8)


def main() -> None:
    args = parse_args(__doc__, reps=7)
    peak_before = matmul_peak(reps=args.reps)
    peak_after = matmul_peak(reps=args.reps)  # a second, warm measurement
    peak = max(peak_before, peak_after)  # the higher peak: the conservative fraction
    rows = []
    for H in (1, 8):
        seconds = median_seconds(attnlab_step(ranks=(SIZES["d"] // H,), seeds=(0,), **SIZES), reps=args.reps)
        flops = step_flops(**SIZES)
        rows.append(
            {
                "H": H,
                "rank": SIZES["d"] // H,
                "step_ms": 1000 * seconds,
                "gflop_per_step": flops / 1e9,
                "achieved_gflops": flops / seconds / 1e9,
                "peak_gflops": peak / 1e9,
                "fraction_of_peak": flops / seconds / peak,
            }
        )
    peak_end = matmul_peak(reps=args.reps)  # the peak again after the steps: drift shows here
    target = 0.4
    met = {f"H={row['H']}": row["fraction_of_peak"] >= target for row in rows}
    path = write(
        "flops",
        {
            "sizes": SIZES,
            "formula": step_flops.__doc__,
            "peak_gflops": peak / 1e9,
            "peak_gflops_measurements": [p / 1e9 for p in (peak_before, peak_after, peak_end)],
            "rows": rows,
            "targets": {"fraction_of_peak_at_least": target},
            "met": met,
        },
    )
    print(
        table(
            rows,
            ["H", "rank", "step_ms", "gflop_per_step", "achieved_gflops", "peak_gflops", "fraction_of_peak"],
        )
    )
    print(
        f"peak {peak / 1e9:.1f} GFLOP/s (after the steps: {peak_end / 1e9:.1f}), "
        f"{torch.get_num_threads()} threads; target >= {target:.0%} met: {met} -> {path}"
    )


if __name__ == "__main__":
    main()
