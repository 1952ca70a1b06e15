"""Benchmark: K seeds trained in one batched pass versus K separate runs (time per step).

A plain script, not a test::

    .venv/bin/python benchmarks/bench_batched_seeds.py            # quick-profile sizes, K = 8
    .venv/bin/python benchmarks/bench_batched_seeds.py --ff 2048 --batch 256 --d 64

Writes ``_build/benchmarks/batched_seeds.json`` and prints a table. "Separate" trains the K
models one after another with the same code (K = 1 each), so the two columns compare one
batched pass against a Python loop over models, everything else equal.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from attnlab.cache import atomic_write_text
from attnlab.device import default_device
from attnlab.page import project_root
from attnlab.train import TrainConfig, train


def seconds_per_step(cfg: TrainConfig, device: torch.device) -> float:
    """Wall seconds per step of one training run of ``cfg`` (after a short warm-up run)."""
    warm = TrainConfig(**{**cfg.__dict__, "steps": 3, "steps_per_epoch": 3})
    train(warm, device, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    train(cfg, device, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / cfg.steps


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--K", type=int, default=8, help="number of seeds")
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--N", type=int, default=16)
    parser.add_argument("--rank", type=int, default=None, help="default: d (full rank)")
    parser.add_argument("--ff", type=int, default=256)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = default_device(args.device)
    rank = args.rank or args.d
    common = dict(
        d=args.d, N=args.N, ff=args.ff, batch=args.batch, steps=args.steps, steps_per_epoch=args.steps
    )
    seeds = tuple(range(args.K))
    batched = seconds_per_step(TrainConfig(ranks=(rank,) * args.K, seeds=seeds, **common), device)
    separate = sum(seconds_per_step(TrainConfig(ranks=(rank,), seeds=(s,), **common), device) for s in seeds)
    result = {
        "K": args.K,
        "sizes": {**common, "rank": rank},
        "device": str(device),
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "batched_ms_per_step": 1000 * batched,
        "separate_ms_per_step_total": 1000 * separate,
        "ratio_batched_over_separate": batched / separate,
    }
    path = project_root() / "_build" / "benchmarks" / "batched_seeds.json"
    atomic_write_text(path, json.dumps(result, indent=2))
    print(f"{'K':>3} {'batched ms/step':>16} {'K separate ms/step':>20} {'ratio':>7}")
    print(f"{args.K:>3} {1000 * batched:16.1f} {1000 * separate:20.1f} {batched / separate:7.2f}")
    print(
        f"(d={args.d}, N={args.N}, r={rank}, ff={args.ff}, batch={args.batch}, {device}, "
        f"{torch.get_num_threads()} threads) -> {path}"
    )


if __name__ == "__main__":
    main()
