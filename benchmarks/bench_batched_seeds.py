"""Benchmark 2: K seeds trained in one batched pass against K separate runs.

    .venv/bin/python benchmarks/bench_batched_seeds.py [--reps R]

For K in {1, 4, 8, 16}: the time of one batched step of K full-rank models (``train()``'s step)
against K times the step of one model (K separate runs do K such steps, one after another, with
the same code). Throughput ratio = K * t(one model) / t(K batched); 2 would mean batching halves
the cost. Measured at two sizes -- the quick profile of notebook 12 (d = 16, ff 256, batch 128)
and the paper's fig1 (d = 64, ff 2048, batch 256), both N = 16 -- and with 1 and 2 torch
threads.

Then the claim itself, on whole runs: ``attnlab.rank.train.train`` of K = 8 seeds in one batched run
against 8 separate one-seed runs (``RUN_STEPS`` steps each, quick sizes, no progress bar, model
building included), each side at its own best thread count, the two alternated ``--run-reps``
times so that drift in the machine's speed hits both. Writes
``benchmarks/results/batched_seeds.json``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import attnlab_step, median_seconds, table, write  # noqa: E402

SIZES = {
    "quick": dict(d=16, N=16, ff=256, batch=128, layers=1, c=1),
    "fig1": dict(d=64, N=16, ff=2048, batch=256, layers=1, c=1),
}
KS = (1, 4, 8, 16)
RUN_STEPS = 200


def whole_runs(threads: list[int], reps: int) -> dict:
    """Median wall time of one K = 8 ``train()`` run and of 8 one-seed runs, per thread count."""
    from attnlab.rank.config import TrainConfig
    from attnlab.rank.encoder import EncoderConfig
    from attnlab.rank.train import train

    sizes = SIZES["quick"]
    common = dict(
        model=EncoderConfig(d=sizes["d"], N=sizes["N"], ff=sizes["ff"]),
        batch=sizes["batch"],
        steps=RUN_STEPS,
        steps_per_epoch=RUN_STEPS // 4,
    )
    r = sizes["d"]

    def batched() -> None:
        train(TrainConfig(ranks=(r,) * 8, seeds=tuple(range(8)), **common), progress=False)

    def separate() -> None:
        for seed in range(8):
            train(TrainConfig(ranks=(r,), seeds=(seed,), **common), progress=False)

    times: dict[str, dict[int, list[float]]] = {"batched": {}, "separate": {}}
    for _ in range(reps):
        for t in threads:
            torch.set_num_threads(t)
            for name, fn in (("batched", batched), ("separate", separate)):
                t0 = time.perf_counter()
                fn()
                times[name].setdefault(t, []).append(time.perf_counter() - t0)
    med = {name: {t: statistics.median(v) for t, v in per.items()} for name, per in times.items()}
    best = {name: min(per, key=per.get) for name, per in med.items()}
    return {
        "steps": RUN_STEPS,
        "K": 8,
        "seconds": {name: {str(t): v for t, v in per.items()} for name, per in med.items()},
        "raw_seconds": {name: {str(t): v for t, v in per.items()} for name, per in times.items()},
        "best_threads": best,
        "cost_fraction": med["batched"][best["batched"]] / med["separate"][best["separate"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--run-reps", type=int, default=3, help="alternations of the whole-run comparison")
    args = parser.parse_args()
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, sizes in SIZES.items():
            r = sizes["d"]  # full rank, as the batched pass of notebook 12
            reps = args.reps if name == "quick" else max(3, args.reps - 2)
            one = median_seconds(attnlab_step(ranks=(r,), seeds=(0,), **sizes), reps=reps)
            for K in KS:
                batched = (
                    one
                    if K == 1
                    else median_seconds(
                        attnlab_step(ranks=(r,) * K, seeds=tuple(range(K)), **sizes), reps=reps
                    )
                )
                rows.append(
                    {
                        "sizes": name,
                        "threads": threads,
                        "K": K,
                        "batched_ms": 1000 * batched,
                        "separate_ms": 1000 * K * one,
                        "throughput_ratio": K * one / batched,
                        "cost_fraction": batched / (K * one),
                    }
                )
    runs = whole_runs(args.threads, args.run_reps)
    targets = {"cost_fraction_K8_at_most": 0.5, "throughput_ratio_K8_at_least": 3.0}
    k8 = [row for row in rows if row["K"] == 8]
    met = {
        f"{row['sizes']}, {row['threads']} thread(s)": {
            "cost_fraction": row["cost_fraction"] <= 0.5,
            "throughput_ratio": row["throughput_ratio"] >= 3.0,
        }
        for row in k8
    }
    met["whole runs, best threads"] = {"cost_fraction": runs["cost_fraction"] <= 0.5}
    path = write(
        "batched_seeds", {"sizes": SIZES, "rows": rows, "runs": runs, "targets": targets, "met": met}
    )
    print(
        table(
            rows, ["sizes", "threads", "K", "batched_ms", "separate_ms", "throughput_ratio", "cost_fraction"]
        )
    )
    print(f"whole runs ({RUN_STEPS} steps, quick sizes): {runs}")
    print(f"targets at K = 8: {met} -> {path}")


if __name__ == "__main__":
    main()
