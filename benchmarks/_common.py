"""Shared helpers of the benchmark scripts: timing, machine description, JSON results.

Every benchmark warms up, repeats, and reports the median; results go to
``benchmarks/results/<name>.json`` (committed, read by the book's Performance page), with the
repetitions and spread of every median timed through :func:`median_seconds` (``"timings"``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from attnlab.runtime.cache import atomic_write_text

COMMITTED = Path(__file__).resolve().parent / "results"


def results_folder() -> Path:
    """Where results go: ``$ATTNLAB_BENCH_RESULTS`` (``make bench`` sets a new folder per run),
    else the committed ``benchmarks/results`` that the Performance page reads."""
    env = os.environ.get("ATTNLAB_BENCH_RESULTS")
    return Path(env) if env else COMMITTED


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """Where and with what the numbers were taken."""
    return {
        "recorded": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "nproc": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


TIMINGS: list[dict[str, Any]] = []
"""Every :func:`median_seconds` of this process, in order: its repetitions and spread
(:func:`write` adds them to the results, so a reader sees how far each median can be trusted)."""


def median_seconds(fn: Callable[[], Any], *, warmup: int = 3, reps: int = 7, inner: int = 1) -> float:
    """Median over ``reps`` repetitions of the wall time of ``inner`` calls of ``fn``, per call;
    the repetitions, minimum and maximum are kept in :data:`TIMINGS`."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    median = statistics.median(times)
    TIMINGS.append(
        {"reps": reps, "warmup": warmup, "median_s": median, "min_s": min(times), "max_s": max(times)}
    )
    return median


def matmul_peak(n: int = 2048, reps: int = 7, device: torch.device | str = "cpu") -> float:
    """Measured float32 FLOP/s of one ``n x n`` by ``n x n`` product on ``device`` (torch's
    default precision for float32 products: no TF32 unless asked for); on a GPU each timed
    product ends when its kernel has finished."""
    device = torch.device(device)
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    out = torch.empty(n, n, device=device)

    def product() -> None:
        torch.mm(a, b, out=out)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return 2 * n**3 / median_seconds(product, warmup=2, reps=reps)


def write(name: str, result: dict[str, Any]) -> Path:
    """``<results_folder()>/<name>.json`` with the machine description and, unless the result
    has its own, the repetitions and spread of every median timed in this process added."""
    path = results_folder() / f"{name}.json"
    result = {"timings": list(TIMINGS), **result}
    atomic_write_text(path, json.dumps({"benchmark": name, "machine": machine(), **result}, indent=2))
    return path


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain fixed-width table of ``rows`` (floats with 3 significant digits)."""
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.rjust(w) for v, w in zip(vals, widths, strict=True))  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def attnlab_step(
    *,
    d: int,
    N: int,
    ranks: tuple[int, ...],
    seeds: tuple[int, ...],
    layers: int,
    c: int,
    ff: int,
    batch: int,
    bf16: bool = False,
) -> Callable[[], Any]:
    """One attnlab training step (``train()``'s own step: fresh data, forward, backward, AdamW);
    ``bf16``: the opt-in bfloat16 autocast."""
    from attnlab.rank.config import TrainConfig
    from attnlab.rank.encoder import EncoderConfig
    from attnlab.rank.train import TRAIN_DATA, make_optimizer, training_step
    from attnlab.runtime.device import keep_freed_memory
    from attnlab.runtime.seeds import data_generators

    keep_freed_memory()  # as train() does
    shape = EncoderConfig(d=d, N=N, layers=layers, c=c, ff=ff)
    cfg = TrainConfig(model=shape, ranks=ranks, seeds=seeds, batch=batch)
    model = cfg.build()
    opt = make_optimizer(model, cfg.lr)
    gens = data_generators(cfg.seeds, TRAIN_DATA, torch.device("cpu"))
    return lambda: training_step(model, opt, gens, batch, bf16=bf16)


def parse_args(doc: str | None, *, reps: int, extra=None) -> argparse.Namespace:
    """The benchmarks' shared command line: ``--reps`` and ``--threads`` (applied here).

    ``extra(parser)`` may add a benchmark's own options before parsing.
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=reps)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return args
