"""Benchmark 5: a sweep through a local Ray cluster against the same sweep in-process.

    .venv/bin/python benchmarks/bench_sweep.py [--reps R] [--threads T]

Eight quick-size Comp_n training runs (``attnlab.composition.training.train_run``: one layer,
n = 4, d = 16, 200 steps, one seed each) through :func:`attnlab.runtime.sweep.sweep`, once in this process and
once as Ray tasks. The cluster is started the way ``tests/book/test_sweep.py`` starts one: ``ray
start --head`` on 127.0.0.1 with as many CPUs as the driver has torch threads (so both sides use
the same cores and a task runs with the driver's thread count, one task at a time: the
difference is Ray's overhead, not parallelism), usage statistics off, and this
process's ``attnlab`` on the workers' ``PYTHONPATH`` (so a source checkout or a git worktree runs
its own code on the workers); the benchmark stops exactly the processes it started. The results
cache is off both times. Reports both wall times (median of ``--reps``), the ratio Ray /
in-process, Ray's start-up time (``ray start`` and connecting) separately, and whether the numbers
agree. Writes ``sweep.json``.

On a machine shared with other work, pass ``--threads 1``: there two torch threads ran these small
models more than ten times slower than one (14 s against 0.8 s for one run, measured on the 2-core
VM at load average ~3), which drowns Ray's overhead. The committed ``results/sweep.json`` was
recorded that way.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parse_args, write  # noqa: E402

MODEL = dict(layers=1, d=16, heads=1)
CONFIG = dict(n=4, mlp_width=16, steps=200, batch=128, lr=0.01, eval_every=100)
RUNS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(cpus: int) -> tuple[str, dict[str, str], subprocess.Popen]:
    """``ray start --head --block`` in its own process group; returns (address, env, process)."""
    import attnlab

    source = str(Path(attnlab.__file__).resolve().parents[1])  # the attnlab this process imports
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",  # a cluster on 127.0.0.1 only, for this benchmark
    }
    os.environ.update({k: env[k] for k in ("PYTHONPATH", "RAY_USAGE_STATS_ENABLED", "RAY_AUTH_MODE")})
    ray_cli = shutil.which("ray", path=os.path.dirname(sys.executable)) or shutil.which("ray")
    port = _free_port()
    head = subprocess.Popen(
        [ray_cli, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}"]
        + ["--include-dashboard=false", "--disable-usage-stats", "--block"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return f"127.0.0.1:{port}", env, head


def stop_cluster(address: str, head: subprocess.Popen) -> None:
    """Stop the processes this benchmark started: the ``ray start`` group, then any process of
    this cluster (its GCS address on the command line) that left the group."""
    import psutil

    port = address.rsplit(":", 1)[1]
    ours = [
        p
        for p in psutil.process_iter(["pid", "cmdline"])
        if any(address in a or a.endswith(f"_port={port}") for a in (p.info["cmdline"] or []))
    ]
    try:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(head.pid, signal.SIGKILL)
    _, alive = psutil.wait_procs(ours, timeout=20)
    for p in alive:
        p.kill()


def main() -> int:
    args = parse_args(__doc__, reps=3)
    os.environ["ATTNLAB_CACHE"] = "off"
    os.environ["ATTNLAB_PROGRESS"] = "off"
    import ray
    import torch

    from attnlab.composition.model import TransformerConfig
    from attnlab.composition.training import CompConfig, train_run
    from attnlab.runtime.sweep import sweep

    configs = [
        CompConfig(task="comp", model=TransformerConfig(**MODEL), seeds=(s,), **CONFIG).to_key("cpu")
        for s in range(RUNS)
    ]
    local_s, ray_s = [], []
    local = sweep(train_run, configs, namespace="bench", address="", show_progress=False)
    t0 = time.perf_counter()
    threads = torch.get_num_threads()
    address, _, head = start_cluster(threads)
    try:
        deadline = time.monotonic() + 300
        while True:  # ray start --block: connect as soon as the head answers
            try:
                ray.init(
                    address=address, include_dashboard=False, log_to_driver=False, configure_logging=False
                )
                break
            except (ConnectionError, RuntimeError):
                if time.monotonic() > deadline or head.poll() is not None:
                    raise
                time.sleep(0.5)
        startup = time.perf_counter() - t0
        on_ray = sweep(train_run, configs, namespace="bench", address=address, show_progress=False)
        for _ in range(args.reps):
            t0 = time.perf_counter()
            sweep(train_run, configs, namespace="bench", address="", show_progress=False)
            local_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sweep(train_run, configs, namespace="bench", address=address, show_progress=False)
            ray_s.append(time.perf_counter() - t0)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        stop_cluster(address, head)
    finals_local = [r["final"] for r in local]
    finals_ray = [r["final"] for r in on_ray]
    result = {
        "config": CONFIG | {"model": MODEL},
        "runs": RUNS,
        "cpus": threads,  # the cluster's CPUs = the driver's torch threads = each task's threads
        "in_process_s": statistics.median(local_s),
        "ray_s": statistics.median(ray_s),
        "ratio_ray_to_in_process": statistics.median(ray_s) / statistics.median(local_s),
        "ray_startup_s": startup,
        "same_numbers": finals_local == finals_ray,
        "final_accuracy": {"in_process": finals_local, "ray": finals_ray},
        "raw": {"in_process_s": local_s, "ray_s": ray_s},
    }
    path = write("sweep", result)
    print(
        f"in-process {result['in_process_s']:.2f} s, Ray {result['ray_s']:.2f} s "
        f"(ratio {result['ratio_ray_to_in_process']:.2f}), Ray start-up {startup:.1f} s, "
        f"same numbers: {result['same_numbers']} -> {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
