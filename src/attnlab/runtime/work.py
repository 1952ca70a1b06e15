"""What a page's training costs: runs, optimiser steps, FLOPs, and an estimated time.

Every training module plans its page's work from the page's sizes before anything trains
(``planned_work(sizes) -> Work``, one per training page), so a reader sees what a profile will
cost, and the paper-scale page tabulates every page at every profile without training
(:mod:`attnlab.book.plans`). The FLOPs come from each model's one FLOP formula
(``step_flops``); the time is estimated by timing the page's first steps on the current device
(:func:`seconds_per_flop`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from attnlab._checks import check_int

__all__ = [
    "Work",
    "format_flops",
    "format_seconds",
    "median_seconds",
    "seconds_per_flop",
    "total",
]


@dataclass(frozen=True)
class Work:
    """Training work of one page (or part of one).

    Attributes:
        runs: trained models (a batched run of K models counts K).
        steps: optimiser steps, summed over the page's training runs (a batched run of K models
            for S steps counts S: its models step together, in however many memory passes).
        flops: training FLOPs, summed over every model and step, from the models' FLOP formula.
    """

    runs: int
    steps: int
    flops: float

    def __add__(self, other: Work) -> Work:
        return Work(self.runs + other.runs, self.steps + other.steps, self.flops + other.flops)

    def seconds(self, seconds_per_flop: float) -> float:
        """Estimated wall time at ``seconds_per_flop`` (measured by :func:`seconds_per_flop`)."""
        return self.flops * seconds_per_flop


def total(parts: Iterable[Work]) -> Work:
    """The sum of several parts' work."""
    out = Work(0, 0, 0.0)
    for part in parts:
        out = out + part
    return out


def seconds_per_flop(
    step: Callable[[], object], flops_per_step: float, steps: int = 3, warmup: int = 1
) -> float:
    """Time ``steps`` calls of ``step`` (after ``warmup`` calls) and return seconds per FLOP.

    ``step`` runs one training step of a representative model of the page and
    ``flops_per_step`` is that step's FLOPs by the same formula the plan uses, so the estimate
    carries the formula's bias in both numerator and denominator and cancels it.
    """
    check_int("steps", steps, low=1)
    check_int("warmup", warmup, low=0)
    if not flops_per_step > 0:
        raise ValueError(f"flops_per_step must be > 0, got {flops_per_step}")
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps / flops_per_step


def median_seconds(
    step: Callable[[], object], repeats: int = 3, warmup: int = 1, min_seconds: float = 0.0
) -> float:
    """The median wall time of the calls of ``step`` timed after ``warmup`` untimed calls: at
    least ``repeats`` calls, and more until the timed calls add up to ``min_seconds`` (the
    median, since a shared machine's load adds outliers in one direction; a time floor, since
    a few steps of milliseconds each sample the load of a few time slices only)."""
    check_int("repeats", repeats, low=1)
    check_int("warmup", warmup, low=0)
    if not min_seconds >= 0:
        raise ValueError(f"min_seconds must be >= 0, got {min_seconds}")
    for _ in range(warmup):
        step()
    times: list[float] = []
    while len(times) < repeats or sum(times) < min_seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def format_seconds(s: float) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h``, ``4.0 days``, ``41.5 years``."""
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    if s < 365 * 86400:
        return f"{s / 86400:.1f} days"
    return f"{s / (365.25 * 86400):,.1f} years"


def format_flops(f: float) -> str:
    """``3.2 GFLOP``, ``1.1 PFLOP``."""
    for unit, scale in (("EFLOP", 1e18), ("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6)):
        if f >= scale:
            return f"{f / scale:.1f} {unit}"
    return f"{f:.0f} FLOP"
