"""Benchmark 8: every training page's laptop and paper profiles, timed on a GPU.

    python benchmarks/bench_gpu.py [--device cuda] [--profiles laptop paper] [--max-gflop 2000]

The paper-scale page (92) estimates each page's time on a GPU from an *assumed* fraction of a
data-sheet peak, since the book is built on a CPU. This script replaces the assumption with a
measurement wherever a GPU is at hand: for each page and profile it runs
:func:`attnlab.book.plans.estimate` on the GPU (the page's smallest and dominant runs, and its
heaviest run shapes, each timed for a few optimiser steps of its own; the rest modelled from
them), and times a large float32 matrix product for the device's own ceiling. A run that does
not start on the GPU (out of memory, a kernel that does not take its shapes) is recorded with
its error: that is a finding too. Writes ``benchmarks/results/gpu.json``; page 92 shows it.

Not part of ``run_all.py``: it needs a GPU, which the machine that builds the book lacks.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import matmul_peak, parse_args, write  # noqa: E402

from attnlab._checks import check_choice  # noqa: E402
from attnlab.book import profiles  # noqa: E402
from attnlab.book.plans import RUNS, estimate  # noqa: E402
from attnlab.runtime.device import default_device, device_name  # noqa: E402


def main() -> None:
    def extra(parser):
        parser.add_argument("--device", default="cuda")
        parser.add_argument("--profiles", nargs="+", default=["laptop", "paper"])
        parser.add_argument("--pages", nargs="+", default=list(RUNS))
        parser.add_argument("--max-gflop", type=float, default=2000.0, help="largest step timed whole")
        parser.add_argument("--matmul-n", type=int, default=8192)

    args = parse_args(__doc__, reps=5, extra=extra)
    device = default_device(args.device)
    for p in args.profiles:
        check_choice("--profiles", p, profiles.PROFILES)
    for nb in args.pages:
        check_choice("--pages", nb, RUNS)
    peak = matmul_peak(args.matmul_n, args.reps, device)
    print(f"{device_name(device)}: float32 product {peak / 1e12:.1f} TFLOP/s", flush=True)
    ref = profiles.sizes("92_paper_scale", "quick")  # the page's assumed GPU rate, for comparison
    assumed_rate = ref.gpu_fraction * ref.gpu_peak_tflops * 1e12
    rows = []
    for nb in args.pages:
        for p in args.profiles:
            t0 = time.perf_counter()
            row = {"page": nb, "profile": p}
            try:
                e = estimate(
                    nb,
                    p,
                    0,
                    device,
                    max_runs=2,
                    steps=3,
                    warmup=1,
                    max_flops=args.max_gflop * 1e9,
                    min_seconds=0.5,
                )
            except Exception as err:  # noqa: BLE001 - a run that fails on the GPU is a result
                row["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"
                traceback.print_exc()
            else:
                row.update(
                    runs=e.work.runs,
                    steps=e.work.steps,
                    flops=e.work.flops,
                    estimate_s=e.seconds,
                    assumed_rate_estimate_s=e.work.flops / assumed_rate,
                    per_step_s=e.per_step,
                    gflops_dominant=e.gflops,
                    smallest={
                        "label": e.smallest.label,
                        "seconds": e.smallest.seconds,
                        "cut": e.smallest.cut,
                    },
                    dominant={
                        "label": e.dominant.label,
                        "seconds": e.dominant.seconds,
                        "cut": e.dominant.cut,
                    },
                    timed=[
                        {"label": t.label, "flops": t.flops, "seconds": t.seconds, "cut": t.cut}
                        for t, _ in e.timed
                    ],
                )
            row["timing_s"] = time.perf_counter() - t0
            if device.type == "cuda":
                row["max_memory_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
                torch.cuda.reset_peak_memory_stats(device)
                torch.cuda.empty_cache()
            rows.append(row)
            summary = row.get("error") or (
                f"estimate {row['estimate_s']:.0f} s (assumed rate: {row['assumed_rate_estimate_s']:.0f} s), "
                f"dominant {row['gflops_dominant']:.0f} GFLOP/s"
            )
            print(f"{nb} {p}: {summary} [{row['timing_s']:.0f} s]", flush=True)
    path = write(
        "gpu",
        {
            "device": device_name(device),
            "device_type": device.type,
            "matmul_n": args.matmul_n,
            "float32_peak_tflops": peak / 1e12,
            "assumed": {
                "gpu": ref.gpu_name,
                "peak_tflops": ref.gpu_peak_tflops,
                "fraction": ref.gpu_fraction,
            },
            "max_gflop_timed_whole": args.max_gflop,
            "rows": rows,
        },
    )
    print(f"-> {path}")


if __name__ == "__main__":
    main()
