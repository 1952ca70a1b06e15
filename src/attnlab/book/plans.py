"""Every training page's plan: its work at each profile, before anything trains.

The book sits on top of the science, so it imports each chapter's planner directly;
the paper-scale page (92) tabulates :func:`page_work` for every page and profile.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch

from attnlab._checks import check_choice, check_int
from attnlab.book import profiles
from attnlab.composition import one_vs_two_layers as _one_vs_two_layers
from attnlab.composition import strassen_paper as _strassen_paper
from attnlab.composition import strassen_vs_softmax as _strassen_vs_softmax
from attnlab.composition import training as _comp
from attnlab.rank import depth as _depth
from attnlab.rank import rank_heads as _rank_heads
from attnlab.rank import train as _rank_train
from attnlab.rank.config import TrainConfig
from attnlab.rank.runs import unique_groups
from attnlab.runtime.device import default_device
from attnlab.runtime.work import Work, median_seconds, total

__all__ = [
    "PLANNERS",
    "RUNS",
    "SHARED_LOAD",
    "Estimate",
    "StepTime",
    "estimate",
    "describe",
    "one_model",
    "page_work",
    "run_step_timer",
    "step_flops",
    "time_step",
    "why_not_comparable",
]

PLANNERS: dict[str, Callable[[Any], Work]] = {
    "12_training_rank_heads": _rank_heads.planned_work,
    "15_depth_long_context": _depth.planned_work,
    "24_training_composition": _one_vs_two_layers.planned_work,
    "25_strassen_attention": _strassen_vs_softmax.planned_work,
    "26_strassen_paper": _strassen_paper.planned_work,
}
"""Every training page and its planner: ``planner(sizes) -> Work`` plans the page's training
from its sizes (``sizes = attnlab.book.profiles.sizes(page, profile)``)."""


def page_work(notebook: str, profile: str) -> Work:
    """The training work of page ``notebook`` at ``profile``, planned from the page's sizes."""
    check_choice("notebook", notebook, PLANNERS)
    check_choice("profile", profile, profiles.PROFILES)
    work = PLANNERS[notebook](profiles.sizes(notebook, profile))
    if not isinstance(work, Work):
        raise TypeError(f"the planner of {notebook} must return a Work, got {type(work).__name__}")
    return work


def _rank_runs(groups: Callable[[Any, int], list]) -> Callable[[Any, int], list]:
    # the batched runs the page trains: a model that two groups share trains once
    return lambda sizes, seed: unique_groups(groups(sizes, seed))


def _comp_runs(page_configs: Callable[[Any, int], list]) -> Callable[[Any, int], list]:
    return lambda sizes, seed: [c for _, c in page_configs(sizes, seed)]


RUNS: dict[str, Callable[[Any, int], list]] = {
    "12_training_rank_heads": _rank_runs(_rank_heads.groups),
    "15_depth_long_context": _rank_runs(_depth.planned_groups),
    "24_training_composition": _comp_runs(_one_vs_two_layers.page_configs),
    "25_strassen_attention": _comp_runs(_strassen_vs_softmax.page_configs),
    "26_strassen_paper": lambda sizes, seed: [c for _, _, c in _strassen_paper.page_configs(sizes, seed)],
}
"""Every training page's training runs at its sizes: ``RUNS[page](sizes, seed) -> [config]``
(a rank-chapter ``TrainConfig``, a composition ``CompConfig`` or page 26's ``PaperConfig``)."""


def _is_rank(cfg: Any) -> bool:
    return isinstance(cfg, TrainConfig)


def _is_paper(cfg: Any) -> bool:
    return isinstance(cfg, _strassen_paper.PaperConfig)


def step_flops(cfg: Any) -> float:
    """FLOPs of one optimiser step of run ``cfg`` (all its models), by its chapter's formula."""
    if _is_paper(cfg):
        return _strassen_paper.step_flops(cfg)
    return cfg.step_flops() if _is_rank(cfg) else _comp.step_flops(cfg)


def one_model(cfg: Any) -> Any:
    """Run ``cfg`` cut to its first model (its shape, batch and schedule unchanged)."""
    if _is_rank(cfg):
        return cfg.subset([0])  # its rank, seed, protocol and rate
    if _is_paper(cfg):
        return replace(cfg, seeds=cfg.seeds[:1])
    return replace(cfg, mlp_width=cfg.mlp_width[:1], seeds=cfg.seeds[:1])


@dataclass(frozen=True)
class StepTime:
    """One run's timed optimiser step: which run was timed, its FLOPs and its seconds (median of
    the timed steps), and whether the run was cut (one model, smaller batch) to keep the timing
    short."""

    label: str
    flops: float
    seconds: float
    cut: bool


def time_step(
    cfg: Any,
    device: Any = "cpu",
    *,
    steps: int = 3,
    warmup: int = 1,
    max_flops: float = 2e10,
    min_seconds: float = 0.0,
) -> StepTime:
    """Time ``steps`` optimiser steps of run ``cfg`` (after ``warmup``) on ``device``, and more
    until the timed steps take ``min_seconds``, with throw-away models (the chapter's
    ``step_timer``); the median step is kept. On a shared machine a few steps of milliseconds
    each catch the load of a few time slices, and their median can be off by a factor of 2;
    the time floor makes the median span the load.

    A run whose step exceeds ``max_flops`` is timed with its first model only and, if that is
    still above, at the largest batch under ``max_flops`` (FLOPs grow linearly in the batch), so
    that the timing takes seconds and fits in memory at any profile; its rate is then that of
    one model at a smaller batch, which on a CPU is close to the full step's (the step is
    dominated by the same matrix products, only fewer of them).
    """
    check_int("steps", steps, low=1)
    check_int("warmup", warmup, low=0)
    if not max_flops > 0:
        raise ValueError(f"max_flops must be > 0, got {max_flops}")
    run, cut = cfg, step_flops(cfg) > max_flops
    if cut:
        run = one_model(cfg)
        if step_flops(run) > max_flops:
            run = replace(run, batch=max(1, int(run.batch * max_flops / step_flops(run))))
    timer = run_step_timer(run, device)
    seconds = median_seconds(timer, repeats=steps, warmup=warmup, min_seconds=min_seconds)
    return StepTime(describe(run), step_flops(run), seconds, cut)


def run_step_timer(cfg: Any, device: Any = "cpu") -> Callable[[], None]:
    """One optimiser step of run ``cfg`` per call, by its chapter's ``step_timer``. On a GPU a
    call returns when the step's kernels have finished, not when they were queued, so that a
    wall-clock timer around it times the step."""
    device = default_device(device)
    if _is_paper(cfg):
        step = _strassen_paper.step_timer(cfg, device)
    else:
        step = _rank_train.step_timer(cfg, device) if _is_rank(cfg) else _comp.step_timer(cfg, device)
    if device.type != "cuda":
        return step

    def synchronised() -> None:
        step()
        torch.cuda.synchronize(device)

    return synchronised


def describe(cfg: Any) -> str:
    """A short description of run ``cfg``: its shape and how many models it trains together."""
    if _is_rank(cfg):
        m = cfg.model
        return f"d={m.d} N={m.N} L={m.layers} c={m.c} ff={m.ff} batch={cfg.batch} K={cfg.K}"
    if _is_paper(cfg):
        return f"{cfg.task} {cfg.attention} L={cfg.layers} d={cfg.d} batch={cfg.batch} K={cfg.models}"
    m, width = cfg.model, max(cfg.mlp_width)
    return f"{cfg.task} {m.attention} L={m.layers} d={m.d} mlp={width} batch={cfg.batch} K={cfg.models}"


@dataclass(frozen=True)
class Estimate:
    """A page's estimated training time at one profile on one device.

    Every run shape in ``timed`` (a step's description and FLOPs; runs alike in both share one
    timing) is estimated from its own timed step: its planned FLOPs, evaluation included, at the
    seconds per FLOP its step took. The page's other runs, if any, are estimated with a model of
    an optimiser step, ``per_step + per_flop * flops``: a fixed cost (Python, dispatch, the
    optimizer loop, small kernels) plus arithmetic at the rate the page's own shapes reach,
    both fitted through the timed steps of the page's ``smallest`` run (fewest FLOPs per step,
    where the fixed cost shows) and its ``dominant`` one (most FLOPs over all its steps).
    One rate for all of a page's runs is off by the spread of their rates (a page 12 run of
    rank-16 heads reaches half the rate of its rank-1 runs), so runs are timed on their own
    where that takes seconds.
    """

    work: Work
    smallest: StepTime
    dominant: StepTime
    per_step: float
    per_flop: float
    timed: tuple[tuple[StepTime, Work], ...] = ()

    @property
    def seconds(self) -> float:
        own = sum(w.flops * t.seconds / t.flops for t, w in self.timed)
        steps = self.work.steps - sum(w.steps for _, w in self.timed)
        flops = self.work.flops - sum(w.flops for _, w in self.timed)
        return own + self.per_step * max(steps, 0) + self.per_flop * max(flops, 0.0)

    @property
    def gflops(self) -> float:
        """The arithmetic rate of the page's dominant run's step, in GFLOP/s."""
        return self.dominant.flops / self.dominant.seconds / 1e9


def estimate(
    notebook: str, profile: str, seed: int = 0, device: Any = "cpu", *, max_runs: int = 0, **timing: Any
) -> Estimate:
    """Page ``notebook``'s training time at ``profile`` on ``device``: its planned work
    (:func:`page_work`) and timed steps (:func:`time_step`, ``timing`` passed on), as
    :class:`Estimate` says. The ``max_runs`` run shapes with the most FLOPs over all their steps
    are timed on their own (all of them when there are no more); the smallest and the dominant
    run are always timed, for the model of the rest. A per-step cost that the two steps put
    below zero (timing noise) is taken as zero; a per-FLOP cost that they put at or below zero
    (steps of equal cost) is the dominant step's seconds per FLOP."""
    check_choice("notebook", notebook, RUNS)
    max_runs = check_int("max_runs", max_runs, low=0)
    runs = RUNS[notebook](profiles.sizes(notebook, profile), seed)
    shapes: dict[tuple[str, float], list[Any]] = {}
    for cfg in runs:
        shapes.setdefault((describe(cfg), step_flops(cfg)), []).append(cfg)
    heaviest = sorted(shapes.values(), key=lambda alike: -sum(c.work().flops for c in alike))
    timed = {}
    for alike in heaviest[:max_runs]:
        timed[id(alike[0])] = (time_step(alike[0], device, **timing), total(c.work() for c in alike))
    small_run = min(runs, key=step_flops)
    dominant_run = max(runs, key=lambda c: c.work().flops)

    def step_of(cfg: Any) -> StepTime:
        alike = shapes[describe(cfg), step_flops(cfg)][0]
        return timed[id(alike)][0] if id(alike) in timed else time_step(alike, device, **timing)

    small, dominant = step_of(small_run), step_of(dominant_run)
    per_flop = (
        (dominant.seconds - small.seconds) / (dominant.flops - small.flops)
        if dominant.flops > small.flops
        else 0.0
    )
    if per_flop <= 0:
        per_flop = dominant.seconds / dominant.flops
    per_step = max(small.seconds - per_flop * small.flops, 0.0)
    return Estimate(page_work(notebook, profile), small, dominant, per_step, per_flop, tuple(timed.values()))


#: The one-minute load average per core above which a run's cores were shared: more processes
#: wanted the CPU than it has, so the run's wall time measured the others' work as well as its own.
SHARED_LOAD = 1.25


def why_not_comparable(run: dict[str, Any], flops: float, threads: int) -> str | None:
    """Why a page's results JSON ``run`` cannot be set against its time estimate, or ``None``
    when it can: the page must have read none of its results from the cache (its ``sweep``
    tally; a page that trains outside the sweep, as page 26 does, has no cache and tallies
    nothing), at the planned ``flops`` (the sizes of now), with the ``threads`` the estimate
    was timed with, and on cores it did not share (its load at the end at most
    :data:`SHARED_LOAD` per core; ``cpu_count`` from the run, else this machine's, where the
    results were written)."""
    tally = run.get("sweep")
    if tally is None:
        return "trained or cached: not recorded"
    if tally["cached"]:
        return "partly from the cache" if tally["computed"] else "from the cache"
    if not math.isclose(run.get("numbers", {}).get("work_flops", 0.0), flops, rel_tol=1e-9):
        return "other sizes"
    if run["provenance"]["threads"] != threads:
        return f"{run['provenance']['threads']} threads, estimated at {threads}"
    load, cores = run.get("load_avg", [0.0])[0], run.get("cpu_count") or os.cpu_count() or 1
    if load > SHARED_LOAD * cores:
        return f"cores shared: load {load:.1f} on {cores} cores at its end"
    return None
