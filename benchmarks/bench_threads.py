"""Benchmark: OpenMP thread wait policies on a small training workload, alone and shared.

    .venv/bin/python benchmarks/bench_threads.py [--reps R] [--steps S]

PyTorch's CPU threads are GNU OpenMP's (``libgomp``). Between parallel regions a waiting thread
spins for ``GOMP_SPINCOUNT`` iterations, then sleeps: ``OMP_WAIT_POLICY=ACTIVE`` spins for ever,
``PASSIVE`` sleeps at once, and with neither set libgomp spins 300,000 iterations. Spinning
wins when the cores are free (a sleeping thread takes a system call and a wake-up at every one
of a step's hundreds of small parallel regions) and loses when another job wants the cores (a
spinning thread burns the time slice the other job's threads need).

The workload is page 12's first quick-profile run (d = 16, N = 16, c = 1, ff = 256, batch 128,
ranks 16, 4, 1, two seeds each: six models in one pass); each policy runs ``--steps`` training
steps in a fresh process (the policy is read when the process starts), alone and as two
processes at once on the same cores ("shared"), ``--reps`` rounds, the policies interleaved in
each round. ``ms_per_step``: the median over rounds (of the two processes' mean, when shared).
The load average at each measurement is recorded: the machine may be shared with other work.
Writes ``benchmarks/results/threads.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, table, write  # noqa: E402

POLICIES = {
    "ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "libgomp default (300000)": {},
    "GOMP_SPINCOUNT=10000": {"GOMP_SPINCOUNT": "10000"},
    "GOMP_SPINCOUNT=1000": {"GOMP_SPINCOUNT": "1000"},
}
MODEL = dict(d=16, N=16, c=1, ff=256)
WORKLOAD = dict(ranks=(16, 4, 1, 16, 4, 1), seeds=(0, 1, 2, 3, 4, 5), batch=128)


def worker(steps: int) -> None:
    """Time ``steps`` training steps of the workload; print ms per step as JSON."""
    import torch

    from attnlab.rank.config import TrainConfig
    from attnlab.rank.encoder import EncoderConfig
    from attnlab.rank.train import TRAIN_DATA, make_optimizer, training_step
    from attnlab.runtime.device import keep_freed_memory
    from attnlab.runtime.seeds import data_generators

    keep_freed_memory()
    cfg = TrainConfig(model=EncoderConfig(**MODEL), **WORKLOAD)
    model = cfg.build()
    opt, gens = make_optimizer(model, cfg.lr), data_generators(cfg.seeds, TRAIN_DATA, torch.device("cpu"))
    for _ in range(3):
        training_step(model, opt, gens, cfg.batch)
    t0 = time.perf_counter()
    for _ in range(steps):
        training_step(model, opt, gens, cfg.batch)
    print(json.dumps({"ms_per_step": 1000 * (time.perf_counter() - t0) / steps}))


def run(policy: dict[str, str], steps: int, copies: int) -> float:
    """Mean ms per step of ``copies`` worker processes started together under ``policy``."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env |= policy
    cmd = [sys.executable, __file__, "--worker", str(steps)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    outs = [json.loads(p.communicate()[0].strip().splitlines()[-1])["ms_per_step"] for p in procs]
    return sum(outs) / len(outs)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]))
        return
    args = parse_args(__doc__, reps=2, extra=lambda p: p.add_argument("--steps", type=int, default=10))
    times: dict[tuple[str, str], list[float]] = {}
    loads: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.reps):
        for name, policy in POLICIES.items():
            for mode, copies in (("alone", 1), ("shared", 2)):
                loads.setdefault((name, mode), []).append(os.getloadavg()[0])
                times.setdefault((name, mode), []).append(run(policy, args.steps, copies))
    active = {mode: statistics.median(times["ACTIVE", mode]) for mode in ("alone", "shared")}
    rows = [
        {
            "policy": name,
            "env": " ".join(f"{k}={v}" for k, v in policy.items()) or "(neither set)",
            **{f"{mode}_ms": statistics.median(times[name, mode]) for mode in ("alone", "shared")},
            **{
                f"{mode}_vs_active": statistics.median(times[name, mode]) / active[mode]
                for mode in ("alone", "shared")
            },
            **{f"{mode}_runs_ms": times[name, mode] for mode in ("alone", "shared")},
            "load_1min": [round(v, 2) for m in ("alone", "shared") for v in loads[name, m]],
        }
        for name, policy in POLICIES.items()
    ]
    path = write(
        "threads",
        {"model": MODEL, "workload": WORKLOAD, "steps": args.steps, "rounds": args.reps, "rows": rows},
    )
    print(table(rows, ["policy", "alone_ms", "shared_ms", "alone_vs_active", "shared_vs_active"]))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
